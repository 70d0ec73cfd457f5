"""Classroom mode: one narrated replication as a sequence of steps, each with the state of every department after it.

The reference engine's trace (``orgsim.studies.run.trace``) says what happens; this module keeps count of
what it implies, so the page only draws: per department the queue, the employees serving, the employees
blocked while holding work for an internal supplier, and the work waiting on a supplier without an
employee; and how many customers have left, served or not.  Built from the trace's events:
``queue`` joins a queue; ``block`` takes an employee who then waits; ``request`` without a held employee
waits outside any queue; ``start`` leaves the queue (or the wait) for service; ``finish``/``defect`` ends a
service; ``complete`` and ``abandon`` are customers leaving.
"""

from __future__ import annotations

from orgsim.scenario.schema import Scenario
from orgsim.studies.allocation import headcount
from orgsim.studies.run import trace

LEAVING = {"complete": "served", "abandon": "abandoned"}


class _State:
    def __init__(self, departments: dict[str, int]):
        self.heads = departments
        self.queue = {d: [] for d in departments}
        self.serving = {d: set() for d in departments}
        self.blocked = {d: set() for d in departments}
        self.waiting = {d: set() for d in departments}
        self.left = {"served": 0, "abandoned": 0}

    def apply(self, event: str, item, dept) -> None:
        if event in LEAVING:
            self.left[LEAVING[event]] += 1
        if dept not in self.heads or item is None:
            return
        if event == "queue":
            self.waiting[dept].discard(item)
            self.queue[dept].append(item)
        elif event == "block":
            self._unqueue(dept, item)
            self.blocked[dept].add(item)
        elif event == "request" and item not in self.blocked[dept]:
            self.waiting[dept].add(item)
        elif event == "start":
            self._unqueue(dept, item)
            self.blocked[dept].discard(item)
            self.waiting[dept].discard(item)
            self.serving[dept].add(item)
        elif event in ("finish", "defect"):
            self.serving[dept].discard(item)
        elif event == "abandon":
            self._unqueue(dept, item)

    def _unqueue(self, dept: str, item) -> None:
        if item in self.queue[dept]:
            self.queue[dept].remove(item)

    def snapshot(self) -> dict:
        return {
            "departments": {d: {"heads": self.heads[d], "queue": list(self.queue[d]), "serving": len(self.serving[d]),
                                "blocked": len(self.blocked[d]), "waiting": len(self.waiting[d])} for d in self.heads},
            "left": dict(self.left),
        }


def timeline(scenario: Scenario, until: float, seed: int = 0) -> dict:
    """The steps of replication 0 up to *until*: each event's time, kind, text, and the state after it."""
    frame = trace(scenario, until=until, seed=seed)
    state = _State(headcount(scenario))
    steps = []
    for row in frame.itertuples(index=False):
        item = row.item if isinstance(row.item, str) else None
        dept = row.department if isinstance(row.department, str) else None
        state.apply(row.event, item, dept)
        steps.append({"time": float(row.time), "event": row.event, "item": item, "department": dept,
                      "text": row.text, **state.snapshot()})
    return {"scenario": scenario.name, "until": until, "seed": seed, "time_unit": scenario.time_unit,
            "departments": list(scenario.departments), "steps": steps}
