"""Simulated event logs: the reference engine's event rows as a table, and written as CSV or Parquet.

Columns ``case, activity, department, employee, enabled, start, end`` (and
``replication`` first when there are several), so the log opens in any
process-mining tool.  Times are wall-clock timestamps when the scenario has a
``clock`` (t = 0 is ``clock.start``; one time unit a minute, an hour or a day),
model-time numbers otherwise.  A service's events carry its ``activity`` name
when the scenario gives one (several services may share one), else the service's
own name.  The file is written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from orgsim.errors import OptionError
from orgsim.execution.atomic import atomic_path
from orgsim.scenario.calendar import UNIT_MINUTES, parse_start

COLUMNS = ["case", "activity", "department", "employee", "enabled", "start", "end"]
TIMES = ["enabled", "start", "end"]
FORMATS = {".csv": "CSV", ".parquet": "Parquet"}


def events_frame(recorders, scenario, replications=None) -> pd.DataFrame:
    """One table of the recorders' rows (``orgsim.engines.reference.events``), sorted by case then start.

    *replications* labels each recorder (a ``replication`` column is added when there are several).
    """
    frames = []
    labels = list(replications) if replications is not None else list(range(len(recorders)))
    for label, rec in zip(labels, recorders):
        frame = pd.DataFrame(rec.rows, columns=COLUMNS)
        frame.insert(0, "replication", label)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["replication", *COLUMNS])
    frame = frame.sort_values(["replication", "case", "start", "end"], kind="stable").reset_index(drop=True)
    if len(recorders) == 1:
        frame = frame.drop(columns="replication")
    return to_wall_clock(named_activities(frame, scenario), scenario)


def named_activities(frame: pd.DataFrame, scenario) -> pd.DataFrame:
    """The ``activity`` column as the services' activity names (``Service.activity``, else the service's name)."""
    names = {(d, s): svc.activity for d, dept in scenario.departments.items()
             for s, svc in dept.services.items() if svc.activity is not None}
    if not names or frame.empty:
        return frame
    frame = frame.copy()
    frame["activity"] = [names.get(key, key[1]) for key in zip(frame["department"], frame["activity"])]
    return frame


def to_wall_clock(frame: pd.DataFrame, scenario) -> pd.DataFrame:
    """Model times as timestamps when the scenario has a clock (unchanged otherwise)."""
    if scenario.clock is None or scenario.time_unit not in UNIT_MINUTES:
        return frame
    origin = pd.Timestamp(parse_start(scenario.clock.start))
    unit = pd.Timedelta(minutes=UNIT_MINUTES[scenario.time_unit])
    frame = frame.copy()
    for column in TIMES:
        frame[column] = origin + frame[column].astype(float) * unit
    return frame


def check_events_path(path: str | os.PathLike) -> str:
    """The file format for *path* by its extension; ``OptionError`` (argument ``events``) for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        allowed = " or ".join(FORMATS)
        raise OptionError("events", f"{path}: unknown file type {suffix or '(none)'!r}; the event log is written as {allowed}")
    return FORMATS[suffix]


def write_events(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the event log to *path* (CSV or Parquet by its extension), atomically."""
    kind = check_events_path(path)
    with atomic_path(path) as tmp:
        if kind == "CSV":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
