"""The simulator's ground truth and its on-disk form (``truth.json`` + ``truth_<name>.parquet``)."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Truth tables written as ``truth_<name>.parquet`` next to the dataset tables.
TRUTH_TABLES: tuple[str, ...] = ("channel_effects", "team_effects", "att_gt", "potential_outcomes",
                                 "unit_quality", "accounts")
TRUTH_JSON: str = "truth.json"


#: Modules of this package that do not affect what ``simulate`` returns (export reshaping, the
#: package's index of names).
NOT_VERSIONED: frozenset[str] = frozenset({"export.py", "__init__.py"})


def simulator_version() -> str:
    """First 12 hex digits of the sha256 of this package's source files.

    Stored as ``params["simulator_version"]`` in every truth, so a cached dataset (e.g.
    ``data/default``) written by an older simulator can be recognised and regenerated. Files that
    only reshape a simulation afterwards (:data:`NOT_VERSIONED`) do not count: they cannot change
    a simulated dataset.
    """
    h = hashlib.sha256()
    for f in sorted(Path(__file__).parent.glob("*.py")):
        if f.name in NOT_VERSIONED:
            continue
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


@dataclass
class Truth:
    """What the simulator knows and an analyst has to estimate.

    - ``channel_effects`` [channel, team, incremental_conversions, incremental_revenue, share]:
      for channel c, ``incremental_conversions = sum_j P(won | journey j) - P(won | j without c)``
      over completed (won or lost) journeys, ``incremental_revenue`` the same weighted by each
      journey's deal size, ``share`` = incremental_conversions / sum over channels.
    - ``team_effects`` [team, incremental_conversions, incremental_revenue, share] for marketing,
      sales, shared: with ``P_MS`` the full journey, ``P_M`` marketing touches only, ``P_S`` sales
      touches only and ``P_0`` no touches, marketing = sum(P_M - P_0), sales = sum(P_S - P_0) and
      shared = sum(P_MS - P_M - P_S + P_0), the interaction that exists only when both teams touch
      the journey. The three add up to sum(P_MS - P_0); ``share`` divides by that total.
    - ``att_gt`` [cohort, period, event_time, n_units, att, att_pct]: realised unit-level ATT(g, t).
    - ``att``, ``att_pct``: mean Y1 - Y0 over treated post-adoption unit-periods and
      sum(Y1 - Y0) / sum(Y0) over them.
    - ``account_att``, ``account_att_pct``: realised ATT of integration on account revenue (booked
      won revenue inside the data window) over integrated accounts, common random numbers.
    - ``potential_outcomes`` (unit_id, period, y0, y1, treated), ``unit_quality`` (unit_id,
      hidden quality, cohort), ``accounts`` (per-account probabilities and potential revenues).
    - ``params``: every parameter used, the solved integration strength and regime values.
    """

    att_gt: pd.DataFrame
    att: float
    att_pct: float
    params: dict[str, Any] = field(default_factory=dict)
    channel_effects: pd.DataFrame | None = None
    team_effects: pd.DataFrame | None = None
    account_att: float = math.nan
    account_att_pct: float = math.nan
    potential_outcomes: pd.DataFrame | None = None
    unit_quality: pd.DataFrame | None = None
    accounts: pd.DataFrame | None = None

    def write(self, path: str | Path) -> None:
        """Write ``truth.json`` (scalars and params) and one parquet per truth table into ``path``."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        scalars = {"att": self.att, "att_pct": self.att_pct, "account_att": self.account_att,
                   "account_att_pct": self.account_att_pct, "params": self.params}
        (folder / TRUTH_JSON).write_text(json.dumps(_jsonable(scalars), indent=2, sort_keys=True))
        for name in TRUTH_TABLES:
            df = getattr(self, name)
            if df is not None:
                df.to_parquet(folder / f"truth_{name}.parquet", index=False)


def has_truth(path: str | Path | None) -> bool:
    """True when ``path`` (a dataset folder) holds a simulator truth; False for None (data read
    from a connection or a Spark session have no folder, so no truth)."""
    return path is not None and (Path(path) / TRUTH_JSON).is_file()


def load_truth(path: str | Path) -> Truth:
    """Read the truth written by :meth:`Simulation.write` / :meth:`Truth.write` from folder ``path``.

    Raises FileNotFoundError when the folder holds no ``truth.json`` (e.g. real data).
    """
    folder = Path(path)
    meta_file = folder / TRUTH_JSON
    if not meta_file.is_file():
        raise FileNotFoundError(f"{folder}: no {TRUTH_JSON}; this dataset was not written by smlib.simulate")
    meta = json.loads(meta_file.read_text())
    tables = {}
    for name in TRUTH_TABLES:
        f = folder / f"truth_{name}.parquet"
        tables[name] = pd.read_parquet(f) if f.is_file() else None
    return Truth(att=float(meta["att"]), att_pct=float(meta["att_pct"]),
                 account_att=_float(meta.get("account_att")),
                 account_att_pct=_float(meta.get("account_att_pct")),
                 params=meta.get("params", {}), **tables)


def _float(v: Any) -> float:
    return math.nan if v is None else float(v)


def _jsonable(obj: Any) -> Any:
    """numpy scalars/arrays, tuples and NaN -> plain JSON values (NaN -> null)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if math.isnan(obj) else float(obj)
    return obj
