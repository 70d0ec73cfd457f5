"""When a firm works, learned from its log: open hours of the week, holidays, and working time inside an interval.

Rules (the README's "From an event log" states them for users):

* an hour of the week (Monday 00:00-01:00 is hour 0) is *open* for a group of resources when the
  weeks in which some event of theirs starts or ends in it are at least ``OPEN_SHARE`` of the weeks
  of their busiest hour (and at least one): relative, so a person seen a few times a month is not
  closed where a busy team would be; an hour in which work runs but nothing starts or ends is open too when it lies
  between two open hours of the same day (a long job does not close the office around it);
* a *holiday* is a day, inside the log's span, of a weekday that is open for someone, on which no
  event starts or ends and no case arrives;
* the *working time* of an interval is the part of it inside open hours and outside holidays.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from orgsim.scenario.calendar import DAYS

OPEN_SHARE = 0.1
HOURS = 168


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

    def __init__(self, origin: pd.Timestamp, days: int, is_open: np.ndarray, closed_dates: list[str]):
        origin = origin.normalize()  # midnight: day k of the span is minutes [k * 1440, (k + 1) * 1440)
        week = np.roll(np.repeat(is_open.astype(np.float64), 60), -origin.day_of_week * 1440)
        flags = np.tile(week, days // 7 + 2)[: (days + 1) * 1440]
        for text in closed_dates:
            k = (pd.Timestamp(text) - origin).days
            if 0 <= k <= days:
                flags[k * 1440:(k + 1) * 1440] = 0.0
        self.origin, self.flags = origin, flags
        self.cum = np.concatenate([[0.0], np.cumsum(flags)])

    def working(self, times: pd.Series) -> np.ndarray:
        """Working minutes from the origin to each time (fractions of a minute counted in proportion)."""
        m = ((times - self.origin).dt.total_seconds() / 60.0).to_numpy()
        m = np.clip(m, 0.0, len(self.flags) - 1e-9)
        whole = np.floor(m).astype(int)
        return self.cum[whole] + (m - whole) * self.flags[whole]
