"""The power curve of a rollout design (texts: catalogue ``rollout.plot``)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from smlib.presentation.catalogue import entry, text
from smlib.presentation.numbers import format_number, pct_axis
from smlib.presentation.settings import validate_language

__all__ = ["power_plot"]


def power_plot(power: Any, formula: Any = None, marks: Sequence[float] = (0.05, 0.10, 0.20),
               ax: Any = None, title: str | None = None, language: str = "en") -> Any:
    """Simulated power against the true uplift (a :class:`smlib.design.power.PowerResult`), with
    its Monte-Carlo band, the textbook formula's curve (``formula``, a
    :class:`smlib.design.power.FormulaPower`) dashed, the target power and the MDE, and the power
    at each uplift of ``marks`` labelled. Returns the axes."""
    import matplotlib.pyplot as plt  # lazy: matplotlib is heavy and only needed to draw

    language = validate_language(language)
    words = entry("rollout.plot", language)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    c = power.curve
    x = c["uplift"].to_numpy() * 100
    p = c["power"].to_numpy() * 100
    band = 1.96 * c["mc_se"].to_numpy() * 100
    ax.fill_between(x, np.clip(p - band, 0, 100), np.clip(p + band, 0, 100), color="tab:blue",
                    alpha=0.15, lw=0)
    ax.plot(x, p, color="tab:blue", lw=2, label=words["simulated"])
    if formula is not None:
        ax.plot(x, [formula.power_at(u) * 100 for u in c["uplift"]], color="grey", ls="--",
                lw=1.2, label=words["formula"])
    ax.axhline(power.power_target * 100, color="tab:orange", ls=":", lw=1)
    if np.isfinite(power.mde):
        ax.axvline(power.mde * 100, color="tab:orange", ls=":", lw=1)
        ax.annotate(text("rollout.plot.mde", language,
                         value=format_number(power.mde * 100, 1, language)),
                    xy=(power.mde * 100, 3), xytext=(4, 0), textcoords="offset points",
                    color="tab:orange", fontsize=8)
    for u in marks:
        if u <= x.max() / 100 + 1e-9:
            pu = power.power_at(u) * 100
            ax.plot(u * 100, pu, "o", color="tab:blue")
            ax.annotate(format_number(pu, 0, language) + " %", xy=(u * 100, pu),
                        xytext=(5, -12), textcoords="offset points", fontsize=8)
    ax.set_xlim(0, x.max())
    ax.set_ylim(0, 102)
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"])
    pct_axis(ax, "both", language, scale=100)  # uplift and power in percentage points
    ax.set_title(title or words["title"])
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return ax
