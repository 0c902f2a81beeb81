"""The data pipeline on Ibis: one definition of the heavy, row-level steps, run on any engine.

DuckDB (embedded) is the default; the same expressions run on PySpark (local mode in the tests, a
cluster in production) and on the other Ibis backends that support the operations used (window
functions ``row_number``/``lag``/cumulative sums and group-bys; see docs/scale.md for the backends
tested). Only small aggregates come back to Python.

* :mod:`smlib.engine.source`: ``connect`` — where the data are (a folder of Parquet files, also
  one folder per table, a glob or a hive-partitioned folder; a DuckDB file; an Ibis URL; an Ibis
  backend; a Spark session), the contract's tables as Ibis expressions.
* :mod:`smlib.engine.checks`: the contract's row rules as Ibis queries (``check_source``).
* :mod:`smlib.engine.pipeline`: journeys, touches and the path table (``ibis_journeys``,
  ``path_table``), exactly the conventions of :mod:`smlib.journeys`.
* :mod:`smlib.engine.stats`: the sufficient statistics the models need (transition counts,
  channel-set counts, rule-model credit from position weights, exposure summaries); the models
  fed from them are run by :func:`smlib.attribution.scale.engine_credit` (science layer).

Names are imported lazily, as in :mod:`smlib.causal`.
"""

from __future__ import annotations

from smlib._lazy import lazy_getattr

_LAZY: dict[str, str] = {
    "Source": "source",
    "connect": "source",
    "check_source": "checks",
    "EngineJourneys": "pipeline",
    "ibis_journeys": "pipeline",
    "path_table": "pipeline",
    "transition_counts": "stats",
    "channel_set_counts": "stats",
    "rule_credit": "stats",
    "exposure_summary": "stats",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY)
