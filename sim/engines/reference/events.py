"""A simulated event log: one row per service done for an external order, as a process-mining tool reads one.

Each row is ``(case, activity, department, employee, enabled, start, end)`` in
model time: *case* the order's number, *activity* the service's name, *enabled*
when the work reached the desk (before its needs and its queue), *start* and
*end* its service.  Journey steps, their redone work and the sub-requests sent
for the order are rows; invoices (work for no order) are not.

Employees are identical in the model, so the engine does not pick one by
chance: the *employee* is ``<department>-<k>``, k the lowest number not busy in
the department when the service starts (a desk number).  Recording is
bookkeeping only: it draws nothing, so a run records the same replication it
would run without it.
"""

from __future__ import annotations

import heapq


class EventRecorder:
    """Collects the event rows, and each order's arrival and completion, of one replication."""

    def __init__(self):
        self.rows: list[tuple] = []
        self.arrived: dict[int, float] = {}  # order number -> arrival time
        self.completed: dict[int, float] = {}  # order number -> completion time (journey complete)
        self._free: dict[str, list[int]] = {}  # per department: numbers freed since, a heap
        self._next: dict[str, int] = {}  # per department: the next number never used

    def arrive(self, order, now: float) -> None:
        self.arrived[order.id] = now

    def complete(self, order, now: float) -> None:
        self.completed[order.id] = now

    def take(self, dept: str) -> int:
        """The lowest employee number of *dept* not busy now."""
        free = self._free.setdefault(dept, [])
        if free:
            return heapq.heappop(free)
        k = self._next.get(dept, 1)
        self._next[dept] = k + 1
        return k

    def record(self, item, desk, enabled: float, start: float, end: float, employee: int) -> None:
        """A service ended: free its employee's number, and keep the row when the work was for an order."""
        heapq.heappush(self._free[desk.dept.name], employee)
        root = item.root
        if root is not None:
            self.rows.append((root.id, desk.name, desk.dept.name, f"{desk.dept.name}-{employee}", enabled, start, end))
