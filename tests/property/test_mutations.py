"""Random damage to a valid scenario never crashes the loader.

A valid base mapping is mutated at random paths (keys deleted, values replaced
by odd scalars, lists, mappings, None, huge numbers, NaN, negatives, keys
misspelt, entries duplicated, unknown keys inserted).  Validation must either
return a Scenario or raise ScenarioError whose every problem is a non-empty,
located line -- never any other exception.  The same holds for random
YAML-ish text through ``parse_text``.
"""

from __future__ import annotations

import copy
import math
import warnings

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import orgsim
from orgsim.scenario.loader import dump, parse_text, validate_mapping
from orgsim.scenario.traffic import solve

BASE = {
    "name": "mutation base",
    "horizon": 500,
    "warmup": 50,
    "period": 25,
    "handoff": {"dist": "deterministic", "value": 0.05},
    "departments": {
        "desk": {
            "headcount": 3,
            "skill": 1.2,
            "services": {
                "take": {
                    "time": {"dist": "exponential", "mean": 0.4},
                    "defect_rate": 0.1,
                    "detection": 0.5,
                    "needs": [
                        {"service": "back.file", "probability": 0.5, "hold": True},
                        {"supplier": "vendor", "probability": 0.1},
                    ],
                },
                "close": {"time": {"dist": "erlang", "mean": 0.2, "k": 2}},
            },
        },
        "back": {
            "headcount": 2,
            "services": {
                "file": {
                    "time": {"dist": "triangular", "low": 0.1, "mode": 0.3, "high": 0.8},
                    "needs": [{"service": "accounts.pay", "probability": 0.2}],
                },
            },
        },
        "accounts": {
            "headcount": 1,
            "services": {"pay": {"time": {"dist": "uniform", "low": 0.1, "high": 0.4}}},
        },
    },
    "segments": {
        "x": {
            "arrivals": {"rate": 2.0},
            "journey": ["desk.take", {"service": "desk.close", "next": {"desk.take": 0.25}}],
            "patience": {"dist": "lognormal", "mean": 2.0, "cv": 0.5},
            "expectation": 1.0,
            "value": 20,
            "churn": {"ceiling": 0.3, "floor": 0.01},
        },
        "y": {
            "arrivals": {"population": 500, "rate_per_customer": 0.002},
            "journey": ["back.file"],
            "expectation": 2.0,
            "acquisition": {"rate": 0.5},
        },
    },
    "suppliers": {"vendor": {"lead_time": {"dist": "gamma", "mean": 3.0, "cv": 0.7}, "paid_by": "accounts.pay"}},
    "morale": {"enabled": True, "initial": 0.6},
    "policy": {"allocation": "fixed", "priority": "external_first", "budget": 8},
}

FIELD_NAMES = [
    "name", "horizon", "warmup", "period", "handoff", "departments", "segments", "suppliers", "morale", "policy",
    "headcount", "skill", "services", "time", "dist", "mean", "cv", "k", "low", "mode", "high", "value",
    "defect_rate", "detection", "needs", "service", "supplier", "probability", "hold", "arrivals", "rate",
    "population", "rate_per_customer", "journey", "next", "patience", "expectation", "lead_time", "paid_by",
    "allow_unstable", "enabled", "initial", "priority", "allocation", "budget", "desk", "back", "accounts",
    "vendor", "desk.take", "back.file", "accounts.pay",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63, 1e308, -1e308, 1e-320, -0.0, 0, -1, -0.5, 1.5]),
    st.floats(),  # includes nan and +-inf
    st.text(max_size=12),
    st.sampled_from(
        ["exponential", "exponentail", "desk.take", "back.fil", "vendor", "desk", "fifo", "fixed", "", "a.b.c",
         "DESK.take", "1x.y", "true", "nan"]
    ),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8), st.integers(-3, 3), st.none(), st.booleans())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=8,
)


def all_paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from all_paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from all_paths(v, prefix + (i,))


def get(node, path):
    for part in path:
        node = node[part]
    return node


def typo(word: str, data) -> str:
    """One edit of *word*: drop, double, swap or replace a character (or append one to an empty word)."""
    if not word:
        return "x"
    i = data.draw(st.integers(0, len(word) - 1))
    kind = data.draw(st.sampled_from(["drop", "double", "swap", "replace", "upper"]))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "upper":
        return word[:i] + word[i].upper() + word[i + 1:]
    return word[:i] + data.draw(st.sampled_from("aeiouxz_.9 ")) + word[i + 1:]


def mutate(raw, data):
    """Apply one random mutation at a random path; return the (possibly replaced) root."""
    op = data.draw(st.sampled_from(["delete", "replace", "rename", "duplicate", "insert"]), label="op")
    paths = [p for p in all_paths(raw)]
    path = data.draw(st.sampled_from(paths), label="path")
    if path == ():
        if op == "replace" and data.draw(st.integers(0, 9)) == 0:  # rarely: replace the whole file
            return data.draw(values)
        if op != "insert" or not isinstance(raw, dict):
            return raw
    parent, last = (get(raw, path[:-1]), path[-1]) if path else (None, None)
    node = get(raw, path)
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = data.draw(values, label="value")
    elif op == "rename" and isinstance(parent, dict):
        new = typo(last, data) if isinstance(last, str) else data.draw(keys)
        items = [(new if k == last else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
    elif op == "duplicate":
        if isinstance(parent, list):
            parent.append(copy.deepcopy(node))
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from([*parent, f"{last}_copy"]))] = copy.deepcopy(node)
    elif op == "insert" and isinstance(node, dict):
        node[data.draw(keys, label="key")] = data.draw(values, label="value")
    return raw


def check_outcome(raw, name="m.yaml"):
    """validate_mapping returns a Scenario or raises ScenarioError with located, non-empty lines."""
    try:
        scenario = validate_mapping(raw, name)
    except orgsim.ScenarioError as exc:
        assert exc.problems, "ScenarioError without problems"
        for line in exc.problems:
            assert isinstance(line, str) and line.strip(), exc.problems
            assert line.startswith(name), line
            assert "\n" not in line, line
        return None
    assert isinstance(scenario, orgsim.Scenario)
    return scenario


def test_base_is_valid():
    scenario = check_outcome(copy.deepcopy(BASE))
    assert scenario is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_scenario_gives_scenario_or_scenario_error(data):
    raw = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        raw = mutate(raw, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy overflow on absurd rates is not the point here
        scenario = check_outcome(raw)
    if scenario is None:
        return
    # a scenario that validates is runnable: finite loads, and the work that cannot leave (internal work, orders
    # without patience) below headcount unless explicitly allowed; orders with patience may overload a department,
    # since they abandon (README Model "Stability") ...
    if not scenario.allow_unstable:
        traffic = solve(scenario)
        for d, dept in scenario.departments.items():
            assert math.isfinite(traffic.load[d]) and traffic.load[d] >= 0, (d, traffic.load)
            assert traffic.captive[d] < dept.headcount or traffic.captive[d] == 0, (d, traffic.captive[d], dept.headcount)
    # ... and survives being written out and read back
    again = validate_mapping(parse_text(dump(scenario), "dumped.yaml")[0], "dumped.yaml")
    assert again == scenario


TOKENS = [
    "departments:", "segments:", "  it:", "    headcount: 2", "services:", "time: {dist: exponential, mean: 1}",
    "- ", "[", "]", "{", "}", ": ", ", ", "\n", "\n  ", "  ", "\t", "#", "'", '"', "&a ", "*a", "<<: *a",
    "!!float ", "!!int ", "!!timestamp ", "!!binary ", "!!python/object:os.system ", "!!set ", "!!omap ",
    "2001-13-01", "2001-02-30 25:61:61", "0x1G", "0o9", "1e999", ".nan", "-.inf", "~", "? ", "| ", "> ",
    "%YAML 1.1\n", "---\n", "...\n", "\x00", "\ufeff", "\x85", "\u2028", "0b102", "1_000", "12:30:61",
]
# free-form: YAML tokens and bits of text in any order
yamlish = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=25).map("".join)
# line-shaped: `indent key: value` lines, so that most documents are mappings and values get constructed
VALUES = [
    "2", "-1", "1e999", ".nan", "~", "2001-13-01", "2001-02-30", "!!float abc", "!!int x", "!!timestamp x",
    "!!binary '!!'", "!!set {a}", "!!omap [a]", "!!pairs [[a]]", "&a [1, 2]", "*a", "*b", "[*a, *a]", "{dist: exponential}",
    "exponentail", "it.fix", "[", "{", "'", '"', "|", ">", "!!str [1]", "!!python/name:os.system", "0x", "0b2", "12:61",
]
lines = st.tuples(
    st.sampled_from(["", "", "  ", "    ", "- ", "  - ", "\t"]),
    st.sampled_from(FIELD_NAMES[:25] + ["<<", "? a", "&k a", "*a", "1", "null", "'q'", ""]),
    st.sampled_from([": ", ":", " : ", ":\n"]),
    st.one_of(st.sampled_from(VALUES), st.text(max_size=5)),
).map("".join)
yaml_lines = st.lists(lines, min_size=1, max_size=12).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(yaml_lines, yamlish, st.text(max_size=200)))
def test_random_text_gives_mapping_or_scenario_error(text):
    try:
        raw, lines = parse_text(text, "t.yaml")
    except orgsim.ScenarioError as exc:
        assert exc.problems and all(p.strip() and p.startswith("t.yaml") for p in exc.problems), exc.problems
        return
    assert isinstance(raw, dict)
    assert all(isinstance(n, int) and n >= 1 for n in lines.values())
    check_outcome(raw, "t.yaml")  # and the rest of the pipeline is just as safe


@settings(max_examples=100, deadline=None)
@given(blob=st.binary(max_size=200))
def test_random_bytes_give_mapping_or_scenario_error(blob):
    try:
        raw, _ = parse_text(blob, "b.yaml")
    except orgsim.ScenarioError as exc:
        assert exc.problems and all(p.strip() for p in exc.problems)
        return
    assert isinstance(raw, dict)
    check_outcome(raw, "b.yaml")


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_scenario_through_yaml_text(data):
    """The same damage written as YAML and read back by the file reader: line numbers come along."""
    raw = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(1, 3))):
        raw = mutate(raw, data)
    try:
        text = yaml.safe_dump(raw, sort_keys=False)
    except (yaml.YAMLError, TypeError, ValueError):
        assume(False)
    try:
        raw2, _ = parse_text(text, "y.yaml")
    except orgsim.ScenarioError as exc:
        assert all(p.strip() and p.startswith("y.yaml") for p in exc.problems)
        return
    check_outcome(raw2, "y.yaml")
