"""Hostile input to the command line (issue 15): generated argument lists and scenario mutations.

Whatever a user types, `orgsim` answers with exit status 0 (it worked), 2 (bad input, one line each) or 130
(interrupted) -- never an uncaught exception (a traceback, exit 1).  The CLI is called in-process, on a tiny
scenario (horizon 20) with the reference engine and one replication, so each example takes milliseconds.
"""

from __future__ import annotations

import warnings

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgsim.cli.main import main
from orgsim.scenario.loader import shipped_scenarios

HOSTILE = [
    "", " ", "-1", "0", "1", "2", "1e309", "-1e309", "nan", "inf", "1e-320", "true", "null", "~", "[]", "{}", "[[[[[[",
    "%", "95 % c", "%(prog)s", "$x^$", "\x1b]0;pwned\x07", "\x1b[31mred", "2001-13-01", "!!float abc", "&a [*a]",
    "x" * 2000, "é", "baseline", "fixed", "sqrt_staffing", "optimised", "priority_external", "external.nps",
]
PATHS = [
    "horizon", "warmup", "period", "name", "time_unit", "policy.budget", "policy.allocation", "policy.priority",
    "policy.investments.training", "policy.investments.tooling", "policy.min_per_department",
    "departments.front_desk.headcount", "departments.records.headcount", "departments.front_desk.services.serve.time.mean",
    "departments.records.services.search.defect_rate", "departments.front_desk.skill", "allow_unstable", "x.y.z",
]
COMMANDS = ["validate", "summary", "schema", "run", "trace", "compare", "optimise", "sweep"]
FLAGS = ["--set", "--policy", "--grid", "--metric", "--budget", "--until", "--seed", "--horizon", "--format", "--objective",
         "--report", "--out", "--precision", "--min-per-department", "--resume", "--help", "-r", "--engine", "--batch-size"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """classroom with a horizon of 20 hours: a run takes milliseconds."""
    folder = tmp_path_factory.mktemp("hostile")
    raw = yaml.safe_load(shipped_scenarios()["classroom"].read_text(encoding="utf-8"))
    raw.update(horizon=20, warmup=0, period=5)
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return folder, path, raw


def _call(argv: list[str], capsys) -> tuple[int, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # a numpy warning on bad input is a defect too
            status = main(argv)
    except SystemExit as exc:  # --help and --version exit through argparse
        status = exc.code if isinstance(exc.code, int) else 2
    err = capsys.readouterr().err
    return status, err


def _safe(argv: list[str]) -> list[str]:
    """Small and fast whatever was generated: one replication, the reference engine, a tiny horizon."""
    command = argv[0]
    if command in ("run", "compare", "optimise", "sweep"):
        argv += ["-r", "1", "--engine", "simpy"]
    if command == "run":
        argv += ["--horizon", "20", "--no-progress"]
    if command == "sweep":
        argv += ["--no-progress"]
    if command == "trace":
        argv += ["--until", "5"]
    return argv


word = st.sampled_from(HOSTILE) | st.text(max_size=12)
flag_and_value = st.tuples(st.sampled_from(FLAGS), word | st.builds(lambda p, v: f"{p}={v}", st.sampled_from(PATHS), word))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(COMMANDS), pairs=st.lists(flag_and_value, max_size=3))
def test_generated_arguments_exit_0_2_or_130(command, pairs, tiny, capsys, monkeypatch):
    folder, path, _ = tiny
    monkeypatch.chdir(folder)
    argv = [command, str(path)] if command not in ("schema",) else [command]
    for flag, value in pairs:
        argv += [flag, value]
    status, err = _call(_safe(argv), capsys)
    assert status in (0, 2, 130), (argv, err)
    assert "Traceback" not in err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=st.sampled_from(HOSTILE) | st.integers(-10, 10**20) | st.floats()
       | st.booleans() | st.none() | st.just([]) | st.just({}), command=st.sampled_from(["validate", "run", "trace", "summary"]))
def test_mutated_scenarios_exit_0_or_2(path, value, command, tiny, capsys, monkeypatch):
    folder, _, raw = tiny
    monkeypatch.chdir(folder)
    mutated = yaml.safe_load(yaml.safe_dump(raw))
    node = mutated
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else {}
    if isinstance(node, dict):
        node[keys[-1]] = value
    target = folder / "mutated.yaml"
    target.write_text(yaml.safe_dump(mutated, allow_unicode=True), encoding="utf-8")
    status, err = _call(_safe([command, str(target)]), capsys)
    assert status in (0, 2), (path, value, err)
    assert "Traceback" not in err
