"""Malformed scenarios, one defect each, through the real `orgsim validate` command line.

Every case starts from BASE (a small valid scenario written here, not a
shipped file), breaks exactly one thing, writes it to YAML and runs the CLI in
a subprocess.  A bad scenario must exit with status 2 and a message naming the
file, the YAML line where one exists, and the field path at fault -- never a
traceback.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from orgsim.scenario import loader

# --------------------------------------------------------------------------- the valid base

BASE = {
    "name": "bad-input base",
    "time_unit": "hour",
    "horizon": 1000,
    "warmup": 100,
    "period": 50,
    "departments": {
        "front": {
            "headcount": 4,
            "services": {
                "serve": {
                    "time": {"dist": "exponential", "mean": 0.5},
                    "defect_rate": 0.05,
                    "needs": [
                        {"service": "it.fix", "probability": 0.2},
                        {"supplier": "parts", "probability": 0.1},
                    ],
                },
                "check": {"time": {"dist": "gamma", "mean": 0.3, "cv": 0.5}},
            },
        },
        "it": {"headcount": 2, "services": {"fix": {"time": {"dist": "lognormal", "mean": 1.0, "cv": 0.8}}}},
        "finance": {
            "headcount": 1,
            "services": {
                "pay": {"time": {"dist": "uniform", "low": 0.1, "high": 0.3}},
                "audit": {"time": {"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.4}},
            },
        },
        "records": {
            "headcount": 1,
            "services": {
                "lookup": {"time": {"dist": "erlang", "mean": 0.4, "k": 3}},
                "stamp": {"time": {"dist": "deterministic", "value": 0.1}},
            },
        },
    },
    "segments": {
        "x": {
            "arrivals": {"rate": 2.0},
            "journey": ["front.serve", {"service": "front.check", "next": {"front.serve": 0.2}}],
            "patience": {"dist": "exponential", "mean": 3.0},
            "expectation": 1.5,
            "value": 10,
        },
        "y": {
            "arrivals": {"population": 1000, "rate_per_customer": 0.001},
            "journey": ["records.lookup", "records.stamp"],
            "expectation": 1.0,
        },
    },
    "suppliers": {"parts": {"lead_time": {"dist": "gamma", "mean": 5.0, "cv": 0.5}, "paid_by": "finance.pay"}},
    "morale": {"enabled": False},
    "policy": {"allocation": "fixed", "priority": "fifo", "budget": 10},
}
# Offered loads of BASE (for the unstable case): segment x arrives at 2/h and loops back from
# front.check to front.serve with p=0.2, so front.serve sees 2 / (1 - 0.2) = 2.5/h;
# it.fix is needed with p=0.2 per front.serve demand: 0.5/h x mean 1.0 h = 0.5 employees.


def cli() -> list[str]:
    """`python -m orgsim.cli` when it runs, else the console script next to the interpreter."""
    probe = subprocess.run([sys.executable, "-m", "orgsim.cli", "--version"], capture_output=True, text=True)
    if probe.returncode == 0 and "orgsim" in probe.stdout:
        return [sys.executable, "-m", "orgsim.cli"]
    return [str(Path(sys.executable).with_name("orgsim"))]


CLI = cli()


def validate(*args: str | os.PathLike) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "validate", *map(str, args)], capture_output=True, text=True, timeout=60)


def write(tmp_path: Path, mapping: dict, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")
    return path


def line_of(path: Path, where: str | tuple) -> int:
    """1-based line of *path* holding *where*, which is either

    - text that occurs on exactly one line (text ending in a newline: a line ending with it), or
    - a key path, located by PyYAML's composer (the key's line, or the list item's line).
    """
    text = path.read_text()
    if isinstance(where, str):
        if where.endswith("\n"):
            hits = [n for n, line in enumerate(text.splitlines(), 1) if line.endswith(where[:-1])]
        else:
            hits = [n for n, line in enumerate(text.splitlines(), 1) if where in line]
        assert len(hits) == 1, f"{where!r} found on lines {hits}"
        return hits[0]
    node, line = yaml.compose(text), None
    for part in where:
        if isinstance(node, yaml.SequenceNode):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            key, node = next((k, v) for k, v in node.value if k.value == part)
            line = key.start_mark.line + 1
    return line


def assert_refused(result: subprocess.CompletedProcess, path: Path | str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    assert str(path) in result.stderr, result.stderr
    assert "ok" not in result.stdout.split(), result.stdout


def test_base_is_valid(tmp_path):
    path = write(tmp_path, BASE)
    result = validate(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{path}: ok"
    assert result.stderr == ""


# --------------------------------------------------------------------------- one defect each


def at(mapping: dict, dotted: str):
    node = mapping
    for key in dotted.split(".") if dotted else ():
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def put(dotted: str, value) -> Callable[[dict], None]:
    parent, _, key = dotted.rpartition(".")

    def edit(s: dict) -> None:
        node = at(s, parent)
        if isinstance(node, list):
            node[int(key)] = value
        else:
            node[key] = value

    return edit


def drop(dotted: str) -> Callable[[dict], None]:
    parent, _, key = dotted.rpartition(".")
    return lambda s: at(s, parent).pop(key)


def rename(dotted: str, new: str) -> Callable[[dict], None]:
    parent, _, key = dotted.rpartition(".")

    def edit(s: dict) -> None:
        node = at(s, parent)
        items = [(new if k == key else k, v) for k, v in node.items()]
        node.clear()
        node.update(items)

    return edit


def add_need(service: str, need: dict) -> Callable[[dict], None]:
    dept, svc = service.split(".")
    return lambda s: s["departments"][dept]["services"][svc].setdefault("needs", []).append(need)


@dataclass
class Case:
    id: str
    edit: Callable[[dict], None]
    path: str  # the dotted field path the message must name
    line: str | tuple  # where the offending YAML line is (see line_of); its number must be shown
    says: tuple[str, ...] = ()  # further text the message must contain


SERVE = "departments.front.services.serve"
FIX = "departments.it.services.fix"
PAY = "departments.finance.services.pay"
CASES = [
    Case("negative-mean", put(f"{FIX}.time.mean", -1.5), f"{FIX}.time.mean", "mean: -1.5", ("must be > 0",)),
    Case("zero-mean", put(f"{SERVE}.time.mean", 0), f"{SERVE}.time.mean", "mean: 0\n", ("must be > 0",)),
    Case("negative-deterministic", put("departments.records.services.stamp.time.value", -0.25),
         "departments.records.services.stamp.time.value", "value: -0.25", ("must be >= 0",)),
    Case("zero-expectation", put("segments.x.expectation", 0), "segments.x.expectation", "expectation: 0", ("> 0",)),
    Case("negative-rate", put("segments.x.arrivals.rate", -2), "segments.x.arrivals.rate", "rate: -2", (">= 0",)),
    Case("probability-above-1", put(f"{SERVE}.needs.0.probability", 1.5), f"{SERVE}.needs.0.probability",
         "probability: 1.5", ("<= 1",)),
    Case("defect-rate-above-1", put(f"{SERVE}.defect_rate", 1.2), f"{SERVE}.defect_rate", "defect_rate: 1.2", ("<= 1",)),
    Case("unknown-distribution", put(f"{FIX}.time.dist", "exponentail"), f"{FIX}.time.dist", "dist: exponentail",
         ("unknown kind `exponentail`", "did you mean `exponential`")),
    Case("dist-not-a-mapping", put(f"{FIX}.time", 1.0), f"{FIX}.time", ("departments", "it", "services", "fix", "time"),
         ("must be a mapping with `dist`",)),
    Case("missing-dist", put(f"{FIX}.time", {"mean": 1.0}), f"{FIX}.time.dist",
         ("departments", "it", "services", "fix", "time"), ("required field is missing", "one of: deterministic")),
    Case("misspelled-key", rename("departments.it.headcount", "headcont"), "departments.it.headcont", "headcont:",
         ("unknown field `headcont`", "did you mean `headcount`")),
    Case("need-unknown-department", put(f"{SERVE}.needs.0.service", "itt.fix"), f"{SERVE}.needs.0.service",
         "service: itt.fix", ("unknown department `itt`", "did you mean `it`")),
    Case("need-unknown-service", put(f"{SERVE}.needs.0.service", "it.fixx"), f"{SERVE}.needs.0.service",
         "service: it.fixx", ("unknown service `it.fixx`", "did you mean `it.fix`", "(services of `it`: fix)")),
    Case("need-unknown-supplier", put(f"{SERVE}.needs.1.supplier", "partz"), f"{SERVE}.needs.1.supplier",
         "supplier: partz", ("unknown supplier `partz`", "did you mean `parts`")),
    Case("journey-unknown-department", put("segments.x.journey.0", "frnt.serve"), "segments.x.journey.0",
         "- frnt.serve", ("unknown department `frnt`", "did you mean `front`")),
    Case("journey-unknown-service", put("segments.y.journey.1", "records.stmp"), "segments.y.journey.1",
         "- records.stmp", ("unknown service `records.stmp`", "did you mean `records.stamp`")),
    Case("next-unknown-step", put("segments.x.journey.1.next", {"front.serv": 0.2}), "segments.x.journey.1.next.front.serv",
         "front.serv: 0.2", ("not a step of this journey", "did you mean `front.serve`")),
    Case("paid-by-unknown-service", put("suppliers.parts.paid_by", "finance.payy"), "suppliers.parts.paid_by",
         "paid_by: finance.payy", ("unknown service `finance.payy`", "did you mean `finance.pay`")),
    Case("paid-by-unknown-department", put("suppliers.parts.paid_by", "financ.pay"), "suppliers.parts.paid_by",
         "paid_by: financ.pay", ("unknown department `financ`", "did you mean `finance`")),
    Case("journey-step-not-dotted", put("segments.x.journey.0", "frontserve"), "segments.x.journey.0.service",
         "- frontserve", ("department.service",)),
    Case("need-not-dotted", put(f"{SERVE}.needs.0.service", "it_fix"), f"{SERVE}.needs.0.service",
         "service: it_fix", ("department.service",)),
    Case("identifier-uppercase", rename("departments.finance.services.audit", "Audit"),
         "departments.finance.services.Audit", "Audit:", ("not a valid identifier",)),
    Case("identifier-leading-digit", rename("segments.y", "2nd"), "segments.2nd", "2nd:", ("not a valid identifier",)),
    Case("next-sums-above-1", put("segments.x.journey.1.next", {"front.serve": 0.7, "front.check": 0.6}),
         "segments.x.journey.1.next", "next:", ("sum to 1.3", "at most 1")),
    Case("next-target-not-in-journey", put("segments.x.journey.1.next", {"it.fix": 0.2}),
         "segments.x.journey.1.next.it.fix", "it.fix: 0.2", ("`it.fix` is not a step of this journey",)),
    Case("duplicate-journey-step", lambda s: s["segments"]["y"]["journey"].append("records.lookup"),
         "segments.y.journey.0", ("segments", "y", "journey", 0), ("appears twice",)),
    Case("cyclic-needs", add_need("it.fix", {"service": "front.serve", "probability": 0.1}), f"{SERVE}.needs",
         ("departments", "front", "services", "serve", "needs"), ("cycle: front.serve -> it.fix -> front.serve",)),
    Case("cycle-through-invoice", add_need("finance.pay", {"service": "front.serve", "probability": 0.1}),
         f"{SERVE}.needs", ("departments", "front", "services", "serve", "needs"),
         ("cycle: front.serve -> finance.pay -> front.serve",)),
    Case("self-need", add_need("it.fix", {"service": "it.fix"}), f"{FIX}.needs.0.service",
         ("departments", "it", "services", "fix", "needs", 0, "service"),
         ("cannot need itself",)),
    Case("warmup-equals-horizon", put("warmup", 1000), "warmup", "warmup: 1000", ("< horizon",)),
    Case("warmup-above-horizon", put("warmup", 1500), "warmup", "warmup: 1500", ("< horizon",)),
    Case("period-zero", put("period", 0), "period", "period: 0", ("> 0",)),
    Case("period-negative", put("period", -5), "period", "period: -5", ("> 0",)),
    Case("period-above-horizon", put("period", 1200), "period", "period: 1200", ("<= horizon",)),
    Case("headcount-negative", put("departments.it.headcount", -1), "departments.it.headcount", "headcount: -1",
         (">= 0",)),
    Case("headcount-string", put("departments.it.headcount", "two"), "departments.it.headcount", "headcount: two",
         ("'two'",)),
    Case("headcount-fraction", put("departments.it.headcount", 2.5), "departments.it.headcount", "headcount: 2.5",
         ("integer",)),
    Case("headcount-missing", drop("departments.it.headcount"), "departments.it.headcount", ("departments", "it"),
         ("required",)),
    Case("unknown-priority", put("policy.priority", "fifoo"), "policy.priority", "priority: fifoo",
         ("'fifoo'", "did you mean `fifo`")),
    Case("unknown-allocation", put("policy.allocation", "fixd"), "policy.allocation", "allocation: fixd",
         ("'fixd'", "did you mean `fixed`")),
    Case("uniform-high-below-low", put(f"{PAY}.time", {"dist": "uniform", "low": 0.5, "high": 0.2}), f"{PAY}.time",
         ("departments", "finance", "services", "pay", "time"), ("high must be >= low",)),
    Case("triangular-mode-outside", put("departments.finance.services.audit.time.mode", 0.9),
         "departments.finance.services.audit.time", ("departments", "finance", "services", "audit", "time"),
         ("low <= mode <= high",)),
    Case("erlang-k-zero", put("departments.records.services.lookup.time.k", 0),
         "departments.records.services.lookup.time.k", "k: 0", (">= 1",)),
    Case("need-service-and-supplier", put(f"{SERVE}.needs.0", {"service": "it.fix", "supplier": "parts"}),
         f"{SERVE}.needs.0", ("departments", "front", "services", "serve", "needs", 0),
         ("exactly one of `service` or `supplier`",)),
    Case("need-neither", put(f"{SERVE}.needs.0", {"probability": 0.5}), f"{SERVE}.needs.0",
         ("departments", "front", "services", "serve", "needs", 0),
         ("exactly one of `service` or `supplier`",)),
    Case("supplier-named-like-department", put("suppliers.it", {"lead_time": {"dist": "deterministic", "value": 1}}),
         "suppliers.it", ("suppliers", "it"), ("already a department",)),
    Case("journey-empty", put("segments.y.journey", []), "segments.y.journey", "journey: []", ("empty",)),
    Case("no-departments", put("departments", {}), "departments", "departments: {}", ("empty",)),
    Case("next-loops-forever", put("segments.x.journey.1.next", {"front.serve": 1.0}), "segments.x.journey.0",
         "- front.serve", ("never complete",)),
    Case("endless-rework", lambda s: at(s, FIX).update(defect_rate=1.0, detection=1.0), f"{FIX}.defect_rate",
         "defect_rate: 1.0", ("redone forever",)),
    Case("probability-bool-string", put(f"{SERVE}.needs.0.probability", "often"), f"{SERVE}.needs.0.probability",
         "probability: often", ("'often'",)),
    Case("next-probability-huge", put("segments.x.journey.1.next", {"front.serve": 10**400}),
         "segments.x.journey.1.next.front.serve", ("segments", "x", "journey", 1, "next", "front.serve"),
         ("valid number",)),
    Case("huge-integer-warmup", put("warmup", 10**400), "warmup", "warmup: 1000000", ("valid number",)),
    Case("labour-typo", put("costs", {"labour": {"front": 1, "it": 1, "finance": 1, "record": 1}}),
         "costs.labour.record", ("costs", "labour", "record"), ("unknown department", "did you mean `records`?")),
    Case("labour-missing-department", put("costs", {"labour": {"front": 1, "it": 1}}), "costs.labour",
         ("costs", "labour"), ("no rate for finance, records",)),
    Case("labour-negative", put("costs", {"labour": -2}), "costs.labour", ("costs", "labour"),
         ("must be a number >= 0, or a rate per department (got -2)",)),
    Case("cost-unknown-field", put("costs", {"wages": 2}), "costs.wages", ("costs", "wages"),
         ("unknown field `wages`", "labour, rework, escaped_defect, late_payment, churn")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_one_defect_is_refused_with_located_message(tmp_path, case):
    scenario = copy.deepcopy(BASE)
    case.edit(scenario)
    path = write(tmp_path, scenario)
    result = validate(path)
    assert_refused(result, path)
    for text in case.says:
        assert text in result.stderr, result.stderr
    line = line_of(path, case.line)
    assert f"{path}:{line}: {case.path}: " in result.stderr, (line, result.stderr)


# --------------------------------------------------------------------------- stability


def unstable() -> dict:
    """BASE with it.fix taking 5 h: load 0.5/h x 5 h = 2.5 employees on a headcount of 2."""
    s = copy.deepcopy(BASE)
    s["departments"]["it"]["services"]["fix"]["time"] = {"dist": "exponential", "mean": 5.0}
    return s


def test_unstable_department_is_refused_naming_it_and_its_load(tmp_path):
    path = write(tmp_path, unstable())
    result = validate(path)
    assert_refused(result, path)
    problems = result.stderr.strip().splitlines()
    assert len(problems) == 1, problems
    line = line_of(path, "headcount: 2")
    assert problems[0].startswith(f"{path}:{line}: departments.it.headcount: unstable"), problems
    assert "offered load 2.5 employees on headcount 2" in problems[0]
    assert "utilisation 1.25" in problems[0]
    assert "at least 3" in problems[0]


def test_allow_unstable_accepts_the_same_file(tmp_path):
    scenario = unstable()
    scenario["allow_unstable"] = True
    path = write(tmp_path, scenario)
    result = validate(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{path}: ok"


# --------------------------------------------------------------------------- three typos, three lines


def test_three_typos_give_exactly_three_lines(tmp_path):
    s = copy.deepcopy(BASE)
    rename("departments.it.headcount", "headcont")(s)
    put(f"{FIX}.time.dist", "exponentail")(s)
    put("segments.y.journey.0", "record.lookup")(s)
    path = write(tmp_path, s)
    result = validate(path)
    assert_refused(result, path)
    problems = result.stderr.strip().splitlines()
    assert len(problems) == 3, problems
    expected = {
        "departments.it.headcont": ("headcont:", "did you mean `headcount`"),
        f"{FIX}.time.dist": ("dist: exponentail", "did you mean `exponential`"),
        "segments.y.journey.0": ("- record.lookup", "did you mean `records`"),
    }
    for field_path, (needle, hint) in expected.items():
        prefix = f"{path}:{line_of(path, needle)}: {field_path}: "
        matching = [p for p in problems if p.startswith(prefix)]
        assert len(matching) == 1, (prefix, problems)
        assert hint in matching[0]


def test_a_name_with_a_newline_is_reported_on_one_line(tmp_path):
    """Each problem is one line of the report, even when a name the user wrote holds a newline or a tab."""
    s = copy.deepcopy(BASE)
    put("segments.x.journey.1.next", {"front\nserve": 0.2, "\t": 0.1})(s)
    path = write(tmp_path, s)
    result = validate(path)
    assert_refused(result, path)
    problems = result.stderr.strip().splitlines()
    assert all(p.startswith(f"{path}:") for p in problems), problems  # a raw newline would start a line of its own
    assert any("`front\\nserve` is not a step of this journey" in p for p in problems), problems
    assert any("`\\t` is not a step of this journey" in p for p in problems), problems


def test_several_files_are_all_reported(tmp_path):
    good = write(tmp_path, BASE, "good.yaml")
    bad = copy.deepcopy(BASE)
    put("departments.it.headcount", -3)(bad)
    bad_path = write(tmp_path, bad, "bad.yaml")
    result = validate(bad_path, good)
    assert result.returncode == 2
    assert f"{good}: ok" in result.stdout
    assert f"{bad_path}:" in result.stderr and "departments.it.headcount" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- file-level problems


def _billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _make(kind: str, tmp_path: Path) -> tuple[Path, tuple[str, ...]]:
    """A bad file of the given kind and the text its message must contain."""
    p = tmp_path / f"{kind}.yaml"
    if kind == "missing":
        return p, ("no such file",)
    if kind == "directory":
        p.mkdir()
        return p, ("directory",)
    if kind == "empty":
        p.write_bytes(b"")
        return p, ("empty",)
    if kind == "whitespace":
        p.write_text("  \n\t\n   \n")
        return p, ("empty",)
    if kind == "comments-only":
        p.write_text("# nothing here\n\n# still nothing\n")
        return p, ("empty",)
    if kind == "binary":
        p.write_bytes(b"departments:\x00\x01\x02\xff" * 10)
        return p, ("binary",)
    if kind == "not-utf8":
        p.write_bytes("name: caf\u00e9\n".encode("latin-1"))
        return p, ("not UTF-8",)
    if kind == "unclosed-bracket":
        p.write_text("name: x\nhorizon: 100\ndepartments:\n  it: {headcount: 2, services: [\n")
        return p, (":5: invalid YAML",)  # the end of the file, where the bracket is still open
    if kind == "unclosed-bracket-mid":
        p.write_text("name: x\nhorizon: [100, 200\nperiod: 10\ndepartments: {}\n")
        return p, (":3: invalid YAML", "expected ',' or ']'")
    if kind == "bad-indent":
        p.write_text("name: x\ndepartments:\n  it:\n    headcount: 2\n   services: {}\n")
        return p, (":5: invalid YAML",)
    if kind == "top-list":
        p.write_text("- departments\n- segments\n")
        return p, (":1:", "top level must be a mapping", "a list")
    if kind == "top-scalar":
        p.write_text("just a sentence\n")
        return p, (":1:", "top level must be a mapping", "a single value")
    if kind == "too-large":
        with open(p, "wb") as f:  # sparse: a hole up to just past the limit
            f.truncate(loader.MAX_BYTES + 1)
        return p, ("limited to", str(loader.MAX_BYTES))
    if kind == "deeply-nested":
        p.write_text("departments: " + "[" * 100 + "]" * 100 + "\n")
        return p, ("nested deeper than",)
    if kind == "very-deeply-nested":
        p.write_text("departments: " + "[" * 20000 + "]" * 20000 + "\n")
        return p, ("nested deeper than",)
    if kind == "alias-bomb":
        p.write_text(_billion_laughs())
        return p, ("aliases",)
    if kind == "bad-timestamp":
        p.write_text("name: x\nhorizon: 2001-13-01\n")
        return p, ("invalid YAML",)
    if kind == "bad-float-tag":
        p.write_text("name: x\nhorizon: !!float lots\n")
        return p, ("invalid YAML",)
    if kind == "python-tag":
        p.write_text("name: !!python/object/apply:os.system ['true']\n")
        return p, ("invalid YAML",)
    if kind == "duplicate-key":
        p.write_text("name: x\ndepartments:\n  it:\n    headcount: 2\n    headcount: 3\n")
        return p, (":5: departments.it.headcount: duplicate key", "line 4")
    raise AssertionError(kind)


FILE_CASES = [
    "missing", "directory", "empty", "whitespace", "comments-only", "binary", "not-utf8",
    "unclosed-bracket", "unclosed-bracket-mid",
    "bad-indent", "top-list", "top-scalar", "too-large", "deeply-nested", "very-deeply-nested", "alias-bomb",
    "bad-timestamp", "bad-float-tag", "python-tag", "duplicate-key",
]


@pytest.mark.parametrize("kind", FILE_CASES)
def test_bad_file_is_refused_clearly(tmp_path, kind):
    path, says = _make(kind, tmp_path)
    result = validate(path)
    assert_refused(result, path)
    problems = result.stderr.strip().splitlines()
    assert 1 <= len(problems) <= 3, problems  # a short, clear message: no YAML dump, no traceback
    assert problems[0].startswith(f"{path}"), problems
    for text in says:
        assert text in result.stderr, result.stderr
    if kind == "too-large":
        assert os.path.getsize(path) > loader.MAX_BYTES


def test_alias_bomb_is_refused_quickly(tmp_path):
    import time

    path, _ = _make("alias-bomb", tmp_path)
    start = time.perf_counter()
    result = validate(path)
    assert result.returncode == 2
    assert time.perf_counter() - start < 20
