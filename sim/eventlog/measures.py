"""What `orgsim score` compares between two event logs: KPIs of each log, and distances between them.

Both logs are read the same way (a real log and a simulated one): a table with
``case, activity, start, end, enabled`` as timestamps and a ``department`` per
row.  A case's cycle time runs from its first ``enabled`` (its first ``start``
when the real log has no enabled times) to its last ``end``; an activity's wait
is ``start - enabled`` and its processing ``end - start``.  A department's
utilisation is the activity time (start to end, within the scored span and
within the hours the scenario has it open) of its activities over the employee
time the scenario schedules it over that span.

The two distances are those of the business-process-simulation literature
(Chapela-Campa et al. 2023, the ``log-distance-measures`` package, version
2.2.0), computed the way that package computes them:

* ``cycle_time_distribution``: each case's duration, last end minus first
  *start*, cut into 1-hour bins counted from the shortest duration of the two
  logs together; the 1-D Wasserstein distance between the two logs' bin
  numbers, divided by the largest bin number of the two (``normalize=True``).
* ``circadian_event_distribution``: every start and every end timestamp, by
  weekday (Monday 0) and hour (0-23); per weekday the Wasserstein distance
  between the two logs' hours (0 when neither has an event that day, 23 when
  only one has), averaged over the 7 weekdays; in hours, not normalised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import wasserstein_distance

from orgsim.eventlog.reading import chosen_cases

HOUR = pd.Timedelta(hours=1)
CIRCADIAN_MISSING = 23.0
FLOOR_SPLITS = 20  # the package's penalty for a weekday only one log has events on


def cycle_times(frame: pd.DataFrame, since: str = "enabled") -> pd.Series:
    """Per case, hours from its first *since* time to its last end."""
    by_case = frame.groupby("case", sort=False)
    return (by_case["end"].max() - by_case[since].min()) / HOUR


def busy_hours(frame: pd.DataFrame, low: pd.Timestamp, high: pd.Timestamp, on_duty: dict | None = None) -> pd.Series:
    """Per department, hours of activity time (start to end) within [low, high] and within its on-duty hours.

    *on_duty* maps a department to ``(hours, open)``: hours since *low* and the hours it was open (someone
    scheduled) up to each, increasing; a department without an entry is always open.
    """
    start = ((frame["start"].clip(lower=low, upper=high) - low) / HOUR).to_numpy()
    end = ((frame["end"].clip(lower=low, upper=high) - low) / HOUR).to_numpy()
    busy = end - start
    for dept, (hours, opened) in (on_duty or {}).items():
        rows = (frame["department"] == dept).to_numpy()
        busy[rows] = np.interp(end[rows], hours, opened) - np.interp(start[rows], hours, opened)
    return pd.Series(busy, index=frame.index).groupby(frame["department"]).sum()


def kpis(
    frame: pd.DataFrame, span: tuple[pd.Timestamp, pd.Timestamp], staffed: dict[str, float], on_duty: dict | None = None
) -> dict[str, float]:
    """The KPIs of one log over *span*; *staffed* is each department's scheduled employee hours over it,
    *on_duty* its open hours (``busy_hours``): activity time outside them is not counted as busy.

    ``cases`` counts the cases in *frame* (the caller keeps those that started within the span);
    the cycle-time KPIs are in hours.
    """
    out: dict[str, float] = {"cases": float(frame["case"].nunique())}
    ct = cycle_times(frame)
    for name, value in (("mean", ct.mean()), ("p50", ct.quantile(0.5)), ("p90", ct.quantile(0.9))):
        out[f"cycle_time_{name}"] = float(value) if len(ct) else float("nan")
    wait = (frame["start"] - frame["enabled"]) / HOUR
    processing = (frame["end"] - frame["start"]) / HOUR
    for activity, rows in frame.groupby("activity", sort=True).groups.items():
        out[f"activity.{activity}.wait_mean"] = float(wait[rows].mean())
        out[f"activity.{activity}.processing_mean"] = float(processing[rows].mean())
    busy = busy_hours(frame, *span, on_duty)
    for dept, hours in staffed.items():
        out[f"department.{dept}.utilisation"] = float(busy.get(dept, 0.0) / hours) if hours > 0 else float("nan")
    return out


def cycle_time_distance(first: pd.DataFrame, second: pd.DataFrame) -> float:
    """The normalised cycle-time distribution distance (module docstring), in [0, 1]."""
    a = cycle_times(first, "start").to_numpy()
    b = cycle_times(second, "start").to_numpy()
    if a.size == 0 or b.size == 0:
        return float("nan")
    low = min(a.min(), b.min())
    a_bins, b_bins = np.floor(a - low), np.floor(b - low)
    distance = wasserstein_distance(a_bins, b_bins)
    largest = max(a_bins.max(), b_bins.max())
    return float(distance / largest) if largest > 0 else float(distance)


def _weekday_hours(frame: pd.DataFrame) -> pd.DataFrame:
    instants = pd.concat([frame["start"], frame["end"]], ignore_index=True)
    return pd.DataFrame({"weekday": instants.dt.day_of_week, "hour": instants.dt.hour})


def circadian_distance(first: pd.DataFrame, second: pd.DataFrame) -> float:
    """The circadian event distribution distance (module docstring), in hours, 0 to 23."""
    a, b = _weekday_hours(first), _weekday_hours(second)
    distances = []
    for day in range(7):
        x = a.loc[a["weekday"] == day, "hour"].to_numpy()
        y = b.loc[b["weekday"] == day, "hour"].to_numpy()
        if x.size and y.size:
            distances.append(wasserstein_distance(x, y))
        else:
            distances.append(0.0 if x.size == y.size else CIRCADIAN_MISSING)
    return float(np.mean(distances))


DISTANCES = {"cycle_time_distribution": cycle_time_distance, "circadian_event_distribution": circadian_distance}


def distances(first: pd.DataFrame, second: pd.DataFrame) -> dict[str, float]:
    """Every distance between two logs, by name."""
    return {name: f(first, second) for name, f in DISTANCES.items()}


def _halves(frame: pd.DataFrame, seed: int) -> dict[str, float]:
    """Every distance between the two halves ``split_by_case(log, 0.5, seed)`` makes of *frame*."""
    first = frame["case"].astype(str).isin(chosen_cases(frame["case"], 0.5, seed))
    return distances(frame[first], frame[~first])


def noise_floor(frame: pd.DataFrame, splits: int = FLOOR_SPLITS, seed: int | None = None) -> dict[str, float]:
    """Per distance, its median between the two halves of *frame* over *splits* splits by case (seeds 0, 1, ...,
    each the split ``split_by_case(log, 0.5, seed)`` makes): what two samples of one process differ by.

    With *seed*, the floor of a check that fits on one half of that split and scores on the other: the larger of
    that median and the distance between the split's own two halves, since a fit learns only its half and cannot
    be asked to come closer to the other half than its own half is."""
    runs = [_halves(frame, s) for s in range(splits)]
    median = {name: float(np.median([run[name] for run in runs])) for name in DISTANCES}
    if seed is None:
        return median
    own = runs[seed] if seed < splits else _halves(frame, seed)
    return {name: max(median[name], own[name]) for name in DISTANCES}
