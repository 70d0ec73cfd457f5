"""Write a fitted model as a commented scenario file: every number says where it came from.

The text is checked by the scenario loader before it is written (atomically), so a fitted file
always loads with ``orgsim.load`` and runs with ``orgsim run`` as it is.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from orgsim.eventlog import hours
from orgsim.eventlog.fitting import UNLIMITED_HEADS, FittedModel
from orgsim.eventlog.hours import MOVED_SHARE, OPEN_SHARE
from orgsim.eventlog.visits import MIN_CASES
from orgsim.eventlog.volumes import ALPHA
from orgsim.eventlog.wait_classes import MIN_CASES as CLASS_CASES
from orgsim.eventlog.wait_classes import PERMUTATIONS
from orgsim.eventlog.wait_periods import MIN_CASES as PERIOD_CASES
from orgsim.execution.atomic import write_text
from orgsim.scenario.loader import parse_text, validate_mapping

_PLAIN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")


def flow(value) -> str:
    """*value* in YAML flow style (strings quoted unless they are identifiers or service names)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text if _PLAIN.match(text) else json.dumps(text)


def _hours(x: float) -> str:
    return f"{x:.3g} h"


def _service_lines(model: FittedModel, dname: str, sname: str, spec: dict, activity: str) -> list[str]:
    fit = model.services[activity]
    best, others = fit.fits[0], fit.fits[1:3]
    rivals = ", ".join(f"{f.dist['dist']} KS {f.ks:.3f}" for f in others)
    if activity.startswith("wait before "):
        head = (f"      {sname}:  # {activity}: positive in {fit.events} events (enabled after the case's earlier work "
                f"ended); mean {_hours(fit.wall_mean)}")
    else:
        head = (f"      {sname}:  # activity {json.dumps(activity)}: {fit.events} events; observed mean {_hours(fit.wall_mean)} "
                f"start to end, {_hours(fit.working_mean)} of it in working hours")
    lines = [head,
             f"        time: {flow(best.dist)}  # best of {len(fit.fits)} families by "
             f"{'KS (one value holds half the sample)' if best.dist['dist'] == 'deterministic' else 'AIC'}; "
             f"KS {best.ks:.3f}" + (f"; next: {rivals}" if rivals else "")]
    if spec.get("activity"):
        lines.append(f"        activity: {json.dumps(spec['activity'])}  # the log's name, which every visit's "
                     "events carry")
    if spec.get("needs"):
        lines.append("        needs:  # fork-join: parallel work before it, or a wait after the case's earlier work")
        for need in spec["needs"]:
            lines.append(f"          - {flow(need)}")
    return lines


def _department_lines(model: FittedModel, dname: str, spec: dict) -> list[str]:
    dept = model.departments.get(dname)
    if dept is None:
        head = (f"  {dname}:  # not in the log: delays between work (waits from enabled times), "
                f"{UNLIMITED_HEADS} heads so nothing queues")
    elif dept.unlimited:
        head = (f"  {dname}:  # {dept.label}: {len(dept.resources)} resources, {dept.events} events; "
                f"{dept.concurrent_share:.0%} of them while already busy on another case: a delay, {UNLIMITED_HEADS} heads")
    else:
        head = f"  {dname}:  # {dept.label}: {len(dept.resources)} distinct resources, {dept.events} events"
    lines = [head, f"    headcount: {spec['headcount']}"]
    if "calendar" in spec:
        lines.append(f"    calendar: {spec['calendar']}")
    lines.append("    services:")
    for sname, svc in spec["services"].items():
        activity = model.notes["labels"][f"{dname}.{sname}"]
        lines += _service_lines(model, dname, sname, svc, activity)
    return lines


def _level(volume, date):
    """The level in force on *date* (None: the first), or None when the volume is one level."""
    if not volume or len(volume["test"].levels) == 1:
        return None
    return max(((start, lv) for start, lv in volume["levels"].items() if date is None or start <= date),
               key=lambda kv: kv[0] if date is not None else -kv[1].first)[1]


def _level_text(volume, level) -> str:
    months = volume["months"]
    span = months[level.first] + ("" if level.last == level.first else f" to {months[level.last]}")
    return f"level x{level.factor:.3g}: {level.cases} cases in {span} against {level.expected:.1f} at one level"


def _rate_comment(volume, date=None) -> str:
    """The monthly counts and the test behind the first level (of a period: from its first day), when the volume
    changes; a period that starts later has no arrivals before it."""
    if date is None and volume and volume.get("window", (None,))[0] is not None:
        return "  # 0 before the period's first day"
    level = _level(volume, date)
    if level is None:
        return ""
    test = volume["test"]
    return (f"  # {_level_text(volume, level)}; cases by month {', '.join(map(str, volume['counts']))}: one level "
            f"rejected, G = {test.g:.1f} on {test.df} df, p = {test.p:.2g}")


def _change_lines(arrivals: dict, volume) -> list[str]:
    """The rate's dated changes, one a line, each saying what it came from (a change of hours, a change of level)."""
    if "changes" not in arrivals:
        return []
    lines = ["      changes:"]
    hours_day = volume["hours_change"] if volume else None
    for change in arrivals["changes"]:
        date = pd.Timestamp(change["from"])
        why = []
        if date == hours_day:
            why.append("from the day the hours change: the table fitted on the days from it on")
        level = _level(volume, date)
        start, stop = volume.get("window", (None, None)) if volume else (None, None)
        if date == start:
            levels = _rate_comment(volume, date)
            why.append("the period's first day: its own cases' table from here" + (f";{levels[3:]}" if levels else ""))
        elif level is not None and (date in volume["levels"] or hours_day is not None):
            why.append(_level_text(volume, level))
        if date == stop:
            why.append("the period's end: its cases arrived before it, the next period's from it")
        lines.append(f"        - {flow(change)}  # " + "; ".join(why))
    return lines


def _segment_lines(model: FittedModel, name: str, spec: dict) -> list[str]:
    facts = model.segments[name]
    flow_counts = facts.get("flow", model.notes["flow"])
    ids = {v: k for k, v in model.notes["ids"].items()}
    variants = model.notes.get("variants")
    group = (f"; {facts['group']}: {json.dumps(variants.activity)} "
             + ("at least" if facts["group"] == "repeated" else "fewer than") + f" {variants.passes} times; medians "
             + ", ".join(f"{g} {_hours(m)}" for g, m in variants.medians.items())) if facts.get("group") else ""
    share = facts.get("share")
    lines = [f"  {name}:  # cases that start with {json.dumps(facts['first'])}{group}: {facts['cases']}",
             "    arrivals:",
             "      # arrivals per hour in each hour of the week: cases arriving in it / its hours in the span "
             "(holidays out); 0 in hours not listed"
             + (f"; of its group's {share[1]} cases, times {share[0]}/{share[1]}, this class's share" if share else ""),
             f"      rate: {flow(spec['arrivals']['rate'])}" + _rate_comment(facts.get("volume")),
             *_change_lines(spec["arrivals"], facts.get("volume")),
             *_visit_lines(facts.get("visits")),
             *_period_lines(facts.get("wait_periods")),
             *_class_lines(facts.get("wait_classes")),
             "    journey:  # directly-follows: each share = moves / visits of the step; the rest of a step's cases end there"]
    for step in spec["journey"]:
        if step["service"] not in ids:
            lines.append(f"      - {{service: {step['service']}, next: {flow(step['next'])}}}  # "
                         f"{model.notes['labels'][step['service']]}: taken by the share of moves into it that waited")
            continue
        act = ids[step["service"]]
        moves = flow_counts.moves[act]
        detail = ", ".join(f"{n} to {json.dumps(b)}" for b, n in moves.most_common(4))
        lines.append(f"      - {{service: {step['service']}, next: {flow(step['next'])}}}  "
                     f"# {flow_counts.visits[act]} visits; {flow_counts.ends[act]} end" + (f"; {detail}" if detail else ""))
    lines.append(f"    expectation: {flow(spec['expectation'])}  # observed median cycle time (first enabled or start to "
                 f"last end), hours; mean {_hours(facts['cycle_mean'])}, p90 {_hours(facts['cycle_p90'])}")
    return lines


def _visit_lines(test) -> list[str]:
    """What the loop-count test (``visits``) found in a segment, as comments."""
    if test is None:
        return []
    head = (f"    # visits of {json.dumps(test.activity)} per case: {test.counts}; against the geometric law one-step "
            f"routing implies: G {test.g:.1f} on {test.df} df, p {test.p:.2g}")
    if not test.caps:
        return [head + ": kept one state per activity"]
    capped = ", ".join(f"{json.dumps(a)} {k}" for a, k in sorted(test.caps.items()) if k > 1)
    return [head + f": rejected, so a repeat visit is a state of its own up to K ({capped}; at least "
            f"{MIN_CASES} cases reach visit K; later visits are visit K)"]


def _period_lines(test) -> list[str]:
    """What the test of waits drifting with the arrival month (``wait_periods``) found in a segment's group, as comments."""
    if test is None or len(test.months) < 2:
        return []
    months = ", ".join(f"{m} {n} ({_hours(w)})" for m, n, w in zip(test.months, test.cases, test.medians))
    head = (f"    # unexplained wait per case by arrival month (cases, median): {months}; Kruskal-Wallis H {test.h:.1f}, "
            f"p {test.p:.2g}")
    if len(test.starts) == 1:
        return [head + (": one period" if test.p >= ALPHA else f": rejected at {ALPHA}, but no month boundary with "
                        f"{PERIOD_CASES} cases on each side splits them at that level: one period")]
    return [head + f": rejected at {ALPHA}, periods from {', '.join(test.starts)} (at least {PERIOD_CASES} cases each)"]


def _class_lines(test) -> list[str]:
    """What the test of a group's unexplained waits being independent (``wait_classes``) found, as comments."""
    if test is None:
        return []
    head = (f"    # unexplained wait per case (leaving out waits before activities that start a case or are parallel work), against "
            f"{PERMUTATIONS} shuffles of each activity's waits among the group's {test.cases} cases: Cramer-von Mises "
            f"{test.distance:.3g} (shuffles' median {test.shuffled:.3g}), p {test.p:.2g}")
    if not test.dependent:
        return [head + ": independent, one law per activity for the group"]
    if len(test.bounds) == 1:
        return [head + f": rejected at {ALPHA}, but no cut into classes of at least {CLASS_CASES} cases lowers the "
                "BIC: one class, its waits drawn toward their means (see the wait laws)"]
    cuts = ", ".join(_hours(b) for b in test.bounds[:-1])
    return [head + f": rejected at {ALPHA}; classes by total cut at {cuts} (each cut lowers the BIC), each with its "
            "own routing and wait laws, drawn toward their means (see the wait laws)"]


def _moved(change) -> str:
    """What was measured at a change of hours: the hours worked on one side only."""
    shown = ", ".join(hours.hour_text(h) for h in change.moved[:6]) + (", ..." if len(change.moved) > 6 else "")
    return (f"{len(change.moved)} hours of the week worked on at least {MOVED_SHARE:.0%} of their days on one side "
            f"and never on the other ({shown})")


def render(model: FittedModel) -> str:
    """The fitted scenario as commented YAML."""
    sc = model.scenario
    notes = model.notes
    lines = [f"# Fitted by `orgsim fit` from {model.source}: {model.events} events, {model.cases} cases.",
             "# Times in hours on the log's local wall clock; the rules are in the README, \"From an event log\".",
             f"name: {flow(sc['name'])}",
             "time_unit: hour",
             f"horizon: {flow(sc['horizon'])}  # hours from clock.start to the last event's end",
             "warmup: 0.0  # the log starts with an empty firm",
             f"period: {flow(sc['period'])}  # a week: reporting period",
             f"clock: {flow(sc['clock'])}  # midnight of the day of the first arrival ({notes['origin']:%A})",
             f"holidays: {flow(sc['holidays'])}  # days of a working weekday in the span with no event and no arrival",
             f"calendars:  # hours of the week with a start or end in at least {OPEN_SHARE:.0%} as many weeks as the busiest hour"]
    change = notes.get("change")
    for name, windows in sc["calendars"].items():
        lines.append(f"  {name}: {flow(windows)}")
    if any(isinstance(w, dict) for w in sc["calendars"].values()):
        lines.insert(len(lines) - len(sc["calendars"]), f"  # the hours change on {change.day:%A %Y-%m-%d}: "
                     f"{_moved(change)}; each side's hours by the rule above")
    if not sc["calendars"]:
        lines[-1] = "calendars: {}  # every department works around the clock (open in every hour of the week)"
    lines.append("departments:")
    for dname, spec in sc["departments"].items():
        lines += _department_lines(model, dname, spec)
    lines.append("segments:")
    for name, spec in sc["segments"].items():
        lines += _segment_lines(model, name, spec)
    return "\n".join(lines) + "\n"


def write_scenario(model: FittedModel, path) -> str:
    """Render *model*, check that it loads as a scenario, and write it to *path* atomically; returns the text."""
    text = render(model)
    raw, lines = parse_text(text, str(path))
    validate_mapping(raw, str(path), lines)
    write_text(path, text)
    return text
