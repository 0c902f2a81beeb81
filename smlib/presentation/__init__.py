"""The presentation layer: everything a report shows is formatted here, and nothing here knows the
science.

- :mod:`~smlib.presentation.settings`: the report's language and currency (validation, Babel symbols).
- :mod:`~smlib.presentation.catalogue`: every text in every report language, one file per language
  (``locales/<language>.toml``); :func:`~smlib.presentation.catalogue.text` looks a text up.

Modules here import only :mod:`smlib.config` and each other (checked by ``tests/test_architecture.py``).
"""
