"""The one registry of attribution models: every model is found here, with one interface.

Each entry is a :class:`ModelSpec`:

* ``spec.credit(paths, **params)`` → the standard frame ``channel, conversions, value, share``;
* ``spec.bootstrap_draws(paths, n_boot, seed, **params)`` →
  :class:`~smlib.attribution.resample.BootstrapDraws` (the fitted models resample with their own
  one-step bootstrap; the others use the engines of :mod:`smlib.attribution.resample`);
* flags: ``rule`` (fixed rule on each path), ``needs_journeys`` (needs the touch-level table:
  timestamps or milestone flags), ``uses_journeys`` (takes ``journeys=`` touches,
  ``opportunities=`` and ``accounts=`` when given and models the journeys with them, but runs on
  the path table alone), ``data_driven`` (learns from non-converting journeys too),
  ``fitted`` (an estimator object, ``spec.fit(paths, **params)``, with ``credit_`` and
  ``bootstrap_draws``), ``accepts_parsed`` (takes a pre-parsed
  :class:`~smlib.attribution.paths.ParsedPaths`).

:data:`MODELS` maps a name to its spec, in the order the reports list them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from smlib.attribution import markov_chain as _markov
from smlib.attribution import rules as _rules
from smlib.attribution import shapley_values as _shapley
from smlib.attribution.paths import ParsedPaths, parse_paths
from smlib.attribution.resample import (BootstrapDraws, linear_draws, markov_draws, refit_draws,
                                        shapley_rate_draws)

__all__ = ["DATA_DRIVEN_MODELS", "DEFAULT_MODELS", "FITTED_MODELS", "JOURNEY_INPUTS",
           "JOURNEY_MODELS", "MODELS", "ModelSpec", "RULE_MODELS", "get_model"]

#: ``draws(parsed, estimate, n_boot, seed, **params)`` → BootstrapDraws.
Draws = Callable[..., BootstrapDraws]


@dataclass(frozen=True)
class ModelSpec:
    """One attribution model of the registry (see the module docstring).

    Attributes:
        name: the model's name (key of :data:`MODELS`).
        run: ``fn(paths, **params) -> DataFrame`` (standard output columns).
        draws: ``fn(parsed, estimate, n_boot, seed, **params) -> BootstrapDraws``; ``None``:
            re-run the model on every resample (or, for a fitted model, its own bootstrap).
        estimator: for fitted models, ``factory(**params)`` → an unfitted estimator with
            ``fit(paths)``, ``credit_`` and ``bootstrap_draws(n_boot, seed)``.
        rule, needs_journeys, uses_journeys, data_driven, accepts_parsed: flags (module
            docstring).
    """

    name: str
    run: Callable[..., pd.DataFrame]
    draws: Draws | None = None
    estimator: Callable[..., Any] | None = None
    rule: bool = False
    needs_journeys: bool = False
    data_driven: bool = False
    uses_journeys: bool = False
    accepts_parsed: bool = True

    @property
    def fitted(self) -> bool:
        """True for a model fitted as an estimator object (``logistic``, ``incremental``)."""
        return self.estimator is not None

    def credit(self, paths: Any, **params: Any) -> pd.DataFrame:
        """The model's credit: ``channel, conversions, value, share`` (extra columns allowed)."""
        return self.run(paths, **params)

    def fit(self, paths: Any, **params: Any) -> Any:
        """A fitted estimator of this model (fitted models only; ValueError otherwise)."""
        if self.estimator is None:
            raise ValueError(f"model {self.name!r} is not fitted as an estimator; use credit()")
        return self.estimator(**params).fit(paths)

    def bootstrap_draws(self, paths: Any, n_boot: int = 200, seed: int = 0,
                        **params: Any) -> BootstrapDraws:
        """``n_boot`` bootstrap replicates of the model's credit (journeys resampled; ``seed``)."""
        parsed = parse_paths(paths)
        if self.estimator is not None:
            return self.fit(parsed, **params).bootstrap_draws(n_boot=n_boot, seed=seed)
        estimate = self.credit(parsed if self.accepts_parsed else parsed.to_frame(), **params)
        if self.draws is None:
            return refit_draws(parsed, self.run, estimate, n_boot, seed, **params)
        return self.draws(parsed, estimate, n_boot, seed, **params)


def _rule_draws(name: str) -> Draws:
    def draws(parsed: ParsedPaths, estimate: pd.DataFrame, n_boot: int, seed: int,
              **params: Any) -> BootstrapDraws:
        return linear_draws(parsed, _rules.row_weights(parsed, name, **params), estimate, n_boot,
                            seed)
    return draws


def _markov_draws(parsed: ParsedPaths, estimate: pd.DataFrame, n_boot: int, seed: int,
                  **params: Any) -> BootstrapDraws:
    return markov_draws(parsed, estimate, n_boot, seed, order=params.get("order", 1),
                        collapse_repeats=params.get("collapse_repeats", True))


def _shapley_draws(parsed: ParsedPaths, estimate: pd.DataFrame, n_boot: int, seed: int,
                   **params: Any) -> BootstrapDraws:
    if params.get("variant", "count") == "rate":
        return shapley_rate_draws(parsed, estimate, n_boot, seed)
    return linear_draws(parsed, _shapley.count_weights(parsed), estimate, n_boot, seed)


def _logistic_estimator(**params: Any) -> Any:
    from smlib.attribution.regression import LogisticAttribution  # lazy: scikit-learn is slow to import

    return LogisticAttribution(**params)


#: The tables a model with ``uses_journeys`` takes besides the path table.
JOURNEY_INPUTS: tuple[str, ...] = ("journeys", "opportunities", "accounts")


def _incremental_estimator(**params: Any) -> Any:
    """The journey-level funnel model when the touches and opportunities allow it
    (:class:`~smlib.attribution.journey_model.JourneyIncremental`), else the path model
    (:class:`~smlib.attribution.regression.IncrementalAttribution`)."""
    from smlib.attribution.journey_model import JourneyIncremental, journey_inputs_available  # lazy: scikit-learn is slow to import
    from smlib.attribution.regression import IncrementalAttribution  # lazy: scikit-learn is slow to import

    tables = {k: params.pop(k, None) for k in JOURNEY_INPUTS}
    journey_params = params.pop("journey_params", {})
    if not journey_inputs_available(tables["journeys"], tables["opportunities"]):
        return IncrementalAttribution(**params)
    keep = {k: params[k] for k in ("random_state", "n_threads") if k in params}
    return _JourneysOrPaths(JourneyIncremental(**tables, **keep, **journey_params),
                            lambda: IncrementalAttribution(**params))


class _JourneysOrPaths:
    """Fit the journey model; if the journeys cannot support it (ValueError, e.g. a funnel stage
    that no closed journey passed), fit the path model instead and say why in its
    ``journey_fallback_``. ``fit`` returns the fitted estimator itself."""

    def __init__(self, journey_model: Any, path_model: Callable[[], Any]) -> None:
        self.journey_model, self.path_model = journey_model, path_model

    def fit(self, paths: Any) -> Any:
        try:
            return self.journey_model.fit(paths)
        except ValueError as err:
            est = self.path_model().fit(paths)
            est.journey_fallback_ = str(err)
            return est


def _fitted_credit(factory: Callable[..., Any], name: str) -> Callable[..., pd.DataFrame]:
    def run(paths: Any, **params: Any) -> pd.DataFrame:
        return factory(**params).fit(paths).credit_
    run.__name__ = name
    run.__doc__ = f"Credit of the fitted {name} model (see smlib.attribution.regression.{name})."
    return run


def _rule(name: str, needs_journeys: bool = False) -> ModelSpec:
    return ModelSpec(name, getattr(_rules, name), _rule_draws(name), rule=True,
                     needs_journeys=needs_journeys)


#: Model name → :class:`ModelSpec`, in the order :func:`smlib.attribution.api.compare` runs them.
MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    _rule("first_touch"),
    _rule("last_touch"),
    _rule("last_non_direct"),
    _rule("linear"),
    _rule("position_based"),
    _rule("time_decay", needs_journeys=True),
    _rule("w_shaped", needs_journeys=True),
    _rule("full_path", needs_journeys=True),
    ModelSpec("markov", _markov.markov, _markov_draws),
    ModelSpec("shapley", _shapley.shapley, _shapley_draws),
    ModelSpec("logistic", _fitted_credit(_logistic_estimator, "logistic"),
              estimator=_logistic_estimator, data_driven=True, accepts_parsed=False),
    ModelSpec("incremental", _fitted_credit(_incremental_estimator, "incremental"),
              estimator=_incremental_estimator, data_driven=True, accepts_parsed=False,
              uses_journeys=True),
)}

#: Every registered model, in registry order (what compare() and the reports run by default).
DEFAULT_MODELS: tuple[str, ...] = tuple(MODELS)
#: Models whose credit follows a fixed rule on each path.
RULE_MODELS: tuple[str, ...] = tuple(n for n, s in MODELS.items() if s.rule)
#: Models that need the journey-level touches table (timestamps / milestone flags).
JOURNEY_MODELS: frozenset[str] = frozenset(n for n, s in MODELS.items() if s.needs_journeys)
#: Models that learn from non-converting journeys too.
DATA_DRIVEN_MODELS: tuple[str, ...] = tuple(n for n, s in MODELS.items() if s.data_driven)
#: Models fitted as estimator objects (their own bootstrap).
FITTED_MODELS: tuple[str, ...] = tuple(n for n, s in MODELS.items() if s.fitted)


def get_model(name: str, who: str = "attribution") -> ModelSpec:
    """The registry entry of ``name``; ValueError listing the registered models otherwise."""
    if not isinstance(name, str) or name not in MODELS:
        raise ValueError(f"{who}: unknown attribution model {name!r}; choose from {sorted(MODELS)}")
    return MODELS[name]
