"""Read an XES event log (IEEE 1849, plain or gzip) into a flat table, with the standard library's XML parser.

XES is a small XML vocabulary: ``<trace>`` elements with attributes (``concept:name`` is the case)
holding ``<event>`` elements with typed attributes (``<string key=... value=...>``, ``<date ...>``).
A streaming parse of it needs no process-mining framework, so none is a dependency.  Events with a
``lifecycle:transition`` of ``start`` are paired with the next ``complete`` event of the same
activity in the same trace, giving one row with ``start_timestamp`` and ``time:timestamp``; other
transitions (schedule, suspend, ...) are left out.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

_VALUED = {"string", "date", "int", "float", "boolean", "id"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attributes(element) -> dict:
    return {child.get("key"): child.get("value") for child in element if _local(child.tag) in _VALUED and child.get("key")}


def _pair(case: str, events: list[dict]) -> list[dict]:
    """One row per activity instance: a ``start`` transition gives the start of the next matching ``complete``."""
    rows, open_starts = [], {}
    for event in events:
        event = dict(event, **{"case:concept:name": case})
        transition = (event.pop("lifecycle:transition", None) or "complete").lower()
        key = (event.get("concept:name"), event.get("org:resource"))
        if transition == "start":
            open_starts.setdefault(key, []).append(event.get("time:timestamp"))
        elif transition == "complete":
            starts = open_starts.get(key) or open_starts.get((key[0], None)) or []
            if starts:
                event["start_timestamp"] = starts.pop(0)
            rows.append(event)
    return rows


def read_xes(path: Path) -> pd.DataFrame:
    """The events of the XES file *path* as a table, one column per attribute key (``case:concept:name`` for the case)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    rows: list[dict] = []
    with opener(path, "rb") as fh:
        case, events = None, []
        for action, element in ET.iterparse(fh, events=("start", "end")):
            tag = _local(element.tag)
            if action == "start" and tag == "trace":
                case, events = None, []
            elif action == "end" and tag == "event":
                events.append(_attributes(element))
                element.clear()
            elif action == "end" and tag == "trace":
                case = _attributes(element).get("concept:name")
                rows.extend(_pair(case, events))
                element.clear()
    frame = pd.DataFrame(rows)
    if "start_timestamp" in frame and frame["start_timestamp"].isna().all():
        frame = frame.drop(columns="start_timestamp")
    return frame
