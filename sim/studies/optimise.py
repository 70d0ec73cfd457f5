"""Search whole-head allocations under a budget by simulation with common random numbers.

Greedy marginal allocation first: start every department at the least
headcount that keeps it stable, then give each remaining head to the
department where it improves the objective most.  Waiting time in an
M/M/c queue is convex and non-increasing in servers, so for a pure Jackson
network with a waiting objective this is optimal (Dyer & Proll 1977;
Weber 1980).  A local search then moves one head at a time between
departments while that improves the objective, for objectives (NPS, churn)
where convexity is not guaranteed.  Every candidate is simulated on the
same replications and seed, so comparisons between candidates are paired.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orgsim import metrics
from orgsim.errors import OptionError
from orgsim.policies import head_budget, least_stable
from orgsim.scenario.checks import suggest
from orgsim.scenario.schema import Scenario
from orgsim.scenario.traffic import solve
from orgsim.studies.simulate import Variant, simulate


@dataclass
class Optimum:
    """The best allocation found, its objective with a CI, and the search path."""

    objective: str
    allocation: dict[str, int]
    mean: float
    ci_low: float
    ci_high: float
    ci_method: str  # how the interval was made (metrics.interval)
    ci_reliable: bool  # from at least metrics.MIN_RELIABLE replications
    path: list[dict] = field(default_factory=list)
    evaluations: int = 0

    def to_json(self) -> dict:
        return {
            "objective": self.objective,
            "allocation": self.allocation,
            "mean": self.mean,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ci_method": self.ci_method,
            "ci_reliable": self.ci_reliable,
        }


def optimise(
    scenario: Scenario,
    budget: int | None = None,
    objective: str | None = None,
    min_per_department: int | None = None,
    replications: int = 40,
    final_replications: int = 200,
    seed: int = 0,
    engine: str = "numba",
    max_moves: int = 50,
    backend=None,
) -> Optimum:
    """Best whole-head allocation of a budget for an objective, searched by simulation.

    Parameters
    ----------
    scenario : Scenario
        The organisation to staff.
    budget : int, optional
        Heads to allocate; default: the policy budget less what is invested.
    objective : str, optional
        The metric to improve, in its direction (``orgsim.metrics.direction``); default:
        ``policy.objective`` (``external.nps``).
    min_per_department : int, optional
        Least heads any department gets; default: ``policy.min_per_department``.
    replications, final_replications : int
        Replications per candidate during the search, and fresh ones for the winner's estimate.
    seed : int
        Seed of the search (the final estimate uses ``seed + 1``).
    engine : {"numba", "simpy"}
    max_moves : int
        Most one-head moves of the local search.
    backend : {"local", "dask"} or backend object, optional

    Returns
    -------
    Optimum
        The allocation, its objective's mean and 95 % CI, and the search path.
    """
    objective = objective or scenario.policy.objective
    budget = budget if budget is not None else head_budget(scenario)
    floor = scenario.policy.min_per_department if min_per_department is None else min_per_department
    sign = metrics.direction(objective)
    if sign == 0:
        raise OptionError("objective", f"{objective} has no better direction; choose e.g. external.nps or external.wait_mean")
    load = solve(scenario).load
    depts = list(scenario.departments)
    start = {d: least_stable(load[d], floor) for d in depts}
    if sum(start.values()) > budget:
        raise OptionError(
            "budget", f"{budget} is too small to keep every department stable; it needs at least "
            f"{sum(start.values())} ({', '.join(f'{d} {n}' for d, n in start.items())})"
        )
    cache: dict[tuple, np.ndarray] = {}

    def values(alloc: dict[str, int]) -> np.ndarray:
        key = tuple(alloc[d] for d in depts)
        if key not in cache:
            (res,) = simulate([Variant("candidate", scenario, alloc)], engine, replications, seed, backend=backend)
            if objective not in res.values:
                raise OptionError("objective", f"{objective} is not a metric of this scenario{suggest(objective, res.values)}")
            cache[key] = res.values[objective]
        return cache[key]

    def score(alloc) -> float:
        v = values(alloc)
        return sign * float(np.nanmean(v))

    current = dict(start)
    path = [{"step": "start: least stable headcount", "allocation": dict(current), "mean": sign * score(current)}]
    while sum(current.values()) < budget:
        best_d, best_s = None, -np.inf
        for d in depts:
            trial = {**current, d: current[d] + 1}
            s = score(trial)
            if s > best_s:
                best_d, best_s = d, s
        current[best_d] += 1
        path.append({"step": f"add a head to {best_d}", "allocation": dict(current), "mean": sign * best_s})
    for _ in range(max_moves):
        here = score(current)
        best_move, best_s = None, here
        for a in depts:
            if current[a] - 1 < start[a]:
                continue
            for b in depts:
                if a == b:
                    continue
                trial = {**current, a: current[a] - 1, b: current[b] + 1}
                s = score(trial)
                if s > best_s + 1e-12:
                    best_move, best_s = (a, b), s
        if best_move is None:
            break
        a, b = best_move
        current = {**current, a: current[a] - 1, b: current[b] + 1}
        path.append({"step": f"move a head from {a} to {b}", "allocation": dict(current), "mean": sign * best_s})
    (final,) = simulate([Variant("optimised", scenario, current)], engine, final_replications, seed + 1, backend=backend)
    agg = metrics.aggregate(final.values[objective], objective)
    return Optimum(objective, current, agg["mean"], agg["ci_low"], agg["ci_high"], agg["ci_method"], agg["ci_reliable"],
                   path, len(cache))
