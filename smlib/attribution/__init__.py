"""Attribution models over journeys that mix marketing and sales touchpoints.

``attribute(paths, model, **params)`` runs one model; ``compare(paths, models=...)`` runs several
side by side. Names are imported lazily; add an entry to ``_LAZY`` when a module gains a public name.
"""

from __future__ import annotations

from smlib._lazy import lazy_getattr

_LAZY: dict[str, str] = {
    "attribute": "api",
    "compare": "api",
    "MODELS": "api",
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
    "team_rollup": "teams",
    "score_against_truth": "scoring",
    "LogisticAttribution": "regression",
    "IncrementalAttribution": "regression",
    "channel_team_map": "teams",
    "counterfactual_team_credit": "teams",
    "share_matrix": "scoring",
    "plot_scores": "scoring",
    "plot_share_heatmap": "scoring",
    "conclusion": "scoring",
    "MarkovModel": "markov_chain",
    "ShapleyModel": "shapley_values",
    "bootstrap_draws": "uncertainty",
    "parse_paths": "paths",
    "validate_paths": "paths",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY)
