"""Shared validation and preparation of unit-by-period panels for the causal estimators.

Every estimator in :mod:`smlib.causal` that works on a panel (TWFE, Callaway & Sant'Anna, and the
robustness checks built on them) validates its input here, so that bad input always gives the same
clear ``ValueError`` naming the column, the first offending rows and what was expected.

Time handling: ``time`` may hold integers (e.g. years) or dates (month starts, as in the ``units``
table of ``data/README.md``). Internally the distinct observed periods are sorted and mapped to
consecutive integers ``0 .. T-1``; results are reported in the original labels.

Cohorts: a cohort is the period in which a unit first became treated, written in the same labels as
``time``. Never-treated units are coded ``0`` or missing (``NaN``/``NaT``/``None``), the convention of
the R ``did`` package (Callaway & Sant'Anna 2021).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Literal

import numpy as np
import pandas as pd

#: Integer code of never-treated units in :attr:`Panel.cohort`.
NEVER = -1
#: Integer code of units already treated in (or before) the first observed period.
ALWAYS = -2

_MAX_LISTED = 5  # how many offending rows/units an error message lists


def first_items(values: Iterable[Any], k: int = _MAX_LISTED) -> str:
    """The first ``k`` values as reprs for an error message, with the total when there are more."""
    items = list(values)
    shown = ", ".join(repr(v) for v in items[:k])
    return shown + (f", … ({len(items)} in all)" if len(items) > k else "")




def require_frame(df: object, name: str = "df") -> pd.DataFrame:
    """Return ``df`` if it is a non-empty DataFrame, else raise ``ValueError``."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    if df.empty:
        raise ValueError(f"{name} is empty: expected one row per unit and period")
    return df


def require_columns(df: pd.DataFrame, **roles: str | None) -> None:
    """Raise ``ValueError`` if a column named for a role (``outcome="revenue"``) is missing."""
    for role, col in roles.items():
        if col is None:
            continue
        if not isinstance(col, str) and not np.isscalar(col):
            raise ValueError(f"{role} must be a column name, got {col!r}")
        if col not in df.columns:
            raise ValueError(
                f"{role} column {col!r} not found; available columns: {first_items(df.columns, 20)}"
            )


def numeric_column(df: pd.DataFrame, col: str, role: str, allow_missing: bool = False) -> np.ndarray:
    """Return ``df[col]`` as float64, or raise ``ValueError`` if it is not numeric.

    Booleans are accepted (as 0/1). Infinite values are always an error; missing values are an
    error unless ``allow_missing``.
    """
    s = df[col]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(float)
    if not pd.api.types.is_numeric_dtype(s):
        bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
        raise ValueError(
            f"{role} column {col!r} must be numeric (dtype {s.dtype}); non-numeric values at rows "
            f"{first_items(bad.index)}: {first_items(bad.unique())}"
        )
    x = s.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(x).any():
        rows = df.index[np.isinf(x)]
        raise ValueError(f"{role} column {col!r} has infinite values at rows {first_items(rows)}")
    if not allow_missing and np.isnan(x).any():
        rows = df.index[np.isnan(x)]
        raise ValueError(f"{role} column {col!r} has missing values at rows {first_items(rows)}")
    return x


def period_labels(s: pd.Series, role: str = "time") -> pd.Series:
    """Validate a time column: integer-valued numbers or dates (strings are parsed as dates).

    Returns the series with integer values as ``int64`` or dates as ``datetime64``.
    """
    if s.isna().any():
        raise ValueError(f"{role} column {s.name!r} has missing values at rows {first_items(s.index[s.isna()])}")
    if pd.api.types.is_bool_dtype(s):
        raise ValueError(f"{role} column {s.name!r} is boolean; expected integer periods or dates")
    if pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype=float)
        if not np.all(np.isfinite(x)) or not np.all(x == np.round(x)):
            bad = s.index[~np.isfinite(x) | (x != np.round(x))]
            raise ValueError(f"{role} column {s.name!r} must hold whole numbers; got {first_items(s[bad])}")
        return s.astype("int64")
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    try:
        return pd.to_datetime(s)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{role} column {s.name!r} must hold integer periods or dates; could not read "
            f"{first_items(s.unique())} ({exc})"
        ) from None


@dataclass(frozen=True)
class PanelSpec:
    """Which columns of a long unit-by-period panel hold what, described once.

    The estimators of :mod:`smlib.causal` that read a panel accept ``panel=PanelSpec(...)``
    instead of repeating ``unit=``, ``time=``, ``cohort=`` (or ``adoption=``) and ``outcome=``;
    a column passed explicitly still wins over the spec. The defaults are the data contract's
    ``units`` table (data/README.md): ``unit_id``, ``period``, ``adoption_period``, ``revenue``.

    Attributes:
        unit: unit identifier column.
        time: period column (integers or dates).
        cohort: first treated period of each unit (missing = never treated).
        outcome: numeric outcome column.
    """

    unit: str = "unit_id"
    time: str = "period"
    cohort: str = "adoption_period"
    outcome: str = "revenue"

    def with_columns(self, **columns: str | None) -> "PanelSpec":
        """This spec with the columns given (not None) replaced: ``spec.with_columns(outcome="y")``.

        Raises:
            TypeError: a name that is not a field of the spec.
        """
        unknown = sorted(set(columns) - {"unit", "time", "cohort", "outcome"})
        if unknown:
            raise TypeError(f"PanelSpec has no column role {unknown[0]!r}")
        given = {k: v for k, v in columns.items() if v is not None}
        return replace(self, **given) if given else self


def panel_spec(panel: PanelSpec | None = None, **columns: str | None) -> PanelSpec:
    """The panel an estimator reads: ``panel`` (default :class:`PanelSpec`, the data contract's
    ``units`` table) with the column names passed explicitly (not None) taking precedence.

    Raises:
        TypeError: ``panel`` is not a :class:`PanelSpec`, or an unknown column role.
    """
    if panel is None:
        panel = PanelSpec()
    elif not isinstance(panel, PanelSpec):
        raise TypeError(f"panel must be a PanelSpec, got {type(panel).__name__}")
    return panel.with_columns(**columns)


@dataclass
class Panel:
    """A balanced unit-by-period panel in wide form.

    Attributes:
        units: unit labels (length ``n``), sorted.
        periods: period labels (length ``T``), sorted; position = internal integer period.
        y: outcome matrix ``(n, T)``.
        cohort: internal cohort code per unit: period index of first treatment, :data:`NEVER`
            (never treated) or :data:`ALWAYS` (treated at/before the first period).
        covariates: ``name -> (n, T)`` matrix of each covariate.
        dropped: units removed during preparation, with the reason, as a DataFrame.
    """

    units: pd.Index
    periods: pd.Index
    y: np.ndarray
    cohort: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    covariates: dict[str, np.ndarray] = field(default_factory=dict)
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["unit", "reason"]))

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    def keep(self, mask: np.ndarray, reason: str) -> "Panel":
        """Return the panel restricted to units where ``mask`` is true, recording the others."""
        gone = pd.DataFrame({"unit": self.units[~mask], "reason": reason})
        return Panel(
            units=self.units[mask], periods=self.periods, y=self.y[mask],
            cohort=self.cohort[mask] if len(self.cohort) else self.cohort,
            covariates={k: v[mask] for k, v in self.covariates.items()},
            dropped=pd.concat([self.dropped, gone], ignore_index=True) if len(gone) else self.dropped,
        )


def _unit_codes(df: pd.DataFrame, unit: str) -> tuple[np.ndarray, pd.Index]:
    s = df[unit]
    if s.isna().any():
        raise ValueError(f"unit column {unit!r} has missing values at rows {first_items(df.index[s.isna()])}")
    codes, labels = pd.factorize(s, sort=True)
    return codes, pd.Index(labels, name=unit)


def wide_panel(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    covariates: list[str] | None = None,
    unbalanced: Literal["error", "drop"] = "error",
) -> Panel:
    """Validate a long panel and return it in wide form (units × periods).

    Checks: columns exist, the outcome and covariates are numeric and finite, ``time`` holds whole
    numbers or dates, (unit, time) pairs are unique. A unit that lacks a period or has a missing
    outcome makes the panel unbalanced: ``unbalanced="error"`` (default) raises a ``ValueError``
    listing such units; ``"drop"`` removes them with a warning (as the R ``did`` package does).
    """
    require_frame(df)
    covariates = list(covariates or [])
    require_columns(df, outcome=outcome, unit=unit, time=time)
    for c in covariates:
        require_columns(df, covariate=c)
    if unbalanced not in ("error", "drop"):
        raise ValueError(f"unbalanced must be 'error' or 'drop', got {unbalanced!r}")
    y = numeric_column(df, outcome, "outcome", allow_missing=True)
    tlab = period_labels(df[time], "time")
    ucode, units = _unit_codes(df, unit)
    tcode, periods = pd.factorize(tlab, sort=True)
    periods = pd.Index(periods, name=time)
    n, T = len(units), len(periods)
    if T < 2:
        raise ValueError(f"time column {time!r} has a single period ({periods[0]!r}); need at least two")
    flat = ucode.astype(np.int64) * T + tcode
    dup = pd.Series(flat).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = df.index[dup]
        raise ValueError(
            f"duplicate ({unit!r}, {time!r}) pairs at rows {first_items(rows)}: expected one row per unit and period"
        )
    Y = np.full((n, T), np.nan)
    Y[ucode, tcode] = y
    covs: dict[str, np.ndarray] = {}
    for c in covariates:
        x = numeric_column(df, c, "covariate", allow_missing=False)
        M = np.full((n, T), np.nan)
        M[ucode, tcode] = x
        covs[c] = M
    panel = Panel(units=units, periods=periods, y=Y, covariates=covs)
    missing = np.isnan(Y).any(axis=1)
    if missing.any():
        bad = units[missing]
        example = [f"{u!r} lacks {periods[np.isnan(Y[i])].tolist()[:3]}"
                   for i, u in zip(np.flatnonzero(missing)[:3], bad[:3])]
        msg = (f"unbalanced panel: {missing.sum()} of {n} units lack an {outcome!r} value in some of the "
               f"{T} periods ({'; '.join(example)})")
        if unbalanced == "error":
            raise ValueError(msg + "; pass unbalanced='drop' to drop these units")
        warnings.warn(msg + "; these units are dropped", UserWarning, stacklevel=3)
        panel = panel.keep(~missing, "missing periods (unbalanced panel)")
        if panel.n_units == 0:
            raise ValueError(msg + "; no unit is observed in every period")
    return panel


def _never_mask(s: pd.Series) -> np.ndarray:
    """Never-treated codes: missing, or the number 0."""
    never = s.isna().to_numpy(dtype=bool).copy()
    if not pd.api.types.is_datetime64_any_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        never |= (num == 0).fillna(False).to_numpy(dtype=bool)
    return never


def cohort_codes(
    df: pd.DataFrame, unit: str, cohort: str, units: pd.Index, periods: pd.Index,
) -> np.ndarray:
    """Map a cohort column (first treated period, in ``time`` labels) to internal period codes.

    Returns one code per unit of ``units``: the index of the cohort in ``periods``; :data:`NEVER` for
    never-treated units (cohort 0 or missing) and for cohorts after the last observed period (they
    are untreated throughout the window); :data:`ALWAYS` for cohorts at or before the first period.
    Raises ``ValueError`` if a unit's cohort varies over time or a cohort falls between two
    observed periods.
    """
    require_columns(df, cohort=cohort)
    s = df[cohort]
    never = _never_mask(s)
    treated = s[~never]
    dated = pd.api.types.is_datetime64_any_dtype(periods)
    if dated:
        try:
            g = pd.to_datetime(treated)
            if isinstance(g.dtype, pd.DatetimeTZDtype):
                g = g.dt.tz_convert("UTC").dt.tz_localize(None)
        except (ValueError, TypeError):
            raise ValueError(
                f"cohort column {cohort!r} must hold dates like the time column (or 0/missing for never "
                f"treated); got {first_items(treated.unique())}"
            ) from None
        gval = g.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        pval = periods.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    else:
        gnum = pd.to_numeric(treated, errors="coerce")
        if gnum.isna().any():
            raise ValueError(
                f"cohort column {cohort!r} must hold periods like the time column (or 0/missing for never "
                f"treated); got {first_items(treated[gnum.isna()].unique())}"
            )
        gval = gnum.to_numpy(dtype=float)
        pval = periods.to_numpy(dtype=float)
    code_rows = np.full(len(s), NEVER, dtype=np.int64)
    pos = np.searchsorted(pval, gval, side="left")
    inside = (pos < len(pval))
    exact = inside & (pval[np.minimum(pos, len(pval) - 1)] == gval)
    off_grid = inside & ~exact & (gval > pval[0])
    if off_grid.any():
        bad = treated[off_grid]
        raise ValueError(
            f"cohort column {cohort!r} has values that are not observed periods: {first_items(bad.unique())}; "
            f"a cohort must be one of the periods in the time column"
        )
    codes = np.where(exact, pos, NEVER)
    codes = np.where(gval <= pval[0], ALWAYS, codes)
    code_rows[~never] = codes
    # one cohort per unit
    per_unit = pd.DataFrame({"u": df[unit].to_numpy(), "c": code_rows})
    nuniq = per_unit.groupby("u", sort=True)["c"].nunique()
    if (nuniq > 1).any():
        raise ValueError(
            f"cohort column {cohort!r} varies within units {first_items(nuniq.index[nuniq > 1])}: "
            f"it must be constant for each unit (the period it first became treated)"
        )
    first = per_unit.groupby("u", sort=True)["c"].first()
    return first.reindex(units).to_numpy(dtype=np.int64)


def integer_periods(
    df: pd.DataFrame,
    time: str = "period",
    adoption: str | None = "adoption_period",
    period_col: str = "t",
    cohort_col: str = "cohort",
) -> pd.DataFrame:
    """Return a copy of a panel with integer period and cohort columns.

    ``period_col`` numbers the distinct observed periods of ``time`` as 1, 2, …, T (sorted). If
    ``adoption`` is given (e.g. the ``units`` table's ``adoption_period``, a date or empty),
    ``cohort_col`` is the number of the adoption period, 0 for units that never adopted or adopted
    after the last observed period, and 1 for units that adopted at or before the first period.
    An adoption date that is not one of the observed periods raises ``ValueError``.
    """
    require_frame(df)
    require_columns(df, time=time, adoption=adoption)
    tlab = period_labels(df[time], "time")
    tcode, periods = pd.factorize(tlab, sort=True)
    out = df.copy()
    out[period_col] = tcode.astype(np.int64) + 1
    if adoption is not None:
        periods = pd.Index(periods)
        s = df[adoption]
        never = _never_mask(s)
        codes = np.zeros(len(df), dtype=np.int64)
        if (~never).any():
            tmp = pd.DataFrame({"_u": np.arange(len(df)), "_c": s})
            c = cohort_codes(tmp, "_u", "_c", pd.Index(np.arange(len(df))), periods)
            codes = np.where(c == NEVER, 0, np.where(c == ALWAYS, 1, c + 1))
        out[cohort_col] = codes
    return out
