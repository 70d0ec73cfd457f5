"""The reference engine's entry point: run replications, return accumulator rows (and a narrated trace, or event logs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from orgsim import metrics
from orgsim.engines.output import EngineOutput
from orgsim.kernels import layout

from .events import EventRecorder
from .organisation import Organisation


def run_replication(
    scenario, headcount: dict[str, int], seed: int, replication: int, trace: bool = False, until: float | None = None
) -> Organisation:
    """Run one replication and return the finished Organisation (its objects hold the raw sums).

    Useful to inspect a run: ``org.segments[k].in_system`` is the number of
    orders still in the system at the end, ``org.tracer.records`` the trace.
    """
    return Organisation(scenario, headcount, seed, replication, trace=trace).run(until)


def record_events(scenario, headcount: dict[str, int], seed: int, replications: Sequence[int]) -> list[EventRecorder]:
    """Run the replications *replications* with an event recorder; one ``EventRecorder`` per replication.

    Recording draws nothing, so replication *i* is the run ``simulate`` makes of it.
    """
    return [Organisation(scenario, headcount, seed, i, events=True).run().events for i in replications]


def simulate(
    scenario,
    headcount: dict[str, int],
    seed: int,
    replications: Sequence[int],
    trace: bool = False,
    until: float | None = None,
) -> EngineOutput:
    """Simulate the replications *replications* of *scenario* with *headcount* employees per department.

    Replication *i* uses only the streams of (*seed*, *i*), so it gives the
    same row alone or in any batch.  With *trace*, the first listed
    replication is narrated (a list of dicts: time, event, item, segment,
    department, service, text).  *until* stops every replication early, at
    that time (in the scenario's unit); the books are closed there.

    Returns
    -------
    EngineOutput
        ``rows`` (replications x row length) and ``periods`` (replications x
        periods x period row length) in the layouts of ``orgsim.kernels.layout``.
    """
    st = metrics.structure(scenario)
    _, length = layout.offsets(st.blocks())
    _, period_length = layout.offsets(st.period_blocks())
    replications = list(replications)
    rows = np.zeros((len(replications), length))
    periods = np.zeros((len(replications), scenario.n_periods(), period_length))
    records = None
    for k, i in enumerate(replications):
        narrate = trace and k == 0
        org = run_replication(scenario, headcount, seed, i, trace=narrate, until=until)
        rows[k], periods[k] = org.books()
        if narrate:
            records = org.tracer.records
    return EngineOutput(rows=rows, periods=periods, trace=records if trace else None)
