"""Run a scenario on an engine, replications in batches, and keep tidy results.

Rows from an engine are reduced to per-replication metrics batch by batch,
so memory grows with the number of metrics per replication, not with what
the engine accumulates.  Per-period series are kept per replication up to
``KEEP_SERIES_VALUES`` values and summarised (sum, sum of squares) always.
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
) -> RunResult:
    """Run *replications* replications (indices first, first+1, ...) of a scenario on an engine.

    The result of replication i depends only on (seed, i), whatever the engine's
    threads or the batch size.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if replications < 1:
        raise ValueError("replications must be at least 1")
    simulate = engine_function(engine)
    heads = headcount if headcount is not None else allocate(scenario)
    engine_scenario = effective_scenario(scenario)
    st = metrics.structure(scenario)
    indices = np.arange(first, first + replications)
    batch = batch_size or (replications if engine == "simpy" else 2000)
    n_periods = scenario.n_periods()
    keep_series = replications * n_periods * (8 + 5 * len(st.departments)) <= KEEP_SERIES_VALUES
    values: dict[str, list[np.ndarray]] = {}
    series: dict[str, list[np.ndarray]] = {}
    period_sums: dict[str, np.ndarray] = {}
    start = time.perf_counter()
    for lo in range(0, replications, batch):
        idx = indices[lo : lo + batch]
        out = simulate(engine_scenario, heads, seed, idx)
        for name, v in metrics.replication_metrics(out.rows, st).items():
            values.setdefault(name, []).append(np.asarray(v, dtype=float))
        for name, v in metrics.period_metrics(out.periods, st).items():
            v = np.asarray(v, dtype=float)
            ok = ~np.isnan(v)
            acc = period_sums.setdefault(name, np.zeros((3, v.shape[1])))
            acc[0] += ok.sum(axis=0)
            acc[1] += np.where(ok, v, 0).sum(axis=0)
            acc[2] += np.where(ok, v * v, 0).sum(axis=0)
            if keep_series:
                series.setdefault(name, []).append(v)
        if on_batch is not None:
            on_batch(len(idx))
    return RunResult(
        scenario=scenario,
        engine=engine,
        seed=seed,
        replications=indices,
        values={k: np.concatenate(v) for k, v in values.items()},
        period_sums=period_sums,
        series={k: np.concatenate(v) for k, v in series.items()} if keep_series else None,
        headcount=dict(heads),
        wall_time=time.perf_counter() - start,
    )


def trace(scenario: Scenario | str | os.PathLike, until: float | None = None, seed: int = 0, replication: int = 0) -> pd.DataFrame:
    """The reference engine's narrated event log of one replication, as a DataFrame."""
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    from .reference import simulate

    out = simulate(effective_scenario(scenario), allocate(scenario), seed, [replication], trace=True, until=until)
    return pd.DataFrame(out.trace, columns=["time", "event", "item", "segment", "department", "service", "text"])
