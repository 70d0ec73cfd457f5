"""Read a scenario file safely and turn every problem into one precise, located message.

YAML is read with the safe loader only.  Files that are missing, not
regular, empty, binary, larger than ``MAX_BYTES``, nested deeper than
``MAX_DEPTH`` or expanding to more than ``MAX_NODES`` nodes (alias bombs) are
refused before validation.  Messages look like
``acme.yaml:14: departments.it.services.fix.time.mean: must be > 0 (got -1)``.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from orgsim.errors import ScenarioError
from orgsim.scenario import agreements, units
from orgsim.scenario.budget import budget_problems
from orgsim.scenario.checks import listing, reference_problems, stability_problems, suggest
from orgsim.scenario.schema import DISTRIBUTIONS, DatedCalendar, Scenario

MAX_BYTES = 5 * 1024 * 1024  # a scenario is a page of YAML; 5 MiB leaves ample room
MAX_DEPTH = 40
MAX_NODES = 200_000
UNION_TAGS = {
    "time": set(DISTRIBUTIONS),
    "patience": set(DISTRIBUTIONS),
    "lead_time": set(DISTRIBUTIONS),
    "handoff": set(DISTRIBUTIONS),
    "arrivals": {"open", "population"},
    "rate": {"number", "table"},
    "rate_per_customer": {"number", "table"},
    "draw": set(DISTRIBUTIONS),  # units.vary.PATH: a distribution (tag `draw`) ...
    "multiply": set(DISTRIBUTIONS),  # ... or {multiply: distribution} (tag `multiply`)
}
CALENDAR_TAGS = {"plain": None, "dated": DatedCalendar}  # a calendar's union tags (the member for `dated`)
# what PyYAML's constructor raises besides YAMLError on malformed scalars (`!!float abc`, `!!float ""`, `2001-13-01`)
CONSTRUCT_ERRORS = (ValueError, TypeError, AttributeError, LookupError, OverflowError)


def _part(p) -> str:
    """A path part as it can be shown on one line (odd keys in repr form)."""
    text = str(p)
    return _clip(text if text.isprintable() and text.strip() == text and text else repr(text))


def dotted(path: Iterable) -> str:
    return ".".join(_part(p) for p in path) or "(top level)"


# --------------------------------------------------------------------------- reading


def read_mapping(path: str | os.PathLike) -> tuple[dict, dict[tuple, int]]:
    """Read a YAML file into a mapping and a map from field path to line number."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise ScenarioError([f"{name}: no such file{_nearest_file(p)}"])
    if p.is_dir():
        raise ScenarioError([f"{name}: is a directory, not a scenario file"])
    if not p.is_file():
        raise ScenarioError([f"{name}: not a regular file"])
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise ScenarioError([f"{name}: file is {size} bytes; scenario files are limited to {MAX_BYTES} bytes"])
    data = p.read_bytes()
    return parse_text(data, name)


def parse_text(data: bytes | str, name: str = "<scenario>") -> tuple[dict, dict[tuple, int]]:
    """Parse YAML text into a mapping plus line numbers, refusing anything that is not a scenario-shaped mapping."""
    if isinstance(data, bytes):
        if b"\x00" in data:
            raise ScenarioError([f"{name}: binary file, not YAML text"])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError([f"{name}: not UTF-8 text (byte {exc.start})"]) from None
    else:
        text = data
    if not text.strip():
        raise ScenarioError([f"{name}: empty file; a scenario needs at least `departments`"])
    reader = _reader(text)
    try:
        node = reader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # the C parser's own depth limit
            raise ScenarioError([f"{name}: nested deeper than {MAX_DEPTH} levels"]) from None
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ScenarioError([f"{name}:{line}: invalid YAML: {exc.problem}"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{name}: invalid YAML: {exc}"]) from None
    except RecursionError:
        raise ScenarioError([f"{name}: nested deeper than {MAX_DEPTH} levels"]) from None
    if node is None:
        raise ScenarioError([f"{name}: empty file; a scenario needs at least `departments`"])
    lines: dict[tuple, int] = {}
    _walk(node, (), 0, lines, [0], name)
    if not isinstance(node, yaml.MappingNode):
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        raise ScenarioError([f"{name}:1: the top level must be a mapping of scenario fields (got {kind})"])
    try:
        raw = reader.construct_document(node)  # built from the nodes already read: the text is parsed once
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ScenarioError([f"{name}:{line}: invalid YAML: {exc.problem}"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{name}: invalid YAML: {exc}"]) from None
    except CONSTRUCT_ERRORS as exc:
        raise ScenarioError([f"{name}: invalid YAML value: {exc}"]) from None
    return raw, lines


class _Reader(yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """The safe loader with libyaml's parser (about ten times faster on a long file) under PyYAML's composer.

    The composer stays in Python so that a deep nesting ends in a RecursionError, never a C stack overflow.
    """

    def __init__(self, text: str):
        parser = _CParser(text)
        self.check_event, self.peek_event, self.get_event = parser.check_event, parser.peek_event, parser.get_event
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python safe loader
    _CParser = None


def _reader(text: str):
    return _Reader(text) if _CParser is not None else yaml.SafeLoader(text)


def _walk(node, path: tuple, depth: int, lines: dict, count: list, name: str) -> None:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise ScenarioError([f"{name}: more than {MAX_NODES} YAML nodes (aliases expanded); refusing"])
    if depth > MAX_DEPTH:
        raise ScenarioError([f"{name}:{node.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels"])
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            sub = path + (key.value if isinstance(key, yaml.ScalarNode) else "?",)
            if isinstance(key, yaml.ScalarNode):
                if key.value in first:
                    raise ScenarioError(
                        [f"{name}:{key.start_mark.line + 1}: {dotted(sub)}: duplicate key (first at line "
                         f"{first[key.value]}); the later one would silently replace it"]
                    )
                first[key.value] = key.start_mark.line + 1
            lines[sub] = key.start_mark.line + 1
            _walk(value, sub, depth + 1, lines, count, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), depth + 1, lines, count, name)


# --------------------------------------------------------------------------- overrides


def apply_overrides(raw: dict, overrides: Iterable[str]) -> tuple[dict, set[tuple]]:
    """Apply ``PATH=VALUE`` overrides (VALUE read as a YAML scalar or flow value) to a copy of *raw* (*raw* itself if none)."""
    import copy

    overrides = list(overrides)
    if not overrides:
        return raw, set()
    raw = copy.deepcopy(raw)
    touched: set[tuple] = set()
    problems = []
    for item in overrides:
        shown = _clip(item)  # a long value is echoed shortened, never in full
        if "=" not in item:
            problems.append(f"--set {shown}: expected PATH=VALUE, e.g. departments.it.headcount=4")
            continue
        path_text, value_text = item.split("=", 1)
        keys = [k for k in path_text.strip().split(".")]
        if not all(keys):
            problems.append(f"--set {shown}: empty name in path `{_clip(path_text)}`")
            continue
        try:
            value = yaml.safe_load(value_text) if value_text.strip() else ""
        except (yaml.YAMLError, RecursionError, *CONSTRUCT_ERRORS):
            problems.append(f"--set {shown}: value `{_clip(value_text)}` is not valid YAML")
            continue
        node: Any = raw
        path: tuple = ()
        kind: Any = Scenario  # the schema type at `path` (None once the path leaves the schema)
        ok = True
        for key in keys[:-1]:
            if isinstance(node, list):
                if not key.isdigit() or int(key) >= len(node):
                    problems.append(f"--set {shown}: `{dotted(path)}` is a list of {len(node)}; `{_clip(key)}` is not an index")
                    ok = False
                    break
                key = int(key)
            elif isinstance(node, dict):
                unknown = _unknown_name(kind, node, key, path)
                if unknown:
                    problems.append(f"--set {shown}: {unknown}")
                    ok = False
                    break
                node.setdefault(key, {})
            else:
                problems.append(f"--set {shown}: `{dotted(path)}` is a value, not a mapping")
                ok = False
                break
            path += (key,)
            node = node[key]
            kind = _step_into(kind, key) if kind is not None else None
        if not ok:
            continue
        last: Any = keys[-1]
        if isinstance(node, list):
            if not last.isdigit() or int(last) >= len(node):
                problems.append(f"--set {shown}: `{dotted(path)}` is a list of {len(node)}; `{_clip(last)}` is not an index")
                continue
            last = int(last)
        elif not isinstance(node, dict):
            problems.append(f"--set {shown}: `{dotted(path)}` is a value, not a mapping")
            continue
        node[last] = value
        touched.add(path + (last,))
    if problems:
        raise ScenarioError(problems)
    return raw, touched


NAMED = {"departments": "department", "services": "service", "segments": "segment", "suppliers": "supplier"}


def _unknown_name(kind: Any, node: dict, key: str, path: tuple) -> str | None:
    """Why an override may not go *through* `key`: a name the collection *node* lacks (a department, service,
    segment or supplier).  A new one is set whole (``departments.new={...}``), never field by field, so a
    misspelled name is reported as such instead of as an entry missing its required fields."""
    if key in node or kind is None or not any(typing.get_origin(t) is dict for t in _unwrap(kind)):
        return None
    what = NAMED.get(path[-1] if path else "", "name")
    owner = f" of `{_part(path[-2])}`" if what == "service" and len(path) > 1 else ""
    return (f"unknown {what} `{_clip(_part(key))}`{owner}{suggest(key, node)} ({what}s{owner}: "
            f"{listing(_part(n) for n in node)}; a new one is set whole: `{dotted(path + (key,))}={{...}}`)")


# --------------------------------------------------------------------------- validation


def validate_mapping(
    raw: Any, name: str = "<scenario>", lines: dict[tuple, int] | None = None, overridden: set[tuple] = frozenset()
) -> Scenario:
    """Validate a raw mapping into a Scenario, or raise ScenarioError listing every problem."""
    lines = lines or {}
    if not isinstance(raw, dict):
        raise ScenarioError([f"{name}: the top level must be a mapping of scenario fields"])
    located: list[tuple[tuple, str]] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        unknown = [(tuple(e["loc"][:-1]), e["loc"][-1]) for e in errors if e["type"] == "extra_forbidden"]
        for err in errors:
            loc = tuple(err["loc"])
            if err["type"] == "missing" and any(p == loc[:-1] and suggest(k, [loc[-1]]) for p, k in unknown):
                continue  # a misspelled key is reported once: as unknown, suggesting this field
            located.append(_describe(err))
    located.extend(reference_problems(raw))
    located.extend(agreements.problems(raw))
    if scenario is not None and not located:
        located.extend(units.problems(scenario))
    if scenario is not None and not located:
        located.extend(stability_problems(scenario))
    if scenario is not None and not located:  # stable and not endless: the traffic equations solve
        located.extend(budget_problems(scenario))  # a budget the policy cannot meet fails every command: say so here
    if located:
        seen = set()
        messages = []
        for path, message in located:
            text = _locate(name, path, message, lines, overridden)
            if text not in seen:
                seen.add(text)
                messages.append(text)
        raise ScenarioError(messages)
    return scenario


def load(path: str | os.PathLike, overrides: Iterable[str] = ()) -> Scenario:
    """Load and validate a scenario file, with optional ``PATH=VALUE`` overrides.

    Raises ScenarioError (a ValueError) whose ``problems`` name the file, the
    line, the field path and what is allowed.
    """
    raw, lines = read_mapping(resolve_path(path))
    raw, touched = apply_overrides(raw, overrides)
    return validate_mapping(raw, str(path), lines, touched)


def resolve_path(path: str | os.PathLike) -> Path:
    """A path as given, or the name of a shipped scenario (``baseline`` or ``baseline.yaml``)."""
    p = Path(path)
    if p.exists():
        return p
    shipped = shipped_scenarios()
    stem = p.name[:-5] if p.name.endswith(".yaml") else p.name
    if p.parent == Path(".") and stem in shipped:
        return shipped[stem]
    return p


def _nearest_file(p: Path) -> str:
    """'; did you mean ...?' for a missing scenario: the nearest YAML file beside it or, for a bare name, the
    nearest shipped scenario; a bare name also lists the shipped ones."""
    bare = p.parent == Path(".")
    shipped = sorted(shipped_scenarios()) if bare else []
    try:
        beside = sorted(str(p.parent / f.name) for f in p.parent.iterdir() if f.suffix in (".yaml", ".yml"))
    except OSError:  # no such folder, or not readable: nothing to suggest from it
        beside = []
    stem = p.name[:-5] if p.name.endswith(".yaml") else p.name
    hint = suggest(stem, shipped) or suggest(str(p), beside)
    return hint + (f" (shipped scenarios: {', '.join(shipped)})" if shipped else "")


def shipped_scenarios() -> dict[str, Path]:
    """The scenarios installed with orgsim, by name."""
    from importlib import resources

    folder = resources.files("orgsim.scenarios")
    return {Path(f.name).stem: Path(str(f)) for f in folder.iterdir() if f.name.endswith(".yaml")}


def dump(scenario: Scenario) -> str:
    """The resolved scenario as YAML (every default written out); loading it gives an equal scenario."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


# --------------------------------------------------------------------------- messages


def _locate(name: str, path: tuple, message: str, lines: dict, overridden: set) -> str:
    """'where: path: message', where is the --set that wrote the value (the file's lines beneath it are stale),
    else the file's line of the nearest written part of the path, else the file."""
    where = name
    written = [k for k in range(len(path), -1, -1) if path[:k] in overridden]
    if written:
        where = f"--set {dotted(path[:written[0]])}"
    else:
        for k in range(len(path), 0, -1):
            if path[:k] in lines:
                where = f"{name}:{lines[path[:k]]}"
                break
    return f"{where}: {dotted(path)}: {message}"


def _describe(err: dict) -> tuple[tuple, str]:
    loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    path = _clean(loc)
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1])
        return path, f"unknown field `{_part(loc[-1])}`{suggest(loc[-1], allowed)}" + (
            f" (allowed: {', '.join(allowed)})" if allowed else ""
        )
    if kind == "missing":
        return path, "required field is missing"
    key = str(ctx.get("discriminator", "dist")).strip(chr(39))
    key = key if key.isidentifier() else "dist"  # the field naming a union's kind; a callable shows as `<lambda>()`
    if kind == "union_tag_invalid":  # the kind field itself is at fault: name it (`time.dist`), not only its parent
        tags = [t.strip("'") for t in str(ctx.get("expected_tags", "")).split(", ")]
        return path + (key,), f"unknown kind `{ctx.get('tag')}`{suggest(ctx.get('tag'), tags)} (allowed: {', '.join(tags)})"
    if kind == "union_tag_not_found":
        tags = sorted(UNION_TAGS.get(path[-1] if path else "", DISTRIBUTIONS))
        if not isinstance(got, dict):
            return path, f"must be a mapping with `{key}` (one of: {', '.join(tags)}) (got {_short(got)})"
        return path + (key,), f"required field is missing (one of: {', '.join(tags)})"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
        return path, f"must be one of {expected} (got {_short(got)}){suggest(got, options)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()))
        return path, f"must be {op} {bound} (got {_short(got)})"
    if kind == "string_pattern_mismatch":
        if "\\." in str(ctx.get("pattern", "")):
            return path, f"must name a service as `department.service` (got {_short(got)})"
        return path, f"`{_clip(_part(got))}` is not a valid identifier: lowercase letters, digits and _, starting with a letter"
    if kind in ("too_short",):
        return path, f"must not be empty (got {_short(got)})"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return path, f"{err['msg'].lower()} (got {_short(got)})"
    msg = err["msg"].removeprefix("Value error, ")
    return path, msg


def _short(value: Any) -> str:
    return _clip(repr(value))


def _clip(text: str, width: int = 60) -> str:
    """Text a user wrote, cut to *width* characters with an ellipsis: a message stays one readable line."""
    return text if len(text) <= width else text[: width - 3] + "..."


def _clean(loc: tuple) -> tuple:
    out = []
    for i, part in enumerate(loc):
        if part == "[key]" or (isinstance(part, str) and part.startswith("function-")):
            continue
        if i > 0 and loc[i - 1] in UNION_TAGS and part in UNION_TAGS[loc[i - 1]]:
            continue
        if i > 1 and loc[i - 2] == "vary" and part in ("draw", "multiply"):  # the tag of a units.vary entry
            continue
        if i > 1 and loc[i - 2] == "calendars" and part in CALENDAR_TAGS:  # a calendar: windows, or dated
            continue
        out.append(part)
    return tuple(out)


def _allowed_fields(loc: tuple) -> list[str]:
    """Field names valid at *loc* (the parent of an unknown key), by walking the schema types."""
    current: Any = Scenario
    for part in loc:
        current = _step_into(current, part)
        if current is None:
            return []
    model = _as_model(current)
    return [f.alias or name for name, f in model.model_fields.items()] if model else []


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        out = []
        for arg in typing.get_args(tp):
            out.extend(_unwrap(arg))
        return out
    return [tp]


def _as_model(tp: Any):
    for t in _unwrap(tp):
        if isinstance(t, type) and issubclass(t, BaseModel):
            return t
    return None


def _step_into(tp: Any, part: Any) -> Any:
    if CALENDAR_TAGS.get(part) is not None and CALENDAR_TAGS[part] in _unwrap(tp):
        return CALENDAR_TAGS[part]
    for t in _unwrap(tp):
        if isinstance(t, type) and issubclass(t, BaseModel):
            named = {f.alias or name: f for name, f in t.model_fields.items()}
            if part in named:
                return named[part].annotation
            continue
        origin = typing.get_origin(t)
        if origin in (dict, tuple, list):
            return typing.get_args(t)[-1] if origin is dict else typing.get_args(t)[0]
    # a union tag in the location: pick the member whose tag matches
    for t in _unwrap(tp):
        if isinstance(t, type) and issubclass(t, BaseModel):
            field = t.model_fields.get("dist")
            if field is not None and part in typing.get_args(field.annotation):
                return t
            if part == "open" and t.__name__ == "OpenArrivals" or part == "population" and t.__name__ == "PopulationArrivals":
                return t
    return None
