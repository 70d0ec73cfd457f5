"""The scenario format as MyST markdown, written from the JSON Schema that `orgsim schema` prints.

The schema is exported from the pydantic models of ``orgsim.scenario.schema``, so every field, type,
default and description here is the one the validator enforces.  Each model is one section, named by
the path at which a scenario file first holds it (``departments.<name>``); the distributions, which
several fields take, have a section of their own.
"""

from __future__ import annotations

import json

from orgsim.scenario.schema import DISTRIBUTIONS, Scenario


def _label(name: str) -> str:
    return f"scenario-{name.lower()}"


def _ref(name: str) -> str:
    return f"{{ref}}`{name} <{_label(name)}>`"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _choices(values: list) -> str:
    """Allowed keys in words: each of a few, the first and last of many (months)."""
    return " or ".join(f"`{v}`" for v in values) if len(values) <= 6 else f"`{values[0]}` … `{values[-1]}`"


def _def_name(schema: dict) -> str | None:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else None


def _is_distribution(schema: dict, distributions: set[str]) -> bool:
    options = schema.get("oneOf", [])
    return bool(options) and {_def_name(o) for o in options} <= distributions


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _bounds(s: dict) -> str:
    signs = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}
    return ", ".join(f"{sign} {_number(s[key])}" for key, sign in signs.items() if key in s)


PATTERNS = {  # the page's introduction spells out what a name is
    r"^[a-z][a-z0-9_]*$": "name",
    r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$": "service `department.service`",
}


class _Walk:
    """One pass over the schema: the type of each field in words, and the sections still to write."""

    def __init__(self, schema: dict):
        self.defs = schema["$defs"]
        self.distributions = {n for n, d in self.defs.items() if "dist" in d.get("properties", {})}
        self.paths: dict[str, str] = {"Scenario": ""}
        self.found: list[str] = []  # models met in the section being written, not yet written

    def visit(self, name: str, path: str) -> None:
        if name not in self.paths and name not in self.distributions:
            self.paths[name] = path
            self.found.append(name)

    def kind(self, s: dict, path: str) -> str:
        """The field's type in words, registering the models it holds at *path*."""
        if "anyOf" in s and any(o.get("type") == "null" for o in s["anyOf"]):
            inner = [o for o in s["anyOf"] if o.get("type") != "null"]
            return self.kind(inner[0], path) + " (optional)"
        if _is_distribution(s, self.distributions):
            return f"{{ref}}`distribution <{_label('Distributions')}>`"
        if "oneOf" in s:
            kinds = []
            for option in s["oneOf"]:
                if name := _def_name(option):
                    self.visit(name, path)
                kinds.append(_ref(name) if name else self.kind(option, path))
            return "one of: " + "; ".join(kinds)
        if name := _def_name(s):
            self.visit(name, path)
            kind = _ref(name)
            if "anyOf" in s:  # a journey step may also be written as its service name
                kind += " or a service name `department.service`"
            return kind
        if "enum" in s:
            return "one of " + ", ".join(f"`{v}`" for v in s["enum"])
        if "const" in s:
            return f"`{s['const']}`"
        if s.get("type") == "object":
            if "patternProperties" in s:
                ((pattern, value),) = s["patternProperties"].items()
                key = PATTERNS.get(pattern, "name")
            else:
                value, names = s.get("additionalProperties", {}), s.get("propertyNames", {})
                key = _choices(names["enum"]) if "enum" in names else names.get("description", "name")
            return f"mapping: {key} → {self.kind(value, path + '.<name>')}"
        if s.get("type") == "array":
            return f"list of {self.kind(s['items'], path + '[]')}"
        words = {"number": "number", "integer": "whole number", "string": "text", "boolean": "true or false"}
        kind = words.get(s.get("type"), s.get("type", "any"))
        if s.get("pattern") in PATTERNS:
            kind = PATTERNS[s["pattern"]]
        bounds = _bounds(s)
        if "maxLength" in s:
            bounds = f"at most {s['maxLength']} characters"
        return f"{kind} ({bounds})" if bounds else kind


def _default(prop: dict, required: bool) -> str:
    if required:
        return "**required**"
    if "default" not in prop:
        return "empty"
    value = prop["default"]
    if isinstance(value, dict):
        return "each field's default"
    return f"`{json.dumps(value)}`"


def _description(prop: dict, defs: dict) -> str:
    if "description" in prop:
        return prop["description"]
    name = _def_name(prop)
    return defs[name].get("description", "").split("\n\n")[0] if name else ""


def _table(walk: _Walk, model: dict, path: str) -> list[str]:
    lines = ["| field | type | default | what it is |", "|---|---|---|---|"]
    required = set(model.get("required", []))
    for field, prop in model["properties"].items():
        full = f"{path}.{field}" if path else field
        kind = walk.kind(prop, full)
        lines.append(
            f"| `{full}` | {_cell(kind)} | {_cell(_default(prop, field in required))} | {_cell(_description(prop, walk.defs))} |"
        )
    return lines


def _section(walk: _Walk, name: str, model: dict, title: str, path: str) -> list[str]:
    return [f"({_label(name)})=", f"## {title}", "", model.get("description", "").strip(), "", *_table(walk, model, path), ""]


def markdown() -> str:
    """The whole reference: the top level, then each part of a scenario, then the distributions."""
    schema = Scenario.model_json_schema()
    walk = _Walk(schema)
    out = _section(walk, "Scenario", schema, "Top level", "")
    queue, walk.found = walk.found, []
    while queue:  # depth first: each part right after the part that holds it
        name = queue.pop(0)
        path = walk.paths[name]
        out += _section(walk, name, walk.defs[name], f"`{path}` ({name})", path)
        queue, walk.found = walk.found + queue, []
    out += [
        f"({_label('Distributions')})=",
        "## Distributions",
        "",
        "A time (`time`, `patience`, `handoff`, `lead_time`) is a distribution, chosen by its `dist` field, "
        "e.g. `{dist: gamma, mean: 1.5, cv: 0.6}`.",
        "",
    ]
    for dist, cls in DISTRIBUTIONS.items():
        model = walk.defs[cls.__name__]
        out += [f"({_label(cls.__name__)})=", f"### `dist: {dist}`", "", model.get("description", ""), ""]
        out += _table(walk, model, "") + [""]
    return "\n".join(out)
