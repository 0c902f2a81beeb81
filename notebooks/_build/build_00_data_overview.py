"""Generate notebooks/00_data_overview.ipynb (stored without outputs).

    .venv/bin/python notebooks/_build/build_00_data_overview.py

Edit the cells here, regenerate, commit the .ipynb. Cells only call smlib and display results.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parents[1] / "00_data_overview.ipynb"

CELLS: list[tuple[str, str] | tuple[str, str, list[str]]] = [
    ("md", """# Data overview

What data the workbook runs on, and whether it can be trusted: how many records each table holds,
what is missing, how far leads get through the sales funnel, which teams touch customers on
their way to a purchase, and where the money is spent.

A few words used throughout:

- **Touch** (touchpoint): one recorded contact with a customer account, e.g. an ad click, an
  email, a sales call or a product demo. Each touch belongs to the **marketing** or the **sales**
  team.
- **Account**: a customer company (or prospect) that may buy.
- **Journey**: the touches an account received before it bought (or, if it has not bought, its
  most recent touches), in time order.
- **Lead, MQL, SQL, opportunity, won**: the stages of the sales funnel. A *lead* is a person or
  company showing interest; an *MQL* (marketing-qualified lead) is one marketing judges ready for
  sales; an *SQL* (sales-qualified lead) is one sales accepts; an *opportunity* is a possible deal
  recorded in the sales system; *won* means the customer signed.
- **Spend**: money paid for media, tools and people's time, by month."""),
    ("code", """# Parameters (papermill overrides these)
data_path = None  # folder or .duckdb file with the five tables; None = the built-in simulated dataset
start = None  # first day to include, e.g. "2023-01-01"; None = from the beginning of the data
end = None  # last day to include (the whole day), e.g. "2023-12-31"; None = to the end of the data
lookback_days = 90  # touches more than this many days before a purchase are not part of its journey""",
     ["parameters"]),
    ("code", """import pandas as pd

from smlib import io, overview
from smlib.display import show_table
from smlib.journeys import build_journeys, journey_mix
from smlib.report import show_headline

dataset = io.load_dataset(data_path).between(start, end)
journeys = build_journeys(dataset.touchpoints, dataset.opportunities, lookback_days,
                          validate_input=False)"""),
    ("code", """show_headline("What the data contain", overview.headline_items(dataset, journeys),
              note="Every table passed the data contract's checks (types, allowed values, no "
                   "negative costs, funnel dates in order, no duplicates).")"""),
    ("code", """# NBVAL_CHECK_OUTPUT
# The headline numbers as plain text. Left out of the report (tag report-hide); `make test`
# compares them with the copy stored here (refresh: `smlib report store-checked <notebook>`).
from smlib.report import key_numbers_text

print(key_numbers_text())""", ["report-hide"]),
    ("md", """## Data quality

One row per table. *Rows* is the number of records; *extra columns* are columns beyond the data
contract (kept, e.g. as background variables); *missing cells* counts empty values (many are
expected, e.g. a lead that never became an opportunity has no opportunity date); *duplicate keys*
counts records that repeat another record's identity (must be 0); *first date*/*last date* is the
date range (accounts carry no date); the *fingerprint* (SHA-256) identifies the exact input file, so
a report can be traced to the data it was made from."""),
    ("code", """show_table(overview.data_quality_summary(dataset), caption="The five input tables",
           labels={"first": "First date", "last": "Last date",
                   "sha256": "Fingerprint (SHA-256)"})"""),
    ("md", """Do the tables point at each other? A *failing* row names an account, business unit or
channel that another table does not know, so its revenue or cost cannot be attributed."""),
    ("code", """show_table(overview.referential_checks(dataset), caption="Cross-table checks",
           labels={"rows": "Rows checked", "failing": "Rows failing",
                   "failing_share": "Share failing", "examples": "Examples of unknown names"})"""),
    ("md", """Column by column: the data type (*str* is text, *float64* a number, *int64* a whole
number, *datetime64* a date and time, *bool* yes/no), how many values are missing, how many
distinct values there are, and whether the column is part of the data contract."""),
    ("code", """show_table(overview.column_summary(dataset), caption="Columns of every table",
           labels={"dtype": "Data type", "distinct": "Distinct values",
                   "in_contract": "In the data contract"})"""),
    ("md", """## Funnel

How many leads reached each stage, split by the team that generated the lead (*source team*).
*Share of leads* is the fraction of that team's leads that reached the stage; the range in
brackets is its 95 % interval (a Wilson interval: the range the true share very likely lies in,
given how many leads there are). Leads found by sales skip the MQL stage by definition."""),
    ("code", """funnel = overview.funnel_counts(dataset.opportunities, by="source_team")
show_table(funnel, caption="Leads reaching each funnel stage, by the team that found them",
           formats={"stage": "words"}, labels={"reached": "Leads reaching it"},
           intervals={"share_of_leads": ("ci_low", "ci_high")})
_ = overview.plot_funnel(funnel)"""),
    ("md", """## Journeys

Who touched the customer before the purchase? A journey is *marketing only*, *sales only* or
*mixed* (both teams). *Conversion rate* is the share of journeys that ended in a won deal, with its
95 % interval in brackets; *won revenue* is the value of those deals; *mean touches* is the average
number of touches per journey."""),
    ("code", """mix = journey_mix(journeys)
show_table(mix, caption="Journeys by which teams touched the customer",
           formats={"journey_type": "words"},
           labels={"journey_type": "Journey", "share": "Share of journeys",
                   "conversions": "Won deals", "revenue": "Won revenue"},
           intervals={"conversion_rate": ("ci_low", "ci_high")})
_ = overview.plot_journey_mix(mix)"""),
    ("md", """How the journeys were built: touches read and kept, won deals found (and how many had no
touch before them), and touches dropped because they came more than the lookback window before a
purchase."""),
    ("code", """show_table(pd.DataFrame([journeys.stats]),
           caption=f"Journeys built with a {lookback_days}-day lookback window",
           labels={"touches_in": "Touches read", "conversions": "Won deals",
                   "conversions_without_touches": "Won deals without a touch",
                   "converting_journeys": "Journeys ending in a win",
                   "touches_outside_lookback": "Touches outside the window"})
_ = overview.plot_journey_lengths(journeys.journeys)"""),
    ("md", """## Spend

Total cost per channel, coloured by team. *sales_people* and *marketing_overhead* are costs that no
single touch carries (salaries, tools). *Share* is the channel's part of all spend. Amounts are
rounded: $1.2M is 1.2 million US dollars, $850k is 850 thousand."""),
    ("code", """by_channel = overview.spend_by_channel(dataset.spend)
show_table(by_channel, caption="Total spend by team and channel (USD)",
           labels={"cost": "Total cost", "share": "Share of all spend"})
_ = overview.plot_spend(by_channel)"""),
    ("code", "_ = overview.plot_monthly_spend(overview.monthly_spend(dataset.spend))"),
    ("md", """## What next

The attribution report (01) shares the credit for won deals among these touches; the uplift
report (02) estimates whether integrating marketing and sales raised revenue; the executive
summary (03) brings both together."""),
]


def build() -> nbformat.NotebookNode:
    """The notebook object: markdown/code cells, kernelspec ``smarketing``, no outputs."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "smarketing", "display_name": "Python (smarketing)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source, *tags in CELLS:
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags[0]
        nb.cells.append(cell)
    for i, cell in enumerate(nb.cells):  # stable ids: regenerating gives the same file
        cell["id"] = f"cell-{i:02d}"
    return nb


if __name__ == "__main__":
    nbformat.validate(nb := build())
    nbformat.write(nb, OUT)
    print(f"wrote {OUT}")
