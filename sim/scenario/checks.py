"""Checks that span fields: references, acyclic needs, routing sums, time settings, stability.

The reference checks read the raw mapping defensively, so they run even when
the structural validation found problems elsewhere: a user with three typos
gets three messages in one run.  The stability check needs a valid scenario.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

import numpy as np

from orgsim.scenario import calendar, shifts
from orgsim.scenario.calendar import MAX_DAYS, UNIT_MINUTES
from orgsim.scenario.schema import Scenario
from orgsim.scenario.traffic import solve

Problem = tuple[tuple, str]  # (field path, message)


MAX_PERIODS = 100_000  # per-period sums are kept for every period: bounded so one replication always fits
MAX_PROFILE_HOURS = 2_000_000  # profiles split counted time at every hour: the tick list is bounded so it always fits


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    """A raw number as a float, or None (booleans, non-numbers, ints too large for a float)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def suggest(word: str, choices) -> str:
    """' did you mean `x`?' for the nearest valid name, or ''."""
    names = [str(c) for c in choices if str(c).isprintable() and not any(ch.isspace() for ch in str(c))]
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def listing(names, limit: int = 12) -> str:
    """Names for a message: the first *limit*, each cut to 40 characters, and how many in all; 'none' if empty."""
    names = [str(n) if len(str(n)) <= 40 else str(n)[:37] + "..." for n in names]
    more = f", ... ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more if names else "none"


def reference_problems(raw: dict) -> list[Problem]:
    """Every dangling reference, cyclic need, bad routing and bad time setting in a raw scenario mapping."""
    problems: list[Problem] = []
    departments = _mapping(raw.get("departments"))
    suppliers = _mapping(raw.get("suppliers"))
    services = {
        f"{d}.{s}"
        for d, dept in departments.items()
        for s in _mapping(_mapping(dept).get("services"))
    }
    clash = set(departments) & set(suppliers)
    for name in sorted(clash, key=str):
        problems.append((("suppliers", name), f"`{name}` is already a department; suppliers need their own names"))

    def check_service(path: tuple, ref: Any) -> None:
        if isinstance(ref, str) and ref.count(".") == 1 and ref not in services:
            dept, _ = ref.split(".")
            if dept not in departments:
                problems.append((path, f"unknown department `{dept}` in `{ref}`{suggest(dept, departments)}"))
            else:
                own = _mapping(_mapping(departments[dept]).get("services"))
                problems.append((path, f"unknown service `{ref}`{suggest(ref, services)} (services of `{dept}`: "
                                       f"{listing(own)})"))

    for dname, dept in departments.items():
        for sname, svc in _mapping(_mapping(dept).get("services")).items():
            needs = _mapping(svc).get("needs")
            for k, need in enumerate(needs if isinstance(needs, list) else []):
                need = _mapping(need)
                base = ("departments", dname, "services", sname, "needs", k)
                if "service" in need:
                    check_service(base + ("service",), need["service"])
                    if need["service"] == f"{dname}.{sname}":
                        problems.append((base + ("service",), "a service cannot need itself"))
                if "supplier" in need and isinstance(need["supplier"], str) and need["supplier"] not in suppliers:
                    problems.append(
                        (base + ("supplier",), f"unknown supplier `{need['supplier']}`{suggest(need['supplier'], suppliers)}")
                    )
    for sup, spec in suppliers.items():
        if "paid_by" in _mapping(spec):
            check_service(("suppliers", sup, "paid_by"), _mapping(spec)["paid_by"])
    recovery = _mapping(_mapping(raw.get("policy")).get("recovery"))
    if "service" in recovery:
        check_service(("policy", "recovery", "service"), recovery["service"])

    for seg, spec in _mapping(raw.get("segments")).items():
        journey = _mapping(spec).get("journey")
        if not isinstance(journey, list):
            continue
        names = [s if isinstance(s, str) else _mapping(s).get("service") for s in journey]
        first: dict = {}  # each name's first step and how often it appears: one pass, so a long journey checks in linear time
        seen: dict = {}
        for k, name in enumerate(names):
            if isinstance(name, str):
                first.setdefault(name, k)
                seen[name] = seen.get(name, 0) + 1
        for k, step in enumerate(journey):
            path = ("segments", seg, "journey", k)
            name = names[k]
            check_service(path if isinstance(step, str) else path + ("service",), name)
            if isinstance(name, str) and seen[name] > 1 and first[name] == k:
                problems.append((path, f"`{name}` appears twice in the journey; use `next` to revisit a step"))
            nxt = _mapping(step).get("next") if isinstance(step, dict) else None
            if isinstance(nxt, dict):
                total = 0.0
                for target, p in nxt.items():
                    if not isinstance(target, str) or target not in first:
                        problems.append(
                            (path + ("next", target),
                             f"`{target}` is not a step of this journey{suggest(target, [n for n in names if isinstance(n, str)])}")
                        )
                    if _number(p) is not None:
                        total += _number(p)
                if total > 1.0 + 1e-9:
                    problems.append((path + ("next",), f"probabilities sum to {total:g}; they must sum to at most 1"))

    problems.extend(_cycle_problems(departments, suppliers))
    problems.extend(_roster_problems(raw, departments))

    horizon, warmup, period = (
        _number(raw.get(key, default)) for key, default in (("horizon", 2000.0), ("warmup", 0.0), ("period", 40.0))
    )
    problems.extend(_time_problems(raw, horizon))
    problems.extend(_labour_problems(raw, departments))
    if None not in (horizon, warmup) and warmup >= horizon:
        problems.append((("warmup",), f"must be < horizon ({horizon:g}) (got {warmup:g})"))
    if None not in (horizon, period) and period > horizon:
        problems.append((("period",), f"must be <= horizon ({horizon:g}) (got {period:g})"))
    return problems


def _labour_problems(raw: dict, departments: dict) -> list[Problem]:
    """A labour rate per department names departments, every one of them."""
    labour = _mapping(raw.get("costs")).get("labour")
    if not isinstance(labour, dict):
        return []
    problems: list[Problem] = [
        (("costs", "labour", name), f"unknown department `{name}`{suggest(str(name), departments)}")
        for name in labour if name not in departments
    ]
    missing = [d for d in departments if d not in labour]
    if missing:
        problems.append((("costs", "labour"), f"no rate for {listing(missing)}: name every department, "
                                              "or give one number for all"))
    return problems


def _roster_problems(raw: dict, departments: dict) -> list[Problem]:
    """Calendars a department, shift or supplier names must exist; working time needs a calendar time unit."""
    problems: list[Problem] = []
    calendars = _mapping(raw.get("calendars"))
    unit = raw.get("time_unit", "hour")
    named = []  # (path, calendar name) of every department, shift and supplier that names one
    for dname, dept in departments.items():
        dept = _mapping(dept)
        mine = [(("departments", dname, "calendar"), dept.get("calendar"))] if "calendar" in dept else []
        shifts = dept.get("shifts")
        if isinstance(shifts, list):
            mine += [(("departments", dname, "shifts", k, "calendar"), _mapping(s).get("calendar"))
                     for k, s in enumerate(shifts)]
        named += mine
    for uname, sup in _mapping(raw.get("suppliers")).items():
        if "calendar" in _mapping(sup):
            named.append((("suppliers", uname, "calendar"), _mapping(sup).get("calendar")))
    for path, name in named:
        if isinstance(name, str) and name not in calendars:
            problems.append((path, f"unknown calendar `{name}`{suggest(name, calendars)} (calendars: "
                                   f"{listing(calendars) if calendars else 'none; define them under `calendars:`'})"))
        elif unit not in UNIT_MINUTES:
            problems.append((path, f"a calendar needs `time_unit` minute, hour or day (got `{unit}`)"))
    return problems


def _time_problems(raw: dict, horizon: float | None) -> list[Problem]:
    """Rate tables and seasonality need a calendar time unit; dates (months, holidays) need the clock."""
    problems: list[Problem] = []
    unit = raw.get("time_unit", "hour")
    clock = "clock" in raw
    varies = False
    for seg, spec in _mapping(raw.get("segments")).items():
        arrivals = _mapping(_mapping(spec).get("arrivals"))
        base = ("segments", seg, "arrivals")
        for key in ("rate", "rate_per_customer", "seasonality"):
            if not isinstance(arrivals.get(key), dict):
                continue
            varies = True
            what = "seasonality" if key == "seasonality" else "a rate table"
            if unit not in UNIT_MINUTES:
                problems.append((base + (key,), f"{what} needs `time_unit` minute, hour or day (got `{unit}`)"))
            if key == "seasonality" and not clock:
                problems.append((base + (key,), 'needs `clock: {start: "YYYY-MM-DD HH:MM"}` to know the month'))
    if raw.get("profile") is True:
        if unit not in UNIT_MINUTES:
            problems.append((("profile",), f"hour-of-week profiles need `time_unit` minute, hour or day (got `{unit}`)"))
        elif horizon is not None and horizon * UNIT_MINUTES[unit] / 60 > MAX_PROFILE_HOURS:
            problems.append((("profile",), f"profiles split the horizon at every hour: at most {MAX_PROFILE_HOURS:,} "
                                           f"hours (got {horizon * UNIT_MINUTES[unit] / 60:.3g})"))
    if raw.get("holidays") and not clock:
        problems.append((("holidays",), 'need `clock: {start: "YYYY-MM-DD HH:MM"}` to know the date of each day'))
    problems += _change_problems(raw)
    if varies and unit in UNIT_MINUTES and horizon is not None and horizon * UNIT_MINUTES[unit] / 1440 > MAX_DAYS:
        problems.append((("horizon",), f"a time-varying rate is laid out day by day: at most {MAX_DAYS:,} days "
                                       f"(got {horizon * UNIT_MINUTES[unit] / 1440:.3g})"))
    return problems


def _change_problems(raw: dict) -> list[Problem]:
    """Dated changes need the clock, a date after its start day, and (for arrivals) a rate table to change."""
    problems: list[Problem] = []
    dated = [(("calendars", name), _mapping(spec)) for name, spec in _mapping(raw.get("calendars")).items()]
    for seg, spec in _mapping(raw.get("segments")).items():
        arrivals = _mapping(_mapping(spec).get("arrivals"))
        key = "rate_per_customer" if "population" in arrivals else "rate"
        if arrivals.get("changes") and not isinstance(arrivals.get(key), dict):
            problems.append((("segments", seg, "arrivals", "changes"), f"dated changes replace a rate table: `{key}` "
                             "must be a table of windows, e.g. {\"mon-fri 09:00-17:00\": 2.0}"))
        dated.append((("segments", seg, "arrivals"), arrivals))
    start = _mapping(raw.get("clock")).get("start")
    for path, spec in dated:
        changes = spec.get("changes")
        if not changes or not isinstance(changes, list | tuple):
            continue
        if start is None:
            problems.append((path + ("changes",), 'dated changes need `clock: {start: "YYYY-MM-DD HH:MM"}` to know '
                                                  "the date of each day"))
            continue
        for k, change in enumerate(changes):
            since = _mapping(change).get("from")
            try:
                first, day = calendar.parse_start(str(start)).date(), calendar.parse_date(str(since))
            except ValueError:
                continue  # the schema names the malformed date or clock
            if day <= first:
                problems.append((path + ("changes", k, "from"), f"`{since}` is not after the clock's start day "
                                 f"({first.isoformat()}): a change holds from a later day; the hours from the start "
                                 "are the first ones written"))
    return problems


def size_problems(scenario: Scenario) -> list[Problem]:
    """A replication too large to hold: per-period sums are kept for every period, so their count is bounded."""
    if scenario.horizon / scenario.period <= MAX_PERIODS + 1e-9:  # n_periods() without its int(): a denormal period gives inf
        return []
    return [(("period",), f"horizon / period gives {scenario.horizon / scenario.period:.3g} reporting periods; at "
                          f"most {MAX_PERIODS:,} per replication are kept: lengthen `period` to at least "
                          f"{scenario.horizon / MAX_PERIODS:.3g}")]


def _cycle_problems(departments: dict, suppliers: dict) -> list[Problem]:
    """Needs (and the invoices that supplier needs raise) must form an acyclic graph."""
    edges: dict[str, list[str]] = {}
    for dname, dept in departments.items():
        for sname, svc in _mapping(_mapping(dept).get("services")).items():
            out = []
            needs = _mapping(svc).get("needs")
            for need in needs if isinstance(needs, list) else []:
                need = _mapping(need)
                if isinstance(need.get("service"), str):
                    out.append(need["service"])
                sup = need.get("supplier")
                if isinstance(sup, str) and isinstance(_mapping(suppliers.get(sup)).get("paid_by"), str):
                    out.append(suppliers[sup]["paid_by"])
            edges[f"{dname}.{sname}"] = out
    for cycle in _cycles(edges):
        first = cycle[0].split(".")
        path = ("departments", first[0], "services", first[1], "needs")
        problems = " -> ".join(cycle + [cycle[0]])
        return [(path, f"needs form a cycle: {problems}; internal requests must be acyclic")]
    return []


def _cycles(edges: dict[str, list[str]]) -> Iterator[list[str]]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str):
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                yield stack[stack.index(nxt):]
            elif nxt in edges and state.get(nxt) is None:
                yield from visit(nxt)
        stack.pop()
        state[node] = 2

    for node in edges:
        if state.get(node) is None:
            yield from visit(node)


def endless_problems(scenario: Scenario) -> list[Problem]:
    """Work that never ends, so the traffic equations have no solution: refused even with allow_unstable."""
    problems: list[Problem] = []
    for ref in scenario.service_refs():
        svc = scenario.service(ref)
        if svc.defect_rate * svc.detection >= 1.0:
            dept, name = ref.split(".")
            problems.append(
                (
                    ("departments", dept, "services", name, "defect_rate"),
                    "every service is defective and every defect is caught, so the work is redone forever; "
                    "lower defect_rate or detection",
                )
            )
    for seg, spec in scenario.segments.items():
        steps = [s.service for s in spec.journey]
        where = {}
        for k, ref in enumerate(steps):
            where.setdefault(ref, k)
        n = len(steps)
        succ, can_end = [], set()  # steps reachable in one move; steps that complete with probability > 0
        for k, step in enumerate(spec.journey):
            if step.next is None:
                succ.append([k + 1] if k + 1 < n else [])
                if k + 1 == n:
                    can_end.add(k)
            else:
                succ.append([where[t] for t, p in step.next.items() if p > 0])
                if sum(step.next.values()) < 1.0:
                    can_end.add(k)
        pred: list[list[int]] = [[] for _ in range(n)]  # can_end spreads backwards along moves: linear in steps + moves
        for k, targets in enumerate(succ):
            for j in targets:
                pred[j].append(k)
        todo = list(can_end)
        while todo:
            for k in pred[todo.pop()]:
                if k not in can_end:
                    can_end.add(k)
                    todo.append(k)
        reached, todo = {0}, [0]
        while todo:
            for j in succ[todo.pop()]:
                if j not in reached:
                    reached.add(j)
                    todo.append(j)
        trapped = sorted(reached - can_end)
        if trapped:
            problems.append(
                (
                    ("segments", seg, "journey", trapped[0]),
                    f"an item reaching `{steps[trapped[0]]}` can never complete the journey (`next` loops with "
                    "probability 1); leave some probability to complete",
                )
            )
    return problems


def stability_problems(scenario: Scenario) -> list[Problem]:
    """Departments that work which cannot leave overloads (unless allow_unstable); endless work and replications
    too large to hold are refused even with allow_unstable.

    Orders with patience abandon a long queue, so a department they overload still has a steady state (Erlang A)
    and runs; internal work and orders without patience never leave, so their offered utilisation (internal work
    counted as if no order abandoned) must stay below 1.
    """
    endless = size_problems(scenario) + endless_problems(scenario) + closed_supplier_problems(scenario)
    if endless or scenario.allow_unstable:
        return endless
    traffic = solve(scenario)
    problems = closed_problems(scenario, traffic)
    if problems:
        return problems
    headcount = {d: scenario.capacity(d) for d in scenario.departments}
    for d, u in traffic.utilisation(headcount, captive=True).items():
        if not u < 1.0:  # nan or inf loads (overflowing rates) are unstable too
            load = traffic.captive[d]
            raise_to = f"raise headcount to at least {int(load) + 1}, " if load < 100_000 else ""  # the headcount limit
            if scenario.departments[d].rostered:
                raise_to = "staff more hours, "
            problems.append(
                (
                    ("departments", d, "headcount"),
                    f"unstable: offered load {load:.3g} employees on {_heads_text(scenario, d, headcount[d])} "
                    f"(utilisation {u:.3g} >= 1) from work that cannot leave (internal requests, orders without "
                    f"patience); {raise_to}lower the demand, or set allow_unstable: true",
                )
            )
    return problems


def _heads_text(scenario: Scenario, d: str, heads: float) -> str:
    if scenario.departments[d].rostered:
        return f"{heads:.3g} heads on duty on average over the week"
    return f"headcount {heads:g}"


def closed_problems(scenario: Scenario, traffic) -> list[Problem]:
    """A department with work to do whose calendar (or every shift's) is never open over the horizon."""
    problems = []
    for d, spec in scenario.departments.items():
        if not spec.rostered or not traffic.load.get(d, 0.0) > 0.0:
            continue
        if scenario.staff_schedule(d).open_time() == 0.0:
            field = ("calendar",) if spec.calendar is not None else ("shifts",)
            problems.append((("departments", d) + field, "has work to do but nobody is ever on duty over the "
                                                          "horizon: open its calendar, or staff a shift"))
    return problems


def closed_supplier_problems(scenario: Scenario) -> list[Problem]:
    """A supplier whose calendar is never open over the horizon: its lead time would never run (refused even with
    allow_unstable, like other endless work)."""
    problems = []
    for u in scenario.suppliers:
        clock = scenario.supplier_clock(u)
        if clock is not None and clock.cumulative[-1] == 0.0:
            problems.append((("suppliers", u, "calendar"), "is never open over the horizon: no delivery would "
                                                            "ever come; name a calendar that opens"))
    return problems


def peak_warnings(scenario: Scenario) -> list[Problem]:
    """Windows of a rate table whose rate alone offers some department more work than its headcount can do.

    Stability is judged on the long-run (weekly average) load; a window above capacity only builds a queue
    while it lasts, which is worth knowing but no reason to refuse the scenario.
    """
    warnings: list[Problem] = []
    for name, seg in scenario.segments.items():
        table = seg.arrivals.per_order_rate
        if not isinstance(table, dict):
            continue
        per_unit = solve(scenario, {s: float(s == name) for s in scenario.segments}).load
        scale = getattr(seg.arrivals, "population", 1) * max((seg.arrivals.seasonality or {}).values(), default=1.0)
        key = "rate_per_customer" if hasattr(seg.arrivals, "population") else "rate"
        for window, rate in table.items():
            for d, unit_load in per_unit.items():
                load, heads = rate * scale * unit_load, _heads_in(scenario, d, window)
                if load > heads:
                    on = "on duty on average" if scenario.departments[d].rostered else "on headcount"
                    warnings.append((("segments", name, "arrivals", key, window),
                                     f"this window alone offers `{d}` a load of {load:.3g} employees {on} "
                                     f"{heads:.3g}: its queue grows while the window lasts"))
    return warnings


def _heads_in(scenario: Scenario, d: str, window: str) -> float:
    """The heads department d has on duty during a weekly *window*, on average (its headcount if it never closes)."""
    pairs = scenario.shift_list(d)
    if pairs is None:
        return scenario.departments[d].headcount
    mpu = UNIT_MINUTES[scenario.time_unit]
    week = shifts.schedule(pairs, scenario.time_unit, 7 * 1440 / mpu)  # from a Monday 00:00, no holidays
    w = calendar.parse_window(window)
    ends = np.append(week.breaks[1:], week.horizon)
    area = 0.0
    for day in w.days:
        a, b = (day * 1440 + w.start) / mpu, (day * 1440 + w.end) / mpu
        area += float(np.sum(np.clip(np.minimum(ends, b) - np.maximum(week.breaks, a), 0.0, None) * week.heads))
    return area / (len(w.days) * (w.end - w.start) / mpu)
