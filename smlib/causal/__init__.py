"""Causal estimators of the revenue uplift from integrating marketing and sales.

Estimators and the estimand only: report 02's pipeline, tables and wording are
:mod:`smlib.analyses.uplift`; what the data cannot support is :mod:`smlib.gaps`.

Names are imported lazily so that ``import smlib.causal`` stays fast and one module's optional
dependency never breaks another. Add an entry to ``_LAZY`` when a module gains a public name.
"""

from __future__ import annotations

from smlib._lazy import lazy_getattr

_LAZY: dict[str, str] = {
    "EstimateResult": "results",
    "twfe_did": "twfe",
    "staggered_did": "staggered",
    "event_study_plot": "plots",
    "integer_periods": "_panel",
    "PanelSpec": "_panel",
    "synthetic_control": "synth",
    "synthetic_control_panel": "synth",
    "doubly_robust": "dr",
    "dml_plr": "dr",
    "naive_comparisons": "naive",
    "placebo_dates": "robustness",
    "placebo_outcome": "robustness",
    "leave_one_cohort_out": "robustness",
    "uplift_percent": "claims",
    "UpliftResult": "claims",
    "check_claim": "claims",
    "ClaimCheck": "claims",
    "treated_mean": "claims",
    "account_outcomes": "dr",
    "PretrendTest": "staggered",
    "EventStudyResult": "results",
    "bacon_decomposition": "bacon",
    "BaconResult": "bacon",
    "sun_abraham": "sunab",
    "SunAbrahamResult": "sunab",
    "imputation_did": "imputation",
    "two_stage_did": "imputation",
    "ImputationResult": "imputation",
    "synthetic_did": "sdid",
    "SyntheticDiDResult": "sdid",
    "synthetic_did_staggered": "sdid",
    "StaggeredSyntheticDiDResult": "sdid",
    "honest_did": "honest",
    "HonestResult": "honest",
    "event_study_inputs": "honest",
    "pretrend_power": "honest",
    "slope_for_power": "honest",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY)
