"""What a log says about the firm's structure: departments, parallel work, routing between activities.

Rules (the README's "From an event log" states them for users):

* a *department* is a role (without roles: the resources that do the same set of activities); an
  activity belongs to the department that did most of its events; headcount is its distinct resources;
* a department whose events are mostly (over half) done by resources already busy on another case
  at that moment (a system, the customer themself) is a *delay*: it never queues (``unlimited``);
* events of one case whose intervals (enabled, or start, to end) overlap form a *parallel block*; a
  block followed by an activity J becomes J's fork-join ``needs`` (each block activity with the
  share of J's visits it preceded); a block that ends a case stays a sequence in start order;
* routing is the directly-follows relation of the remaining sequence, loops included.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

CONCURRENT_SHARE = 0.5


def identifier(name: str, taken: set[str] | None = None, limit: int = 48) -> str:
    """A scenario identifier (`[a-z][a-z0-9_]*`) for a name from the log, made unique against *taken*."""
    word = re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")[:limit].rstrip("_") or "x"
    if not word[0].isalpha():
        word = f"x_{word}"
    taken = taken if taken is not None else set()
    base, k = word, 2
    while word in taken:
        word, k = f"{base}_{k}", k + 1
    taken.add(word)
    return word


@dataclass
class Department:
    """A department found in the log: its name, what it was in the log, resources, activities, and if it is a delay."""

    name: str
    label: str
    resources: list[str]
    activities: list[str] = field(default_factory=list)
    events: int = 0
    unlimited: bool = False
    concurrent_share: float = 0.0


def _concurrent(frame: pd.DataFrame) -> pd.Series:
    """Per event: whether its resource was already busy on another event when it started."""
    order = frame.sort_values(["resource", "start", "end"], kind="stable")
    busy_until = order.groupby("resource", sort=False)["end"].transform(lambda s: s.cummax().shift(1))
    return (order["start"] < busy_until).reindex(frame.index).fillna(False)


def departments(frame: pd.DataFrame) -> tuple[dict[str, Department], dict[str, str]]:
    """Departments by name, and the department of each activity."""
    frame = frame.copy()
    if frame["resource"].isna().all():
        frame["resource"] = frame["activity"]  # no resources: each activity is done by its own performer
    frame["resource"] = frame["resource"].fillna("unknown")
    if frame["role"].notna().any():
        groups = frame["role"].fillna("no role").astype(str)
        labels = {g: f"role `{g}`" for g in groups.unique()}
    else:
        sets = {r: tuple(sorted(set(g["activity"]))) for r, g in frame.groupby("resource")}
        groups = frame["resource"].map(lambda r: "|".join(sets[r]))
        labels = {g: "resources doing " + ", ".join(f"`{a}`" for a in g.split("|")) for g in groups.unique()}
    frame["group"] = groups.to_numpy()
    frame["concurrent"] = _concurrent(frame).to_numpy()
    owner = {a: Counter(g["group"]).most_common(1)[0][0] for a, g in frame.groupby("activity")}
    taken: set[str] = set()
    depts, by_group = {}, {}
    for group, g in sorted(frame.groupby("group"), key=lambda kv: -len(kv[1])):
        top = Counter(g["activity"]).most_common(1)[0][0]
        name = identifier(group if frame["role"].notna().any() else f"{top} team", taken)
        share = float(g["concurrent"].mean())
        by_group[group] = depts[name] = Department(name, labels[group], sorted(set(g["resource"])), events=len(g),
                                                   unlimited=share > CONCURRENT_SHARE, concurrent_share=share)
    for activity, group in sorted(owner.items()):
        by_group[group].activities.append(activity)
    depts = {n: d for n, d in depts.items() if d.activities}
    return depts, {a: by_group[g].name for a, g in owner.items()}


@dataclass
class Flow:
    """The case flow: first activities, transitions, parallel needs and visits, counted over the cases."""

    first: Counter = field(default_factory=Counter)
    moves: dict = field(default_factory=lambda: defaultdict(Counter))
    ends: Counter = field(default_factory=Counter)
    visits: Counter = field(default_factory=Counter)
    needs: dict = field(default_factory=lambda: defaultdict(Counter))
    sequence: dict = field(default_factory=dict)


def _units(g: pd.DataFrame) -> list[list[int]]:
    """Row positions of one case's events grouped into blocks of mutually overlapping intervals, in start order."""
    begin = g["enabled"].fillna(g["start"]).to_numpy()
    end = g["end"].to_numpy()
    order = np.argsort(begin, kind="stable")
    units, block_end = [], None
    for i in order:
        if units and begin[i] < block_end:
            units[-1].append(i)
            block_end = max(block_end, end[i])
        else:
            units.append([i])
            block_end = end[i]
    return units


def flow(frame: pd.DataFrame) -> Flow:
    """Count the case flow (see the module's rules); *sequence* maps each case to its journey activities."""
    out = Flow()
    for case, g in frame.groupby("case", sort=False):
        acts = g["activity"].tolist()
        units = _units(g)
        seq = []
        for k, unit in enumerate(units):
            if len(unit) > 1 and k + 1 < len(units) and len(units[k + 1]) == 1:
                join = acts[units[k + 1][0]]
                for i in unit:
                    out.needs[join][acts[i]] += 1
            else:
                seq += [acts[i] for i in sorted(unit, key=lambda i: g["start"].iloc[i])]
        out.sequence[case] = seq
        out.first[seq[0]] += 1
        out.ends[seq[-1]] += 1
        for a, b in zip(seq, seq[1:]):
            out.moves[a][b] += 1
        out.visits.update(seq)
    return out
