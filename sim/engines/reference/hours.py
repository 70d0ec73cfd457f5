"""The hour-of-week profile of one replication (the scenario's ``profile``), by the numba engine's rules.

Orders are binned by their arrival hour (``kernels/profile.hour_of_week``);
employee time is split at the same ticks (``kernels/profile.ticks``) by the
same function (``kernels/profile.split``), which reads each department's
running areas without advancing them.  A tick is a SimPy timeout that
changes no state, so the rest of the replication runs as without it.
"""

from __future__ import annotations

import numpy as np

from orgsim.kernels import profile

hour_of_week = profile.hour_of_week.py_func
split = profile.split.py_func
BLOCKS = ("prof_time", "prof_arrivals", "prof_completed", "prof_wait_sum", "prof_abandoned", "prof_busy",
          "prof_available")  # fmt: skip


class HourProfile:
    """Raw sums by hour of the week, kept in a row of the accumulator layout (only its profile blocks are used)."""

    def __init__(self, env, departments, clock: tuple[float, float], warmup: float, end: float, table: dict, length: int):
        self.env = env
        self.departments = departments
        self.offset, self.per_unit = clock
        self.times, self.hours = profile.ticks(warmup, end, self.offset, self.per_unit)
        self.next = 0  # the next tick
        self.snap = np.zeros((len(departments), 2))
        self.row = np.zeros(length)
        self.table = table
        self.at = {name: table[name][0] for name in BLOCKS}

    def arrived(self, now: float) -> None:
        self.row[self.at["prof_arrivals"] + hour_of_week(now, self.offset, self.per_unit)] += 1.0

    def ended(self, arrived: float, waited: float, completed: bool) -> None:
        h = hour_of_week(arrived, self.offset, self.per_unit)
        if completed:
            self.row[self.at["prof_completed"] + h] += 1.0
            self.row[self.at["prof_wait_sum"] + h] += waited
        else:
            self.row[self.at["prof_abandoned"] + h] += 1.0

    def tick(self) -> None:
        """Split employee time at the next tick (now)."""
        depts = self.departments
        self.next = split(
            self.next, self.times, self.hours, np.array([d.busy for d in depts], dtype=float),
            np.array([d.present for d in depts], dtype=float), np.array([d.busy_area for d in depts]),
            np.array([d.present_area for d in depts]), np.array([d.last for d in depts]), self.snap, self.row,
            self.at["prof_time"], self.at["prof_busy"], self.at["prof_available"],
        )

    def flush(self) -> None:
        """At the end of the run: the ticks left (the end of the run last)."""
        while self.next < len(self.times) and self.times[self.next] <= self.env.now:
            self.tick()

    def fill(self, row: np.ndarray) -> None:
        for name in BLOCKS:
            start, shape = self.table[name]
            size = int(np.prod(shape))
            row[start : start + size] = self.row[start : start + size]


def ticker(env, hours: HourProfile):
    """A process that splits employee time at every tick before the end of the run."""
    for t in hours.times:
        if t > env.now:
            yield env.timeout(t - env.now)
        hours.tick()
