"""Score a scenario against a real event log: simulate the log's time span and compare KPIs and distances.

The scenario is run over the log's span: its clock starts at the log's first
case start (to the minute), with no warm-up, and its horizon reaches past the
log's last end by the log's longest cycle time, so cases that arrive late in the
span can finish.  A simulated case counts when it arrives within the span (the
real log's cases all start in it) and has an event (a real log has no case
without one); cycle times are those of the cases that completed.
Each replication's simulated log is compared with the real one by the KPIs and
distances of ``orgsim.eventlog.measures``; a KPI's simulated value is the mean
over replications with its 95 % interval, a distance the mean over replications.
The distances compare the events of the activities the real log has: a service
it never names (a delay the fit modelled as work of a ``waits`` department) is
time inside a case, not an event the real log could show.
A log activity is matched to the scenario's services whose activity name (``activity``,
else the service's name) is the same, both written as `orgsim fit` writes names
(``orgsim.eventlog.discovery.identifier``); several services carrying one name
(repeat visits of one activity) are one activity of the simulated log, so its
per-activity KPIs pool their events.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orgsim import metrics
from orgsim.engines.reference import record_events
from orgsim.errors import OptionError
from orgsim.eventlog.discovery import identifier
from orgsim.eventlog.measures import HOUR, distances, kpis
from orgsim.eventlog.reading import EventLog, read_log
from orgsim.eventlog.simulated import events_frame
from orgsim.policies import effective_scenario
from orgsim.scenario.calendar import UNIT_MINUTES
from orgsim.scenario.edit import edited
from orgsim.scenario.loader import load
from orgsim.scenario.schema import Scenario
from orgsim.studies.allocation import headcount as resolve_headcount


@dataclass
class Score:
    """The comparison: per KPI the log's value and the simulation's mean and interval; per distance its mean."""

    scenario: str
    log: str
    replications: int
    kpis: dict[str, dict[str, float]]
    distances: dict[str, float]
    distance_runs: dict[str, list[float]] = field(default_factory=dict)  # each replication's distance

    def to_json(self) -> dict:
        clean = lambda v: None if v is None or not math.isfinite(v) else v
        return {
            "scenario": self.scenario,
            "log": self.log,
            "replications": self.replications,
            "kpis": {k: {f: clean(v) for f, v in stats.items()} for k, stats in self.kpis.items()},
            "distances": {k: clean(v) for k, v in self.distances.items()},
        }

    def frame(self) -> pd.DataFrame:
        """One row per KPI: log, sim, ci_low, ci_high."""
        return pd.DataFrame.from_dict(self.kpis, orient="index")


def fill_enabled(frame: pd.DataFrame) -> pd.DataFrame:
    """Enabled times where missing: the latest end of the case's activities that ended by the start, else the start."""
    frame = frame.sort_values(["case", "start", "end"], kind="stable").reset_index(drop=True)
    missing = frame["enabled"].isna()
    if not missing.any():
        return frame
    enabled = frame["enabled"].copy()
    for _, rows in frame.groupby("case", sort=False).groups.items():
        ends = frame.loc[rows, "end"].to_numpy()
        for i, start in zip(rows, frame.loc[rows, "start"].to_numpy()):
            if missing[i]:
                before = ends[ends <= start]
                enabled[i] = before.max() if before.size else start
    frame["enabled"] = enabled
    return frame


def log_frame(log: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The real log in the measures' form: activities as service names, a department per row."""
    frame = log[["case", "activity", "start", "end"]].copy()
    frame["enabled"] = log["enabled"] if "enabled" in log else pd.NaT
    frame["activity"] = frame["activity"].map(identifier)
    owners: dict[str, list[str]] = {}
    for dept, spec in scenario.departments.items():
        for service, svc in spec.services.items():
            name = identifier(svc.activity) if svc.activity is not None else service
            if dept not in owners.setdefault(name, []):
                owners[name].append(dept)
    roles = log["role"].map(identifier) if "role" in log else pd.Series(None, index=log.index)
    frame["department"] = [
        (role if role in owners.get(a, ()) else owners[a][0]) if a in owners else None
        for a, role in zip(frame["activity"], roles)
    ]
    return fill_enabled(frame)


def _span_scenario(scenario: Scenario, start: pd.Timestamp, end: pd.Timestamp, tail: pd.Timedelta) -> Scenario:
    """The scenario over the log's span: clock at *start*, no warm-up, horizon to *end* plus *tail*."""
    if scenario.time_unit not in UNIT_MINUTES:
        raise OptionError("scenario", f"time_unit is {scenario.time_unit!r}; scoring against a log needs minute, hour or day")
    unit = pd.Timedelta(minutes=UNIT_MINUTES[scenario.time_unit])
    horizon = (end - start + tail) / unit

    def change(raw: dict) -> None:
        raw["clock"] = {"start": start.strftime("%Y-%m-%d %H:%M")}
        raw["horizon"] = horizon
        raw["warmup"] = 0.0
        raw["period"] = min(float(raw.get("period", horizon)), horizon)

    return edited(scenario, change, "the scenario over the log's span")


def _schedules(scenario: Scenario, heads: dict[str, int], span_units: float, unit_hours: float) -> tuple[dict, dict]:
    """Each department's scheduled employee hours over [0, span], and its open hours as ``busy_hours`` wants them."""
    staffed, on_duty = {}, {}
    for dept in scenario.departments:
        sched = scenario.staff_schedule(dept, heads[dept])
        if sched is None:
            staffed[dept] = heads[dept] * span_units * unit_hours
            continue
        ends = np.append(sched.breaks[1:], sched.horizon)
        overlap = np.clip(np.minimum(ends, span_units) - sched.breaks, 0.0, None)
        staffed[dept] = float(np.sum(overlap * sched.heads)) * unit_hours
        points = np.append(sched.breaks, sched.horizon) * unit_hours
        opened = np.concatenate(([0.0], np.cumsum((ends - sched.breaks) * unit_hours * (sched.heads > 0))))
        on_duty[dept] = (points, opened)
    return staffed, on_duty


def score(
    scenario: Scenario | str | os.PathLike, log: EventLog | pd.DataFrame | str | os.PathLike, replications: int = 20,
    seed: int = 0,
) -> Score:
    """Simulate *scenario* over the span of the event *log* and compare (module docstring).

    Parameters
    ----------
    scenario : Scenario, str or path
        A validated scenario whose services are named after the log's activities, a file, or a shipped name.
    log : EventLog, pandas.DataFrame, str or path
        The real log: a file (read by ``orgsim.eventlog.read_log``), what it returns, or a table with columns
        ``case, activity, start, end`` and optionally ``enabled`` and ``role``, times as timestamps.
    replications, seed : int
        Replications of the reference engine (which records event logs) and their seed.

    Returns
    -------
    Score
        ``to_json()`` (scenario, log, replications, kpis, distances) and ``frame()``.
    """
    names = (os.fspath(scenario) if not isinstance(scenario, Scenario) else "scenario",
             os.fspath(log) if isinstance(log, (str, os.PathLike)) else getattr(log, "path", "") or "log")
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if isinstance(log, (str, os.PathLike)):
        log = read_log(log)
    if isinstance(log, EventLog):
        log = log.frame
    if replications < 1:
        raise OptionError("replications", f"must be at least 1 (got {replications})")
    if log.empty:
        raise OptionError("log", "has no events")
    real = log_frame(log, scenario)
    has_enabled = "enabled" in log and log["enabled"].notna().all()
    first = real.groupby("case")["enabled"].min().min()
    start, end = first.floor("min"), real["end"].max()
    tail = pd.Timedelta(hours=float((real.groupby("case")["end"].max() - real.groupby("case")["enabled"].min()).max() / HOUR))
    sc = effective_scenario(_span_scenario(scenario, start, end, tail))
    heads = resolve_headcount(sc)
    unit_hours = UNIT_MINUTES[sc.time_unit] / 60.0
    span_units = (end - start) / HOUR / unit_hours
    staffed, on_duty = _schedules(sc, heads, span_units, unit_hours)
    window = (start, end)
    log_kpis = kpis(real, window, staffed, on_duty)
    named = set(real["activity"])  # the distances compare the events of the activities the real log has
    runs: list[dict[str, float]] = []
    dist_runs: dict[str, list[float]] = {}
    for rec in record_events(sc, heads, seed, range(replications)):
        inside = {case for case, t in rec.arrived.items() if t <= span_units}
        frame = events_frame([rec], sc)
        frame = frame[frame["case"].isin(inside)].assign(activity=lambda f: f["activity"].map(identifier))
        if not has_enabled:
            frame = fill_enabled(frame.assign(enabled=pd.NaT))
        done = frame[frame["case"].isin(set(rec.completed) & inside)]
        values = kpis(frame, window, staffed, on_duty)
        values.update({k: v for k, v in kpis(done, window, staffed, on_duty).items() if k.startswith("cycle_time")})
        runs.append(values)
        for name, value in distances(real, done[done["activity"].isin(named)]).items():
            dist_runs.setdefault(name, []).append(value)
    return Score(names[0], names[1], replications, _table(log_kpis, runs),
                 {k: float(np.nanmean(v)) for k, v in dist_runs.items()}, dist_runs)


def _table(log_kpis: dict[str, float], runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per KPI (the log's and the simulation's, log's first): log value, simulated mean and 95 % interval."""
    names = list(log_kpis) + sorted({k for run in runs for k in run} - set(log_kpis))
    out = {}
    for name in names:
        values = np.array([run.get(name, np.nan) for run in runs], dtype=float)
        values = values[~np.isnan(values)]
        high = 1.0 if name.endswith(".utilisation") else metrics.INF
        mean = float(values.mean()) if values.size else float("nan")
        std = float(values.std(ddof=1)) if values.size > 1 else float("nan")
        lo, hi = metrics.interval(mean, std, values.size, 0.0, high)
        out[name] = {"log": log_kpis.get(name, float("nan")), "sim": mean, "ci_low": float(lo), "ci_high": float(hi)}
    return out
