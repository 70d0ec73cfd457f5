"""orgsim: simulate an organisation as a web of internal customers and suppliers.

Load a scenario, run it on an engine, read tidy results::

    import orgsim
    scenario = orgsim.load("baseline")
    result = orgsim.run(scenario, engine="simpy", replications=20, seed=1)
    result.summary()
"""

from .loader import ScenarioError, dump, load
from .scenario import Scenario

__all__ = ["Scenario", "ScenarioError", "dump", "load"]
__version__ = "0.1.0"
