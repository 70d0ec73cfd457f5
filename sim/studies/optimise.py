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

With departments in shifts the unit a head is given to or moved between is a shift, not a
department (``orgsim.studies.slots``): the early shift's heads are not the late shift's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orgsim import metrics
from orgsim.errors import OptionError
from orgsim.policies import head_budget
from orgsim.scenario.checks import suggest
from orgsim.scenario.schema import Scenario
from orgsim.studies.ceiling import mean_cost, money, require_prices, within
from orgsim.studies.estimate import choose_engine
from orgsim.studies.results import RunResult
from orgsim.studies.simulate import Variant, simulate
from orgsim.studies.slots import Slots


@dataclass
class Optimum:
    """The best allocation found, its objective with a CI, the search path and what it takes to search again.

    ``summary()`` gives every metric of the winner on its fresh replications (``final``), as
    ``RunResult.summary()`` does; ``path_frame()`` the search, one step a row.
    """

    objective: str
    allocation: dict[str, int]
    mean: float
    ci_low: float
    ci_high: float
    ci_method: str  # how the interval was made (metrics.interval)
    ci_reliable: bool  # from at least metrics.MIN_RELIABLE replications
    path: list[dict] = field(default_factory=list)
    evaluations: int = 0
    final: RunResult | None = None
    settings: dict = field(default_factory=dict)  # budget, floor, replications, seeds, engine, max_moves
    shifts: dict[str, dict[str, int]] = field(default_factory=dict)  # heads per shift of departments in shifts
    scenario: Scenario | None = None  # what the winner runs: its heads per shift written in

    def summary(self) -> pd.DataFrame:
        """One row per metric of the best allocation, on its fresh replications: mean, ci_low, ci_high, std, n."""
        return self.final.summary()

    def path_frame(self) -> pd.DataFrame:
        """The search: one row per step, its objective mean and the heads of every department (of every shift,
        as ``department.calendar``, for a department in shifts)."""
        return pd.DataFrame([{"step": p["step"], self.objective: p["mean"], **_per_slot(p)} for p in self.path])

    def to_json(self) -> dict:
        """The `orgsim optimise --format json` object: the winner, its CI, the path and what reruns the search."""
        out = {
            "objective": self.objective,
            "allocation": self.allocation,
            **({"shifts": self.shifts} if self.shifts else {}),
            "mean": self.mean,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ci_method": self.ci_method,
            "ci_reliable": self.ci_reliable,
            "evaluations": self.evaluations,
            **self.settings,
            "path": [metrics.json_safe(step) for step in self.path],
        }
        if self.final is not None:
            out["n"] = int(len(self.final.replications))
            out["scenario"] = self.final.scenario.name
            out["scenario_definition"] = self.final.scenario.model_dump(mode="json")
        return metrics.json_safe(out)


def _per_slot(step: dict) -> dict[str, int]:
    """A path step's heads: per department, a department in shifts split into its shifts."""
    shifts = step.get("shifts", {})
    out: dict[str, int] = {}
    for d, h in step["allocation"].items():
        out.update({f"{d}.{k}": n for k, n in shifts[d].items()} if d in shifts else {d: h})
    return out


def optimise(
    scenario: Scenario,
    budget: int | None = None,
    objective: str | None = None,
    min_per_department: int | None = None,
    replications: int = 40,
    final_replications: int = 200,
    seed: int = 0,
    engine: str = "auto",
    max_moves: int = 50,
    backend=None,
    on_batch=None,
    on_plan=None,
    cost_ceiling: float | None = None,
) -> Optimum:
    """Best whole-head allocation of a budget for an objective, searched by simulation.

    Parameters
    ----------
    scenario : Scenario
        The organisation to staff.
    budget : int, optional
        Heads to allocate; default: the policy budget less what is invested.  With departments in shifts,
        heads go to shifts (``department.calendar``), and ``Optimum.shifts`` holds their split.
    objective : str, optional
        The metric to improve, in its direction (``orgsim.metrics.direction``); default:
        ``policy.objective`` (``external.nps``).
    min_per_department : int, optional
        Least heads any department gets; default: ``policy.min_per_department``.
    replications, final_replications : int
        Replications per candidate during the search, and fresh ones for the winner's estimate.
    seed : int
        Seed of the search (the final estimate uses ``seed + 1``).
    engine : {"auto", "simpy", "numba"}
        ``auto`` chooses once for the whole search, by its expected size (``choose_engine``).
    max_moves : int
        Most one-head moves of the local search.
    backend : {"local", "dask"} or backend object, optional
    on_batch, on_plan : callable, optional
        Progress: ``on_batch(n)`` after each batch of *n* replications; ``on_plan(total, what)`` when a
        phase starts: ``(None, "searching")`` (its size is not known in advance), then
        ``(final_replications, "final estimate")``.
    cost_ceiling : float, optional
        Most the firm may pay (mean ``firm.cost`` of a candidate, from the scenario's ``costs``): heads
        are added only while a plan stays within it, so the budget becomes an upper bound, and moves
        only go to plans within it.

    Returns
    -------
    Optimum
        The allocation, its objective's mean and 95 % CI, the search path (``path_frame()``), every
        metric of the winner on fresh replications (``summary()``) and the settings that rerun it.
    """
    objective = objective or scenario.policy.objective
    budget = budget if budget is not None else head_budget(scenario)
    floor = scenario.policy.min_per_department if min_per_department is None else min_per_department
    sign = metrics.direction(objective)
    if sign == 0:
        raise OptionError("objective", f"{objective} has no better direction; choose e.g. external.nps or external.wait_mean")
    slots = Slots(scenario, floor)
    units = slots.names
    start = slots.start()
    if sum(start.values()) > budget:
        raise OptionError(
            "budget", f"{budget} is too small to keep every department stable; it needs at least "
            f"{sum(start.values())} ({', '.join(f'{d} {n}' for d, n in start.items())})"
        )
    expected = (budget - sum(start.values()) + len(units)) * len(units)  # greedy candidates and one round of moves
    engine = choose_engine(engine, [scenario], expected * replications + final_replications)
    require_prices(scenario, cost_ceiling)
    cache: dict[tuple, dict[str, np.ndarray]] = {}
    if on_plan is not None:
        on_plan(None, "searching")

    def values(alloc: dict[str, int]) -> dict[str, np.ndarray]:
        key = tuple(alloc[u] for u in units)
        if key not in cache:
            (res,) = simulate([Variant("candidate", slots.staffed(alloc), slots.headcount(alloc))], engine, replications,
                              seed, backend=backend, on_batch=on_batch)
            if objective not in res.values:
                raise OptionError("objective", f"{objective} is not a metric of this scenario{suggest(objective, res.values)}")
            cache[key] = res.values
        return cache[key]

    def score(alloc) -> float:
        """The objective in its better direction; -inf for a plan that costs more than the ceiling."""
        v = values(alloc)
        if not within(v, cost_ceiling):
            return -np.inf
        return sign * float(np.nanmean(v[objective]))

    def step(what: str, alloc: dict[str, int], mean: float) -> dict:
        out = {"step": what, "allocation": slots.headcount(alloc), "mean": mean}
        return {**out, "shifts": slots.shifts(alloc)} if slots.shifted else out

    current = dict(start)
    if score(current) == -np.inf:
        raise OptionError("cost_ceiling", f"{money(cost_ceiling)} is below what the least stable headcount costs "
                                          f"({mean_cost(values(current)):,.0f})")
    path = [step("start: least stable headcount", current, sign * score(current))]
    while sum(current.values()) < budget:
        best_d, best_s = None, -np.inf
        for d in units:
            trial = {**current, d: current[d] + 1}
            s = score(trial)
            if s > best_s:
                best_d, best_s = d, s
        if best_d is None:
            path.append(step(f"stop: cost ceiling {money(cost_ceiling)} reached", current, sign * score(current)))
            break
        current[best_d] += 1
        path.append(step(f"add a head to {best_d}", current, sign * best_s))
    for _ in range(max_moves):
        here = score(current)
        best_move, best_s = None, here
        for i, a in enumerate(units):
            if current[a] == 0 or not slots.stable({**current, a: current[a] - 1}, slots.dept[i]):
                continue
            for b in units:
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
        path.append(step(f"move a head from {a} to {b}", current, sign * best_s))
    if on_plan is not None:
        on_plan(final_replications, "final estimate")
    staffed = slots.staffed(current)
    (final,) = simulate([Variant("optimised", staffed, slots.headcount(current))], engine, final_replications, seed + 1,
                        backend=backend, on_batch=on_batch)
    agg = metrics.aggregate(final.values[objective], objective)
    settings = {"budget": budget, "min_per_department": floor, "replications": replications,
                "final_replications": final_replications, "seed": seed, "final_seed": seed + 1, "engine": engine,
                "max_moves": max_moves, "cost_ceiling": cost_ceiling}
    return Optimum(objective, slots.headcount(current), agg["mean"], agg["ci_low"], agg["ci_high"], agg["ci_method"],
                   agg["ci_reliable"], path, len(cache), final, settings, slots.shifts(current), staffed)
