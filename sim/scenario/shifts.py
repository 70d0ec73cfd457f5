"""Staff schedules: a department's calendar or shifts compiled to its scheduled headcount over [0, horizon].

A department on a calendar has its headcount on duty while the calendar is
open and nobody otherwise; a department in shifts has, at each moment, the sum
of the headcounts of the shifts whose calendars are open.  Holidays close every
calendar.  ``schedule`` lays this out as breakpoints and values, piecewise
constant: the one description of working time both engines read (the numba
engine through ``kernels/compile.py``, the reference engine directly).

Pure Python and NumPy, built on ``calendar.profile`` (a calendar's windows are
a rate table whose rate is the shift's headcount).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orgsim.scenario import calendar


@dataclass(frozen=True)
class Schedule:
    """Scheduled headcount ``heads[i]`` on ``[breaks[i], breaks[i + 1])``, the last value up to the horizon.

    ``breaks[0]`` is 0; consecutive values differ.  Time in the scenario's unit.
    """

    breaks: np.ndarray  # float64
    heads: np.ndarray  # int64
    horizon: float

    def at(self, t: float) -> int:
        """The scheduled headcount at time t."""
        return int(self.heads[int(np.searchsorted(self.breaks, t, side="right")) - 1])

    def open_time(self) -> float:
        """Time over [0, horizon] in which someone is scheduled."""
        ends = np.append(self.breaks[1:], self.horizon)
        return float(np.sum((ends - self.breaks)[self.heads > 0]))

    def open_clock(self) -> calendar.Profile:
        """The clock that runs while someone is scheduled: a rate of 1 while open, 0 while closed, and its integral.

        Advancing by open time is inverting that integral (``kernels/opentime.py``).
        """
        is_open = (self.heads > 0).astype(np.float64)
        keep = np.concatenate(([True], is_open[1:] != is_open[:-1]))
        breaks = np.append(self.breaks[keep], self.horizon)
        rates = np.append(is_open[keep], 0.0)
        cumulative = np.concatenate(([0.0], np.cumsum(np.diff(breaks) * rates[:-1])))
        return calendar.Profile(breaks, rates, cumulative)

    def thinnest(self) -> int:
        """The fewest heads scheduled while open (0 if never open): a periodic review's floor counts these."""
        open_heads = self.heads[self.heads > 0]
        return int(open_heads.min()) if open_heads.size else 0

    def mean(self) -> float:
        """The time-average scheduled headcount over [0, horizon]."""
        ends = np.append(self.breaks[1:], self.horizon)
        return float(np.sum((ends - self.breaks) * self.heads) / self.horizon)


def schedule(shifts, unit: str, horizon: float, start: str | None = None, holidays=()) -> Schedule:
    """Compile *shifts*, pairs (windows of a calendar, headcount), over [0, *horizon*] of *unit* into a ``Schedule``.

    t = 0 is *start* (default: a Monday 00:00); every calendar is closed on *holidays*.  A shift may carry a
    third item, its calendar's dated changes ((date, windows) in date order): from each date on, those windows.
    """
    parts = []
    for windows, h, *dated in shifts:
        changes = [(since, {w: float(h) for w in later}) for since, later in (dated[0] if dated else ())]
        parts.append(calendar.profile({w: float(h) for w in windows}, unit, horizon, start, holidays, changes=changes))
    times = np.unique(np.concatenate([p.breaks[:-1] for p in parts] + [np.zeros(1)]))
    total = np.zeros(len(times))
    for p in parts:
        total += p.rates[np.searchsorted(p.breaks, times, side="right") - 1]
    heads = np.rint(total).astype(np.int64)
    keep = np.concatenate(([True], heads[1:] != heads[:-1]))
    return Schedule(times[keep], heads[keep], float(horizon))


def weekly_heads(shifts) -> float:
    """The time-average scheduled headcount over a week (holidays left out: rare days, not the capacity)."""
    return sum(calendar.weekly_mean({w: float(h) for w in windows}) for windows, h in shifts)
