"""Working time: weekly windows, the clock, holidays and seasonality, compiled to a piecewise-constant rate.

A window is ``DAYS HH:MM-HH:MM`` (DAYS one of ``mon``..``sun``, a range such as
``mon-fri``, or ``daily``; ``24:00`` ends a day).  A rate table maps windows to
rates and is 0 elsewhere.  ``profile`` turns a rate (table or plain number),
the clock's start, the holidays and the monthly seasonality into breakpoints,
rates and the integrated rate over ``[0, horizon]`` in the scenario's time unit:
the one description of time-varying demand that both engines read (the numba
engine through ``kernels/compile.py``, the reference engine directly).

Pure Python and NumPy; imports nothing of the scenario schema, which imports it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

import numpy as np

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
UNIT_MINUTES = {"minute": 1.0, "hour": 60.0, "day": 1440.0}  # the time units a calendar can be read in
DEFAULT_START = "2024-01-01 00:00"  # a Monday: without a clock, t = 0 is a Monday 00:00
MAX_DAYS = 1_000_000  # a rate table is laid out day by day over the horizon: bounded so it always fits
_SHAPE = re.compile(r"^\s*(\S+)\s+(\S+)-(\S+)\s*$")
_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_DAYS_ALLOWED = "mon, tue, wed, thu, fri, sat, sun, a range like mon-fri, or daily"


@dataclass(frozen=True)
class Window:
    """Weekdays (0 = Monday) and a time of day [start, end) in minutes after midnight."""

    days: tuple[int, ...]
    start: int
    end: int


def _hint(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _day(text: str, window: str) -> int:
    if text not in DAYS:
        raise ValueError(f"window `{window}`: unknown day `{text}`{_hint(text, DAYS)} (days: {_DAYS_ALLOWED})")
    return DAYS.index(text)


def _days(text: str, window: str) -> tuple[int, ...]:
    if text == "daily":
        return tuple(range(7))
    if "-" in text:
        first, _, last = text.partition("-")
        a, b = _day(first, window), _day(last, window)
        return tuple((a + k) % 7 for k in range((b - a) % 7 + 1))  # a range may wrap the week: sat-mon
    return (_day(text, window),)


def _minutes(text: str, window: str) -> int:
    m = _TIME.match(text)
    if not m or int(m.group(2)) > 59 or int(m.group(1)) * 60 + int(m.group(2)) > 1440:
        raise ValueError(f"window `{window}`: `{text}` is not a time of day (HH:MM from 00:00 to 24:00)")
    return int(m.group(1)) * 60 + int(m.group(2))


def parse_window(text: str) -> Window:
    """A window from its text, or ValueError naming the text and what is wrong."""
    m = _SHAPE.match(text)
    if not m:
        raise ValueError(f"window `{text}`: expected `DAYS HH:MM-HH:MM`, e.g. `mon-fri 09:00-17:00` "
                         f"(DAYS: {_DAYS_ALLOWED})")
    days = _days(m.group(1), text)
    start, end = _minutes(m.group(2), text), _minutes(m.group(3), text)
    if end <= start:
        raise ValueError(f"window `{text}`: ends ({m.group(3)}) {'when' if end == start else 'before'} it starts "
                         f"({m.group(2)}); a window that crosses midnight is written as two windows")
    return Window(days, start, end)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def check_disjoint(texts) -> None:
    """Windows that share time on some day are refused (ValueError naming both): which one would hold?"""
    seen: list[tuple[str, Window]] = []
    for text in texts:
        w = parse_window(text)
        for other_text, other in seen:
            common = [d for d in w.days if d in other.days]
            lo, hi = max(w.start, other.start), min(w.end, other.end)
            if common and lo < hi:
                raise ValueError(f"windows `{other_text}` and `{text}` overlap on {DAYS[common[0]]} "
                                 f"({_clock(lo)}-{_clock(hi)})")
        seen.append((text, w))


def parse_date(text: str) -> dt.date:
    """A holiday `YYYY-MM-DD`, or ValueError."""
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except (TypeError, ValueError):
        raise ValueError(f"`{text}` is not a date written YYYY-MM-DD, e.g. 2025-12-25") from None


def parse_start(text: str) -> dt.datetime:
    """The clock's start `YYYY-MM-DD HH:MM`, or ValueError."""
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        raise ValueError(f"`{text}` is not a date and time written `YYYY-MM-DD HH:MM`, e.g. `2025-01-06 00:00`") from None


def clock_text(t: float, unit: str, start: str | None = None) -> str:
    """Time t on the clock as people read it: weekday and time of day, e.g. `Mon 09:00`."""
    when = parse_start(start or DEFAULT_START) + dt.timedelta(minutes=round(t * UNIT_MINUTES[unit], 6))
    return f"{DAYS[when.weekday()].capitalize()} {when.hour:02d}:{when.minute:02d}"


# --------------------------------------------------------------------------- compiling a rate


@dataclass(frozen=True)
class Profile:
    """A piecewise-constant rate over [0, horizon]: ``rates[i]`` on ``[breaks[i], breaks[i + 1])``.

    ``cumulative[i]`` is the integrated rate up to ``breaks[i]``; all three have
    the same length (the last rate, after the horizon, is 0).  Time in the
    scenario's unit, rates per time unit.
    """

    breaks: np.ndarray
    rates: np.ndarray
    cumulative: np.ndarray

    def integral(self, a: float, b: float) -> float:
        """The integrated rate over [a, b] (the expected arrivals of an open stream there)."""
        return float(self._at(b) - self._at(a))

    def _at(self, t: float) -> float:
        i = max(0, int(np.searchsorted(self.breaks, t, side="right")) - 1)
        return self.cumulative[i] + self.rates[i] * (min(t, self.breaks[-1]) - self.breaks[i])

    def mean(self) -> float:
        """The time-average rate over the whole horizon."""
        return float(self.cumulative[-1] / self.breaks[-1])


def _day_pieces(table: dict[str, float]) -> list[list[tuple[int, int, float]]]:
    """Per weekday, the table's (start, end, rate) pieces in minutes, sorted."""
    week: list[list[tuple[int, int, float]]] = [[] for _ in range(7)]
    for text, rate in table.items():
        w = parse_window(text)
        for d in w.days:
            week[d].append((w.start, w.end, float(rate)))
    return [sorted(day) for day in week]


def weekly_mean(table: dict[str, float]) -> float:
    """The table's time-average rate over a week (0 outside its windows)."""
    return sum((e - s) * r for day in _day_pieces(table) for s, e, r in day) / (7 * 1440)


def long_run_rate(rate, unit: str, horizon: float, start: str | None = None, seasonality=None, changes=()) -> float:
    """The time-average of *rate* the traffic equations use: a table's weekly average (a plain number as it is)
    times the seasonality's average over [0, *horizon*]; holidays are left out (rare days, not the load).
    With dated *changes*, the rate's own average over [0, *horizon*] (each table weighs by its days)."""
    if changes:
        return profile(rate, unit, horizon, start, (), seasonality, changes).mean()
    base = weekly_mean(rate) if isinstance(rate, dict) else float(rate)
    return base * (profile(1.0, unit, horizon, start, (), seasonality).mean() if seasonality else 1.0)


def in_force(rate, changes, day: dt.date):
    """The table in force on *day*: the last of *changes* ((date, table), dates ascending) dated on or before it,
    else *rate*."""
    for since, table in reversed(changes):
        if day >= since:
            return table
    return rate


def profile(rate, unit: str, horizon: float, start: str | None = None, holidays=(), seasonality=None,
            changes=()) -> Profile:
    """Compile *rate* (a table of windows or a plain number) over [0, *horizon*] of *unit* into a ``Profile``.

    t = 0 is *start* (default: a Monday 00:00).  A table's windows are closed on
    *holidays* (dates); *seasonality* multiplies the rate in each month it names
    (other months: 1).  A plain number is constant except for seasonality.
    *changes*, pairs (date, table) in date order, replace the table from each date on (whole days).
    """
    mpu = UNIT_MINUTES[unit]
    origin = parse_start(start or DEFAULT_START)
    offset = origin.hour * 60 + origin.minute
    closed = {parse_date(h) if isinstance(h, str) else h for h in holidays}
    months = {MONTHS.index(k): float(v) for k, v in (seasonality or {}).items()}
    week = _day_pieces(rate) if isinstance(rate, dict) else None
    dated = [(parse_date(d) if isinstance(d, str) else d, _day_pieces(t)) for d, t in changes]
    end = horizon * mpu  # minutes after t = 0
    pieces: list[tuple[float, float, float]] = []
    k = 0
    while k * 1440 - offset < end:
        day = origin.date() + dt.timedelta(days=k)
        factor = months.get(day.month - 1, 1.0)
        base = k * 1440 - offset
        if week is None:
            pieces.append((base, base + 1440, float(rate) * factor))
        elif day not in closed:
            pieces.extend((base + s, base + e, r * factor) for s, e, r in in_force(week, dated, day)[day.weekday()])
        k += 1
    breaks, rates = [0.0], []
    for a, b, r in pieces:
        a, b = max(a, 0.0), min(b, end)
        if b <= a:
            continue
        if a > breaks[-1]:  # a gap: no demand
            rates.append(0.0)
            breaks.append(a)
        if rates and rates[-1] == r:
            breaks[-1] = b
        else:
            rates.append(r)
            breaks.append(b)
    if breaks[-1] < end:
        rates.append(0.0)
        breaks.append(end)
    t = np.asarray(breaks) / mpu
    t[-1] = horizon  # exactly, whatever the unit's rounding
    r = np.asarray(rates + [0.0])
    cumulative = np.concatenate(([0.0], np.cumsum(r[:-1] * np.diff(t))))
    return Profile(t, r, cumulative)
