"""Causal estimators of the revenue uplift from integrating marketing and sales.

Names are imported lazily so that ``import smlib.causal`` stays fast and one module's optional
dependency never breaks another. Add an entry to ``_LAZY`` when a module gains a public name.
"""

from __future__ import annotations

from smlib._lazy import lazy_getattr

_LAZY: dict[str, str] = {
    "EstimateResult": "results",
    "twfe_did": "twfe",
    "staggered_did": "staggered",
    "event_study_plot": "staggered",
    "integer_periods": "_panel",
    "synthetic_control": "synth",
    "synthetic_control_panel": "synth",
    "doubly_robust": "dr",
    "dml_plr": "dr",
    "naive_comparisons": "naive",
    "placebo_dates": "robustness",
    "placebo_outcome": "robustness",
    "leave_one_cohort_out": "robustness",
    "uplift_percent": "claims",
    "verdict": "claims",
    "treated_mean": "claims",
    "compare_estimates": "claims",
    "forest_plot": "claims",
    "uplift_analysis": "claims",
    "account_outcomes": "dr",
    "ReportTable": "claims",
    "naive_table": "claims",
    "estimates_table": "claims",
    "robustness_table": "claims",
    "synth_table": "claims",
    "dr_tables": "claims",
    "p_value_text": "claims",
    "PretrendTest": "staggered",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY)
