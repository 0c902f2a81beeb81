"""Hand-computed attribution cases shared by the scoring tests and report 01's tests: a known
truth over four channels and credit tables whose distances to it are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

TRUTH = pd.DataFrame({
    "channel": ["email", "webinar", "demo", "proposal"],
    "team": ["marketing", "marketing", "sales", "sales"],
    "incremental_conversions": [10.0, 30.0, 40.0, 20.0],
    "incremental_revenue": [1000.0, 3000.0, 4000.0, 2000.0],
    "share": [0.1, 0.3, 0.4, 0.2],
})


def credit(model: str, conv: list[float], channels: list[str] | None = None) -> pd.DataFrame:
    """A credit table of ``model`` with ``conv`` conversions per channel (value 100 each)."""
    channels = channels or ["email", "webinar", "demo", "proposal"]
    c = np.array(conv, float)
    return pd.DataFrame({"model": model, "channel": channels, "conversions": c,
                         "value": c * 100, "share": c / c.sum() if c.sum() else c})


CREDIT = pd.concat([
    credit("perfect", [5, 15, 20, 10]),             # the true shares at half the scale
    credit("last_touch", [0, 0, 10, 40]),          # all on sales, mostly proposal
    credit("first_touch", [50, 0, 0, 0]),
], ignore_index=True)
