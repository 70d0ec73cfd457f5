"""Allocation rules per shift: the budget spread over (department, shift) slots from an hour-of-week requirement.

When some department works by a calendar or in shifts, a head is only on duty while its shift is open, so
a department's long-run load alone cannot say how many heads it needs, nor in which shift.  Here each
load-based rule (``orgsim.policies``) is applied period by period instead, the stationary independent
period-by-period rule (SIPP; Green, Kolesar & Whitt 2007): the week is cut where any rate table or
calendar changes, each piece is treated as a steady state with its own arrival rates (the traffic
equations are linear in them), the rule turns its offered load into a requirement, and each department
gets the fewest heads per shift whose on-duty sum covers the requirement (``cover``, an exact search).
The rule's parameter is then raised as far as the budget allows and any heads left go, one at a time,
where the load per head on duty is highest.  The README's Model section ("Policies") states it exactly.

Pure arithmetic on the validated scenario, in the scenario layer so that ``orgsim validate`` finds a
budget these rules cannot meet.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from orgsim.errors import BudgetError
from orgsim.scenario import calendar
from orgsim.scenario.schema import Scenario
from orgsim.scenario.traffic import arrival_rate, solve

WEEK = 7 * 1440  # minutes
MAX_SEARCH = 200_000  # combinations the exact covering search may try per department
EPS = 1e-9


@dataclass(frozen=True)
class Week:
    """The week cut into pieces on which every rate and every calendar is constant.

    ``length[i]`` is piece i's share of the week; ``load[d][i]`` department d's offered load in piece i (SIPP:
    the traffic equations at that piece's arrival rates); ``slots[d]`` the names of d's slots (its shifts, its
    calendar, or ``None`` around the clock) and ``open[d]`` a (slots x pieces) 0/1 array: whether each is open.
    """

    length: np.ndarray
    load: dict[str, np.ndarray]
    slots: dict[str, list[str | None]]
    open: dict[str, np.ndarray]
    long_run: dict[str, float]

    def duty(self, dept: str) -> np.ndarray:
        """Each slot's share of the week on duty."""
        return self.open[dept] @ self.length


def _values(table: dict[str, float], cuts: np.ndarray) -> np.ndarray:
    """A table of weekly windows read on each piece [cuts[i], cuts[i+1]) of the week (0 outside its windows)."""
    out = np.zeros(len(cuts) - 1)
    for text, value in table.items():
        w = calendar.parse_window(text)
        for day in w.days:
            inside = (cuts[:-1] >= day * 1440 + w.start) & (cuts[:-1] < day * 1440 + w.end)
            out[inside] = float(value)
    return out


def _tables(scenario: Scenario) -> list[dict[str, float]]:
    """Every table that can change during the week: varying rates and the calendars departments work by."""
    tables = [seg.arrivals.per_order_rate for seg in scenario.segments.values() if seg.arrivals.varies]
    for d in scenario.departments:
        pairs = scenario.shift_list(d)
        tables += [{w: 1.0 for w in windows} for windows, _ in pairs or []]
    return tables


def week(scenario: Scenario) -> Week:
    """SIPP offered loads and slot openings of every department over the scenario's week (holidays left out,
    seasonality by its average over the horizon, as the traffic equations take the long-run rate)."""
    cuts = {0.0, float(WEEK)} | {float(k * 1440) for k in range(7)}
    for table in _tables(scenario):
        for text in table:
            w = calendar.parse_window(text)
            cuts |= {float(day * 1440 + m) for day in w.days for m in (w.start, w.end)}
    cuts = np.array(sorted(cuts))
    length = np.diff(cuts) / WEEK
    pieces = len(length)
    load = {d: np.zeros(pieces) for d in scenario.departments}
    names = list(scenario.segments)
    for name, seg in scenario.segments.items():
        per_unit = solve(scenario, {s: float(s == name) for s in names}).load
        rate = arrival_rate(seg, scenario)
        shape = np.ones(pieces)
        if seg.arrivals.varies:
            table = seg.arrivals.per_order_rate
            mean = calendar.weekly_mean(table)
            shape = _values(table, cuts) / mean if mean > 0 else np.zeros(pieces)
        for d in load:
            load[d] += rate * shape * per_unit[d]
    slots, opened = {}, {}
    for d, spec in scenario.departments.items():
        pairs = scenario.shift_list(d)
        if pairs is None:
            slots[d], opened[d] = [None], np.ones((1, pieces))
        else:
            slots[d] = [s.calendar for s in spec.shifts] if spec.shifts is not None else [spec.calendar]
            opened[d] = np.array([(_values({w: 1.0 for w in windows}, cuts) > 0).astype(float) for windows, _ in pairs])
    return Week(length, load, slots, opened, solve(scenario).load)


def carried(wk: Week, dept: str) -> np.ndarray:
    """The department's load on the pieces it is open, with the work offered while it is closed spread evenly
    over its open time (that work waits for the opening); 0 where it is closed."""
    is_open = wk.open[dept].max(axis=0) > 0
    a = wk.load[dept]
    open_time = float(wk.length[is_open].sum())
    if open_time == 0:
        return np.zeros_like(a)
    closed_work = float((a * wk.length)[~is_open].sum())
    return np.where(is_open, a + closed_work / open_time, 0.0)


def cover(requirement, opened, duty, load: float = 0.0, floor: int = 0) -> tuple[int, ...]:
    """The fewest heads per slot whose on-duty sum covers *requirement* wherever some slot is open.

    Subject also to stability (the week's average on duty, ``duty @ heads``, above the long-run *load* when it
    is positive) and *floor* heads in all.  Among plans with the fewest heads: the least employee time on duty,
    then the most heads in earlier slots.  Exact: every plan of the other slots up to the most any one of
    them can need is tried, and the last slot gets the least that completes it.
    """
    req = np.ceil(np.asarray(requirement, dtype=float) - EPS)
    opened = np.asarray(opened, dtype=float)
    duty = np.asarray(duty, dtype=float)
    k = len(duty)
    need = lambda x: max(floor, least_on_duty(load, x))
    bounds = [int(max(need(duty[j]), req[opened[j] > 0].max(initial=0))) for j in range(k)]
    if math.prod(b + 1 for b in bounds[:-1]) > MAX_SEARCH:
        raise BudgetError(f"{k} shifts in one department are too many to staff exactly (at most {MAX_SEARCH:,} "
                          "plans are searched); write their heads and use `fixed`")
    best, best_key = None, None
    for head in itertools.product(*[range(b + 1) for b in bounds[:-1]]):
        on = opened[:-1].T @ np.array(head, dtype=float) if k > 1 else np.zeros(opened.shape[1])
        gap = req - on
        if np.any((gap > 0) & (opened[-1] == 0)):
            continue
        last = max(0.0, gap[opened[-1] > 0].max(initial=0), floor - sum(head))
        rest = load - float(duty[:-1] @ np.array(head, dtype=float)) if k > 1 else load
        if load > 0 and rest >= 0:
            if duty[-1] == 0:
                continue
            last = max(last, math.floor(rest / duty[-1] + EPS) + 1)
        plan = (*head, int(last))
        key = (sum(plan), float(duty @ np.array(plan, dtype=float)), tuple(-h for h in plan))
        if best_key is None or key < best_key:
            best, best_key = plan, key
    if best is None:
        raise BudgetError("no plan of heads per shift covers the load: some load falls while no shift is open")
    return tuple(int(h) for h in best)


def least_on_duty(load: float, duty: float) -> int:
    """Fewest heads of one slot on duty *duty* of the week that keep a long-run *load* stable."""
    if load <= 0:
        return 0
    return math.inf if duty <= 0 else math.floor(load / duty + EPS) + 1


def base_load(wk: Week, dept: str) -> np.ndarray:
    """The load a rule staffs on each piece: ``carried`` for a department on a calendar or in shifts; around the
    clock its long-run load on every piece (its heads stay through the week's peaks and troughs)."""
    if wk.slots[dept] == [None]:
        return np.full(len(wk.length), wk.long_run[dept])
    return carried(wk, dept)


def _requirement(rule: str, wk: Week, dept: str, front: set[str], theta: float, target: float) -> np.ndarray:
    """The rule's requirement on every piece of the week, at its parameter *theta* (see ``allocate_slots``)."""
    a = base_load(wk, dept)
    if rule == "sqrt_staffing":
        return a + theta * np.sqrt(a)
    if rule == "utilisation_target":
        return a / target
    if rule == "front_line_first" and front and dept not in front:
        return np.zeros_like(a)  # the back office: only what keeps it stable
    return theta * a  # proportional_load, and the front line under front_line_first


def _plan(rule: str, wk: Week, front: set[str], theta: float, target: float, floor: int) -> dict[str, tuple[int, ...]]:
    return {d: cover(_requirement(rule, wk, d, front, theta, target), wk.open[d], wk.duty(d), wk.long_run[d], floor)
            for d in wk.load}


def least_plan(scenario: Scenario, floor: int | None = None, wk: Week | None = None) -> dict[str, tuple[int, ...]]:
    """Per department the fewest heads per slot that keep it stable with *floor* heads in all (default: the policy's;
    no requirement; among equals the least time on duty): where the optimiser starts, what any budget must cover."""
    wk = wk or week(scenario)
    floor = scenario.policy.min_per_department if floor is None else floor
    return {d: cover(np.zeros(len(wk.length)), wk.open[d], wk.duty(d), wk.long_run[d], floor) for d in wk.load}


def _total(plan: dict[str, tuple[int, ...]]) -> int:
    return sum(sum(x) for x in plan.values())


def allocate_slots(scenario: Scenario, budget: int) -> dict[str, tuple[int, ...]]:
    """Heads per slot (a department's shifts in order; one slot for a calendar or around the clock) under the
    scenario's load-based allocation rule, spending the whole *budget* (``BudgetError`` if it cannot)."""
    policy = scenario.policy
    rule, floor, target = policy.allocation, policy.min_per_department, policy.target_utilisation
    wk = week(scenario)
    front = set(scenario.front_office())
    # the least parameter: the requirement is 0 everywhere and only stability and the floor remain (a negative
    # beta lets square-root staffing fall below the load at the peaks when the budget cannot cover them)
    least = -math.sqrt(max(float(base_load(wk, d).max(initial=0)) for d in wk.load)) if rule == "sqrt_staffing" else 0.0
    lo = 0.0 if rule == "utilisation_target" else least
    plan = _plan(rule, wk, front, lo, target, floor)
    if _total(plan) > budget:
        what = f"hold every department at utilisation {target:g}" if rule == "utilisation_target" else \
            "keep every department stable"
        raise BudgetError(f"{rule}: a budget of {budget} cannot {what}; that needs at least {_total(plan)} "
                          f"({', '.join(f'{d} {sum(x)}' for d, x in plan.items())})")
    if rule != "utilisation_target":
        hi = max(1.0, lo + 1.0)
        while _total(_plan(rule, wk, front, hi, target, floor)) <= budget and hi < 1e6:
            lo, hi = hi, hi * 2
        for _ in range(50):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _total(_plan(rule, wk, front, mid, target, floor)) <= budget else (lo, mid)
        plan = _plan(rule, wk, front, lo, target, floor)
    return _spend_rest(wk, {d: list(x) for d, x in plan.items()}, budget)


def _spend_rest(wk: Week, plan: dict[str, list[int]], budget: int) -> dict[str, tuple[int, ...]]:
    """Heads the rule's parameter leaves go one at a time to the slot whose open time holds the highest load per
    head on duty (a department around the clock: its long-run load per head); ties to the first slot."""
    for _ in range(budget - _total(plan)):
        best, best_value = None, -1.0
        for d, heads in plan.items():
            if wk.slots[d] == [None]:
                per_head = [wk.long_run[d] / heads[0] if heads[0] else math.inf]
            else:
                on = wk.open[d].T @ np.array(heads, dtype=float)
                a = base_load(wk, d)
                ratio = np.where(on > 0, a / np.where(on > 0, on, 1.0), np.where(a > 0, math.inf, 0.0))
                per_head = [float(ratio[wk.open[d][k] > 0].max(initial=0)) for k in range(len(heads))]
            for k, value in enumerate(per_head):
                if value > best_value:
                    best, best_value = (d, k), value
        plan[best[0]][best[1]] += 1
    return {d: tuple(x) for d, x in plan.items()}
