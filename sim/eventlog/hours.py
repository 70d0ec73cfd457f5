"""When a firm works, learned from its log: open hours of the week, holidays, and working time inside an interval.

Rules (the README's "From an event log" states them for users):

* an hour of the week (Monday 00:00-01:00 is hour 0) is *open* for a group of resources when the
  weeks in which some event of theirs starts or ends in it are at least ``OPEN_SHARE`` of the weeks
  of their busiest hour (and at least one): relative, so a person seen a few times a month is not
  closed where a busy team would be; an hour in which work runs but nothing starts or ends is open too when it lies
  between two open hours of the same day (a long job does not close the office around it);
* a *holiday* is a day, inside the log's span, of a weekday that is open for someone, on which no
  event starts or ends and no case arrives;
* the *working time* of an interval is the part of it inside open hours and outside holidays;
* the hours *change* on day d when, with at least ``MIN_WEEKS`` weeks of the group's instants on each
  side of d, some hour of the week *moves*: it is worked (has an instant) in at least ``MOVED_SHARE``
  of the weeks on one side, and on the other side never, while the hour beside it on the same day is
  worked there in at least ``MOVED_SHARE`` of the weeks, or is itself such a moved hour (of the days of
  its weekday; the day's edge moved by one hour or several: daylight saving in a
  log kept in a fixed offset, a firm's summer hours; a sparse group, whose hours are not worked
  week after week, shows no change); of the days with moved hours, d is the one with the most moved hour-days
  (over moved hours, the days of its weekday on the side where it is never worked), the latest on a tie (the
  first day of the new hours).  One change per group; a group's (a department's, a resource's) hours on
  each side are then its open hours over the whole span with the moved hours closed on the side where
  they are never worked (``Change.sides``): each side alone has too few weeks for the open-hour rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orgsim.scenario.calendar import DAYS

OPEN_SHARE = 0.1
HOURS = 168
MIN_WEEKS = 4
MOVED_SHARE = 0.8


def hour_of_week(times: pd.Series) -> np.ndarray:
    """Hour of the week of each time (0 = Monday 00:00-01:00)."""
    return (times.dt.day_of_week * 24 + times.dt.hour).to_numpy(dtype=int)


def open_hours(instants: pd.Series) -> np.ndarray:
    """168 booleans: the hours of the week open by the OPEN_SHARE rule, from the event *instants* (starts and ends)."""
    instants = instants.dropna()
    week = ((instants - instants.min().normalize()).dt.days // 7).to_numpy()
    pairs = pd.DataFrame({"week": week, "how": hour_of_week(instants)}).drop_duplicates()
    counts = np.bincount(pairs["how"].to_numpy(), minlength=HOURS)
    is_open = counts >= max(1.0, OPEN_SHARE * counts.max())
    for day in range(7):  # fill gaps between open hours of one day
        hours = np.flatnonzero(is_open[day * 24:(day + 1) * 24])
        if len(hours):
            is_open[day * 24 + hours[0]: day * 24 + hours[-1] + 1] = True
    return is_open


def windows(is_open: np.ndarray) -> list[str]:
    """The open hours as calendar windows (`mon-fri 07:00-16:00`), days with the same hours written as one range."""
    runs = []
    for day in range(7):
        flags = is_open[day * 24:(day + 1) * 24]
        day_runs, h = [], 0
        while h < 24:
            if flags[h]:
                end = h
                while end < 24 and flags[end]:
                    end += 1
                day_runs.append((h, end))
                h = end
            else:
                h += 1
        runs.append(tuple(day_runs))
    out, day = [], 0
    while day < 7:
        last = day
        while last + 1 < 7 and runs[last + 1] == runs[day]:
            last += 1
        days = DAYS[day] if last == day else f"{DAYS[day]}-{DAYS[last]}"
        out += [f"{days} {a:02d}:00-{b:02d}:00" for a, b in runs[day]]
        day = last + 1
    return out


def holidays(instants: pd.Series, first: dt.date, last: dt.date, open_days: set[int]) -> list[str]:
    """Dates from *first* to *last* of a weekday in *open_days* with no instant on them, as `YYYY-MM-DD`."""
    busy = set(instants.dropna().dt.date)
    days = (first + dt.timedelta(days=k) for k in range((last - first).days + 1))
    return [d.isoformat() for d in days if d.weekday() in open_days and d not in busy]


class WorkingClock:
    """Working minutes since an origin under open hours and holidays, so an interval's working time is a difference.

    Laid out minute by minute over the span (a year is half a million minutes: small and exact).
    """

    def __init__(self, origin: pd.Timestamp, days: int, is_open: np.ndarray, closed_dates: list[str], later=None):
        """*later*, a pair (date, open hours), gives the hours from that date on (a change of hours)."""
        origin = origin.normalize()  # midnight: day k of the span is minutes [k * 1440, (k + 1) * 1440)
        flags = self._laid_out(origin, days, is_open)
        if later is not None:
            k = max(0, min((pd.Timestamp(later[0]) - origin).days, days + 1))
            flags[k * 1440:] = self._laid_out(origin, days, later[1])[k * 1440:]
        for text in closed_dates:
            k = (pd.Timestamp(text) - origin).days
            if 0 <= k <= days:
                flags[k * 1440:(k + 1) * 1440] = 0.0
        self.origin, self.flags = origin, flags
        self.cum = np.concatenate([[0.0], np.cumsum(flags)])

    @staticmethod
    def _laid_out(origin: pd.Timestamp, days: int, is_open: np.ndarray) -> np.ndarray:
        week = np.roll(np.repeat(is_open.astype(np.float64), 60), -origin.day_of_week * 1440)
        return np.tile(week, days // 7 + 2)[: (days + 1) * 1440]

    def working(self, times: pd.Series) -> np.ndarray:
        """Working minutes from the origin to each time (fractions of a minute counted in proportion)."""
        m = ((times - self.origin).dt.total_seconds() / 60.0).to_numpy()
        m = np.clip(m, 0.0, len(self.flags) - 1e-9)
        whole = np.floor(m).astype(int)
        return self.cum[whole] + (m - whole) * self.flags[whole]


def _same_day_shift(flags: np.ndarray, step: int) -> np.ndarray:
    """Per hour of the week: the flag of the hour *step* later on the same day (False past the day's ends)."""
    days = flags.reshape(7, 24)
    out = np.zeros_like(days)
    if step > 0:
        out[:, :-step] = days[:, step:]
    else:
        out[:, -step:] = days[:, :step]
    return out.reshape(HOURS)


def _moved(regular_a: np.ndarray, regular_b: np.ndarray, never_b: np.ndarray) -> np.ndarray:
    """Hours regular on side a and never worked on side b that join, along the same day, an hour regular on b:
    the day's edge moved (by one hour or several)."""
    candidate = regular_a & never_b
    moved = candidate & (_same_day_shift(regular_b, 1) | _same_day_shift(regular_b, -1))
    while True:
        grown = moved | (candidate & (_same_day_shift(moved, 1) | _same_day_shift(moved, -1)))
        if (grown == moved).all():
            return moved
        moved = grown


def _weekday_days(first: pd.Timestamp, lo: int, hi: int) -> np.ndarray:
    """Per hour of the week: how many days of its weekday lie in days [lo, hi) after *first*."""
    weekdays = (first.day_of_week + np.arange(lo, hi)) % 7
    return np.repeat(np.bincount(weekdays, minlength=7), 24)


@dataclass(frozen=True)
class Change:
    """The day the hours change and the hours of the week that moved there: never worked before it, never after."""

    day: dt.date
    not_before: tuple[int, ...]
    not_after: tuple[int, ...]

    @property
    def moved(self) -> tuple[int, ...]:
        return tuple(sorted(self.not_before + self.not_after))

    def sides(self, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A group's open hours over the whole span split at the change: the moved hours closed on the side
        where the firm never works them, every other hour as it is."""
        before, after = flags.copy(), flags.copy()
        before[list(self.not_before)] = False
        after[list(self.not_after)] = False
        return before, after


def change_day(instants: pd.Series) -> Change | None:
    """The day from which the group's hours of the week change by the rule above, or None."""
    instants = instants.dropna()
    if instants.empty:
        return None
    first = instants.min().normalize()
    day = ((instants - first).dt.days).to_numpy()
    last = int(day.max()) + 1
    worked_days = np.unique(np.stack([day, hour_of_week(instants)]), axis=1)  # (day, hour of the week) worked
    best, best_day, best_moved = 0, None, ((), ())
    for d in range(7 * MIN_WEEKS, last - 7 * MIN_WEEKS + 1):
        before = worked_days[1, worked_days[0] < d]
        worked = [np.bincount(before, minlength=HOURS), np.bincount(worked_days[1, worked_days[0] >= d], minlength=HOURS)]
        days = [_weekday_days(first, 0, d), _weekday_days(first, d, last)]
        score, moved_here = 0, []  # hours never worked before d, then never after
        for a, b in ((1, 0), (0, 1)):
            moved = _moved(worked[a] >= MOVED_SHARE * days[a], worked[b] >= MOVED_SHARE * days[b], worked[b] == 0)
            score += int(days[b][moved].sum())
            moved_here.append(tuple(np.flatnonzero(moved).tolist()))
        if score and score >= best:
            best, best_day, best_moved = score, d, tuple(moved_here)
    return None if best_day is None else Change((first + pd.Timedelta(days=best_day)).date(), *best_moved)


def hour_text(how: int) -> str:
    """An hour of the week as people read it: `Mon 07:00`."""
    return f"{DAYS[how // 24].capitalize()} {how % 24:02d}:00"
