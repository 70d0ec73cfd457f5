"""``--grid PATH=V1,V2,...`` read into the (path, values) pairs a sweep takes; ``--reference`` into the cell it names."""

from __future__ import annotations

import yaml

from orgsim.errors import OptionError
from orgsim.scenario.loader import CONSTRUCT_ERRORS


def parse_grid(texts: list[str]) -> list[tuple[str, list]]:
    """``PATH=V1,V2,...`` -> (path, [values]); each value read as YAML, numbers of one path made one type."""
    grid, problems, seen = [], [], set()
    for text in texts:
        if "=" not in text:
            problems.append(f"{text}: expected PATH=V1,V2,..., e.g. departments.it.headcount=2,3,4")
            continue
        path, rest = (s.strip() for s in text.split("=", 1))
        raw = [v.strip() for v in rest.split(",")]
        if not path or not all(raw):
            problems.append(f"{text}: expected PATH=V1,V2,... with no empty path or value")
            continue
        if path in seen:
            problems.append(f"{text}: {path} is already swept by another --grid")
            continue
        seen.add(path)
        try:
            values = [yaml.safe_load(v) for v in raw]
        except (yaml.YAMLError, RecursionError, *CONSTRUCT_ERRORS):
            problems.append(f"{text}: a value is not valid YAML")
            continue
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            if any(isinstance(v, float) for v in values):
                values = [float(v) for v in values]
        elif not all(isinstance(v, str) for v in values) and not all(isinstance(v, bool) for v in values):
            values = [str(v) for v in raw]
        if len(set(map(repr, values))) != len(values):
            problems.append(f"{text}: a value is repeated")
            continue
        grid.append((path, values))
    if problems:
        raise OptionError("grid", "; ".join(problems))
    return grid


def parse_reference(text: str | None) -> dict | None:
    """``PATH=VALUE[,PATH=VALUE...][,policy=LABEL]`` -> {path: value}, each value read as YAML as in ``--grid``."""
    if text is None:
        return None
    wanted = {}
    for item in text.split(","):
        path, sep, value = (s.strip() for s in item.partition("="))
        if not sep or not path or not value:
            raise OptionError("reference", f"{text}: expected PATH=VALUE[,PATH=VALUE...][,policy=LABEL], "
                              "e.g. departments.it.headcount=3,policy=fixed")
        try:
            wanted[path] = value if path == "policy" else yaml.safe_load(value)
        except (yaml.YAMLError, RecursionError, *CONSTRUCT_ERRORS):
            raise OptionError("reference", f"{text}: `{value}` is not valid YAML") from None
    return wanted
