"""What a run gives back: per-replication metrics and per-period series of one scenario variant, as DataFrames."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.special import ndtri

from orgsim import metrics, profiles
from orgsim.scenario.schema import Scenario
from orgsim.studies.drift import Drift, diagnose

SUMMARY_COLUMNS = ["mean", "ci_low", "ci_high", "std", "n", "ci_method", "ci_reliable"]  # what metrics.aggregate gives


@dataclass
class UnitRuns:
    """The units of a chain of branches: each unit's drawn parameters, seed and run (``orgsim.studies.units``)."""

    params: list[dict[str, float]]  # per unit: field path -> drawn value
    seeds: list[int]  # per unit: the seed of its replications
    runs: list[RunResult]  # per unit: its replications
    correlate: tuple[tuple[str, str], ...] = ()  # metric pairs whose correlation across units is reported

    def frame(self) -> pd.DataFrame:
        """One row per unit and metric: unit, seed, each drawn parameter, metric, mean, CI, std, n."""
        rows = []
        for u, (params, seed, run) in enumerate(zip(self.params, self.seeds, self.runs)):
            for name, v in run.values.items():
                rows.append({"unit": u, "seed": seed, **params, "metric": name, **metrics.aggregate(v, name)})
        return pd.DataFrame(rows)

    def means(self) -> dict[str, np.ndarray]:
        """Metric -> each unit's mean over its replications (NaN where a unit never defines it)."""
        names = list(self.runs[0].values)
        return {name: np.array([metrics.aggregate(r.values[name], name)["mean"] for r in self.runs]) for name in names}

    def correlations(self) -> pd.DataFrame:
        """Per pair in ``correlate``: Pearson's r across units' means, its 95 % CI by Fisher's z, and n units."""
        means = self.means()
        rows = []
        for a, b in self.correlate:
            x, y = means[a], means[b]
            ok = np.isfinite(x) & np.isfinite(y)
            rows.append({"metric_a": a, "metric_b": b, **fisher_interval(x[ok], y[ok])})
        return pd.DataFrame(rows, columns=["metric_a", "metric_b", "r", "ci_low", "ci_high", "n"])

    def to_json(self) -> dict:
        """The `units` section of `orgsim run --format json`."""
        return {
            "count": len(self.runs),
            "replications_per_unit": int(len(self.runs[0].replications)),
            "units": [{"unit": u, "seed": seed, "params": params,
                       "metrics": {name: _brief(v, name) for name, v in run.values.items()}}
                      for u, (params, seed, run) in enumerate(zip(self.params, self.seeds, self.runs))],
            "correlations": [metrics.json_safe(row) for row in self.correlations().to_dict(orient="records")],
        }


def _brief(values: np.ndarray, name: str) -> dict:
    """Mean, 95 % CI and n of one metric (JSON-safe)."""
    stats = metrics.aggregate(values, name)
    return metrics.json_safe({k: stats[k] for k in ("mean", "ci_low", "ci_high", "n")})


def fisher_interval(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> dict:
    """Pearson's r of paired values with a confidence interval from Fisher's z = atanh(r), se 1/sqrt(n - 3)."""
    n = int(x.size)
    nan = float("nan")
    if n < 3 or np.std(x) == 0 or np.std(y) == 0:
        return {"r": nan, "ci_low": nan, "ci_high": nan, "n": n}
    r = float(np.corrcoef(x, y)[0, 1])
    if n < 4:
        return {"r": r, "ci_low": nan, "ci_high": nan, "n": n}
    half = float(ndtri(0.5 + confidence / 2)) / np.sqrt(n - 3)
    z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
    return {"r": r, "ci_low": float(np.tanh(z - half)), "ci_high": float(np.tanh(z + half)), "n": n}


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
    profiles: dict[str, np.ndarray] | None = None  # hour-of-week metric -> (replications, 168), when kept
    unit_runs: UnitRuns | None = None  # a scenario with `units`: each unit's run (then `values` are unit means)

    def units(self) -> pd.DataFrame:
        """A scenario with ``units``: one row per unit and metric (unit, seed, drawn parameters, metric, mean, CI)."""
        if self.unit_runs is None:
            raise ValueError("this run has no units: give the scenario a `units:` block")
        return self.unit_runs.frame()

    def summary(self) -> pd.DataFrame:
        """One row per metric: mean, ci_low, ci_high (95 %, within the metric's range), std, n, ci_method, ci_reliable."""
        rows = [{"metric": name, **metrics.aggregate(v, name)} for name, v in self.values.items()]
        return pd.DataFrame(rows, columns=["metric", *SUMMARY_COLUMNS])

    def replications_frame(self) -> pd.DataFrame:
        """Wide table: one row per replication (per unit, for a scenario with units), one column per metric."""
        df = pd.DataFrame(self.values)
        df.insert(0, "replication" if self.unit_runs is None else "unit", self.replications)
        return df

    def profile(self) -> pd.DataFrame:
        """Hour-of-week profile: per hour of the week (0 = Monday 00:00) and metric, the mean over replications
        with its 95 % interval (``orgsim.profiles``).  Needs ``profile: true`` in the scenario."""
        if self.profiles is None:
            raise ValueError("this run kept no hour-of-week profile: set `profile: true` in the scenario")
        return profiles.summarise(self.profiles)

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
        """Per period and metric: mean over replications with a 95 % interval within the metric's range."""
        rows = []
        for name, sums in self.period_sums.items():
            mean, low, high = metrics.period_interval(sums, name)
            n, method = sums[0], metrics.ci_method(*metrics.bounds(name))
            for p in range(len(n)):
                rows.append({"period": p, "metric": name, "mean": mean[p], "ci_low": low[p], "ci_high": high[p],
                             "n": int(n[p]), "ci_method": method, "ci_reliable": bool(n[p] >= metrics.MIN_RELIABLE)})
        return pd.DataFrame(rows)

    @cached_property
    def drift(self) -> dict[str, Drift] | None:
        """Per metric with a per-period series: MSER-5's warm-up and the drift test after the warm-up
        (``orgsim.studies.drift``); None when the per-replication series were not kept."""
        if self.series is None:
            return None
        sc = self.scenario
        return diagnose(self.series, list(self.values), sc.period, sc.warmup, sc.horizon)

    def warnings(self) -> list[str]:
        """One line per metric that still moves after the warm-up."""
        return [w for d in (self.drift or {}).values() if (w := d.warning(self.scenario.time_unit))]

    def to_json(self) -> dict:
        """The `orgsim run --format json` object."""
        drift = self.drift or {}
        return {
            "scenario": self.scenario.name,
            "engine": self.engine,
            "replications": int(len(self.replications if self.unit_runs is None else self.unit_runs.runs[0].replications)),
            "seed": int(self.seed),
            "metrics": {
                name: {**metrics.json_safe(metrics.aggregate(v, name)), "drift": drift[name].to_json() if name in drift else None}
                for name, v in self.values.items()
            },
            "warnings": self.warnings(),
            **({"profile": profiles.records(self.profile())} if self.profiles is not None else {}),
            **({"units": self.unit_runs.to_json()} if self.unit_runs is not None else {}),
        }


def concat(results: list[RunResult]) -> RunResult:
    """Runs of consecutive replication ranges of one variant, as one result."""
    if len(results) == 1:
        return results[0]
    first = results[0]
    values = {k: np.concatenate([r.values[k] for r in results]) for k in first.values}
    sums = {k: sum(r.period_sums[k] for r in results) for k in first.period_sums}
    series = None
    if all(r.series is not None for r in results):
        series = {k: np.concatenate([r.series[k] for r in results]) for k in first.series}
    hourly = None
    if first.profiles is not None:
        hourly = {k: np.concatenate([r.profiles[k] for r in results]) for k in first.profiles}
    return RunResult(
        scenario=first.scenario,
        engine=first.engine,
        seed=first.seed,
        replications=np.concatenate([r.replications for r in results]),
        values=values,
        period_sums=sums,
        series=series,
        headcount=first.headcount,
        wall_time=sum(r.wall_time for r in results),
        policy=first.policy,
        profiles=hourly,
    )
