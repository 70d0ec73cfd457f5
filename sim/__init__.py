"""orgsim: simulate an organisation as a web of internal customers and suppliers.

Load a scenario, run it on an engine, read tidy results::

    import orgsim
    scenario = orgsim.load("baseline")
    result = orgsim.run(scenario, engine="simpy", replications=20, seed=1)
    result.summary()

Heavy modules (pandas, the engines) are imported on first use, not here.
"""

from .loader import ScenarioError, dump, load
from .scenario import Scenario

__all__ = ["RunResult", "Scenario", "ScenarioError", "dump", "load", "run", "trace"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in ("run", "trace", "RunResult"):
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'orgsim' has no attribute {name!r}")
