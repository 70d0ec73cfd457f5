"""Read a business-process event log (CSV, CSV.gz, Parquet, XES) into one canonical table.

Every later step (fitting, scoring) sees the same seven columns whatever the export called them:
``case, activity, resource, role, start, end, enabled``.  Times are kept as *local wall-clock time*
(a UTC offset written in the file is dropped, not applied): a working calendar means "09:00 where
the people work", and a log whose offset changes with daylight saving would otherwise shift every
summer hour by one.  Rows are sorted by case, then start, then end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orgsim.errors import EventLogError, one_line
from orgsim.eventlog.xes import read_xes
from orgsim.scenario.checks import listing, suggest

COLUMNS = ("case", "activity", "resource", "role", "start", "end", "enabled")
TIMES = ("start", "end", "enabled")
REQUIRED = ("case", "activity")

# Names an export commonly gives each canonical column, most specific first (compared after _normal).
ALIASES = {
    "case": ("case_id", "case:concept:name", "caseid", "case", "case_concept_name", "trace_id", "process_instance"),
    "activity": ("activity", "concept:name", "activity_name", "task", "task_name", "event_name", "action"),
    "resource": ("resource", "org:resource", "resource_id", "user", "performer", "agent", "employee", "worker"),
    "role": ("role", "org:role", "org:group", "group", "department", "team"),
    "start": ("start_time", "start_timestamp", "start", "starttime", "start_date", "started"),
    "end": ("end_time", "end_timestamp", "time:timestamp", "complete_timestamp", "end", "endtime", "timestamp",
            "end_date", "completed", "time"),
    "enabled": ("enabled_time", "enable_time", "enabled_timestamp", "enabled", "ready_time"),
}  # fmt: skip

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq", ".xes", ".xes.gz")
_OFFSET = re.compile(r"(\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)


@dataclass(frozen=True)
class EventLog:
    """A read event log: the canonical table and where each column came from.

    *frame* has the columns of ``COLUMNS`` (times as naive local wall-clock ``datetime64``; ``role``,
    ``resource`` and ``enabled`` may be all missing); *source* maps each canonical column to the file's
    column name or None; *derived_start* is True when the file had one time per event, read as the
    end, and start was derived (the previous end of the same case, or the end itself for a case's
    first event).  An event with an end but no start (a lone XES ``complete``) is an instant: start = end.
    """

    frame: pd.DataFrame
    path: str = ""
    source: dict = field(default_factory=dict)
    derived_start: bool = False

    @property
    def cases(self) -> int:
        """Number of distinct cases."""
        return int(self.frame["case"].nunique())

    def __len__(self) -> int:
        return len(self.frame)


def _normal(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _kind(path: Path) -> str:
    name = path.name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return {".pq": "parquet", ".csv.gz": "csv", ".xes.gz": "xes"}.get(suffix, suffix[1:])
    raise EventLogError(f"{path}: unknown event-log file type; allowed: {', '.join(SUFFIXES)}")


def _load(path: Path) -> pd.DataFrame:
    """The file as a table of its own columns (CSV values as text, so ids and times stay as written)."""
    kind = _kind(path)
    if not path.is_file():
        raise EventLogError(f"{path}: no such file")
    try:
        if kind == "csv":
            return pd.read_csv(path, dtype=str, skipinitialspace=True)
        if kind == "parquet":
            return pd.read_parquet(path)
        return read_xes(path)
    except EventLogError:
        raise
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except Exception as exc:  # a corrupt file: say which and why, in one line
        raise EventLogError(f"{path}: cannot be read as {kind.upper()} ({one_line(str(exc))[:200]})") from None


def _pick(path: Path, columns: list[str], asked: dict) -> dict:
    """Canonical column -> file column: the one asked for by name, else the first common name present."""
    by_normal = {}
    for col in columns:
        by_normal.setdefault(_normal(col), col)
    chosen: dict = {}
    for canon in COLUMNS:
        name = asked.get(canon)
        if name is not None:
            if name not in columns:
                raise EventLogError(f"{path}: no column `{name}` for the {canon} (--{canon}); "
                                    f"columns: {listing(columns)}{suggest(name, columns)}")
            chosen[canon] = name
            continue
        taken = set(chosen.values())
        chosen[canon] = next((by_normal[a] for a in ALIASES[canon] if a in by_normal and by_normal[a] not in taken), None)
    for canon in REQUIRED:
        if chosen[canon] is None:
            raise EventLogError(f"{path}: no {canon} column found (looked for {', '.join(ALIASES[canon][:4])}, ...; "
                                f"name it with --{canon}); columns: {listing(columns)}")
    if chosen["end"] is None and chosen["start"] is None:
        raise EventLogError(f"{path}: no time column found (looked for {', '.join(ALIASES['end'][:4])}, ...; "
                            f"name it with --end); columns: {listing(columns)}")
    return chosen


def _times(path: Path, raw: pd.Series, column: str, required: bool) -> pd.Series:
    """Parse one time column to naive local wall-clock time; a bad or (if *required*) missing value is an error."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_localize(None).astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw.astype("datetime64[ns]")
    text = raw.astype("string").str.strip()
    text = text.where(text != "", pd.NA)
    clean = text.str.replace(_OFFSET, r"\1", regex=True)
    parsed = pd.to_datetime(clean, format="ISO8601", errors="coerce")
    if parsed[text.notna()].isna().any():
        parsed = pd.to_datetime(clean, format="mixed", errors="coerce", dayfirst=False)
    bad = np.flatnonzero((text.notna() & parsed.isna()).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise EventLogError(f"{path}: row {i + 1}, column `{column}`: cannot read {str(text.iloc[i])[:60]!r} as a time "
                            f"(expected e.g. 2023-02-09T08:05:04 or 2011-01-01 12:37:00+02:00)")
    missing = np.flatnonzero(text.isna().to_numpy())
    if required and len(missing):
        raise EventLogError(f"{path}: row {int(missing[0]) + 1}, column `{column}`: no time given")
    return parsed.astype("datetime64[ns]")


def _derive_start(frame: pd.DataFrame) -> pd.Series:
    """Start of each event when the log has one time: the previous end in its case, or its own end if first."""
    order = frame.sort_values(["case", "end"], kind="stable")
    previous = order.groupby("case", sort=False)["end"].shift(1)
    return previous.fillna(order["end"]).reindex(frame.index)


def read_log(path, *, case=None, activity=None, resource=None, role=None, start=None, end=None, enabled=None) -> EventLog:
    """Read the event log at *path*; a keyword names the file's column for that canonical column.

    Columns not named are found by their common names (``ALIASES``).  With one time column only,
    it is the end and start is derived (see ``EventLog``).  Raises ``EventLogError`` with one line
    naming the file, row and column for: unknown file type, missing column, unreadable or missing
    time, end before start, an empty log.
    """
    path = Path(path)
    table = _load(path)
    asked = {"case": case, "activity": activity, "resource": resource, "role": role,
             "start": start, "end": end, "enabled": enabled}  # fmt: skip
    columns = [str(c) for c in table.columns]
    table.columns = columns
    chosen = _pick(path, columns, asked)
    if chosen["end"] is None:  # one time column: it is the end of each event
        chosen["end"], chosen["start"] = chosen["start"], None
    if table.empty:
        raise EventLogError(f"{path}: the event log has no events")
    frame = pd.DataFrame(index=table.index)
    for canon in ("case", "activity", "resource", "role"):
        col = chosen[canon]
        frame[canon] = table[col].astype("string").str.strip() if col is not None else pd.Series(pd.NA, index=table.index, dtype="string")
    for canon in REQUIRED:
        gaps = np.flatnonzero(frame[canon].isna().to_numpy() | (frame[canon] == "").fillna(True).to_numpy())
        if len(gaps):
            raise EventLogError(f"{path}: row {int(gaps[0]) + 1}, column `{chosen[canon]}`: no {canon} given")
    for canon in TIMES:
        col = chosen[canon]
        frame[canon] = _times(path, table[col], col, canon == "end") if col is not None else pd.NaT
    derived = chosen["start"] is None
    if derived:
        frame["start"] = _derive_start(frame)
    frame["start"] = frame["start"].fillna(frame["end"])  # an event without a start (an XES `complete` alone) is an instant
    backwards = np.flatnonzero((frame["end"] < frame["start"]).to_numpy())
    if len(backwards):
        i = int(backwards[0])
        raise EventLogError(f"{path}: row {i + 1}: end {frame['end'].iloc[i]} is before start {frame['start'].iloc[i]}")
    frame = frame.sort_values(["case", "start", "end"], kind="stable").reset_index(drop=True)
    frame = frame[list(COLUMNS)]
    return EventLog(frame=frame, path=str(path), source=chosen, derived_start=derived)


def chosen_cases(cases: pd.Series, fraction: float, seed: int) -> set:
    """The random *fraction* of the distinct *cases* that ``split_by_case`` puts in its first part, for *seed*."""
    if not 0.0 < fraction < 1.0:
        raise EventLogError(f"split fraction must be between 0 and 1 (got {fraction})")
    distinct = np.sort(cases.unique().astype(str))
    return set(np.random.default_rng(seed).permutation(distinct)[: int(round(fraction * len(distinct)))])


def split_by_case(log: EventLog, fraction: float, seed: int = 0) -> tuple[EventLog, EventLog]:
    """Split *log* by case (never by row): a random *fraction* of its cases, and the rest.

    Uses ``numpy.random.default_rng(seed)``, so a split is the same for one seed on every machine.
    """
    mask = log.frame["case"].isin(chosen_cases(log.frame["case"], fraction, seed)).to_numpy()
    parts = (log.frame[mask].reset_index(drop=True), log.frame[~mask].reset_index(drop=True))
    return tuple(EventLog(frame=p, path=log.path, source=log.source, derived_start=log.derived_start) for p in parts)
