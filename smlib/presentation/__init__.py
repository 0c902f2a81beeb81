"""The presentation layer: everything a report shows is formatted here, and nothing here knows the
science.

- :mod:`~smlib.presentation.settings`: the report's language and currency (validation, Babel symbols).
- :mod:`~smlib.presentation.catalogue`: every text in every report language, one file per language
  (``locales/<language>.toml``); :func:`~smlib.presentation.catalogue.text` looks a text up.
- :mod:`~smlib.presentation.numbers`: numbers as the reports write them (``$1.2M``, ``23 %``,
  ``4.1 months``, ``Jan 2022``) and one table cell of any kind (``format_value``).
- :mod:`~smlib.presentation.labels`: display names of models, channels, teams, stages and journey
  types, column headers, confidence words, chart colours and the glossary.
- :mod:`~smlib.presentation.tables`: the one table renderer (``show_table``, ``format_table``,
  ``table_text``; the printed form ``table_for_print`` / ``html_table``; ``ReportTable``).

Modules here import only :mod:`smlib.config` and each other (checked by ``tests/test_architecture.py``).
"""
