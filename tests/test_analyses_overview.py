"""Report 00's analysis (smlib.analyses.overview) and its figures (smlib.analyses.figures) on a
hand-made dataset."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks keep the inline backend

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

from smlib import io, schemas  # noqa: E402
from smlib.analyses import figures, overview  # noqa: E402
from smlib.presentation import labels  # noqa: E402
from smlib.journeys import build_journeys, journey_mix  # noqa: E402
from test_io import tiny_tables  # noqa: E402  (tests/ is on sys.path under pytest)


@pytest.fixture
def dataset() -> io.Dataset:
    return io.Dataset(**{n: schemas.validate(df, n) for n, df in tiny_tables().items()},
                      hashes={"touchpoints": "ab" * 32})


def test_data_quality_summary(dataset: io.Dataset) -> None:
    q = overview.data_quality_summary(dataset).set_index("table")
    assert q.loc["touchpoints", "rows"] == 4
    assert q.loc["touchpoints", "extra_columns"] == "campaign"
    assert q.loc["touchpoints", "missing_cells"] == 2
    assert q.loc["touchpoints", "duplicate_keys"] == 0
    assert (q.loc["touchpoints", "first"], q.loc["touchpoints", "last"]) == ("2024-03-04", "2024-03-06")
    assert (q.loc["spend", "first"], q.loc["spend", "last"]) == ("2024-03-01", "2024-04-01")
    assert q.loc["touchpoints", "sha256"] == "ab" * 6
    assert q.loc["accounts", "first"] == ""
    dup = io.Dataset(**{**{n: dataset.table(n) for n in ("touchpoints", "opportunities", "units",
                                                          "accounts")},
                        "spend": pd.concat([dataset.spend, dataset.spend.iloc[[0]]])})
    assert overview.data_quality_summary(dup).set_index("table").loc["spend", "duplicate_keys"] == 1


def test_column_summary(dataset: io.Dataset) -> None:
    c = overview.column_summary(dataset).set_index(["table", "column"])
    assert c.loc[("opportunities", "mql_at"), "missing"] == 1
    assert c.loc[("opportunities", "mql_at"), "missing_share"] == 0.5
    assert c.loc[("units", "unit_id"), "distinct"] == 2
    assert not c.loc[("units", "market_size"), "in_contract"]


def test_referential_checks(dataset: io.Dataset) -> None:
    r = overview.referential_checks(dataset).set_index("check")
    assert r["failing"].sum() == 3  # demo, email, sdr_call have no spend rows
    assert r.loc["touchpoints.channel in spend", "examples"] == "demo, email, sdr_call"
    orphan = io.Dataset(**{**{n: dataset.table(n) for n in ("opportunities", "spend", "units",
                                                             "accounts")},
                           "touchpoints": dataset.touchpoints.assign(account_id="ghost")})
    r = overview.referential_checks(orphan).set_index("check")
    assert r.loc["touchpoints.account_id in accounts", "failing_share"] == 1.0


def test_funnel_counts(dataset: io.Dataset) -> None:
    f = overview.funnel_counts(dataset.opportunities).set_index("stage")
    assert f["reached"].tolist() == [2, 1, 1, 1, 1]
    lo, hi = proportion_confint(1, 2, method="wilson")
    assert (f.loc["won", "ci_low"], f.loc["won", "ci_high"]) == pytest.approx((lo, hi))
    g = overview.funnel_counts(dataset.opportunities, by="source_team")
    assert g.loc[(g["source_team"] == "sales") & (g["stage"] == "lead"), "reached"].item() == 1
    assert g.loc[(g["source_team"] == "sales") & (g["stage"] == "won"), "reached"].item() == 0
    with pytest.raises(ValueError, match=r"missing column\(s\) \['lead_at'\]"):
        overview.funnel_counts(dataset.opportunities.drop(columns="lead_at"))


def test_spend_tables(dataset: io.Dataset) -> None:
    s = overview.spend_by_channel(dataset.spend)
    assert s.to_dict("list")["cost"] == [35250.0, 90000.0]
    assert s["share"].sum() == pytest.approx(1.0)
    m = overview.monthly_spend(dataset.spend)
    assert len(m) == 4  # 2 months x 2 teams, sales' April filled with 0
    assert m.loc[(m["team"] == "sales") & (m["period"] == pd.Timestamp("2024-04-01")), "cost"].item() == 0


def test_figures_have_titles_and_units(dataset: io.Dataset) -> None:
    j = build_journeys(dataset.touchpoints, dataset.opportunities, validate_input=False)
    axes = [
        figures.plot_funnel_counts(overview.funnel_counts(dataset.opportunities, by="source_team")),
        figures.plot_journey_mix(journey_mix(j)),
        figures.plot_journey_lengths(j.journeys),
        figures.plot_spend(overview.spend_by_channel(dataset.spend)),
        figures.plot_monthly_spend(overview.monthly_spend(dataset.spend)),
    ]
    for ax in axes:
        assert ax.get_title()
        assert "(" in ax.get_ylabel() or "(" in ax.get_xlabel() or "Share" in ax.get_ylabel()
    plt.close("all")
    assert np.isclose(journey_mix(j)["share"].sum(), 1.0)


def test_headline_items(dataset: io.Dataset) -> None:
    j = build_journeys(dataset.touchpoints, dataset.opportunities, validate_input=False)
    items = dict(overview.headline_items(dataset, j))
    assert items["Period covered"] == "Mar 2024 to Mar 2024"
    assert items["Accounts with activity"] == "2"
    assert items["Touches recorded"] == "4 (50 % by marketing)"
    assert items["Deals won"] == "1 deal, $32k revenue"
    lo, hi = proportion_confint(2, 2, method="wilson")
    assert items["Journeys mixing marketing and sales"] == (
        f"100 % of 2 journeys (95 % interval: {lo * 100:.0f} % to {hi * 100:.0f} %)")
    assert items["Data checks"] == "all contract checks passed; 3 rows fail a cross-table check (see below)"
    empty = dataset.between("2030-01-01", None)
    none = build_journeys(empty.touchpoints, empty.opportunities, validate_input=False)
    items = dict(overview.headline_items(empty, none))
    assert items["Period covered"] == "no dated records (check the start/end dates)"
    assert items["Touches recorded"].startswith("none: no journey can be built")
    assert items["Deals won"] == "none: the opportunities table has no rows"
    assert items["Journeys mixing marketing and sales"] == "no journeys"


def test_referential_checks_only_against_tables_present_and_ids_hidden(dataset: io.Dataset) -> None:
    minimum = io.Dataset(touchpoints=dataset.touchpoints, opportunities=dataset.opportunities,
                         spend=schemas.empty_frame("spend"), units=schemas.empty_frame("units"),
                         accounts=schemas.empty_frame("accounts"),
                         missing=("spend", "units", "accounts"))
    assert overview.referential_checks(minimum).empty
    q = overview.data_quality_summary(minimum).set_index("table")
    assert q.loc["spend", "file"] == "(not provided)" and q.loc["spend", "rows"] == 0
    j = build_journeys(dataset.touchpoints, dataset.opportunities, validate_input=False)
    assert dict(overview.headline_items(minimum, j))["Data checks"] == (
        "all contract checks passed; no cross-table check possible (only touchpoints and "
        "opportunities)")
    orphan = io.Dataset(**{**{n: dataset.table(n) for n in ("opportunities", "spend", "units",
                                                             "accounts")},
                           "touchpoints": dataset.touchpoints.assign(account_id="ghost-id")})
    hidden = overview.referential_checks(orphan).set_index("check")
    assert hidden.loc["touchpoints.account_id in accounts", "examples"] == "(account ids hidden)"
    shown = overview.referential_checks(orphan, show_ids=True).set_index("check")
    assert shown.loc["touchpoints.account_id in accounts", "examples"] == "ghost-id"
    dropped = io.Dataset(**{n: dataset.table(n) for n in ("touchpoints", "opportunities", "spend",
                                                          "units", "accounts")},
                         dropped=[{"table": "spend", "rule": "cost >= 0", "count": 2,
                                   "rows": [3, 9]}])
    assert dict(overview.headline_items(dropped, j))["Data checks"].startswith(
        "2 rows broke the contract and were left out")


def test_contract_note_counts_dropped_rows(dataset: io.Dataset) -> None:
    assert overview.contract_note(dataset).startswith("Every table passed the data contract's checks")
    dropped = io.Dataset(**{n: dataset.table(n) for n in ("touchpoints", "opportunities", "spend",
                                                          "units", "accounts")},
                         dropped=[{"table": "spend", "rule": "cost >= 0", "count": 1, "rows": [3]}])
    assert overview.contract_note(dropped).endswith("after leaving out 1 row that broke them "
                                                    "(listed below).")


def test_spanish_texts(dataset: io.Dataset) -> None:
    j = build_journeys(dataset.touchpoints, dataset.opportunities, validate_input=False)
    en = overview.headline_items(dataset, j)
    es = overview.headline_items(dataset, j, language="es")
    assert [label for label, _ in es] == ["Periodo cubierto", "Cuentas con actividad",
                                          "Contactos registrados", "Acuerdos ganados",
                                          "Recorridos que combinan marketing y ventas",
                                          "Comprobaciones de los datos"]
    items = dict(es)
    assert items["Periodo cubierto"] == "mar 2024 a mar 2024"
    assert items["Contactos registrados"] == "4 (50 % de marketing)"
    assert items["Acuerdos ganados"] == "1 acuerdo, 32 mil US$ de ingresos"
    assert items["Recorridos que combinan marketing y ventas"].startswith(
        "100 % de 2 recorridos (intervalo del 95 %: de ")
    assert items["Comprobaciones de los datos"] == (
        "se superaron todas las comprobaciones del contrato; 3 filas no superan una comprobación "
        "entre tablas (véase más abajo)")
    assert dict(en) == dict(overview.headline_items(dataset, j, language="en"))
    assert overview.contract_note(dataset, "es").startswith("Todas las tablas superaron")
    checks = overview.referential_checks(dataset, language="es")
    assert "touchpoints.account_id en accounts" in set(checks["check"])
    minimum = io.Dataset(touchpoints=dataset.touchpoints, opportunities=dataset.opportunities,
                         spend=schemas.empty_frame("spend"), units=schemas.empty_frame("units"),
                         accounts=schemas.empty_frame("accounts"),
                         missing=("spend", "units", "accounts"))
    q = overview.data_quality_summary(minimum, "es").set_index("table")
    assert q.loc["spend", "file"] == "(no aportada)"
    assert labels.stage_label("opportunity", "es") == "oportunidad"
    assert labels.stage_label("opportunity") == "opportunity"
    assert labels.journey_type_label("sales_only", "es") == "solo ventas"
    assert labels.journey_type_label("sales_only") == "sales only"
    assert labels.team_label("sales", "es") == "ventas"
    with pytest.raises(ValueError, match="language"):
        overview.headline_items(dataset, j, language="fr")
    axes = [
        figures.plot_funnel_counts(overview.funnel_counts(dataset.opportunities, by="source_team"),
                             language="es"),
        figures.plot_journey_mix(journey_mix(j), language="es"),
        figures.plot_journey_lengths(j.journeys, language="es"),
        figures.plot_spend(overview.spend_by_channel(dataset.spend), language="es"),
        figures.plot_monthly_spend(overview.monthly_spend(dataset.spend), language="es"),
    ]
    titles = [ax.get_title() for ax in axes]
    assert titles[0] == "Leads que llegan a cada etapa del embudo"
    assert titles[3] == "Gasto total por canal y equipo"
    words = " ".join(titles + [ax.get_xlabel() + " " + ax.get_ylabel() for ax in axes]
                     + [t.get_text() for ax in axes for t in ax.get_xticklabels()]
                     + [t.get_text() for ax in axes if ax.get_legend()
                        for t in ax.get_legend().get_texts()])
    for english in ("Share", "Leads reaching", "Cost (", "Month", "Journeys (", "sales",
                    "opportunity", "marketing_only", "converts"):
        assert english not in words, english
    # money axes: the currency in the label, the scale on each tick, as Spanish text writes it
    axes[3].figure.canvas.draw()
    assert axes[3].get_xlabel() == "Coste (USD)" and "oportunidad" in words
    assert any(t.get_text().endswith(" mil US$") for t in axes[3].get_xticklabels())
    plt.close("all")


def test_data_overview_holds_every_table_the_report_shows(dataset: io.Dataset) -> None:
    """Report 00's cells only call the result and show: ReportTables with the catalogue's captions
    and headers, figures, and a gap where a section has no data."""
    from smlib.analyses.overview import data_overview

    ov = data_overview(dataset, show_ids=True)
    assert ov.items() == overview.headline_items(dataset, ov.journeys)
    assert ov.note() == overview.contract_note(dataset) and ov.title() == "What the data contain"
    assert ov.gaps == {} and ov.dropped_table() is None
    assert ov.quality_table().to_text().columns[0] == "Table"
    assert ov.checks_table().to_text()["Examples of unknown names"].str.len().gt(0).any()
    funnel = ov.funnel_table().to_text()
    assert "Share of leads (95 % interval)" in funnel.columns
    assert ov.mix_table() is not None and ov.spend_table().caption.startswith("Total spend")
    assert ov.journeys_table().caption == "Journeys built with a 90-day lookback window"
    for ax in (ov.plot_funnel(), ov.plot_journey_mix(), ov.plot_journey_lengths(),
               ov.plot_spend(), ov.plot_monthly_spend()):
        assert ax.get_title()
    plt.close("all")
    es = data_overview(dataset, lookback_days=30, language="es")
    assert es.quality_table().to_text("es").columns[0] == "Tabla"
    assert es.journeys_table().caption == "Recorridos construidos con una ventana de 30 días"
    assert es.heading("funnel") == "Embudo"
    dropped = io.Dataset(**{n: dataset.table(n) for n in ("touchpoints", "opportunities", "spend",
                                                          "units", "accounts")},
                         dropped=[{"table": "spend", "column": "cost", "rule": "cost >= 0",
                                   "count": 2, "rows": [3, 9]}])
    assert "rule" in data_overview(dropped).dropped_table().frame.columns
    assert "rule" not in data_overview(dropped, language="es").dropped_table().frame.columns
    empty = dataset.between("2030-01-01", None)
    none = data_overview(empty, language="es")
    assert set(none.gaps) == {"funnel", "journeys", "spend"} and none.funnel_table() is None
    assert none.gaps["funnel"].text("es").startswith("Estos datos no tienen al menos un lead")
    assert none.plot_funnel() is None and none.plot_journey_lengths() is None
