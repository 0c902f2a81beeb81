"""Generate notebooks/01_attribution_comparison.ipynb (stored without outputs).

    .venv/bin/python notebooks/_build/build_01_attribution_comparison.py

Edit the cells here, regenerate, commit the .ipynb. Cells only call smlib and display results.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parents[1] / "01_attribution_comparison.ipynb"

CELLS: list[tuple[str, str] | tuple[str, str, list[str]]] = [
    ("md", """# Which touches earn the revenue? Comparing attribution models

When a customer buys after seeing an ad, reading emails, talking to a sales rep and watching a
demo, who should get the credit? This report shares the credit for every purchase among the
marketing and sales touches before it, with several common methods, shows where they disagree,
how sure each answer is, and — on simulated data, where the right answer is known — which method
gets closest to the truth.

Words used below:

- **Touch**: one recorded contact with a customer account (an ad click, an email, a sales call, a
  demo, ...). Each belongs to the **marketing** or the **sales** team; a *channel* is the kind of
  touch (e.g. `paid_search`, `demo`).
- **Journey**: the touches an account received before it bought (or, if it did not buy, its
  latest touches), in time order.
- **Attribution model**: a method that splits each purchase's credit among the touches of its
  journey. **Credit** is counted in purchases (a channel can earn a fraction of one) and in
  revenue; its **share** is the fraction of all purchases credited to the channel.
- **Rule-based models** use a fixed rule: *first touch* / *last touch* give everything to the
  first / last touch (*last non-direct* skips direct visits), *linear* splits evenly, *time decay*
  favours recent touches, *position-based* (U-shaped), *W-shaped* and *full path* favour the
  first touch and key funnel moments (lead created, opportunity created, deal won).
- **Markov** models the journey as steps between channels and credits a channel with the
  purchases lost if the customer could not pass through it. **Shapley** shares credit the way a
  team bonus is shared fairly among the members who took part.
- **Data-driven models** learn from journeys that did *and did not* end in a purchase:
  **logistic** estimates how each channel changes the chance of buying; **incremental** uses a
  richer model (which channels, how often, in what order) picked by **cross-validation** (testing
  each candidate on journeys it did not learn from) and credits each channel with the purchases
  that would be lost without it.
- **Interval** (95 % bootstrap interval): the range the credit would likely fall in if we had seen
  another sample of journeys like this one; computed by re-drawing the journeys many times.
- **Distance from the truth** (total variation distance): the share of credit that sits on the
  wrong channels compared with the true effects; 0 % is perfect."""),
    ("code", """# Parameters (papermill overrides these)
data_path = None  # folder or .duckdb file with the five tables; None = the built-in simulated dataset
lookback_days = 90  # touches more than this many days before a purchase are not part of its journey
models = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based",
          "w_shaped", "full_path", "markov", "shapley", "logistic", "incremental"]  # models to compare
n_boot = 200  # bootstrap re-draws for the intervals (0 = no intervals)
seed = 0  # random seed of the bootstrap and of the cross-validation folds
shown_with_intervals = ["last_touch", "linear", "markov", "incremental"]  # models in the interval chart""",
     ["parameters"]),
    ("code", """from IPython.display import Markdown, display

from smlib import io
from smlib.attribution import scoring, teams
from smlib.display import show_table
from smlib.journeys import build_journeys
from smlib.report import show_headline
from smlib.simulate import has_truth, load_truth

dataset = io.load_dataset(data_path)
journeys = build_journeys(dataset.touchpoints, dataset.opportunities, lookback_days,
                          validate_input=False)
truth = load_truth(dataset.path) if has_truth(dataset.path) else None
channel_teams = teams.channel_team_map(dataset.touchpoints)
result = scoring.run_comparison(journeys.paths, journeys.touches, models=models, n_boot=n_boot,
                                seed=seed, incremental_params={"random_state": seed})
scores = None
if truth is not None:
    scores = scoring.score_against_truth(
        result.credit, truth.channel_effects, truth.team_effects,
        teams.counterfactual_team_credit(result.fitted, channel_teams) if result.fitted else None)
recommended = scoring.recommend(result.credit, scores)"""),
    ("code", """show_headline("Which touches earn the revenue?",
              scoring.headline_items(result, journeys.paths, scores, channel_teams),
              note="Credit is counted in purchases; intervals are 95 % bootstrap intervals.")"""),
    ("code", """# NBVAL_CHECK_OUTPUT
# The headline numbers as plain text. Left out of the report (tag report-hide); `make test`
# compares them with the copy stored here (refresh: `smlib report store-checked <notebook>`).
from smlib.report import key_numbers_text

print(key_numbers_text())""", ["report-hide"]),
    ("md", """## Credit per channel, per model

Each row is a model, each column a channel; a cell is the channel's share of all credited
purchases (%, rows add up to 100). Columns where the colours change a lot from row to row are
where the models disagree. On simulated data the last row, *truth*, is each channel's real effect:
the purchases that disappear when the channel is removed from every journey in the simulator.
Channel names: *SDR* = sales development rep (first calls and emails to prospects), *AE* =
account executive (the salesperson who runs the deal), *content SEO* = articles found through
search engines."""),
    ("code", """true_effects = truth.channel_effects if truth is not None else None
shares = scoring.share_matrix(result.credit, true_effects)
show_table(shares, formats={"*": "pct_plain", "model": "words"}, index=True,
           caption="Share of credited purchases by channel (%), one row per model")
_ = scoring.plot_share_heatmap(result.credit, true_effects)"""),
    ("md", """## How sure are we?

Credit per channel with its 95 % interval, for a few models (chosen in the parameters). Wide
intervals mean the data cannot pin the credit down; non-overlapping intervals mean two models
really disagree. The table lists the recommended model: credited purchases and revenue, with their
95 % intervals in brackets and the *standard error* (the typical size of the sampling error of the
credited purchases; the interval is roughly ± two standard errors), largest credit first."""),
    ("code", """show_table(result.intervals.loc[result.intervals["model"] == recommended,
                                 ["channel", "conversions", "se", "ci_low", "ci_high", "value",
                                  "value_ci_low", "value_ci_high", "share", "share_ci_low",
                                  "share_ci_high"]].sort_values("conversions", ascending=False),
           caption=f"Credit per channel under the recommended model ({recommended})",
           formats={"conversions": "float1", "se": "float1"},
           labels={"conversions": "Credited purchases", "se": "Standard error",
                   "value": "Credited revenue", "share": "Share of purchases"},
           intervals={"conversions": ("ci_low", "ci_high"),
                      "value": ("value_ci_low", "value_ci_high"),
                      "share": ("share_ci_low", "share_ci_high")})
if len(result.intervals):
    _ = scoring.plot_credit_intervals(result.intervals,
                                      [m for m in shown_with_intervals if m in result.draws])"""),
    ("md", """## Credit per team

First, the credit each model gives to the marketing team's channels and to the sales team's
channels, with 95 % intervals. On simulated data the *truth* bar adds up the real effects of each
team's channels."""),
    ("code", """show_table(result.team_intervals(channel_teams),
           caption="Team shares of the credit, by model",
           formats={"model": "words"}, labels={"share": "Share of credit"},
           intervals={"share": ("ci_low", "ci_high")})
_ = teams.plot_team_credit(teams.team_rollup(result.credit, channel_teams),
                           true_effects)"""),
    ("md", """Second, *where* the credit is earned: on journeys only marketing touched (*marketing*), only
sales touched (*sales*), or both (*shared*). The shared credit is split further into the part given
to marketing channels and to sales channels (the last two number columns); *how the split was made*
names the method (see `smlib.attribution.teams`)."""),
    ("code", """split = teams.team_rollup(result.credit, channel_teams, data=journeys.touches,
                          fitted=result.fitted)
show_table(split, caption="Credit by which teams touched the journey, by model",
           formats={"model": "words", "conversions": "float1", "marketing_channels": "float1",
                    "sales_channels": "float1"},
           labels={"team": "Journeys touched by", "conversions": "Credited purchases",
                   "value": "Credited revenue", "share": "Share of purchases",
                   "marketing_channels": "… of which to marketing channels",
                   "sales_channels": "… of which to sales channels",
                   "allocation": "How the split was made"})"""),
    ("md", """Third, only a data-driven model can answer a *what if* question: how many purchases would
marketing bring **alone** (no sales touches), sales **alone**, and how many exist **only because
both** worked the same account (*shared*). On simulated data the truth is shown beside it. This is
a different question from the split above: a purchase on a mixed journey is partly what each team
would have achieved alone."""),
    ("code", """if result.fitted:
    show_table(teams.counterfactual_team_credit(result.fitted, channel_teams),
               caption="What if only one team had worked the accounts? (data-driven models)",
               formats={"conversions": "float1"},
               labels={"team": "Purchases brought by", "conversions": "Purchases",
                       "value": "Revenue", "share": "Share of purchases"})
if truth is not None:
    show_table(truth.team_effects, caption="The same question answered by the simulator (truth)",
               formats={"incremental_conversions": "float1"},
               labels={"team": "Purchases brought by", "incremental_conversions": "Purchases",
                       "incremental_revenue": "Revenue", "share": "Share of purchases"})"""),
    ("md", """## Accuracy against the known truth (simulated data only)

For each model: the share of the purchase credit placed on the wrong channels, the same for the
revenue credit, the average error per channel (in percentage points of share), the share of credit
placed on the wrong team, the share it gives sales touches against the true share, and the channel
it gets most wrong. Lower errors are better; *rank* 1 is the closest. The *what-if team split
error* scores the what-if split above against the truth; only the data-driven models answer that
question, so the rule-based rows show –."""),
    ("code", """if scores is not None:
    show_table(scores, caption="How far each model is from the known truth (lower is better)",
               formats={"model": "words", "tvd_channel": "pct", "mae_channel": "pct",
                        "tvd_value": "pct", "tvd_team": "pct", "tvd_team_split": "pct"},
               labels={"tvd_channel": "Credit on wrong channels",
                       "mae_channel": "Average error per channel",
                       "tvd_value": "Revenue credit on wrong channels",
                       "tvd_team": "Credit on wrong team",
                       "tvd_team_split": "What-if team split error",
                       "sales_share": "Sales share of credit",
                       "sales_share_truth": "True sales share",
                       "worst_channel": "Channel most wrong"})
    _ = scoring.plot_scores(scores)
else:
    print("This dataset has no simulator truth, so the models' accuracy cannot be measured.")"""),
    ("md", """## How the data-driven model was chosen

Each candidate conversion model was trained on two thirds of the journeys and tested on the rest,
three times; the *mean log loss* is the average test error (lower is better; it punishes confident
wrong predictions) and the best one is used; the *spread* is its standard deviation over the three
tests, and *fold 0, 1, 2* are the three tests. *logit_C=...* are
logistic models with more (small C) or less (large C) shrinkage; *hist_gradient_boosting* is a tree
ensemble."""),
    ("code", """if "incremental" in result.fitted:
    show_table(result.fitted["incremental"].cv_results_,
               caption="Candidate models for the incremental model, best first",
               formats={"*log_loss": "float4", "fold_*": "float4", "fit_seconds": "float1"},
               labels={"std_log_loss": "Spread across folds",
                       "fit_seconds": "Fitting time (seconds)"})"""),
    ("md", "## Conclusion"),
    ("code", """display(Markdown(scoring.conclusion(
    result.credit, scores,
    result.fitted["incremental"].cv_results_ if "incremental" in result.fitted else None)))"""),
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
