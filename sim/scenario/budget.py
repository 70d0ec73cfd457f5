"""Budget arithmetic of the rule-based allocation policies: pure, so validation can run it without simulating.

The policies are described in ``orgsim.policies`` (which re-exports these functions); they live here, in the
scenario layer, because a budget a policy cannot meet is a scenario problem that ``orgsim validate`` must find
and the scenario layer may not import the layers above it.  ``budget_problems`` is that check.
"""

from __future__ import annotations

import math

from orgsim.errors import BudgetError
from orgsim.scenario.schema import Scenario
from orgsim.scenario.shift_rules import allocate_slots, least_plan
from orgsim.scenario.traffic import solve


def budget_of(scenario: Scenario) -> int:
    """The policy budget, or the scenario's total headcount plus investments when none is given."""
    b = scenario.policy.budget
    if b is not None:
        return b
    return sum(d.headcount for d in scenario.departments.values()) + scenario.policy.investments.total


def head_budget(scenario: Scenario) -> int:
    """What is left of the budget for heads once investments are paid."""
    return budget_of(scenario) - scenario.policy.investments.total


def least_stable(load: float, minimum: int) -> int:
    """Fewest heads with load / heads < 1 (and at least *minimum*)."""
    return max(minimum, math.floor(load) + 1 if load > 0 else 0)


def _spread(extra: int, weights: dict[str, float], base: dict[str, int]) -> dict[str, int]:
    """Add *extra* heads to *base* in proportion to *weights* (largest remainder)."""
    total = sum(weights.values())
    out = dict(base)
    if extra <= 0 or total <= 0:
        if extra > 0 and out:
            # nothing to weigh by: give the heads round-robin in department order
            names = list(out)
            for k in range(extra):
                out[names[k % len(names)]] += 1
        return out
    shares = {d: extra * w / total for d, w in weights.items()}
    for d, s in shares.items():
        out[d] += int(math.floor(s))
    left = extra - sum(int(math.floor(s)) for s in shares.values())
    for d in sorted(shares, key=lambda d: (shares[d] - math.floor(shares[d]), weights[d]), reverse=True)[:left]:
        out[d] += 1
    return out


def _check(scenario: Scenario, heads: dict[str, int], load: dict[str, float], budget: int, name: str) -> dict[str, int]:
    need = {d: least_stable(load[d], scenario.policy.min_per_department) for d in load}
    if sum(need.values()) > budget:
        raise BudgetError(
            f"{name}: a budget of {budget} cannot keep every department stable; "
            f"that needs at least {sum(need.values())} ({', '.join(f'{d} {n}' for d, n in need.items())})"
        )
    unstable = [d for d in heads if load[d] >= heads[d] and load[d] > 0]
    if unstable:
        raise BudgetError(
            f"{name}: with a budget of {budget} its allocation leaves "
            f"{', '.join(f'{d} (load {load[d]:.2f} on {heads[d]})' for d in unstable)} "
            "unstable within the budget"
        )
    assert sum(heads.values()) <= budget
    return heads


def allocate(scenario: Scenario, loads: dict[str, float] | None = None) -> dict[str, int]:
    """Headcount per department under the scenario's allocation policy and budget."""
    policy = scenario.policy
    name = policy.allocation
    if name == "fixed":
        return _fixed(scenario)
    if name == "optimised":
        raise ValueError("the optimised allocation is searched by simulation: use orgsim.studies.allocation.headcount")
    budget = head_budget(scenario)
    if rostered(scenario):
        return {d: sum(x) for d, x in allocate_slots(scenario, budget).items()}
    load = loads if loads is not None else solve(scenario).load
    floor = policy.min_per_department
    if name == "front_line_first":
        front = set(scenario.front_office())
        base = {d: least_stable(load[d], floor) for d in load}
        extra = budget - sum(base.values())
        heads = _spread(extra, {d: (load[d] if d in front else 0.0) for d in load}, base) if front else _spread(extra, load, base)
    elif name == "proportional_load":
        base = {d: floor for d in load}
        heads = _spread(budget - floor * len(load), load, base)
    elif name == "sqrt_staffing":
        heads = _sqrt_staffing(load, budget, floor)
    elif name == "utilisation_target":
        heads = {d: max(floor, math.ceil(load[d] / policy.target_utilisation - 1e-12)) for d in load}
        heads = {d: h + (1 if load[d] >= h and load[d] > 0 else 0) for d, h in heads.items()}
        if sum(heads.values()) > budget:
            raise BudgetError(
                f"utilisation_target: a budget of {budget} cannot hold every department at utilisation "
                f"{policy.target_utilisation:g}; that needs {sum(heads.values())}"
            )
        for _ in range(max(0, budget - sum(heads.values()))):
            busiest = max(heads, key=lambda d: load[d] / heads[d] if heads[d] else math.inf)
            heads[busiest] += 1
    else:  # pragma: no cover - the schema admits only the names above
        raise BudgetError(f"unknown allocation policy {name!r}")
    return _check(scenario, heads, load, budget, name)


def rostered(scenario: Scenario) -> bool:
    """Whether some department works by a calendar or in shifts (then the rules allocate per shift)."""
    return any(dept.rostered for dept in scenario.departments.values())


def shift_heads(scenario: Scenario) -> dict[str, tuple[int, ...]]:
    """Heads per shift of every department in shifts under the scenario's rule (not ``optimised``): the load-based
    rules' per-shift plan (``shift_rules``); ``fixed`` spreads a department's share of a larger budget over its
    shifts in proportion to their written heads (largest remainder), as it does over departments."""
    in_shifts = {d: dept for d, dept in scenario.departments.items() if dept.shifts is not None}
    if scenario.policy.allocation != "fixed":
        slots = allocate_slots(scenario, head_budget(scenario))
        return {d: slots[d] for d in in_shifts}
    heads = _fixed(scenario)
    out = {}
    for d, dept in in_shifts.items():
        written = {str(k): s.headcount for k, s in enumerate(dept.shifts)}
        spread = _spread(heads[d] - dept.headcount, {k: float(h) for k, h in written.items()}, written)
        out[d] = tuple(spread[str(k)] for k in range(len(dept.shifts)))
    return out


def _fixed(scenario: Scenario) -> dict[str, int]:
    """The written headcount; a budget beyond it is spread in proportion to it (the same shape, every head spent).

    So every rule in a comparison spends the same budget and differences come from where heads go, not how
    many: an across-the-board increase is what a firm that keeps its shape does with a larger budget.
    """
    heads = {d: dept.headcount for d, dept in scenario.departments.items()}
    policy = scenario.policy
    if policy.budget is None:
        return heads
    surplus = head_budget(scenario) - sum(heads.values())
    if surplus < 0:
        raise BudgetError(
            f"fixed: {sum(heads.values())} heads plus {policy.investments.total} invested exceed the budget {policy.budget}"
        )
    return _spread(surplus, {d: float(h) for d, h in heads.items()}, heads)


def _sqrt_staffing(load: dict[str, float], budget: int, floor: int) -> dict[str, int]:
    """load + beta sqrt(load), rounded, with the largest common beta that fits the budget."""

    def heads_for(beta: float) -> dict[str, int]:
        return {d: max(floor, least_stable(x, 0), math.floor(x + beta * math.sqrt(x))) for d, x in load.items()}

    lo, hi = 0.0, 1.0
    while sum(heads_for(hi).values()) <= budget and hi < 1e6:
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sum(heads_for(mid).values()) <= budget else (lo, mid)
    heads = heads_for(lo)
    # whatever the rounding left goes to the departments closest to their next head
    target = {d: x + hi * math.sqrt(x) for d, x in load.items()}
    for d in sorted(load, key=lambda d: target[d] - heads[d], reverse=True)[: max(0, budget - sum(heads.values()))]:
        heads[d] += 1
    return heads


def investment_problem(scenario: Scenario) -> str | None:
    """Why the investments cannot be paid from the budget, or None."""
    inv = scenario.policy.investments
    budget = budget_of(scenario)
    if inv.total > budget:
        return f"investments cost {inv.total} heads but the budget is {budget}"
    return None


def budget_problems(scenario: Scenario) -> list[tuple[tuple, str]]:
    """The budget problem of a valid, solvable scenario under its allocation policy, found without simulating.

    Rule-based policies are run (they are pure arithmetic); ``optimised`` is searched by simulation, so only
    its precondition is checked: the budget must cover the least stable headcount of every department.
    """
    where = ("policy", "budget")
    problem = investment_problem(scenario)
    if problem:
        return [(where, problem)]
    try:
        if scenario.policy.allocation == "optimised":
            if rostered(scenario):
                need = {d: sum(x) for d, x in least_plan(scenario).items()}
            else:
                load = solve(scenario).load
                need = {d: least_stable(load[d], scenario.policy.min_per_department) for d in load}
            budget = head_budget(scenario)
            if sum(need.values()) > budget:
                return [(where, f"optimised: a budget of {budget} cannot keep every department stable; "
                                f"that needs at least {sum(need.values())} ({', '.join(f'{d} {n}' for d, n in need.items())})")]
            return []
        allocate(scenario)
    except BudgetError as exc:
        return [(where, str(exc))]
    return []
