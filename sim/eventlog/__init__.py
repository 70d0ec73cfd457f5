"""Event logs of real processes: read them into one canonical table, and learn a scenario from them."""

from orgsim.eventlog.reading import COLUMNS, EventLog, read_log, split_by_case

__all__ = ["COLUMNS", "EventLog", "read_log", "split_by_case"]
