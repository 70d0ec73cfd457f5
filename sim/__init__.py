"""orgsim: simulate an organisation as a web of internal customers and suppliers.

Load a scenario, run it on an engine, read tidy results::

    import orgsim
    scenario = orgsim.load("baseline")
    result = orgsim.run(scenario, engine="simpy", replications=20, seed=1)
    result.summary()

The public API is this module's ``__all__``.  Heavy modules (pandas, the engines) are
imported on first use, not here.
"""

from orgsim.errors import BackendError, BudgetError, CheckpointError, OptionError, OrgsimError, ScenarioError
from orgsim.scenario.loader import dump, load
from orgsim.scenario.schema import Scenario

__all__ = [
    "BackendError", "BudgetError", "CheckpointError", "Comparison", "Optimum", "OptionError", "OrgsimError",
    "PolicySpec", "RunResult", "Scenario", "ScenarioError", "Selection", "SweepResult", "compare", "dump", "load",
    "optimise", "parse_policy", "run", "select", "sweep", "trace",
]  # fmt: skip
__version__ = "0.1.0"

_LAZY = {
    "run": "orgsim.studies.run", "trace": "orgsim.studies.run", "RunResult": "orgsim.studies.results",
    "compare": "orgsim.studies.compare", "Comparison": "orgsim.studies.compare",
    "PolicySpec": "orgsim.studies.compare", "parse_policy": "orgsim.studies.compare",
    "optimise": "orgsim.studies.optimise", "Optimum": "orgsim.studies.optimise",
    "sweep": "orgsim.studies.sweep", "SweepResult": "orgsim.studies.sweep",
    "select": "orgsim.studies.select", "Selection": "orgsim.studies.select",
}  # fmt: skip


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'orgsim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
