"""Run a scenario on an engine, replications in batches, and keep tidy results.

Rows from an engine are reduced to per-replication metrics batch by batch,
so memory grows with the number of metrics per replication, not with what
the engine accumulates.  Per-period series are kept per replication up to
``KEEP_SERIES_VALUES`` values and summarised (sum, sum of squares) always.  Batches run on a backend
(``orgsim.backends``: this process or a Dask cluster), come back in any order
and are placed by replication index (``orgsim.batches``), so the numbers never
depend on the backend, the worker count or the batch size; with a checkpoint
folder every finished batch is kept on disk for a resume (``orgsim.checkpoint``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from . import metrics
from .engine_api import EngineOutput
from .loader import load
from .policies import allocate, effective_scenario
from .scenario import Scenario

KEEP_SERIES_VALUES = 20_000_000
ENGINES = ("simpy", "numba")


def engine_function(name: str) -> Callable[..., EngineOutput]:
    """The simulate function of an engine, imported on first use (numba compiles lazily)."""
    if name == "simpy":
        from .reference import simulate

        return simulate
    if name == "numba":
        from orgsim.kernels.run import simulate as kernel_simulate

        def simulate(scenario, headcount, seed, replications, trace=False):
            rows, periods = kernel_simulate(scenario, headcount, seed, replications)
            return EngineOutput(rows=rows, periods=periods)

        return simulate
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


@dataclass
class RunResult:
    """Per-replication metrics of one run; ``summary()`` and ``timeseries()`` give DataFrames."""

    scenario: Scenario
    engine: str
    seed: int
    replications: np.ndarray  # replication indices
    values: dict[str, np.ndarray]  # metric -> value per replication
    period_sums: dict[str, np.ndarray]  # metric -> (3, periods): n, sum, sum of squares
    series: dict[str, np.ndarray] | None  # metric -> (replications, periods), when kept
    headcount: dict[str, int]
    wall_time: float
    policy: str = "as_scenario"
    extra: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """One row per metric: mean, ci_low, ci_high (95 % Student t), std, n."""
        rows = [{"metric": name, **metrics.aggregate(v)} for name, v in self.values.items()]
        return pd.DataFrame(rows, columns=["metric", "mean", "ci_low", "ci_high", "std", "n"])

    def replications_frame(self) -> pd.DataFrame:
        """Wide table: one row per replication, one column per metric."""
        df = pd.DataFrame(self.values)
        df.insert(0, "replication", self.replications)
        return df

    def timeseries(self) -> pd.DataFrame:
        """Long table (replication, period, metric, value) with scenario and policy columns."""
        if self.series is None:
            raise ValueError(
                "per-replication series were not kept for a run this large; use timeseries_summary()"
            )
        frames = []
        for name, arr in self.series.items():
            r, p = arr.shape
            frames.append(
                pd.DataFrame(
                    {
                        "replication": np.repeat(self.replications, p),
                        "period": np.tile(np.arange(p), r),
                        "metric": name,
                        "value": arr.reshape(-1),
                    }
                )
            )
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["replication", "period", "metric", "value"])
        df["scenario"] = self.scenario.name
        df["policy"] = self.policy
        return df

    def timeseries_summary(self) -> pd.DataFrame:
        """Per period and metric: mean over replications with a 95 % normal-approximation interval."""
        rows = []
        for name, (n, s, ss) in self.period_sums.items():
            mean = np.divide(s, n, out=np.full_like(s, np.nan), where=n > 0)
            var = np.divide(ss - n * mean**2, n - 1, out=np.full_like(s, np.nan), where=n > 1)
            half = 1.96 * np.sqrt(np.maximum(var, 0) / np.maximum(n, 1))
            for p in range(len(n)):
                rows.append({"period": p, "metric": name, "mean": mean[p], "ci_low": mean[p] - half[p], "ci_high": mean[p] + half[p], "n": int(n[p])})
        return pd.DataFrame(rows)

    def to_json(self) -> dict:
        """The `orgsim run --format json` object."""
        return {
            "scenario": self.scenario.name,
            "engine": self.engine,
            "replications": int(len(self.replications)),
            "seed": int(self.seed),
            "metrics": {name: _clean(metrics.aggregate(v)) for name, v in self.values.items()},
        }


def _clean(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()}


def run(
    scenario: Scenario | str | os.PathLike,
    engine: str = "simpy",
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
) -> RunResult:
    """Run *replications* replications (indices first, first+1, ...) of a scenario on an engine.

    The result of replication i depends only on (seed, i), whatever the engine's
    threads, the batch size or the backend: every number is identical.

    *backend*: ``"local"`` (default, this process), ``"dask"`` (a local Dask
    cluster for this call) or a backend object from ``orgsim.backends`` (e.g.
    ``DaskBackend(scheduler="tcp://host:8786")``, reused across calls).
    *checkpoint*: a folder where every finished batch is written as it
    completes; with *resume* the batches already there are taken back
    (``orgsim.checkpoint.CheckpointMismatch`` if they belong to another run).
    *on_batch(n)* is called after each batch computed now, *on_restore(n)*
    once with the replications taken back from the checkpoint.
    """
    from .backends import backend_context
    from .batches import Job, execute

    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if replications < 1:
        raise ValueError("replications must be at least 1")
    engine_function(engine)  # an unknown engine fails here, before any work is sent anywhere
    heads = headcount if headcount is not None else allocate(scenario)
    engine_scenario = effective_scenario(scenario)
    st = metrics.structure(scenario)
    n_periods = scenario.n_periods()
    keep_series = replications * n_periods * (8 + 5 * len(st.departments)) <= KEEP_SERIES_VALUES
    mode = "series" if keep_series else "sums"
    with backend_context(backend) as be:
        start = time.perf_counter()
        size = batch_size or be.batch_size(engine, replications)
        ck, restored = None, []
        if checkpoint is not None:
            from .checkpoint import Checkpoint, scenario_hash

            ck = Checkpoint(checkpoint)
            identity = {
                "scenario": scenario.name,
                "scenario_hash": scenario_hash(scenario),
                "engine": engine,
                "seed": int(seed),
                "replications": int(replications),
                "first": int(first),
                "headcount": {k: int(v) for k, v in heads.items()},
                "mode": mode,
            }
            size, restored = ck.start(identity, size, resume)
        job = Job(engine, engine_scenario, heads, seed, first, first + replications, size, mode, st, checkpoint=ck)
        taken_back = job.restore(restored)
        if on_restore is not None and taken_back:
            on_restore(taken_back)
        execute([job], be, on_batch)
        where = be.describe()
    c = job.collector
    return RunResult(
        scenario=scenario,
        engine=engine,
        seed=seed,
        replications=np.arange(first, first + replications),
        values=c.value_arrays(),
        period_sums=c.period_sums(),
        series=c.series_arrays(),
        headcount=dict(heads),
        wall_time=time.perf_counter() - start,
        extra={"backend": where, "batch_size": int(size), "resumed_replications": int(taken_back)},
    )


def trace(scenario: Scenario | str | os.PathLike, until: float | None = None, seed: int = 0, replication: int = 0) -> pd.DataFrame:
    """The reference engine's narrated event log of one replication, as a DataFrame."""
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    from .reference import simulate

    out = simulate(effective_scenario(scenario), allocate(scenario), seed, [replication], trace=True, until=until)
    return pd.DataFrame(out.trace, columns=["time", "event", "item", "segment", "department", "service", "text"])
