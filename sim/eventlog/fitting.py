"""Learn a scenario from an event log: departments, calendars, arrivals, journey, service times, expectation.

``fit_log`` returns a ``FittedModel``: the scenario as a plain mapping (what ``orgsim.load`` reads)
and, beside it, where each number came from (counts, fit statistics), for the commented YAML and
the report.  Times are in hours, on the log's local wall clock; t = 0 is midnight of the first
arrival's day.  The rules are in the docstrings of ``hours`` and ``discovery`` and in the README.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orgsim.errors import EventLogError
from orgsim.eventlog import busy, discovery, hours, visits, volumes, wait_classes, wait_periods
from orgsim.eventlog import variants as variant_rule
from orgsim.eventlog.families import Fit, fit_all
from orgsim.eventlog.reading import EventLog
from orgsim.scenario.calendar import DAYS

UNLIMITED_HEADS = 1000  # a delay department: so many heads that no order ever queues for one
PERIOD = 168.0
MIN_WAIT = 1.0 / 60.0  # a wait under a minute between work and the next enabling is bookkeeping, not a delay


@dataclass
class ServiceFit:
    """Where a service's time came from: its activity, the events, observed means and every family's fit."""

    activity: str
    events: int
    wall_mean: float
    working_mean: float
    fits: list[Fit]


@dataclass
class FittedModel:
    """The fitted scenario (a plain mapping) and, by path, the facts behind its numbers."""

    scenario: dict
    source: str
    events: int
    cases: int
    departments: dict = field(default_factory=dict)
    services: dict = field(default_factory=dict)
    segments: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)


def _round(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}") if x else 0.0


def case_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Per case: arrival (first enabled, else first start), end (last end) and cycle time in hours."""
    first = frame["enabled"].fillna(frame["start"])
    cases = pd.DataFrame({"case": frame["case"], "arrival": first, "end": frame["end"]}).groupby("case", sort=False)
    out = cases.agg(arrival=("arrival", "min"), end=("end", "max"))
    out["cycle"] = (out["end"] - out["arrival"]).dt.total_seconds() / 3600.0
    return out


def _hours_in(span: tuple[pd.Timestamp, pd.Timestamp], closed: set) -> pd.Series:
    """The hours [from, to) of *span*, each by its start, holidays left out."""
    grid = pd.Series(pd.date_range(span[0], span[1], freq="h", inclusive="left"))
    return grid[~grid.dt.date.astype(str).isin(closed)]


def _hour_rates(arrivals: pd.Series, span: tuple[pd.Timestamp, pd.Timestamp], closed: set) -> np.ndarray:
    """Arrivals per hour in each hour of the week: count / non-holiday occurrences of that hour in *span* [from, to)."""
    arrivals = arrivals[(arrivals >= span[0]) & (arrivals < span[1])]
    exposure = np.bincount(hours.hour_of_week(_hours_in(span, closed)), minlength=hours.HOURS)
    counts = np.bincount(hours.hour_of_week(arrivals), minlength=hours.HOURS)
    return np.divide(counts, exposure, out=np.zeros(hours.HOURS), where=exposure > 0)


def _table(rates: np.ndarray, factor: float = 1.0) -> dict[str, float]:
    """A rate table of the hours of the week with arrivals, each rate times *factor* (a level of ``volumes``)."""
    table = {}
    for how in np.flatnonzero(rates):
        d, h = divmod(int(how), 24)
        table[f"{DAYS[d]} {h:02d}:00-{h + 1:02d}:00"] = _round(rates[how] * factor)
    return table


def _arrivals(times: pd.Series, origin: pd.Timestamp, horizon: float, closed: set, change) -> tuple[dict, dict]:
    """A segment's arrivals: its rate table over the span (one table for each side when the hours change), times
    each monthly level when its volume changes (``volumes``); and the facts behind the levels, by date."""
    end = origin + pd.Timedelta(hours=math.ceil(horizon))
    day = None if change is None else pd.Timestamp(change.day)
    rates = [_hour_rates(times, (origin, end), closed)]
    if day is not None:
        sides = [_hour_rates(times, (origin, day), closed), _hour_rates(times, (day, end), closed)]
        rates, day = (sides, day) if sides[0].any() and sides[1].any() else (rates, None)
    grid = _hours_in((origin, end), closed)
    side = (grid >= day).to_numpy(dtype=int) if day is not None else np.zeros(len(grid), dtype=int)
    expected_hour = np.choose(side, [r[hours.hour_of_week(grid)] for r in rates])
    months = grid.dt.to_period("M")
    expected = pd.Series(expected_hour, index=months.to_numpy()).groupby(level=0).sum()
    inside = times[(times >= origin) & (times < end)]
    counts = inside.dt.to_period("M").value_counts().reindex(expected.index).fillna(0).astype(int)
    test = volumes.monthly_levels(counts.to_numpy(), expected.to_numpy())
    constant = len(test.levels) == 1
    starts = {origin: test.levels[0]} | {expected.index[lv.first].start_time: lv for lv in test.levels[1:]}
    dates = sorted(set(starts) | ({day} if day is not None else set()))
    pieces, level = [], test.levels[0]
    for date in dates:
        level = starts.get(date, level)
        which = 1 if day is not None and date >= day else 0
        pieces.append((date, _table(rates[which], 1.0 if constant else level.factor)))
    out = {"rate": pieces[0][1]}
    if len(pieces) > 1:
        out["changes"] = [{"from": date.date().isoformat(), "rate": table} for date, table in pieces[1:]]
    facts = {"test": test, "months": [str(m) for m in expected.index], "counts": counts.tolist(), "levels": starts,
             "hours_change": day}
    return out, facts


def _period_arrivals(times, origin, horizon, closed, change, window) -> tuple[dict, dict]:
    """A period's arrivals (``wait_periods``): ``_arrivals`` fitted on its own cases over its dates [from, to), and a rate
    of 0 in the same hours before and after them, as dated changes; the facts carry the dates."""
    end = origin + pd.Timedelta(hours=math.ceil(horizon))
    start, stop = window
    out, facts = _arrivals(times, start, (stop - start).total_seconds() / 3600.0, closed, change)
    zero = dict.fromkeys(out["rate"], 0.0)
    changes = out.get("changes", [])
    if start > origin:
        out, changes = {"rate": zero}, [{"from": start.date().isoformat(), "rate": out["rate"]}, *changes]
    if stop < end:
        changes.append({"from": stop.date().isoformat(), "rate": zero})
    if changes:
        out["changes"] = changes
    return out, facts | {"window": (start if start > origin else None, stop if stop < end else None)}


def _probabilities(counter: Counter, total: int, ref) -> dict[str, float]:
    """Shares of *total*, rounded down to 4 decimals so they never sum past 1."""
    return {ref(k): math.floor(v / total * 1e4) / 1e4 for k, v in sorted(counter.items(), key=lambda kv: -kv[1]) if v}


def _next(moves: Counter, visits: int, ref, waits: dict) -> dict[str, float]:
    """A step's routing; a move into an activity with its own wait goes through the wait step for that share."""
    out = {}
    for b, q in _probabilities(moves, visits, str).items():
        wait, p = waits.get(b, (None, 0.0))
        for target, share in ((wait, q * p), (ref(b), q * (1.0 - p))):
            if target is not None and math.floor(share * 1e4):
                out[target] = math.floor(share * 1e4) / 1e4
    return out


def _journey(first: str, flow: discovery.Flow, ref, waits: dict | None = None) -> list[dict]:
    """The steps reachable from *first*, first step first, each with its routing from the directly-follows counts;
    *waits* ({activity: (wait service, share)}) adds a step before that activity that a share of moves into it take."""
    waits = waits or {}
    order, todo = [], [first]
    while todo:
        a = todo.pop(0)
        if a in order:
            continue
        order.append(a)
        todo += [b for b, _ in flow.moves[a].most_common()]
    steps = [{"service": ref(a), "next": _next(flow.moves[a], flow.visits[a], ref, waits)} for a in order]
    used = {t for step in steps for t in step["next"]}
    return steps + [{"service": w, "next": {ref(b): 1.0}} for b, (w, _) in waits.items() if w in used]


def _acyclic_needs(needs: dict) -> dict:
    """Needs with self-needs and cycle-closing needs left out (the scenario's needs graph must be acyclic)."""
    kept: dict = {}
    for join in sorted(needs):
        for act in needs[join]:
            stack, seen = [act], set()
            while stack:
                x = stack.pop()
                seen.add(x)
                stack += [y for y in kept.get(x, ()) if y not in seen]
            if act != join and join not in seen:
                kept.setdefault(join, {})[act] = needs[join][act]
    return kept


def _calendars(frame, depts, origin) -> tuple[dict, list[str], hours.Change | None]:
    """Each non-delay department's calendar (from its events: windows, or dated hours when the firm's hours
    change), the log's holidays and the change (None: the hours hold throughout)."""
    queued = frame[frame["activity"].isin([a for d in depts.values() if not d.unlimited for a in d.activities])]
    change = hours.change_day(pd.concat([queued["start"], queued["end"]]))
    open_by, calendars = {}, {}
    for name, dept in depts.items():
        if not dept.unlimited:
            mine = frame[frame["activity"].isin(dept.activities)]
            instants = pd.concat([mine["start"], mine["end"]])
            flags = hours.open_hours(instants)
            if flags.any() and not flags.all():  # open all week, or never seen open: around the clock, no calendar
                open_by[name] = flags
                calendars[name] = _dated_hours(flags, change)
    open_days = {h // 24 for flags in open_by.values() for h in np.flatnonzero(flags)}
    instants = pd.concat([frame["start"], frame["end"], frame["enabled"]])
    closed = hours.holidays(instants, origin.date(), frame["end"].max().date(), open_days)
    return calendars, closed, change


def _dated_hours(flags: np.ndarray, change):
    """A department's calendar: its open hours' windows, or, when the firm's hours change and that moves some
    of this department's hours, its hours before and a change to its hours after (``Change.sides``)."""
    if change is None:
        return hours.windows(flags)
    before, after = change.sides(flags)
    if not before.any() or not after.any() or (before == after).all():
        return hours.windows(flags)
    return {"hours": hours.windows(before), "changes": [{"from": change.day.isoformat(), "hours": hours.windows(after)}]}


def _earlier_end(frame: pd.DataFrame) -> pd.Series:
    """Per event: the latest end of the events of its case that started before it (NaT for the first)."""
    return frame.groupby("case", sort=False)["end"].transform(lambda s: s.cummax().shift(1))


def _hours_since(times: pd.Series, origin: pd.Timestamp) -> np.ndarray:
    return ((times - origin).dt.total_seconds() / 3600.0).to_numpy()


def _own_change(flags: np.ndarray, change) -> tuple[np.ndarray, tuple | None]:
    """A resource's own hours when the firm's hours change: its hours before and (the day, its hours after), by
    ``Change.sides``; without a change, *flags*, its hours over the whole span, and no change."""
    if change is None:
        return flags, None
    before, after = change.sides(flags)
    return before, (change.day, after)


def _working(frame, depts, owner, closed, origin, days, change=None) -> tuple[np.ndarray, np.ndarray]:
    """Per event: its working time, and the working time it waited that its department's queue does not explain (hours).

    Both are measured on the resource's own open hours (the rule of ``hours``, from that resource's
    events), so a job left at closing time and finished next morning counts only the minutes worked,
    and a night is no wait.  The wait runs from *ready* (the enabled time, else the end of the
    case's earlier work) to the start, less the time in it when every person of the activity's
    department was busy (``busy.AllBusy``): only that part is a queue the scenario reproduces.
    A delay department has neither calendar nor queue: wall-clock work, no wait.
    """
    work, idle = np.zeros(len(frame)), np.zeros(len(frame))
    unlimited = {a for d in depts.values() if d.unlimited for a in d.activities}
    ready = frame["enabled"].fillna(_earlier_end(frame)).fillna(frame["start"]).clip(upper=frame["start"])
    resource = frame["resource"].fillna(frame["activity"])
    queued = np.zeros(len(frame))
    for name, dept in depts.items():
        mine = frame[resource.isin(dept.resources)]
        pool = busy.AllBusy(_hours_since(mine["start"], origin), _hours_since(mine["end"], origin),
                            resource[mine.index].to_numpy(), len(dept.resources))
        rows = np.flatnonzero(frame["activity"].map(owner).eq(name).to_numpy())
        queued[rows] = pool.before(_hours_since(frame["start"].iloc[rows], origin)) - pool.before(
            _hours_since(ready.iloc[rows], origin))
    for _resource, ev in frame.groupby(resource, sort=False):
        rows = frame.index.get_indexer(ev.index)
        if ev["activity"].isin(unlimited).all():
            work[rows] = (ev["end"] - ev["start"]).dt.total_seconds().to_numpy() / 3600.0
            continue
        instants = pd.concat([ev["start"], ev["end"]])
        flags = hours.open_hours(instants)
        first, later = _own_change(flags if flags.any() else ~flags, change)
        clock = hours.WorkingClock(origin, days, first, closed, later)
        at_start = clock.working(ev["start"])
        work[rows] = (clock.working(ev["end"]) - at_start) / 60.0
        idle[rows] = (at_start - clock.working(ready.loc[ev.index])) / 60.0 - queued[rows]
    wall = (frame["end"] - frame["start"]).dt.total_seconds().to_numpy() / 3600.0
    work = np.where((work <= 0) & (wall > 0), wall, work)  # work done wholly outside open hours still took time
    return work, np.maximum(idle, 0.0)


def _services(frame: pd.DataFrame, work: np.ndarray) -> dict:
    """Per activity: the observed means and every family fitted to its events' working times."""
    wall = (frame["end"] - frame["start"]).dt.total_seconds().to_numpy() / 3600.0
    return {act: ServiceFit(act, len(idx), float(wall[idx].mean()), float(work[idx].mean()), fit_all(work[idx]))
            for act, idx in frame.groupby("activity").indices.items()}


def _delays(frame: pd.DataFrame, idle: np.ndarray) -> np.ndarray:
    """Per event: its delay that no queue explains (hours; see ``_waits``)."""
    gap = ((frame["enabled"] - _earlier_end(frame)).dt.total_seconds() / 3600.0).fillna(0.0).clip(lower=0.0).to_numpy()
    return gap + np.maximum(idle, 0.0)


def _waits(frame: pd.DataFrame, delay: np.ndarray) -> dict:
    """Per activity: the positive delays before its events that no queue explains (*delay*, per event).

    A delay is the wait from the end of the case's earlier work to the event's enabling (a timer,
    a reply; only a log with enabled times has it) plus the working time the event then waited
    that its department's queue does not explain (see ``_working``).  A repeat-visit state (``visits``) with
    fewer than ``visits.MIN_WAITS`` positive delays of its own takes its law from all visits of its activity
    (column ``logged``), its share from its own.  Returns {activity: (events, positive delays, the law's sample)}.
    """
    logged = frame["logged"].to_numpy() if "logged" in frame else frame["activity"].to_numpy()
    out = {}
    for act, idx in frame.groupby("activity").indices.items():
        positive = delay[idx][delay[idx] > MIN_WAIT]
        sample = positive
        if len(positive) and act != logged[idx[0]] and len(positive) < visits.MIN_WAITS:
            pooled = delay[logged == logged[idx[0]]]
            sample = pooled[pooled > MIN_WAIT]
        if len(positive):
            out[act] = (len(idx), len(positive), sample)
    return out


def _wait_service(departments, delay, model, labels, act, positive, tag, taken, own=None, toward=None) -> str:
    """Add the `waits` department's service for the delays before *act* (of the *tag* cases), fitted to *positive*
    (*own* of them its own when the law is pooled over an activity's visits; drawn *toward* their mean by that
    factor, ``wait_classes.shrink``); returns its reference."""
    sname = discovery.identifier(f"before {act}" + (f" {tag}" if tag else ""), taken)
    fits = fit_all(positive)
    departments.setdefault(delay, {"headcount": UNLIMITED_HEADS, "services": {}})["services"][sname] = {"time": fits[0].dist}
    label = f"wait before {act}" + (f" ({tag} cases)" if tag else "")
    if own is not None and own != len(positive):
        label += f", {own} own; law from all its visits'"
    if toward is not None and toward < 1:
        label += f"; drawn toward their mean by {toward:.2g} so that its class's totals keep their spread"
    model.services[label] = ServiceFit(label, len(positive), float(positive.mean()), float(positive.mean()), fits)
    labels[f"{delay}.{sname}"] = label
    return f"{delay}.{sname}"


def _starters(frame: pd.DataFrame, needs: dict) -> set:
    """The activities whose waits are needs of their service, the same for every group: those that start a case,
    and parallel work and the activities that join it."""
    return set(frame.groupby("case", sort=False)["activity"].first()) | set(needs) | {a for n in needs.values() for a in n}


def _drawn_in(frame, delay, cases, starters, dependent) -> np.ndarray:
    """Per event, its *delay* (``_delays``), drawn toward its activity's mean in each class of *dependent* (its
    factor, ``wait_classes.shrink``, written into *dependent*); delays before *starters* as they are."""
    late = delay.copy()
    counted = ~frame["activity"].isin(starters).to_numpy()
    for g in dependent:
        rows = frame["case"].map(cases["group"]).eq(g).to_numpy() & counted
        if not rows.any():
            continue
        mine = cases.index[cases["group"] == g]  # a case without counted events has a total of 0, as in the test
        code = pd.Categorical(frame["case"][rows], categories=mine).codes.astype(np.int64)
        act = pd.factorize(frame["activity"][rows])[0]
        dependent[g] = wait_classes.shrink(code, act, late[rows], len(mine), MIN_WAIT)
        late[rows] = wait_classes.shrunk(act, late[rows], MIN_WAIT, dependent[g])
    return late


def _add_waits(frame, delays, cases, starters, departments, model, labels, ref, dependent) -> dict:
    """The *delays* no queue explains (per event), as `waits` services: a need of the activity's service (fires on every visit)
    for one group of cases, and for activities that start a case, are parallel work (no step to route through) or
    join it (the need waits alongside the parallel work, as it always has);
    else, when the cases fall in variant groups (``variants``), a wait step per group.  In a class of cases whose
    waits hang together (*dependent*, ``wait_classes``) the delays are drawn toward their means first.
    Returns {group: {activity: (wait service, share of its events)}}."""
    taken: set[str] = set()
    late = _drawn_in(frame, delays, cases, starters, dependent)
    delay = discovery.identifier("waits", set(departments))
    groups = sorted(set(cases["group"]))
    steps: dict = {g: {} for g in groups}
    for act, (n, k, positive) in sorted(_waits(frame, late).items()):
        if len(groups) == 1 or act in starters:
            wait = _wait_service(departments, delay, model, labels, act, positive, "", taken, k,
                                 None if act in starters else dependent.get(groups[0]))
            dname, svc_name = ref(act).split(".")
            departments[dname]["services"][svc_name].setdefault("needs", []).append(
                {"service": wait, "probability": min(1.0, _round(k / n))})
    if len(groups) == 1:
        return steps
    for g in groups:
        mask = frame["case"].map(cases["group"]).eq(g).to_numpy()
        for act, (n, k, positive) in sorted(_waits(frame[mask], late[mask]).items()):
            if act not in starters:
                steps[g][act] = (_wait_service(departments, delay, model, labels, act, positive, g, taken, k,
                                               dependent.get(g)), min(1.0, _round(k / n)))
    return steps


def _thinned(arrivals: dict, share: float) -> dict:
    """*arrivals* with every rate times *share*: a wait class's part of its group's arrivals (Poisson thinning)."""
    scale = lambda table: {hour: _round(rate * share) for hour, rate in table.items()}
    out = {"rate": scale(arrivals["rate"])}
    if "changes" in arrivals:
        out["changes"] = [{**c, "rate": scale(c["rate"])} for c in arrivals["changes"]]
    return out


def _segments(frame, cases, flow, steps, origin, horizon, closed, change, ref, model, periods) -> dict:
    """One segment per first activity, variant group, period (``wait_periods``) and wait class (``wait_classes``),
    with its own arrivals (Poisson splitting: exact; a period's only over its dates; a class's share of its group's
    table), routing (directly-follows of its cases) and wait steps."""
    segments, taken = {}, set()
    first_of = pd.Series({c: s[0] for c, s in flow.sequence.items()})
    keys = pd.DataFrame({"first": first_of.reindex(cases.index), "group": cases["group"]})
    size = cases["variant"].map(cases["variant"].value_counts())
    pairs = [(first, group, mine) for first, _n in flow.first.most_common()
             for group, mine in sorted(keys[keys["first"] == first].groupby("group"),
                                       key=lambda kv: (-size[kv[1].index[0]], kv[0]))]
    for first, group, mine in pairs:
        own = flow if len(steps) == 1 else discovery.flow(frame[frame["case"].isin(mine.index)])
        base = "cases" if len(flow.first) == 1 else f"from {first}"
        seg = discovery.identifier(f"{base} {group}".strip(), taken, limit=40)
        times = cases.loc[mine.index]
        parent = cases[(cases["parent"] == times["parent"].iloc[0]) & (keys["first"] == first)]
        window = periods.get(times["parent"].iloc[0])  # a class's period is its group's
        arrivals, volume = (_arrivals(parent["arrival"], origin, horizon, set(closed), change) if window is None else
                            _period_arrivals(parent["arrival"], origin, horizon, set(closed), change, window))
        if len(parent) > len(mine):
            arrivals = _thinned(arrivals, len(mine) / len(parent))
        segments[seg] = {"arrivals": arrivals,
                         "journey": _journey(first, own, ref, steps.get(group)),
                         "expectation": max(_round(float(times["cycle"].median())), 0.01)}
        model.segments[seg] = {"first": first, "group": times["variant"].iloc[0], "flow": own, "cases": len(mine),
                               "cycle_median": float(times["cycle"].median()),
                               "cycle_mean": float(times["cycle"].mean()), "cycle_p90": float(times["cycle"].quantile(0.9)),
                               "volume": volume, "parent": times["parent"].iloc[0], "class": group,
                               "share": (len(mine), len(parent)) if len(parent) > len(mine) else None}
    return segments


def _period_group(variant: str, month: str) -> str:
    """A period's group name: its variant group and its first month (``repeated from 2011_02``)."""
    return f"{variant} from {month.replace('-', '_')}".strip()


def _wait_periods(frame, delay, cases, origin, horizon) -> tuple[dict, dict]:
    """Each variant group's periods where its cases' unexplained waits drift with their arrival month
    (``wait_periods``): ``cases["group"]`` becomes ``"<group> from YYYY_MM"`` for each period; returns
    {group: (from, to)} of the periods and {variant group: its test}."""
    wait = pd.Series(delay, index=frame.index).groupby(frame["case"]).sum().reindex(cases.index)
    end = origin + pd.Timedelta(hours=math.ceil(horizon))
    windows, tests = {}, {}
    for variant, mine in cases.groupby("variant"):
        test = wait_periods.periods(mine["arrival"], wait[mine.index])
        tests[variant] = test
        if len(test.starts) == 1:
            continue
        start = wait_periods.period_of(mine["arrival"], test.starts)
        cases.loc[mine.index, "group"] = [_period_group(variant, s) for s in start]
        bounds = [origin, *(pd.Period(s, "M").start_time for s in test.starts[1:]), end]
        for s, a, b in zip(test.starts, bounds, bounds[1:]):
            windows[_period_group(variant, s)] = (a, b)
    return windows, tests


def _wait_classes(frame, delay, cases, starters) -> dict:
    """Each group's test of whether its cases' unexplained waits are independent (``wait_classes``); where they are
    not and its cases fall in several classes, ``cases["group"]`` becomes its class's, ``"<group> waiting <median
    total> h"``; ``cases["parent"]`` keeps the group.  Returns {group: its test}."""
    cases["parent"] = cases["group"]
    counted = ~frame["activity"].isin(starters).to_numpy()
    tests = {}
    for group, mine in cases.groupby("parent"):
        rows = frame["case"].isin(mine.index).to_numpy() & counted
        code = pd.Categorical(frame["case"][rows], categories=mine.index).codes
        totals = pd.Series(np.bincount(code, weights=delay[rows], minlength=len(mine)), index=mine.index)
        tests[group] = test = wait_classes.classify(totals, code, pd.factorize(frame["activity"][rows])[0], delay[rows])
        if len(test.bounds) > 1:
            members = list(totals.groupby(wait_classes.class_of(totals, test.bounds)))
            for digits in (3, 6):  # two classes' medians may agree to 3 digits
                names = [f"{group} waiting {_round(float(m.median()), digits):g} h".strip() for _k, m in members]
                if len(set(names)) == len(names):
                    break
            else:
                names = [f"{group} class {k + 1}".strip() for k in range(len(members))]
            for name, (_k, m) in zip(names, members):
                cases.loc[m.index, "group"] = name
    return tests


def _visit_states(frame, flow, cases, work, services, ids):
    """Repeat visits as states of their own where a segment's loop counts are not geometric (``visits``): the
    frame with each event's state as its activity (the log's name in ``logged``), the flow of states, {state:
    (activity, visit)}, and each segment's test.  A state's time law is its activity's, pooled over all visits,
    unless ``visits.own_law``; its service is ``<activity's service>_visit<k>`` in the same department."""
    first_of = pd.Series({c: s[0] for c, s in flow.sequence.items()}).reindex(cases.index)
    keys = list(zip(first_of, cases["group"]))
    codes = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    labels, by_code, repeat = visits.states(frame, pd.Series([codes[k] for k in keys], index=cases.index))
    tests = {key: by_code.get(i) for key, i in codes.items()}
    if not repeat:
        return frame, flow, repeat, tests
    frame = frame.assign(activity=labels, logged=frame["activity"])
    wall = (frame["end"] - frame["start"]).dt.total_seconds().to_numpy() / 3600.0
    for state, (act, k) in repeat.items():
        own = (labels == state).to_numpy()
        others = (frame["logged"] == act).to_numpy() & ~own
        fits = fit_all(work[own]) if visits.own_law(work[own], work[others]) else services[act].fits
        services[state] = ServiceFit(state, int(own.sum()), float(wall[own].mean()), float(work[own].mean()), fits)
        ids[state] = f"{ids[act]}_visit{k}"
    return frame, discovery.flow(frame), repeat, tests


def fit_log(log: EventLog, name: str | None = None) -> FittedModel:
    """Fit a scenario to *log* (see the module docstring); raises EventLogError when the log cannot give one."""
    frame = log.frame
    if frame["end"].isna().all():
        raise EventLogError(f"{log.path}: no event has an end time")
    cases = case_times(frame)
    origin = cases["arrival"].min().normalize()
    horizon = math.ceil((frame["end"].max() - origin).total_seconds() / 3600.0)
    days = int(math.ceil(horizon / 24.0))
    depts, owner = discovery.departments(frame)
    flow = discovery.flow(frame)
    calendars, closed, change = _calendars(frame, depts, origin)
    work, idle = _working(frame, depts, owner, closed, origin, days, change)
    services = _services(frame, work)
    ids: dict[str, str] = {}
    for dept in depts.values():
        taken: set[str] = set()
        for act in dept.activities:
            ids[act] = f"{dept.name}.{discovery.identifier(act, taken)}"
    variants = variant_rule.loop_groups(frame, cases["cycle"])
    cases["group"] = variants.group if variants else ""
    frame, flow, repeat, tests = _visit_states(frame, flow, cases, work, services, ids)
    cases["variant"] = cases["group"]
    delay = _delays(frame, idle)
    periods, drifts = _wait_periods(frame, delay, cases, origin, horizon)
    starters = _starters(frame, flow.needs)
    classes = _wait_classes(frame, delay, cases, starters)
    ref = ids.__getitem__
    looped = {act for act, _k in repeat.values()}  # their first visits carry the log's name too
    needs = _acyclic_needs(flow.needs)
    model = FittedModel({}, log.path, len(frame), len(cases), departments=depts, services=services)
    departments = {}
    for dname, dept in depts.items():
        svc = {}
        for act in dept.activities + sorted((s for s in repeat if repeat[s][0] in dept.activities),
                                            key=lambda s: repeat[s][::-1]):
            logged = repeat[act][0] if act in repeat else act if act in looped else None
            entry = {"time": services[act].fits[0].dist} | ({"activity": logged} if logged else {})
            if act in needs:
                entry["needs"] = [{"service": ref(x), "probability": min(1.0, _round(n / flow.visits[act]))}
                                  for x, n in sorted(needs[act].items())]
            svc[ref(act).split(".")[1]] = entry
        spec = {"headcount": UNLIMITED_HEADS if dept.unlimited else len(dept.resources)}
        if dname in calendars:
            spec["calendar"] = dname
        departments[dname] = {**spec, "services": svc}
    labels = {r: a for a, r in ids.items()}  # service -> its key in model.services
    dependent = {g: None for g, parent in zip(cases["group"], cases["parent"]) if classes[parent].dependent}
    steps = _add_waits(frame, delay, cases, starters, departments, model, labels, ref, dependent)
    segments = _segments(frame, cases, flow, steps, origin, horizon, closed, change, ref, model, periods)
    for facts in model.segments.values():
        facts["visits"] = tests.get((facts["first"], facts["group"]))
        facts["wait_periods"] = drifts.get(facts["group"])
        facts["wait_classes"] = classes.get(facts["parent"])
        facts["shrink"] = dependent.get(facts["class"])
    model.scenario = {
        "name": name or f"fitted from {log.path.rsplit('/', 1)[-1]}", "time_unit": "hour", "horizon": float(horizon),
        "warmup": 0.0, "period": min(PERIOD, float(horizon)), "clock": {"start": origin.strftime("%Y-%m-%d %H:%M")},
        "holidays": closed, "calendars": calendars,
        "departments": departments, "segments": segments,
    }
    model.notes = {"flow": flow, "variants": variants, "needs": needs,
                   "owner": owner, "ids": ids, "labels": labels, "origin": origin, "horizon": horizon,
                   "change": change}
    return model
