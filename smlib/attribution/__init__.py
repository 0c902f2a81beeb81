"""Attribution models over journeys that mix marketing and sales touchpoints.

``attribute(paths, model, **params)`` runs one model; ``compare(paths, models=...)`` runs several
side by side; every model is registered in ``registry.MODELS`` (one interface: ``credit`` and
``bootstrap_draws``). Names are imported lazily; add an entry to ``_LAZY`` when a module gains a
public name.
"""

from __future__ import annotations

from smlib._lazy import lazy_getattr

_LAZY: dict[str, str] = {
    "attribute": "api",
    "compare": "api",
    "MODELS": "registry",
    "ModelSpec": "registry",
    "get_model": "registry",
    "first_touch": "rules",
    "last_touch": "rules",
    "last_non_direct": "rules",
    "linear": "rules",
    "time_decay": "rules",
    "position_based": "rules",
    "w_shaped": "rules",
    "full_path": "rules",
    "markov": "markov_chain",
    "shapley": "shapley_values",
    "logistic": "regression",
    "incremental": "regression",
    "bootstrap": "uncertainty",
    "bootstrap_draws": "uncertainty",
    "BootstrapDraws": "resample",
    "credit_with_intervals": "credit",
    "credit_by": "credit",
    "team_rollup": "teams",
    "counterfactual_team_credit": "teams",
    "score_against_truth": "scoring",
    "share_matrix": "scoring",
    "recommend": "scoring",
    "LogisticAttribution": "regression",
    "IncrementalAttribution": "regression",
    "JourneyIncremental": "journey_model",
    "journey_incremental": "journey_model",
    "MarkovModel": "markov_chain",
    "ShapleyModel": "shapley_values",
    "plot_scores": "plots",
    "plot_share_heatmap": "plots",
    "plot_team_credit": "plots",
    "plot_credit_intervals": "plots",
    "parse_paths": "paths",
    "validate_paths": "paths",
    "confounding_sensitivity": "sensitivity",
    "e_value": "sensitivity",
    "calibrate": "experiments",
    "score_experiments": "experiments",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY)
