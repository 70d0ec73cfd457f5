"""The one path every study takes to the engines: variants of a scenario, batched on a backend, checkpointed.

``run``, ``compare``, ``optimise`` and ``sweep`` all describe what they want as ``Variant``\\ s
(a labelled scenario with its headcount) and call ``simulate``: it cuts each variant's
replications into batches, sends the batches of all variants to the backend together (so a
cluster stays busy across variants), keeps each finished batch in the variant's checkpoint
folder when asked, and gives one ``RunResult`` per variant.  Every variant runs the same
replication indices with the same seed: common random numbers, so differences are paired.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from orgsim import metrics
from orgsim.engines.api import engine_function
from orgsim.errors import OptionError, ScenarioError
from orgsim.execution.backends import backend_context, cpu_count
from orgsim.execution.batches import Job, execute
from orgsim.execution.checkpoint import Checkpoint, scenario_hash
from orgsim.policies import effective_scenario
from orgsim.scenario.schema import Scenario
from orgsim.studies.estimate import Estimate, choose_engine, plan
from orgsim.studies.results import RunResult

KEEP_SERIES_VALUES = 20_000_000  # per-replication series are kept up to this many values; above, only sums
AS_SCENARIO = "as_scenario"  # the label of a variant that runs the scenario's own policy


@dataclass(frozen=True)
class Variant:
    """One thing to simulate: a label, the scenario as the user wrote it, and the headcount it runs with."""

    label: str
    scenario: Scenario
    headcount: dict[str, int]


def series_mode(scenario: Scenario, replications: int) -> str:
    """``series`` when per-replication, per-period values fit in memory, else ``sums`` (mean and CI per period)."""
    st = metrics.structure(scenario)
    values = replications * scenario.n_periods() * (8 + 5 * len(st.departments))
    return "series" if values <= KEEP_SERIES_VALUES else "sums"


def identity(variant: Variant, engine: str, seed: int, first: int, replications: int, mode: str) -> dict:
    """What a checkpoint records of the run it holds, so a resume of another run is refused."""
    return {
        "scenario": variant.scenario.name,
        "scenario_hash": scenario_hash(variant.scenario),
        "engine": engine,
        "seed": int(seed),
        "replications": int(replications),
        "first": int(first),
        "headcount": {k: int(v) for k, v in variant.headcount.items()},
        "mode": mode,
    }


def simulate(
    variants: Sequence[Variant],
    engine: str,
    replications: int,
    seed: int,
    *,
    first: int = 0,
    mode: str | None = None,
    backend=None,
    batch_size: int | None = None,
    checkpoints: Sequence[str | os.PathLike] | None = None,
    resume: bool = False,
    on_batch: Callable[[int], None] | None = None,
    on_restore: Callable[[int], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    lock_checkpoints: bool = True,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> list[RunResult]:
    """Replications first .. first+replications-1 of every variant; one result per variant, in order.

    *engine*: ``simpy``, ``numba`` or ``auto`` (``orgsim.studies.estimate.choose_engine``; a study that
    calls this several times resolves ``auto`` once, so all its runs share one engine).
    *mode*: what comes back per period (``series``, ``sums`` or ``none``; default: ``series_mode``).
    *checkpoints*: one folder per variant where each finished batch is written at once; with
    *resume* the batches already there are taken back (``CheckpointError`` if they hold another run);
    a batch file that is damaged or of another run is computed again and *on_note* told so.  Each
    folder is locked while the run uses it (*lock_checkpoints* off when the caller locks a parent).
    Before anything runs, the study's size is estimated (``orgsim.studies.estimate``): one that cannot
    fit in memory raises ``OptionError``; *on_estimate* is called with the estimate.
    """
    if replications < 1:
        raise OptionError("replications", f"must be at least 1 (got {replications})")
    chains = sorted({v.scenario.name for v in variants if v.scenario.units is not None})
    if chains:  # `run` takes units apart first (orgsim.studies.units); any other study would quietly drop them
        raise ScenarioError([f"{name}: units: only `run` runs a chain of units; leave the block out for this "
                             "study (`--set units=null`)" for name in chains])
    engine = choose_engine(engine, [v.scenario for v in variants], replications)
    engine_function(engine)  # an unknown engine fails here, before any work is sent anywhere
    jobs: list[Job] = []
    try:
        with backend_context(backend) as be:
            start = time.perf_counter()
            modes = [mode or series_mode(v.scenario, replications) for v in variants]
            workers = be.workers  # processes holding batches; a local numba batch also spreads over the cores
            cores = workers if be.name != "local" else (cpu_count() if engine == "numba" else 1)
            est, size = plan([v.scenario for v in variants], engine, replications,
                             batch_size or be.batch_size(engine, replications), workers, cores,
                             [m == "series" for m in modes])
            if on_estimate is not None:
                on_estimate(est)
            restored = 0
            for k, (v, m) in enumerate(zip(variants, modes)):
                ck, done, job_size = None, [], size
                if checkpoints is not None:
                    ck = Checkpoint(checkpoints[k], on_note=on_note, lock=lock_checkpoints)
                    job_size, done = ck.start(identity(v, engine, seed, first, replications, m), size, resume)
                job = Job(engine, effective_scenario(v.scenario), v.headcount, seed, first, first + replications,
                          job_size, m, metrics.structure(v.scenario, v.headcount), checkpoint=ck, key=k)
                jobs.append(job)
                restored += job.restore(done)
            if on_restore is not None and restored:
                on_restore(restored)
            execute(jobs, be, on_batch)
            where = be.describe()
    finally:
        for job in jobs:
            if job.checkpoint is not None:
                job.checkpoint.close()
    wall = time.perf_counter() - start
    return [
        RunResult(
            scenario=v.scenario,
            engine=engine,
            seed=seed,
            replications=np.arange(first, first + replications),
            values=job.collector.value_arrays(),
            period_sums=job.collector.period_sums(),
            series=job.collector.series_arrays(),
            headcount=dict(v.headcount),
            wall_time=wall,
            policy=v.label,
            extra={"backend": where, "batch_size": job.batch_size, "resumed_replications": int(restored)},
            profiles=job.collector.profile_arrays(),
        )
        for v, job in zip(variants, jobs)
    ]
