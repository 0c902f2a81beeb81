"""Designing an integration rollout that measures its own uplift.

Power and minimum detectable effect of a staggered rollout by resampling the company's own
history (:mod:`smlib.design.power`), which units go first (:mod:`smlib.design.assign`: stratified
randomisation into waves with a balance check, and pilot units whose synthetic controls fit best)
and the power-curve figure (:mod:`smlib.design.plots`). The written plan of report 04 is
:mod:`smlib.analyses.rollout`.

Names are imported lazily, as in :mod:`smlib.causal`.
"""

from __future__ import annotations

from smlib._lazy import lazy_getattr

_LAZY: dict[str, str] = {
    "RolloutDesign": "power",
    "PowerResult": "power",
    "FormulaPower": "power",
    "rollout_power": "power",
    "panel_formula_power": "power",
    "fit_effect": "power",
    "simulated_panel": "power",
    "ESTIMATORS": "power",
    "unit_features": "assign",
    "stratified_waves": "assign",
    "balance_table": "assign",
    "WaveAssignment": "assign",
    "pilot_units": "assign",
    "power_plot": "plots",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY)
