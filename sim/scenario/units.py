"""A scenario as a chain of units: which fields `units.vary` names, and a unit's scenario from its draws.

A `vary` path is a `--set` path in which `*` stands for every name of a collection (every department,
segment, service or supplier).  It is expanded against the validated scenario with its defaults filled
in, so `morale.baseline` works in a file that never wrote `morale:`; every field it reaches must hold a
number.  The draws themselves are made by the study that runs the units (``orgsim.studies.units``).
"""

from __future__ import annotations

import re
from typing import Any

from orgsim.scenario.checks import listing, suggest
from orgsim.scenario.schema import Scenario

Problem = tuple[tuple, str]
PATH = re.compile(r"^([a-z][a-z0-9_]*|\*|[0-9]+)(\.([a-z][a-z0-9_]*|\*|[0-9]+))*$")  # `--set` names, `*`, list indices


def tree(scenario: Scenario) -> dict:
    """The scenario as a mapping with every default written (what `vary` paths walk)."""
    return scenario.model_dump(mode="json", exclude={"units"})


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def expand(raw: dict, pattern: str) -> tuple[list[tuple], str | None]:
    """The concrete paths a `vary` pattern names in *raw*, or why it names none."""
    paths: list[tuple] = [()]
    for part in pattern.split("."):
        nxt = []
        for path in paths:
            node = raw
            for key in path:
                node = node[key]
            where = ".".join(path) or "the scenario"
            if not isinstance(node, dict):
                return [], f"`{where}` is a value, not a mapping"
            if part == "*":
                nxt.extend(path + (key,) for key in node)
            elif part in node:
                nxt.append(path + (part,))
            else:
                return [], f"`{where}` has no `{part}`{suggest(part, node)} (it has: {listing(node)})"
        paths = nxt
    if not paths:
        return [], "`*` matches nothing here"
    for path in paths:
        node = raw
        for key in path:
            node = node[key]
        if not _number(node):
            shown = "unset" if node is None else "not a single number"
            return [], f"`{'.'.join(path)}` is {shown}; a unit draws numbers only (write the field as a number)"
    return paths, None


def problems(scenario: Scenario) -> list[Problem]:
    """Every `units.vary` path that names no number, and a turnover without a year."""
    out: list[Problem] = []
    m = scenario.measures
    if m is not None and m.turnover and scenario.year() is None:
        out.append((("measures", "year"), f"turnover is per year and time_unit `{scenario.time_unit}` says nothing of "
                                          "a year: set the time units in a year (allowed: a number > 0)"))
    if scenario.units is None:
        return out
    raw = tree(scenario)
    for pattern in scenario.units.vary:
        if not PATH.match(pattern):
            out.append((("units", "vary", pattern), "a path is field names and `*` joined by dots, e.g. "
                                                    "`departments.*.skill`"))
            continue
        if pattern.split(".")[0] == "units":
            out.append((("units", "vary", pattern), "a unit cannot vary the units block itself"))
            continue
        _, why = expand(raw, pattern)
        if why:
            out.append((("units", "vary", pattern), why))
    return out


def unit_mapping(scenario: Scenario, values: dict[tuple, float]) -> dict:
    """The mapping of one unit: the scenario without `units`, each drawn value at its path (a whole-number
    field, such as a headcount, takes the draw rounded to the nearest whole number)."""
    raw = tree(scenario)
    for path, value in values.items():
        node = raw
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = int(round(value)) if isinstance(node[path[-1]], int) else float(value)
    return raw
