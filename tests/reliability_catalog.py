"""Catalogue of the classes of bad input the project is tested against (docs/reliability.md).

Each entry of :data:`CATALOG` is ``(id, bad_input_class, what_the_user_sees, test_nodeid)``:

- ``id``: short, unique, lower-case words joined by ``-``; the prefix names the area (``path-``,
  ``duckdb-``, ``csv-``, ``value-``, ``date-``, ``table-``, ``mapping-``, ``default-``; add
  ``run-`` / ``report-`` for report and runner entries);
- ``bad_input_class``: the kind of bad input, in the user's words;
- ``what_the_user_sees``: the error, warning or behaviour, short;
- ``test_nodeid``: the pytest node id of the test that proves it (``path::function``, optionally
  ``path::Class::method`` or a parametrized id ``path::function[id]``).

Adding a class of bad input is one line: append an ``Entry(...)`` (or a plain 4-tuple) to
``CATALOG``, then regenerate the table in docs/reliability.md::

    .venv/bin/python tests/reliability_catalog.py --write

``python tests/reliability_catalog.py`` prints the table. tests/test_reliability_doc.py checks that
the document holds exactly this table and that every test named here exists.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple


class Entry(NamedTuple):
    """One class of bad input: its id, what it is, what the user sees, and the test proving it."""

    id: str
    bad_input: str
    user_sees: str
    test: str


IO = "tests/test_io.py::"
OPT = "tests/test_io_optional.py::"
MAP = "tests/test_io_mapping.py::"
LOAD = "tests/test_reliability_loader.py::"

CATALOG: list[Entry] = [
    # --- the data path ---------------------------------------------------------------------------
    Entry("path-missing", "data path does not exist", "one-line error `<path>: no such file or folder` (a ValueError and a FileNotFoundError)", LOAD + "test_path_that_does_not_exist"),
    Entry("path-symlink-loop", "data path is a symbolic link loop", "one-line error naming the path: a symbolic link loop", LOAD + "test_symlink_loop"),
    Entry("path-broken-link", "a table file is a symbolic link to nothing", "one-line error naming the link and its missing target", LOAD + "test_broken_symlink_table_file"),
    Entry("path-single-csv", "data path is one CSV file, not the folder", "one-line error: expected a folder of tables (touchpoints.csv, opportunities.csv, ...), got the file X", LOAD + "test_single_csv_file_as_path"),
    Entry("path-garbage-file", "data path is a file of unknown content", "one-line error: expected a folder of tables ..., got the file X", LOAD + "test_garbage_file_as_path"),
    Entry("path-sqlite", "data path is a SQLite database", "one-line error: got the file X (a SQLite database)", LOAD + "test_sqlite_file_as_path"),
    Entry("path-no-tables", "folder holds neither required table", "error listing every missing required table, the files expected and what each absent optional table would unlock", LOAD + "test_folder_without_required_tables"),
    Entry("path-required-missing", "folder lacks one or both required tables", "one error listing all missing tables and what the folder holds", OPT + "test_all_missing_required_tables_listed_at_once"),
    Entry("path-csv-and-parquet", "folder holds both <table>.csv and <table>.parquet", "error: both files exist; keep one of them", IO + "test_folder_with_csv_and_parquet_is_ambiguous"),
    Entry("path-table-file-missing", "load_table on a folder without that table's file", "error naming the folder and the file names expected", IO + "test_missing_file_and_missing_duckdb_table"),
    Entry("path-cli-bad-data", "report run on a data file that is not a dataset", "exit code 2 and the one-line message, no traceback", LOAD + "test_cli_reports_a_bad_data_file_without_traceback"),
    # --- DuckDB files ----------------------------------------------------------------------------
    Entry("duckdb-view", "a DuckDB table name is a view (a stored query that could read local files)", "error naming the file and the table; pass allow_views=True only for a trusted file", LOAD + "test_duckdb_view_is_refused"),
    Entry("duckdb-view-reads-files", "an allowed DuckDB view reads a file on this computer", "error naming the file and table: file access is off; the file's content never reaches the data", LOAD + "test_duckdb_allowed_view_cannot_read_files"),
    Entry("duckdb-view-own-tables", "a DuckDB view over the database's own tables", "refused by default; loads with allow_views=True", LOAD + "test_duckdb_view_over_its_own_tables_loads_when_allowed"),
    Entry("duckdb-view-journeys", "a DuckDB view given to the out-of-core journey builder", "refused before the file is attached; the file's content never reaches the data", LOAD + "test_out_of_core_journeys_refuse_a_view_before_attaching"),
    Entry("duckdb-sandbox", "any SQL run while reading a DuckDB file", "connection is read-only, without file, network or extension access", LOAD + "test_duckdb_connection_has_no_file_or_extension_access"),
    Entry("duckdb-is-sqlite", "a SQLite file named .duckdb/.db/.ddb", "one-line error before DuckDB opens it (no extension download): not a DuckDB database, the file is a SQLite database", LOAD + "test_sqlite_file_named_like_duckdb_is_rejected_before_duckdb_opens_it"),
    Entry("duckdb-garbage", "a .duckdb file that is empty or not a database", "one-line error: not a DuckDB database, the file is an empty file / something else", LOAD + "test_garbage_or_empty_file_named_duckdb_is_rejected"),
    Entry("duckdb-table-missing", "a DuckDB file without the table asked for", "error: expected a table named 'touchpoints' (found: ...)", IO + "test_missing_file_and_missing_duckdb_table"),
    Entry("duckdb-required-missing", "a DuckDB file lacking a required table", "error listing the missing tables and the tables found", OPT + "test_missing_required_table_in_duckdb"),
    # --- CSV files -------------------------------------------------------------------------------
    Entry("csv-empty-file", "a 0-byte CSV file", "error naming the file: expected a header line; export the table again with its header line", LOAD + "test_empty_csv_says_what_to_do"),
    Entry("csv-empty-optional", "a 0-byte file for an optional table", "error naming the file (it must be removed or re-exported)", OPT + "test_empty_csv_file_is_a_clear_error"),
    Entry("csv-header-only", "a CSV file with only the header line", "loads as a table with no rows; Dataset.has(table) is False", OPT + "test_header_only_optional_tables_are_empty_typed_frames"),
    Entry("csv-header-only-required", "a required table with only its header", "loads, with no rows (the reports say what is missing)", OPT + "test_header_only_required_table_loads_but_has_no_rows"),
    Entry("csv-dup-header", "CSV header repeats a column name", "error naming the file and the header 'channel' (columns 3 and 8)", LOAD + "test_duplicate_header"),
    Entry("csv-header-spaces", "CSV header name with surrounding spaces ('cost ')", "error naming the file and the header; write it as 'cost'", LOAD + "test_header_with_surrounding_spaces"),
    Entry("csv-extra-fields", "CSV lines with more fields than the header (an unquoted comma)", "error naming the file and the rows", LOAD + "test_csv_rows_with_more_fields_than_the_header"),
    Entry("csv-trailing-comma", "every CSV line ends with a comma", "loads; columns are not shifted", LOAD + "test_csv_trailing_delimiter_does_not_shift_columns"),
    Entry("csv-latin1", "a CSV file in latin-1 (not UTF-8)", "error naming the file and line: save it as UTF-8, or pass encoding='latin-1'", LOAD + "test_latin1_file_says_how_to_fix_it"),
    Entry("csv-latin1-declared", "a latin-1 CSV with encoding declared (argument or mapping.toml); an unknown encoding name", "loads with the right characters; an unknown encoding is an error naming it", LOAD + "test_declared_latin1_is_read"),
    Entry("csv-bom", "a UTF-8 CSV with a byte-order mark", "loads silently, first column named correctly", LOAD + "test_utf8_byte_order_mark_is_accepted"),
    Entry("csv-leading-zeros", "ids with leading zeros (007)", "kept as text '007'", IO + "test_csv_keeps_leading_zeros_in_ids"),
    Entry("csv-line-numbers", "a bad value in a CSV file", "the row number N points at line N + 1 of the file", IO + "test_csv_row_numbers_are_data_rows"),
    Entry("parquet-garbage", "a .parquet file that is not Parquet", "error naming the file: expected a Parquet file", LOAD + "test_garbage_parquet_file"),
    # --- values ----------------------------------------------------------------------------------
    Entry("value-na-text", "the text NA, N/A, null, None, NaN, n/a, #N/A in an id or text column", "kept as that text (a unit called NA keeps its rows)", LOAD + "test_na_text_in_id_and_text_columns_is_kept"),
    Entry("value-missing-markers", "NA, N/A, null, NaN in a number or date column; other text such as None", "the documented markers are missing values; other text is an error naming the value", LOAD + "test_only_documented_markers_are_missing_in_number_and_date_columns"),
    Entry("value-marker-mapped", "a missing marker (N/A) that mapping.toml maps to a value", "mapped, not missing", LOAD + "test_a_marker_the_mapping_maps_is_mapped_not_missing"),
    Entry("value-extra-column-na", "NA in a column outside the contract", "a numeric column reads it as missing, a text column keeps it", LOAD + "test_extra_csv_columns_are_numbers_only_when_every_value_is"),
    Entry("value-spaces", "names with leading or trailing spaces ('webinar ', 'email ' and 'email')", "spaces removed in every table; Dataset.notes gives table, column, count and up to 3 examples", LOAD + "test_surrounding_spaces_are_stripped_and_noted"),
    Entry("value-spaces-typed", "spaces around text in a Parquet or DuckDB table", "removed and noted the same way", LOAD + "test_stripping_applies_to_parquet_and_duckdb_too"),
    Entry("value-only-spaces", "a required text that is only spaces", "error: expected a non-empty string, got '   '", LOAD + "test_value_of_only_spaces_is_still_an_error"),
    Entry("value-ids-hidden", "a problem in account_id or opportunity_id (duplicate, blank)", "rows only, `got (ids hidden)`; other columns still show their values", LOAD + "test_ids_are_hidden_in_error_messages"),
    Entry("value-bad-timestamp", "a timestamp that cannot be read ('yesterday')", "error: expected an ISO 8601 timestamp, got 'yesterday'", IO + "test_touchpoint_errors"),
    Entry("value-bad-timestamp-no-dup", "two unreadable timestamps that make a key look repeated", "one error for the timestamps, no duplicate-key error", LOAD + "test_unparseable_timestamps_are_not_also_duplicates"),
    Entry("value-bad-timestamp-no-rule", "an unreadable closed_at on a won deal", "one error for the value, not also 'closed_at to be set'", LOAD + "test_unparseable_closed_at_is_not_also_a_missing_closed_at"),
    Entry("value-missing-required", "a required value missing (timestamp, channel)", "error: expected a value, got missing", IO + "test_touchpoint_errors"),
    Entry("value-separator", "'>' in a channel name", "error: expected a channel name without '>'", IO + "test_touchpoint_errors"),
    Entry("value-blank-text", "a blank channel name", "error: expected a non-empty string", IO + "test_touchpoint_errors"),
    Entry("value-not-allowed", "a value outside the allowed set (team 'partners')", "error: expected one of ..., got the value", IO + "test_touchpoint_errors"),
    Entry("value-not-a-number", "text in a number column ('abc')", "error: expected a number, got 'abc'", IO + "test_touchpoint_errors"),
    Entry("value-infinite", "an infinite cost", "error: expected a finite number", IO + "test_touchpoint_errors"),
    Entry("value-negative", "a negative cost or revenue", "error: expected cost >= 0, got the values", IO + "test_negative_cost_message_exact"),
    Entry("value-many-bad-rows", "many rows breaking one rule", "the first five rows and '(and N more)'", IO + "test_many_bad_rows_are_summarised"),
    Entry("value-margin-range", "gross_margin outside [0, 1]", "error: expected a fraction in [0, 1]", IO + "test_opportunity_rules"),
    Entry("value-size", "account size not a whole number, or below 1", "error: expected a whole number / size >= 1", IO + "test_account_rules"),
    Entry("value-segment", "an unknown segment ('SMB')", "error: expected one of 'smb', 'mid_market', 'enterprise'", IO + "test_account_rules"),
    Entry("value-bool", "a true/false column holding 'maybe'", "error: expected true or false", IO + "test_account_rules"),
    Entry("value-numeric-ids", "ids stored as numbers (7.0)", "read as the text '7'", IO + "test_validation_is_idempotent_and_numeric_ids_become_text"),
    Entry("value-label-separator", "a channel label containing '>'", "error naming the label entry", OPT + "test_with_channel_labels_renames_touches_and_spend"),
    # --- dates -----------------------------------------------------------------------------------
    Entry("date-touch-1900", "a touch in 1900", "error naming file, column, rows, the window 1990-01-01 to today + 1 year, and the value", LOAD + "test_implausible_dates_are_errors[touch-1900]"),
    Entry("date-touch-2200", "a touch in 2200", "error naming the window and the value", LOAD + "test_implausible_dates_are_errors[touch-2200]"),
    Entry("date-won-1900", "a won deal closed in 1900", "one error for the date (no spurious stage-order error)", LOAD + "test_implausible_dates_are_errors[won-1900]"),
    Entry("date-period-2200", "a spend period in 2200", "error naming the window and the value", LOAD + "test_implausible_dates_are_errors[spend-2200]"),
    Entry("date-adoption-2200", "an adoption_period in 2200", "error naming the window (an adoption after the data end but within a year is fine)", LOAD + "test_implausible_dates_are_errors[adoption-2200]"),
    Entry("date-adoption-after-end", "an adoption_period after the data end", "accepted", LOAD + "test_adoption_after_the_data_end_is_fine"),
    Entry("date-bad-window", "a date_window that is not a date or is empty", "error naming the value", LOAD + "test_default_plausible_window"),
    Entry("date-timezones", "timestamps with an offset or none", "converted to UTC / read as UTC", IO + "test_types_timezones_periods_and_extra_columns"),
    Entry("date-mid-month-period", "a period that is not a month start (2024-04-15)", "error: expected a month-start date", IO + "test_period_rules"),
    Entry("date-stage-order", "funnel stages out of order (mql_at before lead_at)", "error showing the row's stage dates", IO + "test_opportunity_rules"),
    Entry("date-between-order", "Dataset.between with start after end", "error: start must be before end", IO + "test_between_filters_events_and_periods"),
    # --- tables and rules ------------------------------------------------------------------------
    Entry("table-missing-column", "a required column missing", "error naming the column and the columns found", IO + "test_missing_required_column_names_found_columns"),
    Entry("table-optional-columns", "optional columns left out", "loads; the columns are not invented", OPT + "test_optional_columns_may_be_absent"),
    Entry("table-optional-missing", "optional tables (spend, units, accounts) absent", "loads; Dataset.missing names them; empty typed tables", OPT + "test_minimum_tables_load"),
    Entry("table-dup-touch", "the same touch twice", "error on the repeated row, key shown with the account id hidden", IO + "test_duplicate_touches"),
    Entry("table-dup-opportunity", "an opportunity_id repeated", "error on the repeated row", IO + "test_opportunity_rules"),
    Entry("table-dup-period", "a unit/period or spend row repeated", "error on the repeated row", IO + "test_period_rules"),
    Entry("table-adoption-varies", "adoption_period not constant within a unit", "error on the unit's rows", IO + "test_period_rules"),
    Entry("table-lost-revenue", "a lost deal with revenue", "error: expected revenue == 0 when outcome is 'lost'", IO + "test_opportunity_rules"),
    Entry("table-stage-gap", "opportunity_at set without sql_at", "error: a later stage needs the one before", IO + "test_opportunity_rules"),
    Entry("table-open-closed", "an open deal with closed_at", "error: expected no closed_at when outcome is 'open'", IO + "test_opportunity_rules"),
    Entry("table-won-unclosed", "a won deal without closed_at or opportunity_at", "error naming the missing stage", IO + "test_won_needs_closed_at_and_opportunity"),
    Entry("table-won-no-stage-columns", "won deals in a table without closed_at/opportunity_at columns", "error naming the stage columns", IO + "test_absent_optional_stage_columns_are_treated_as_missing"),
    Entry("table-many-tables-bad", "problems in several tables", "one error listing all of them", IO + "test_load_dataset_reports_all_tables_at_once"),
    Entry("table-not-a-frame", "validate() given something that is not a DataFrame", "TypeError naming what it got", IO + "test_non_dataframe_input_is_a_clear_error"),
    Entry("table-check-crashes", "a contract check that crashes", "reported as a failed check, never passed", IO + "test_a_check_that_crashes_is_reported_not_passed"),
    Entry("table-unknown-name", "an unknown table name ('clicks')", "error listing the table names", IO + "test_missing_file_and_missing_duckdb_table"),
    Entry("table-drop", "broken rows with on_invalid='drop'", "rows left out and listed in Dataset.dropped (rule, count, rows; never values)", OPT + "test_drop_leaves_out_broken_rows_and_lists_them"),
    Entry("table-drop-table-level", "on_invalid='drop' with a missing column, or an unknown on_invalid", "still an error", OPT + "test_drop_still_raises_on_table_level_problems"),
    # --- mapping.toml ----------------------------------------------------------------------------
    Entry("mapping-unknown-table", "mapping.toml names an unknown table or section", "error naming mapping.toml and the entry", MAP + "test_unknown_table_and_section"),
    Entry("mapping-column-absent", "mapping.toml renames a column the file lacks", "error naming the entry and the columns found", MAP + "test_renamed_column_not_in_the_file"),
    Entry("mapping-two-to-one", "two source columns mapped to one column", "error naming both entries", MAP + "test_two_sources_to_one_target"),
    Entry("mapping-target-exists", "a new name the file already has; values of an absent column", "error naming the entry", MAP + "test_target_already_in_the_file_and_values_of_a_missing_column"),
    Entry("mapping-malformed", "mapping.toml not valid TOML, wrong value types, or missing file", "error naming the file and the entry", MAP + "test_malformed_mapping_files"),
    Entry("mapping-absent-table", "a mapping section for an optional table the data lack", "ignored", MAP + "test_mapping_section_for_an_absent_optional_table_is_ignored"),
    Entry("mapping-value-spaces", "an export value with surrounding spaces ('Open ')", "matched to the mapping", MAP + "test_mapping_for_parquet_and_extra_sections"),
    # --- the default dataset folder --------------------------------------------------------------
    Entry("default-foreign-folder", "the default data folder holds someone else's files", "error; nothing overwritten", IO + "test_foreign_incomplete_folder_is_not_overwritten"),
    Entry("default-generation-crash", "the simulator crashes while writing the default data", "nothing half-written is left", IO + "test_failed_generation_leaves_nothing"),
    Entry("default-race", "two processes generate the default data at once", "the winner's identical data are used", IO + "test_lost_race_uses_the_winner"),
    Entry("default-stale", "default data from another simulator version or seed", "regenerated and swapped in", IO + "test_stale_default_dataset_is_regenerated"),
    Entry("default-own-data", "own data (no truth.json) in the default folder", "used as it is, never replaced", IO + "test_own_data_in_the_default_folder_is_never_replaced"),
    Entry("default-swapped-mid-read", "default data regenerated while being read", "the read is repeated", IO + "test_default_load_rereads_when_swapped_during_the_read"),
    # --- report runs (smlib report run / index) ---------------------------------------------------
    Entry("run-notebook-dotdot", "a run's notebook given as ../../etc/passwd (out of the notebooks folder)", "exit 2, one line: notebook X is outside the notebooks folder", "tests/test_report_config.py::test_notebook_outside_the_notebooks_folder_is_refused[dotdot]"),
    Entry("run-notebook-absolute", "a run's notebook given as an absolute path elsewhere", "exit 2, one line: notebook X is outside the notebooks folder", "tests/test_report_config.py::test_notebook_outside_the_notebooks_folder_is_refused[absolute]"),
    Entry("run-notebook-symlink", "a symlink in the notebooks folder pointing out of it", "exit 2, one line: notebook X is outside the notebooks folder", "tests/test_report_config.py::test_notebook_outside_the_notebooks_folder_is_refused[symlink]"),
    Entry("run-notebook-not-json", "a run's notebook file that is text or other JSON, not a notebook", "exit 2, one line: X is not a Jupyter notebook (.ipynb JSON); none of its content is shown", "tests/test_report_config.py::test_non_notebook_file_is_refused_without_showing_its_content[text]"),
    Entry("run-config-folder", "--config names a folder", "exit 2, one line: reports config X cannot be read", "tests/test_report_config.py::test_config_that_is_a_folder_is_exit_2"),
    Entry("run-param-start", "-p start=garbage", "exit 2, one line naming the parameter, in milliseconds; no data read, no run folder", "tests/test_report_config.py::test_bad_parameter_values_exit_2_before_any_data_or_notebook[start-garbage]"),
    Entry("run-param-language", "-p language=fr (declared by a later report only)", "exit 2, one line naming the parameter and the languages, before any data are read", "tests/test_report_config.py::test_bad_parameter_values_exit_2_before_any_data_or_notebook[language-fr]"),
    Entry("run-param-currency", "-p currency=XYZ", "exit 2, one line: expected an ISO 4217 code", "tests/test_report_config.py::test_bad_parameter_values_exit_2_before_any_data_or_notebook[currency-xyz]"),
    Entry("run-data-symlink-loop", "data_path is a symlink loop (-p or reports.toml)", "exit 2, one line: data_path X cannot be used: a symlink loop; no traceback", "tests/test_report_config.py::test_bad_data_path_is_exit_2_with_one_line[p-option-symlink_loop]"),
    Entry("run-data-sqlite", "data_path is a SQLite file named .duckdb", "exit 2, one line, before any notebook runs", "tests/test_report_config.py::test_bad_data_path_is_exit_2_with_one_line[p-option-sqlite]"),
    Entry("run-data-garbage", "data_path is a .duckdb file of random bytes", "exit 2, one line, before any notebook runs", "tests/test_report_config.py::test_bad_data_path_is_exit_2_with_one_line[config-garbage]"),
    Entry("run-data-single-csv", "data_path is one CSV file, not the folder", "exit 2, one line, before any notebook runs", "tests/test_report_config.py::test_bad_data_path_is_exit_2_with_one_line[p-option-single_csv]"),
    Entry("run-data-big-folder", "data_path is a large folder without the tables", "the missing tables are reported at once; no file is hashed", "tests/test_report_provenance.py::test_big_folder_without_tables_is_refused_before_hashing"),
    Entry("run-data-unrelated-files", "the data folder also holds unrelated files (photos, backups)", "not read or hashed: provenance lists the table files, mapping.toml and truth files only", "tests/test_report_provenance.py::test_describe_dataset_records_table_content_and_contract_files_only"),
    Entry("run-data-changed", "the data change between two runs", "provenance data.tables (rows, SHA-256 of the loaded content) and the run-id fingerprint change", "tests/test_report_provenance.py::test_plan_records_table_hashes_and_the_fingerprint_follows_them"),
    Entry("run-data-duckdb-views", "a .duckdb file holding views over Parquet files elsewhere", "exit 2 (views are refused); stored tables are hashed by content", "tests/test_report_provenance.py::test_duckdb_tables_are_hashed_by_content_and_views_over_files_are_refused"),
    Entry("run-concurrent", "two batches into one reports folder, the older one finishing last", "latest is the newest by start time; the index lists it first, tagged latest; the older is listed below", "tests/test_reliability_runner.py::test_overlapping_batches_latest_is_the_newest_by_start_time"),
    Entry("run-publish-order", "an older batch published after a newer one", "latest and the index stay on the newer batch (one lock around both)", "tests/test_report_publish.py::test_older_batch_finishing_last_does_not_take_latest"),
    Entry("run-sigterm", "a batch stopped with SIGTERM (or Ctrl-C) while a notebook runs", "exit 143, INTERRUPTED line; kernel stopped; no partial notebook at the top, no run.json, incomplete.json; never published; no kernel connection file left", "tests/test_reliability_runner.py::test_sigterm_stops_kernels_and_leaves_an_incomplete_unpublished_folder"),
    Entry("run-sigkill", "a batch killed with SIGKILL, then a next run", "half-run notebook only in .partial/; the next run marks the folder incomplete; never published, never latest", "tests/test_reliability_runner.py::test_sigkill_then_next_run_never_publishes_the_killed_folder"),
    Entry("run-dead-folder-index", "a run folder without run.json when the index is rebuilt", "smlib report index marks it incomplete and leaves it out; latest unchanged", "tests/test_report_publish.py::test_folder_without_run_json_is_marked_incomplete_and_never_published"),
    Entry("run-latest-deleted", "the run folder latest points to was deleted", "smlib report index points latest at the newest published batch left", "tests/test_report_publish.py::test_index_repairs_a_latest_pointing_at_a_deleted_batch"),
    Entry("run-no-publish", "--no-publish on a full batch", "NOT published: --no-publish was given. (not 'a partial batch, --only')", "tests/test_reliability_runner.py::test_no_publish_on_a_full_batch_says_so"),
    Entry("run-kernel-shutdown", "kernel shutdown at the end of each report", "no 'KeyboardInterrupt caught in kernel' lines: kernels are shut down without an interrupt", "tests/test_reliability_runner.py::test_kernels_are_shut_down_without_an_interrupt"),
    # data the loader accepts but a report cannot fully use: every report runs and says why
    *[Entry(f"report-{case.replace('_', '-')}", what, sees,
            f"tests/test_report_real_exports.py::test_every_report_runs_on_the_export[{case}]")
      for case, what, sees in (
          ("minimum", "only touchpoints and opportunities (no spend, units, accounts), sales touches logged on won deals only, most wins without revenue, a cut start", "every report runs; data warnings; 'not available' boxes name the table that would unlock each section; no model named as the one to trust"),
          ("header_only_optional", "spend, units and accounts files with a header and no rows", "treated as missing: warnings no_spend, no_units, no_accounts; sections replaced by boxes"),
          ("zero_spend", "a spend table whose costs are all 0", "warning no_spend; cost figures replaced by boxes, no division by zero"),
          ("never_adopt", "business units that never integrate", "warning no_adoption; the uplift is 'cannot be estimated from this data' with what would make it estimable"),
          ("all_adopt", "every business unit integrates (no never-integrated unit)", "the not-yet-integrated units are the comparison; the report says which"),
          ("adoption_after_end", "adoption dates after the last month of data", "warning no_adoption saying the dates are after the data end"),
          ("single_unit", "a single business unit", "the uplift is 'cannot be estimated': there is nothing to compare its revenue with"),
          ("zero_revenue_most_wins", "most won deals with revenue 0", "warning zero_revenue_wins with count and share"),
          ("no_lost", "no lost deals (lost/won ratio 0)", "reports run; the funnel says what it can"),
          ("all_lost_closed", "every closed opportunity won because lost deals never reached the opportunity stage", "warning degenerate_rate naming the definition used"),
          ("channel_everywhere", "a channel present in every journey", "reports run; no division by zero in credit"),
          ("channel_only_converting", "a channel only in converting journeys", "warning separation; no model named as the one to trust"),
          ("twin_channels", "two channels that always occur together", "warning separation; credited as one channel 'a + b'"),
          ("no_opportunities", "an opportunities file with no rows", "report 00 says the table has no rows; attribution says it has no won deal"),
          ("no_wins", "no won deal", "attribution 'cannot be told from this data: it has no won deal after a touch'"),
          ("only_converting", "only accounts with a won deal (no journey without a purchase)", "data-driven models skipped with the reason; report 03 states the model it uses instead"),
          ("no_touches", "a touchpoints file with no rows", "report 00 says no journey can be built; attribution says it has no touches"),
          ("optional_columns_absent", "the optional columns left out (spend.unit_id, accounts.integrated, opportunities.source_team, touchpoints.cost)", "every report runs; the sections that need a column are left out or say so"),
      )],
]

DOC: Path = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"
BEGIN: str = "<!-- catalog:begin (generated from tests/reliability_catalog.py; do not edit) -->"
END: str = "<!-- catalog:end -->"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_table(catalog: list[Entry] | None = None) -> str:
    """The markdown table of ``catalog`` (default :data:`CATALOG`), one row per entry, in order."""
    rows = ["| id | bad input | what the user sees | test |", "|---|---|---|---|"]
    for entry in catalog if catalog is not None else CATALOG:
        id_, bad, sees, test = entry
        rows.append(f"| `{_cell(id_)}` | {_cell(bad)} | {_cell(sees)} | `{_cell(test)}` |")
    return "\n".join(rows) + "\n"


def rendered_section(text: str) -> str | None:
    """The part of ``text`` between the BEGIN and END markers (None when they are missing)."""
    if BEGIN not in text or END not in text:
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def write_doc(path: Path = DOC) -> None:
    """Replace the table between the markers of docs/reliability.md with :func:`render_table`."""
    text = path.read_text(encoding="utf-8")
    if rendered_section(text) is None:
        raise SystemExit(f"{path}: markers {BEGIN!r} and {END!r} not found")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{BEGIN}\n{render_table()}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write_doc()
        print(f"{DOC}: table of {len(CATALOG)} entries written")
    else:
        sys.stdout.write(render_table())
