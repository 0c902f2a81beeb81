"""Ground-truth simulator: journeys, funnel, spend, a unit revenue panel, and the exact truth.

``simulate(seed, **params) -> Simulation`` generates the five contract tables (data/README.md) from
a stated causal process and returns the truth with them; ``simulate_panel`` is the fast panel-only
generator for coverage studies. Module map: ``params`` (every default with its source), ``panel``
(units, confounded staggered adoption), ``journeys`` (accounts, planned touches), ``funnel``
(logistic stage model, integration mechanisms), ``mechanisms`` (switchable journey mechanisms:
order, diminishing returns, recency, a harmful channel, latent intent; named settings
``MECHANISMS``), ``core`` (tables, truth), ``truth`` (Truth dataclass and its files), ``export``
(``realistic_export``, ``EXPORT_CASES``, ``export_case``, ``write_export``: the tables reshaped
like real CRM exports, without truth, for tests of the workbook on messy data).
"""

from smlib.simulate.core import Simulation, simulate
from smlib.simulate.export import EXPORT_CASES, export_case, realistic_export, write_export
from smlib.simulate.mechanisms import MECHANISMS, UNCONFOUNDED
from smlib.simulate.panel import simulate_panel
from smlib.simulate.params import Params
from smlib.simulate.truth import Truth, has_truth, load_truth, simulator_version

__all__ = ["EXPORT_CASES", "MECHANISMS", "UNCONFOUNDED", "Params", "Simulation", "Truth", "export_case",
           "has_truth", "load_truth", "realistic_export", "simulate", "simulate_panel",
           "simulator_version", "write_export"]
