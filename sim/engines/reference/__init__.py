"""The SimPy reference engine: readable, traceable, the semantics of the README's "Model" section.

``simulate(scenario, headcount, seed, replications, trace=False, until=None)``
returns an ``orgsim.engines.api.EngineOutput``.  Modules, one job each:
``draws`` (random streams), ``departments`` (staff, queues, time accounting,
morale), ``customers`` (segments, arrivals, scoring, churn), ``suppliers``,
``work`` (the processes), ``organisation`` (building a replication and its
period boundaries), ``ledger`` (raw sums into layout rows), ``narrate`` (the
trace), ``events`` (the simulated event log), ``simulate`` (the entry point).
"""

from .organisation import Organisation
from .simulate import record_events, run_replication, simulate

__all__ = ["simulate", "run_replication", "record_events", "Organisation"]
