"""Run one scenario on an engine and keep tidy results; narrate one replication.

Rows from an engine are reduced to per-replication metrics batch by batch, so memory grows
with the number of metrics per replication, not with what the engine accumulates.  Batches
run on a backend (``orgsim.execution.backends``: this process or a Dask cluster), come back
in any order and are placed by replication index, so the numbers never depend on the
backend, the worker count or the batch size; with a checkpoint folder every finished batch
is kept on disk for a resume.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pandas as pd

from orgsim.engines.reference import simulate as reference_simulate
from orgsim.errors import OptionError
from orgsim.policies import effective_scenario
from orgsim.scenario.loader import load
from orgsim.scenario.schema import Scenario
from orgsim.studies.allocation import resolve
from orgsim.studies.estimate import Estimate
from orgsim.studies.results import RunResult
from orgsim.studies.simulate import AS_SCENARIO, Variant, simulate
from orgsim.studies.units import run_units

TRACE_COLUMNS = ["time", "event", "item", "segment", "department", "service", "text"]


def run(
    scenario: Scenario | str | os.PathLike,
    engine: str = "auto",
    replications: int = 20,
    seed: int = 0,
    *,
    first: int = 0,
    batch_size: int | None = None,
    headcount: dict[str, int] | None = None,
    on_batch: Callable[[int], None] | None = None,
    backend=None,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    on_restore: Callable[[int], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> RunResult:
    """Simulate replications of a scenario on an engine.

    The result of replication *i* depends only on (seed, i), whatever the engine's threads,
    the batch size or the backend: every number is identical.

    Parameters
    ----------
    scenario : Scenario, str or path
        A validated scenario, a file, or the name of a shipped scenario (``"baseline"``).
    engine : {"auto", "simpy", "numba"}
        The readable reference engine, the compiled one for large batches, or ``auto``: the reference
        engine for a run of at most 40,000 simulated events, numba otherwise (``result.engine`` says which).
    replications : int
        How many replications, indices ``first`` .. ``first + replications - 1``.
    seed : int
        The seed every random stream of every replication is derived from.
    first : int
        Index of the first replication (to extend an earlier run with fresh replications).
    batch_size : int, optional
        Replications per batch; default chosen by the backend (results never depend on it).
    headcount : dict, optional
        Heads per department; default: the scenario's allocation policy.
    on_batch, on_restore : callable, optional
        Called with the number of replications after each computed batch, and once with the
        number taken back from a checkpoint.
    on_estimate : callable, optional
        Called once, before anything runs, with the run's ``Estimate`` (events, memory, time);
        a run that cannot fit in memory raises ``OptionError`` instead.
    backend : {"local", "dask"} or backend object, optional
        Where batches run (``orgsim.execution.backends``).
    checkpoint : path, optional
        A folder where every finished batch is written as it completes (locked while the run
        uses it; ``CheckpointError`` if another process holds it or it holds foreign files).  For a
        scenario with ``units``, one checkpoint folder per unit, ``checkpoint/units/NNN/``.
    resume : bool
        Take back the batches already in *checkpoint* (``CheckpointError`` if another run's).
    on_note : callable, optional
        Told (one line) of every checkpointed batch that is damaged or of another run, and so
        computed again; default: a ``RuntimeWarning``.

    Returns
    -------
    RunResult
        ``summary()``, ``timeseries()`` and ``replications_frame()`` give DataFrames.  For a scenario with
        ``units``, every unit runs *replications* (seeds from (seed, unit)); the values are the units' means,
        ``units()`` is one row per unit and metric, ``unit_runs.correlations()`` the cross-unit correlations.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if scenario.units is not None:
        return _units(scenario, engine, replications, seed, first=first, headcount=headcount, checkpoint=checkpoint,
                      resume=resume, backend=backend, batch_size=batch_size, on_batch=on_batch,
                      on_restore=on_restore, on_note=on_note, on_estimate=on_estimate)
    if headcount is None:
        scenario, headcount = resolve(scenario)
    (result,) = simulate(
        [Variant(AS_SCENARIO, scenario, headcount)], engine, replications, seed, first=first, backend=backend,
        batch_size=batch_size, checkpoints=None if checkpoint is None else [checkpoint], resume=resume,
        on_batch=on_batch, on_restore=on_restore, on_note=on_note, on_estimate=on_estimate,
    )
    return result


def _units(scenario: Scenario, engine, replications, seed, *, first, headcount, **kw) -> RunResult:
    """A scenario with ``units``: every unit for *replications* (``orgsim.studies.units``)."""
    for name, value, why in (("first", first, "each unit runs replications from 0"),
                             ("headcount", headcount, "each unit allocates its own heads")):
        if value:
            raise OptionError(name, f"cannot be given for a scenario with units: {why}")
    return run_units(scenario, engine, replications, seed, **kw)


def trace(scenario: Scenario | str | os.PathLike, until: float | None = None, seed: int = 0, replication: int = 0) -> pd.DataFrame:
    """The reference engine's narrated event log of one replication.

    Parameters
    ----------
    scenario : Scenario, str or path
        A validated scenario, a file, or the name of a shipped scenario.
    until : float, optional
        Stop narrating at this simulated time (default: the horizon).
    seed, replication : int
        Which replication to narrate.

    Returns
    -------
    pandas.DataFrame
        One row per event: time, event, item, segment, department, service and the narrated text.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    scenario, heads = resolve(scenario)
    out = reference_simulate(effective_scenario(scenario), heads, seed, [replication],
                             trace=True, until=until)
    return pd.DataFrame(out.trace, columns=TRACE_COLUMNS)
