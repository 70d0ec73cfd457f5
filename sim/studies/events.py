"""A simulated event log of a scenario: the reference engine's replications, recorded service by service."""

from __future__ import annotations

import os

import pandas as pd

from orgsim.engines.reference import record_events
from orgsim.eventlog.simulated import events_frame
from orgsim.policies import effective_scenario
from orgsim.scenario.loader import load
from orgsim.scenario.schema import Scenario
from orgsim.studies.allocation import headcount as resolve_headcount


def event_log(scenario: Scenario | str | os.PathLike, replications: int = 1, seed: int = 0) -> pd.DataFrame:
    """The event log of external cases of replications 0 .. *replications* - 1 (``orgsim.eventlog.simulated``).

    The reference engine records it; recording draws nothing, so these are the replications
    ``orgsim.run(scenario, engine="simpy", replications=..., seed=...)`` simulates.

    Returns
    -------
    pandas.DataFrame
        ``case, activity, department, employee, enabled, start, end`` (``replication`` first when
        there are several), timestamps when the scenario has a clock, model times otherwise.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    reps = range(replications)
    recorders = record_events(effective_scenario(scenario), resolve_headcount(scenario), seed, reps)
    return events_frame(recorders, scenario, reps)
