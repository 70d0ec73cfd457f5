"""Writing a scenario out and reading it back; `--set` overrides; the JSON Schema."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import orgsim
from orgsim.scenario.loader import parse_text, validate_mapping

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))

BASE = {
    "name": "round trip base",
    "time_unit": "minute",
    "horizon": 800,
    "warmup": 80,
    "period": 40,
    "handoff": {"dist": "exponential", "mean": 0.05},
    "departments": {
        "front": {
            "headcount": 14,  # room for --set segments.x.arrivals.rate=14 (offered load 10.9)
            "skill": 1.1,
            "services": {
                "serve": {
                    "time": {"dist": "exponential", "mean": 0.5},
                    "defect_rate": 0.02,
                    "needs": [{"service": "it.fix", "probability": 0.3, "hold": True}],
                },
                "check": {"time": {"dist": "deterministic", "value": 0.1}},
            },
        },
        "it": {
            "headcount": 3,
            "services": {
                "fix": {
                    "time": {"dist": "gamma", "mean": 0.5, "cv": 0.5},
                    "needs": [{"supplier": "parts", "probability": 0.05}],
                }
            },
        },
        "finance": {"headcount": 1, "services": {"pay": {"time": {"dist": "uniform", "low": 0.1, "high": 0.3}}}},
    },
    "segments": {
        "x": {
            "arrivals": {"rate": 2.0},
            "journey": ["front.serve", {"service": "front.check", "next": {"front.serve": 0.1}}],
            "patience": {"dist": "erlang", "mean": 4.0, "k": 2},
            "expectation": 1.0,
            "value": 25.5,
        },
        "y": {
            "arrivals": {"population": 1000, "rate_per_customer": 0.0005},
            "journey": ["it.fix"],
            "expectation": 3.0,
            "churn": {"midpoint": 7.0},
        },
    },
    "suppliers": {
        "parts": {"lead_time": {"dist": "triangular", "low": 1, "mode": 2, "high": 6}, "paid_by": "finance.pay"}
    },
    "morale": {"enabled": True, "baseline": 0.7},
    "policy": {"allocation": "fixed", "priority": "internal_first", "budget": 24},  # room for the --set headcount changes below
}


@pytest.fixture
def base_file(tmp_path) -> Path:
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(BASE, sort_keys=False))
    return path


def flat(value, prefix=()) -> dict:
    """Every leaf of a nested dump, by path."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(flat(v, prefix + (k,)))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(flat(v, prefix + (i,)))
        return out or {prefix: []}
    return {prefix: value}


def changed(a: orgsim.Scenario, b: orgsim.Scenario) -> dict:
    fa, fb = flat(a.model_dump(mode="json")), flat(b.model_dump(mode="json"))
    return {k: (fa.get(k), fb.get(k)) for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k)}


# --------------------------------------------------------------------------- round trip


def roundtrip(path: Path, tmp_path: Path) -> None:
    first = orgsim.load(path)
    text = orgsim.dump(first)
    again_path = tmp_path / f"again-{path.name}"
    again_path.write_text(text, encoding="utf-8")
    second = orgsim.load(again_path)
    assert second == first, changed(first, second)
    assert orgsim.dump(second) == text  # dumping is stable too


def test_base_roundtrip(base_file, tmp_path):
    roundtrip(base_file, tmp_path)


def test_dump_writes_every_default(base_file):
    dumped = yaml.safe_load(orgsim.dump(orgsim.load(base_file)))
    # fields absent from BASE come back with their documented defaults
    assert dumped["allow_unstable"] is False
    assert dumped["departments"]["it"]["skill"] == 1.0
    assert dumped["departments"]["finance"]["services"]["pay"]["detection"] == 0.9
    assert dumped["segments"]["x"]["journey"][0] == {"service": "front.serve", "next": None}
    assert dumped["suppliers"]["parts"]["payment_terms"] == 40.0
    # and the dump alone, with no defaults to fill in, is a valid scenario
    assert validate_mapping(dumped, "dumped.yaml") == orgsim.load(base_file)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_roundtrip(path, tmp_path):
    try:
        orgsim.load(path)
    except orgsim.ScenarioError as exc:
        pytest.skip(f"{path.name} does not validate right now (test_shipped_scenarios reports it): {exc}")
    roundtrip(path, tmp_path)


def test_at_least_one_shipped_scenario_roundtrips(tmp_path):
    loaded = []
    for path in SHIPPED:
        try:
            orgsim.load(path)
        except orgsim.ScenarioError:
            continue
        roundtrip(path, tmp_path)
        loaded.append(path.stem)
    assert loaded, f"none of {[p.name for p in SHIPPED]} validates"


# --------------------------------------------------------------------------- --set


def test_set_changes_exactly_that_field(base_file):
    before = orgsim.load(base_file)
    after = orgsim.load(base_file, ["departments.it.headcount=4"])
    assert after.departments["it"].headcount == 4
    assert changed(before, after) == {("departments", "it", "headcount"): (3, 4)}


def test_set_arrival_rate(base_file):
    before = orgsim.load(base_file)
    after = orgsim.load(base_file, ["segments.x.arrivals.rate=14"])
    assert after.segments["x"].arrivals.rate == 14.0
    assert changed(before, after) == {("segments", "x", "arrivals", "rate"): (2.0, 14.0)}


def test_several_sets_apply_in_order(base_file):
    after = orgsim.load(base_file, ["departments.it.headcount=4", "departments.it.headcount=5", "name=renamed"])
    assert after.departments["it"].headcount == 5
    assert after.name == "renamed"


def test_set_adds_an_absent_field(base_file):
    before = orgsim.load(base_file)
    after = orgsim.load(base_file, ["departments.it.skill=2"])
    assert changed(before, after) == {("departments", "it", "skill"): (1.0, 2.0)}


def test_set_flow_value(base_file):
    after = orgsim.load(base_file, ["departments.it.services.fix.time={dist: exponential, mean: 0.25}"])
    assert after.departments["it"].services["fix"].time == orgsim.scenario.schema.Exponential(dist="exponential", mean=0.25)


def test_set_making_scenario_invalid_names_the_override(base_file):
    with pytest.raises(orgsim.ScenarioError) as info:
        orgsim.load(base_file, ["departments.it.headcount=-1"])
    assert info.value.problems == [
        "--set departments.it.headcount: departments.it.headcount: must be >= 0 (got -1)"
    ]


def test_set_making_scenario_unstable_names_the_override(base_file):
    # it.fix work: front.serve demand 2 / (1 - 0.1) = 2.222/min x 0.3 + y's 1000 x 0.0005 = 0.5/min
    # -> 1.1667/min x 0.5 min = 0.583 employees: unstable on a headcount of 0
    with pytest.raises(orgsim.ScenarioError) as info:
        orgsim.load(base_file, ["departments.it.headcount=0"])
    [problem] = info.value.problems
    assert problem.startswith("--set departments.it.headcount: departments.it.headcount: unstable: offered load 0.583 ")


def test_set_typo_in_field_name(base_file):
    with pytest.raises(orgsim.ScenarioError) as info:
        orgsim.load(base_file, ["departments.it.headcont=4"])
    [problem] = info.value.problems
    assert problem.startswith("--set departments.it.headcont: departments.it.headcont: unknown field")
    assert "did you mean `headcount`" in problem


def test_set_without_equals(base_file):
    with pytest.raises(orgsim.ScenarioError) as info:
        orgsim.load(base_file, ["departments.it.headcount"])
    assert info.value.problems == [
        "--set departments.it.headcount: expected PATH=VALUE, e.g. departments.it.headcount=4"
    ]


def test_set_into_list_index(base_file):
    before = orgsim.load(base_file)
    after = orgsim.load(base_file, ["segments.y.journey.0=front.check"])
    assert [s.service for s in after.segments["y"].journey] == ["front.check"]
    assert changed(before, after) == {("segments", "y", "journey", 0, "service"): ("it.fix", "front.check")}


def test_set_into_list_item_field(base_file):
    after = orgsim.load(base_file, ["departments.front.services.serve.needs.0.probability=0.75"])
    assert after.departments["front"].services["serve"].needs[0].probability == 0.75


@pytest.mark.parametrize(
    "override, says",
    [
        ("segments.x.journey.7=front.serve", "`segments.x.journey` is a list of 2; `7` is not an index"),
        ("segments.x.journey.first=front.serve", "`segments.x.journey` is a list of 2; `first` is not an index"),
        ("segments.x.journey.-1=front.serve", "`segments.x.journey` is a list of 2; `-1` is not an index"),
        ("name.first=x", "`name` is a value, not a mapping"),
        ("departments..headcount=1", "empty name in path"),
        ("=1", "empty name in path"),
        ("name=[unclosed", "is not valid YAML"),
        ("horizon=!!float lots", "is not valid YAML"),
    ],
    ids=["index-out-of-range", "index-not-a-number", "index-negative", "into-a-value", "empty-name",
         "empty-path", "bad-yaml-value", "bad-tagged-value"],
)
def test_bad_set_is_refused(base_file, override, says):
    with pytest.raises(orgsim.ScenarioError) as info:
        orgsim.load(base_file, [override])
    [problem] = info.value.problems
    assert problem.startswith(f"--set {override}: "), problem
    assert says in problem


def test_bad_sets_are_all_reported(base_file):
    with pytest.raises(orgsim.ScenarioError) as info:
        orgsim.load(base_file, ["nothing", "segments.x.journey.9=a.b"])
    assert len(info.value.problems) == 2


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True, timeout=60)


def test_cli_set_invalid_exits_2_naming_the_path(base_file):
    result = _cli("validate", str(base_file), "--set", "departments.it.headcount=-1")
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == "--set departments.it.headcount: departments.it.headcount: must be >= 0 (got -1)"


def test_cli_set_valid_exits_0(base_file):
    result = _cli("validate", str(base_file), "--set", "departments.it.headcount=4")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{base_file}: ok"


def test_cli_set_without_equals_exits_2(base_file):
    result = _cli("validate", str(base_file), "--set", "departments.it.headcount")
    assert result.returncode == 2
    assert "expected PATH=VALUE" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- schema

DISTRIBUTIONS = {"exponential", "deterministic", "gamma", "lognormal", "erlang", "uniform", "triangular"}


def test_schema_is_json_with_every_section_and_distribution():
    result = _cli("schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert {"departments", "segments", "suppliers", "morale", "policy"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    assert "departments" in schema["required"]
    defs = schema["$defs"]
    dists = {}
    for name, spec in defs.items():
        dist = spec.get("properties", {}).get("dist")
        if dist is not None:
            values = [dist["const"]] if "const" in dist else dist["enum"]
            for v in values:
                dists[v] = name
    assert set(dists) == DISTRIBUTIONS, dists
    for name in dists.values():  # each distribution requires its `dist` tag and forbids unknown keys
        assert "dist" in defs[name]["required"]
        assert defs[name]["additionalProperties"] is False


def test_schema_fields_match_what_the_loader_accepts():
    """Every field the schema lists for a department or service is accepted by the loader, and no other."""
    schema = json.loads(_cli("schema").stdout)
    for model in ("Department", "Service", "Segment", "Supplier", "Policy", "Morale"):
        fields = set(schema["$defs"][model]["properties"])
        cls = getattr(orgsim.scenario.schema, model)
        assert fields == set(cls.model_fields), model


def test_parse_text_lines_match_yaml(base_file):
    """Line numbers the loader keeps agree with where the keys are in the file."""
    text = base_file.read_text()
    raw, lines = parse_text(text, "base.yaml")
    numbered = text.splitlines()
    assert numbered[lines[("departments", "it", "headcount")] - 1].strip() == "headcount: 3"
    assert numbered[lines[("segments", "y", "arrivals", "population")] - 1].strip() == "population: 1000"
    assert numbered[lines[("segments", "x", "journey", 0)] - 1].strip() == "- front.serve"
    assert raw == copy.deepcopy(BASE)
