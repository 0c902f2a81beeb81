"""Every path and project-wide default in one place (cookiecutter-data-science style).

Paths are built from the installed package's location, never from the current directory, so a
notebook run by papermill, nbval or JupyterLab finds the same files. ``SMARKETING_DATA`` and
``SMARKETING_REPORTS`` override the data and report locations.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR: Path = Path(__file__).resolve().parent
PROJECT_ROOT: Path = PACKAGE_DIR.parent
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
DATA_DIR: Path = Path(os.environ.get("SMARKETING_DATA", PROJECT_ROOT / "data"))
DEFAULT_DATASET_DIR: Path = DATA_DIR / "default"
REPORTS_DIR: Path = Path(os.environ.get("SMARKETING_REPORTS", PROJECT_ROOT / "reports"))
REPORTS_CONFIG: Path = PROJECT_ROOT / "reports.toml"
TEMPLATES_DIR: Path = PACKAGE_DIR / "report" / "templates"
#: Accuracy of every attribution model on each simulator mechanism, written by
#: benchmarks/accuracy_mechanisms.py --csv and shown in report 01.
ACCURACY_MECHANISMS_CSV: Path = PROJECT_ROOT / "docs" / "accuracy_mechanisms.csv"

#: Seed of the shipped default dataset; changing it changes every default report.
DEFAULT_SEED: int = 20240601
#: Jupyter kernel installed by ``make`` into the project's venv and named by every notebook.
KERNEL_NAME: str = "smarketing"
#: Lookback window (days) for building journeys before a conversion.
DEFAULT_LOOKBACK_DAYS: int = 90
#: Separator of channels in a path string (ChannelAttribution's convention).
PATH_SEPARATOR: str = " > "

TEAMS: tuple[str, ...] = ("marketing", "sales")
MARKETING_CHANNELS: tuple[str, ...] = (
    "paid_search", "paid_social", "email", "webinar", "events", "content_seo", "direct",
)
SALES_CHANNELS: tuple[str, ...] = ("sdr_call", "sdr_email", "ae_meeting", "demo", "proposal")
TABLES: tuple[str, ...] = ("touchpoints", "opportunities", "spend", "units", "accounts")
#: The minimum a dataset must hold; the workbook runs on these two alone.
REQUIRED_TABLES: tuple[str, ...] = ("touchpoints", "opportunities")
#: Optional tables and what each one unlocks (an absent one loads as an empty table).
OPTIONAL_TABLES: dict[str, str] = {
    "spend": "cost per channel and team: CAC, ROI, ROAS, payback and LTV:CAC",
    "units": "the integration uplift estimate (a panel of business units by month with adoption dates)",
    "accounts": "account-level uplift checks (segment, size, integrated flag) and per-unit cost",
}
#: Optional calibration table beside the five (``experiments.csv`` / ``.parquet``: lift tests and
#: holdouts per channel, data/README.md), read by ``smlib.io.load_experiments``; what it unlocks.
EXPERIMENTS_TABLE: str = "experiments"
CALIBRATION_TABLES: dict[str, str] = {
    EXPERIMENTS_TABLE: "scoring every attribution model against your lift tests and calibrating "
                       "the data-driven credit to them",
}

#: Columns whose values identify customers or deals: error messages and load notes never show
#: their values (only row numbers and counts), so they cannot reach a report or a run record.
ID_COLUMNS: tuple[str, ...] = ("account_id", "opportunity_id")
#: Text that means "no value" in a CSV number, date or true/false column (an empty field too).
#: In id and text columns only an empty field is missing: ``NA`` stays the text ``NA``.
CSV_MISSING_MARKERS: tuple[str, ...] = ("", "NA", "N/A", "null", "NaN")
#: Plausible window for every timestamp and period, (earliest, latest) as ISO dates: a value
#: outside it is an error. ``None`` as the latest means today (UTC) + 1 year; ``None`` as the
#: earliest means no lower limit. ``load_dataset(..., date_window=(lo, hi))`` overrides it.
PLAUSIBLE_DATES: tuple[str | None, str | None] = ("1990-01-01", None)
#: Settings of the DuckDB connection that reads a user's database file: no file, network or
#: extension access, so a view stored in the file cannot read other files on this computer.
DUCKDB_READ_CONFIG: dict[str, bool] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
