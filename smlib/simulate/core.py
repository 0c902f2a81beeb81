"""``simulate()``: the five contract tables plus the exact truth, deterministic per seed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from smlib import config
from smlib.simulate.funnel import COEF, Funnel, FunnelInputs, calibrate_strength, keep_all_but, regime_at, regime_funnel
from smlib.simulate.journeys import HOUR, Accounts, Touches, draw_accounts, plan_touches, stage_counts, webinar_before_demo
from smlib.simulate.mechanisms import build_mechanisms, uses_intent
from smlib.simulate.panel import build_panel, draw_units, month_starts, unit_ids
from smlib.simulate.params import CHANNELS, N_MKT, SEGMENTS, TEAM_OF, TOUCH_TYPE, Params
from smlib.simulate.truth import Truth, simulator_version

SECONDS_PER_DAY = 86_400
#: Accounts used to solve the integration strength (the solution is an average; more adds nothing).
CALIBRATION_ACCOUNTS = 20_000


@dataclass
class Simulation:
    """One simulated dataset: the five tables of data/README.md and the truth behind them."""

    touchpoints: pd.DataFrame
    opportunities: pd.DataFrame
    spend: pd.DataFrame
    units: pd.DataFrame
    accounts: pd.DataFrame
    truth: Truth

    def tables(self) -> dict[str, pd.DataFrame]:
        """The five contract tables by name (config.TABLES order)."""
        return {name: getattr(self, name) for name in config.TABLES}

    def write(self, path: str | Path) -> Path:
        """Write ``<table>.parquet`` for the five tables, ``truth.json`` and ``truth_*.parquet``."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        for name, df in self.tables().items():
            df.to_parquet(folder / f"{name}.parquet", index=False)
        self.truth.write(folder)
        return folder


def simulate(seed: int = config.DEFAULT_SEED, *, n_accounts: int = 25_000, n_units: int = 60,
             n_periods: int = 48, start: str = "2022-01-01", true_uplift: float = 0.08,
             **params: object) -> Simulation:
    """Simulate journeys, funnel, spend and a unit panel from a stated causal process.

    Keyword arguments are the fields of :class:`smlib.simulate.params.Params` (every default with
    its source there); the common ones are named in the signature. ``true_uplift`` is the long-run
    effect of integration as a fraction of counterfactual revenue (default 8 %).
    The defaults produce the shipped default dataset (``seed=config.DEFAULT_SEED``).

    Process: units and their revenue panel as in :mod:`smlib.simulate.panel`; accounts belong to
    units (more accounts in bigger markets, more enterprise accounts in better units); an account is
    ``integrated`` when its unit adopted integration by the month of its first touch and the
    integrated team covers it (``integration_coverage`` by segment); journeys are
    planned as in :mod:`smlib.simulate.journeys`; each funnel stage passes with the logistic
    probability of :mod:`smlib.simulate.funnel` under the account's regime. Integration acts only
    through the mechanisms (never-worked share, follow-up delay, MQL acceptance, content use); their
    integrated values sit ``lambda`` of the way to best practice, ``lambda`` solved so the expected
    account-level revenue uplift equals ``true_uplift``. The unit panel's effect is ``true_uplift``
    directly; panel revenue is the units' whole business, of which the simulated new-business deals
    are a part the panel does not sum up (documented simplification).

    Returns a :class:`Simulation`; ``truth`` is described in :class:`smlib.simulate.truth.Truth`.
    Streams: the panel uses ``default_rng([seed, 1])`` exactly as :func:`simulate_panel`, accounts
    ``default_rng([seed, 2])``.
    """
    p = Params.from_kwargs(n_accounts=n_accounts, n_units=n_units, n_periods=n_periods, start=start,
                           true_uplift=true_uplift, **params)
    rng_panel = np.random.default_rng([int(seed), 1])
    unit_draws = draw_units(rng_panel, p)
    units_df, truth = build_panel(rng_panel, p, unit_draws)

    periods = month_starts(p.start, p.n_periods)
    start = periods[0]
    end = periods[-1] + pd.offsets.MonthBegin(1)
    month_offsets = ((periods - start) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    window_days = (end - start) / pd.Timedelta(days=1)

    rng = np.random.default_rng([int(seed), 2])
    a = draw_accounts(rng, p, unit_draws, month_offsets, window_days)
    n = p.n_accounts
    # latent intent (a mechanism, off by default) has its own stream: the other draws stay the same
    intent = np.random.default_rng([int(seed), 3]).standard_normal(n) if uses_intent(p) else None
    plan = plan_touches(rng, a, None if intent is None or not p.intent_path else p.intent_path * intent)
    x = FunnelInputs(a.segment, a.marketing_sourced, stage_counts(plan, n), webinar_before_demo(plan, n),
                     build_mechanisms(p, COEF, plan, a, intent))
    media_noise = np.exp(p.media_cost_sd_log * rng.standard_normal(len(plan.acc)))

    sub = np.arange(min(n, CALIBRATION_ACCOUNTS))
    strength = (p.integration_strength if p.integration_strength is not None
                else calibrate_strength(x.take(sub), a.deal[sub], p, a.u_delay[sub]))
    regimes = {"misaligned": regime_at(p, 0.0), "integrated": regime_at(p, strength)}
    world = {name: _world(x, p, r, a, window_days) for name, r in regimes.items()}
    obs = _observed(world, a.integrated, x, p, regimes)

    account_ids = _ids("A", n)
    u_ids = unit_ids(p.n_units)

    touches, touch_unit, touch_month, touch_channel = _touch_table(plan, a, obs, p, start, window_days,
                                                    month_offsets, account_ids, media_noise)
    opportunities = _opportunity_table(a, obs, start, window_days, account_ids)
    spend = _spend_table(touches, touch_unit, touch_month, touch_channel, unit_draws, p, periods, u_ids)
    accounts = pd.DataFrame({
        "account_id": account_ids,
        "unit_id": pd.array(u_ids[a.unit], dtype="str"),
        "segment": _labels(SEGMENTS, a.segment),
        "size": a.size,
        "integrated": a.integrated,
        "market_size": unit_draws["market_size"][a.unit],
        "start_period": periods.to_numpy()[a.start_month],
    })

    closed = obs["closed"]
    truth.channel_effects, truth.team_effects = _attribution_truth(obs["funnel"], a.deal, closed)
    y_int, y_mis = world["integrated"]["revenue"], world["misaligned"]["revenue"]
    it = a.integrated
    truth.account_att = float((y_int - y_mis)[it].mean()) if it.any() else float("nan")
    truth.account_att_pct = (float((y_int - y_mis)[it].sum() / y_mis[it].sum())
                             if it.any() and y_mis[it].sum() > 0 else float("nan"))
    truth.accounts = _account_truth(account_ids, a, world, obs, start)
    if intent is not None:
        truth.accounts["intent"] = intent     # the latent intent mechanism's unobserved driver
    truth.params = {
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(p).items()},
        "seed": int(seed),
        "simulator_version": simulator_version(),
        "integration_strength_solved": strength,
        "regimes": {k: dataclasses.asdict(r) for k, r in regimes.items()},
        "realised": _realised(a, obs, world, opportunities, truth),
    }
    return Simulation(touches, opportunities, spend, units_df, accounts, truth)


def _world(x: FunnelInputs, p: Params, r, a: Accounts, window_days: float) -> dict[str, np.ndarray]:
    """Every account as if it ran under regime ``r`` (same draws): milestones, stages, revenue."""
    f, worked, delay = regime_funnel(x, p, r, a.u_never, a.u_delay)
    probs = f.stage_probs()
    passed = np.logical_and.accumulate(a.u_stage < probs, axis=0)
    contact = a.t0 + a.pre_days + a.mql_lag + delay * HOUR
    sql = contact + a.qual_days
    opp = sql + a.disc_days
    close = opp + a.cycle_days
    closed = close <= window_days
    won = passed[2] & closed
    return {"worked": worked, "delay": delay, "probs": probs, "passed": passed,
            "contact": contact, "sql": sql, "opp": opp, "close": close, "closed": closed,
            "won": won, "p_won": probs.prod(axis=0), "revenue": np.where(won, a.deal, 0.0)}


def _observed(world: dict, integrated: np.ndarray, x: FunnelInputs, p: Params, regimes: dict) -> dict:
    """Pick each account's world by its regime; one Funnel for the observed journeys."""
    mis, intg = world["misaligned"], world["integrated"]
    obs = {k: np.where(integrated if v.ndim == 1 else integrated[None, :], intg[k], v)
           for k, v in mis.items() if isinstance(v, np.ndarray)}
    acc = np.where(integrated, regimes["integrated"].acceptance_shift, regimes["misaligned"].acceptance_shift)
    use = np.where(integrated, regimes["integrated"].content_use, regimes["misaligned"].content_use)
    obs["funnel"] = Funnel(x, obs["worked"], obs["delay"], acc, use, p.delay_effect_scale)
    return obs


def _ids(prefix: str, n: int) -> pd.api.extensions.ExtensionArray:
    """``prefix`` + 1-based number zero-padded to at least six digits, as a ``str`` array."""
    digits = pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), max(6, len(str(n))), "0")
    return pd.array(pc.binary_join_element_wise(prefix, digits, ""), dtype="str")


def _labels(names: list[str] | tuple[str, ...], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``names[codes]`` as a ``str`` array (an arrow take, no Python objects per row)."""
    return pd.array(list(names), dtype="str").take(codes.astype(np.int64))


def _seconds(days: np.ndarray) -> np.ndarray:
    return np.round(days * SECONDS_PER_DAY).astype(np.int64)


def _timestamps(start: pd.Timestamp, seconds: np.ndarray, mask: np.ndarray | None = None) -> pd.Series:
    """UTC ``datetime64[us, UTC]`` from seconds after ``start``; NaT where ``mask`` is False."""
    us = np.datetime64(start.to_datetime64(), "us") + seconds.astype("timedelta64[s]")
    if mask is not None:
        us = np.where(mask, us, np.datetime64("NaT", "us"))
    return pd.Series(us.astype("datetime64[us]")).dt.tz_localize("UTC")


def _touch_table(plan: Touches, a: Accounts, obs: dict, p: Params, start: pd.Timestamp,
                 window_days: float, month_offsets: np.ndarray, account_ids: pd.api.extensions.ExtensionArray,
                 media_noise: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Emitted touches: sales touches only where sales worked the lead, only before the data end."""
    is_sales = plan.channel >= N_MKT
    when = np.where(plan.contact_clock, obs["contact"][plan.acc] + plan.x, a.t0[plan.acc] + plan.x)
    keep = (~is_sales | obs["worked"][plan.acc]) & (when < window_days)
    acc, ch, when = plan.acc[keep], plan.channel[keep], when[keep]
    sec = _seconds(when)
    # strictly increasing seconds within an account: no duplicate (account, timestamp) rows
    big = np.int64(10) ** 10
    shifted = sec - np.arange(len(sec)) + acc * big
    sec = np.maximum.accumulate(shifted) - acc * big + np.arange(len(sec))
    cost = _touch_cost(ch, a.segment[acc], media_noise[keep], p)
    types = [TOUCH_TYPE[c] for c in CHANNELS] + ["form_fill"]
    type_idx = np.where(plan.form_fill[keep], len(CHANNELS), ch)
    df = pd.DataFrame({
        "account_id": account_ids.take(acc),
        "timestamp": _timestamps(start, sec),
        "channel": _labels(CHANNELS, ch),
        "team": _labels(TEAM_OF, ch),
        "touch_type": _labels(types, type_idx),
        "cost": cost,
    })
    month = np.searchsorted(month_offsets * SECONDS_PER_DAY, sec, side="right") - 1
    return df, a.unit[acc], month, ch


def _touch_cost(ch: np.ndarray, seg: np.ndarray, media_noise: np.ndarray, p: Params) -> np.ndarray:
    """USD per touch: media median x log-normal noise; sales = loaded rep cost / productive touches."""
    media = np.array([p.media_cost[c] for c in config.MARKETING_CHANNELS])
    cost = np.zeros(len(ch))
    m = ch < N_MKT
    cost[m] = media[ch[m]] * media_noise[m]
    sdr = {CHANNELS.index(c): p.sdr_loaded_cost / per_year for c, per_year in p.sdr_touches_per_year.items()}
    for c, v in sdr.items():
        cost[ch == c] = v
    per_meeting = np.asarray(p.ae_loaded_cost)[seg] / p.ae_meetings_per_year
    for name, mult in (("ae_meeting", 1.0), ("demo", 1.2), ("proposal", 1.5)):
        sel = ch == CHANNELS.index(name)
        cost[sel] = per_meeting[sel] * mult
    return np.round(cost, 2)


def _opportunity_table(a: Accounts, obs: dict, start: pd.Timestamp, window_days: float,
                       account_ids) -> pd.DataFrame:
    """One lead per account; stages shown only when passed and reached before the data end."""
    n = len(a.t0)
    lead = a.t0 + a.pre_days + 2.0 / 1440.0
    mql = a.t0 + a.pre_days + a.mql_lag
    passed = obs["passed"]
    show_sql = passed[0] & (obs["sql"] <= window_days)
    show_opp = passed[1] & (obs["opp"] <= window_days)
    closed = obs["closed"]
    won = obs["won"]
    outcome = np.where(won, 0, np.where(closed, 1, 2))
    revenue = np.where(won | (~closed & show_opp), a.deal, 0.0)
    return pd.DataFrame({
        "opportunity_id": _ids("O", n),
        "account_id": account_ids,
        "lead_at": _timestamps(start, _seconds(lead)),
        "mql_at": _timestamps(start, _seconds(mql), a.marketing_sourced),
        "sql_at": _timestamps(start, _seconds(obs["sql"]), show_sql),
        "opportunity_at": _timestamps(start, _seconds(obs["opp"]), show_opp),
        "closed_at": _timestamps(start, _seconds(obs["close"]), closed),
        "outcome": _labels(("won", "lost", "open"), outcome),
        "revenue": revenue,
        "gross_margin": a.gross_margin,
        "source_team": _labels(("marketing", "sales"), (~a.marketing_sourced).astype(np.int64)),
    })


def _spend_table(touches: pd.DataFrame, touch_unit: np.ndarray, touch_month: np.ndarray,
                 ch: np.ndarray, unit_draws: dict, p: Params, periods: pd.DatetimeIndex,
                 u_ids: np.ndarray) -> pd.DataFrame:
    """Touch costs summed by month x channel x unit, plus the two overhead lines per unit-month.

    ``sales_people`` = ``sales_people_per_unit`` x unit market size; ``marketing_overhead`` =
    ``marketing_overhead_per_unit`` x unit market size. Total spend = sum of touch costs + overheads.
    """
    nc, nu, T = len(CHANNELS), p.n_units, p.n_periods
    key = (touch_month * nu + touch_unit) * nc + ch
    total = np.bincount(key, weights=touches["cost"].to_numpy(), minlength=T * nu * nc)
    count = np.bincount(key, minlength=T * nu * nc)
    hit = np.flatnonzero(count)
    t_idx, rest = np.divmod(hit, nu * nc)
    u_idx, c_idx = np.divmod(rest, nc)
    touch_rows = pd.DataFrame({"period": periods.to_numpy()[t_idx],
                               "channel": np.array(CHANNELS, dtype=object)[c_idx],
                               "team": np.array(TEAM_OF, dtype=object)[c_idx],
                               "cost": np.round(total[hit], 2), "unit_id": u_ids[u_idx]})
    ms = unit_draws["market_size"]
    grid_u, grid_t = np.repeat(np.arange(nu), T), np.tile(np.arange(T), nu)
    overhead = pd.concat([
        pd.DataFrame({"period": periods.to_numpy()[grid_t], "channel": "sales_people", "team": "sales",
                      "cost": np.round(np.full(nu * T, p.sales_people_per_unit) * ms[grid_u], 2),
                      "unit_id": u_ids[grid_u]}),
        pd.DataFrame({"period": periods.to_numpy()[grid_t], "channel": "marketing_overhead",
                      "team": "marketing",
                      "cost": np.round(np.full(nu * T, p.marketing_overhead_per_unit) * ms[grid_u], 2),
                      "unit_id": u_ids[grid_u]}),
    ])
    out = pd.concat([touch_rows, overhead], ignore_index=True)
    for col in ("channel", "team", "unit_id"):
        out[col] = out[col].astype("str")
    out["period"] = out["period"].astype("datetime64[us]")
    return out.sort_values(["period", "unit_id", "team", "channel"], ignore_index=True)


def _attribution_truth(f: Funnel, deal: np.ndarray, closed: np.ndarray
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Channel and team removal effects over completed journeys (see :class:`Truth`)."""
    full = f.p_won()[closed]
    w = deal[closed]
    rows = []
    for c in CHANNELS:
        d = full - f.p_won(keep_all_but([c]))[closed]
        rows.append((c, TEAM_OF[CHANNELS.index(c)], float(d.sum()), float(d @ w)))
    ch = pd.DataFrame(rows, columns=["channel", "team", "incremental_conversions", "incremental_revenue"])
    ch["share"] = ch["incremental_conversions"] / ch["incremental_conversions"].sum()
    p_m = f.p_won(keep_all_but(config.SALES_CHANNELS))[closed]
    p_s = f.p_won(keep_all_but(config.MARKETING_CHANNELS))[closed]
    p_0 = f.p_won(np.zeros(len(CHANNELS), bool))[closed]
    parts = {"marketing": p_m - p_0, "sales": p_s - p_0, "shared": full - p_m - p_s + p_0}
    team = pd.DataFrame([(k, float(v.sum()), float(v @ w)) for k, v in parts.items()],
                        columns=["team", "incremental_conversions", "incremental_revenue"])
    team["share"] = team["incremental_conversions"] / team["incremental_conversions"].sum()
    for df in (ch, team):
        for col in ("channel", "team"):
            if col in df:
                df[col] = df[col].astype("str")
    return ch, team


def _account_truth(account_ids, a: Accounts, world: dict, obs: dict, start: pd.Timestamp) -> pd.DataFrame:
    """Per-account probabilities, potential revenues and planned milestones (for checks and scoring)."""
    mis, intg = world["misaligned"], world["integrated"]
    return pd.DataFrame({
        "account_id": account_ids,
        "integrated": a.integrated,
        "marketing_sourced": a.marketing_sourced,
        "worked": obs["worked"],
        "delay_hours": obs["delay"],
        "closed": obs["closed"],
        "deal_size": a.deal,
        "p_won": obs["p_won"],
        "p_won_misaligned": mis["p_won"],
        "p_won_integrated": intg["p_won"],
        "revenue_misaligned": mis["revenue"],
        "revenue_integrated": intg["revenue"],
        "planned_sql_at": _timestamps(start, _seconds(obs["sql"])),
        "planned_opportunity_at": _timestamps(start, _seconds(obs["opp"])),
        "planned_closed_at": _timestamps(start, _seconds(obs["close"])),
    })


def _realised(a: Accounts, obs: dict, world: dict, opp: pd.DataFrame, truth: Truth) -> dict:
    """A few realised figures of the draw, for the record in truth.json."""
    mkt = a.marketing_sourced
    out = {}
    for name, w in world.items():
        sel = mkt & w["worked"] & ((a.integrated if name == "integrated" else ~a.integrated))
        out[f"mean_delay_h_{name}"] = float(w["delay"][sel].mean()) if sel.any() else float("nan")
        sel_m = mkt & (a.integrated if name == "integrated" else ~a.integrated)
        out[f"never_worked_share_{name}"] = float((~w["worked"][sel_m]).mean()) if sel_m.any() else float("nan")
    out["outcome_counts"] = opp["outcome"].value_counts().to_dict()
    out["integrated_share"] = float(a.integrated.mean())
    return out
