"""A sweep reports every cell's paired difference against a reference cell (issue 16, item 6)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import orgsim
from orgsim import metrics
from orgsim.studies.compare import PolicySpec

SHORT = ["horizon=300", "warmup=40"]
GRID = [("departments.front_desk.headcount", [3, 4]), ("segments.citizens.arrivals.rate", [3.5, 4.0])]


def test_each_cell_minus_the_reference_is_the_difference_of_two_runs_on_the_same_seed():
    scenario = orgsim.load("classroom", SHORT)
    res = orgsim.sweep(scenario, GRID, replications=10, seed=3, engine="numba",
                       reference={"departments.front_desk.headcount": 4, "segments.citizens.arrivals.rate": 3.5})
    table = res.summary().set_index(["departments.front_desk.headcount", "segments.citizens.arrivals.rate", "metric"])
    ref = orgsim.run(orgsim.load("classroom", [*SHORT, "departments.front_desk.headcount=4",
                                               "segments.citizens.arrivals.rate=3.5"]), engine="numba",
                     replications=10, seed=3).values["external.sojourn_mean"]
    cell = orgsim.run(orgsim.load("classroom", SHORT), engine="numba",  # front_desk 3, rate 4.0: as written
                      replications=10, seed=3).values["external.sojourn_mean"]
    want = metrics.aggregate(cell - ref, "external.sojourn_mean", difference=True)
    got = table.loc[(3, 4.0, "external.sojourn_mean")]
    assert got["minus_reference"] == pytest.approx(want["mean"], abs=1e-12)
    assert (got["minus_reference_ci_low"], got["minus_reference_ci_high"]) == pytest.approx(
        (want["ci_low"], want["ci_high"]), abs=1e-12)
    zero = table.loc[(4, 3.5, "external.sojourn_mean")]
    assert (zero["minus_reference"], zero["minus_reference_ci_low"], zero["minus_reference_ci_high"]) == (0, 0, 0)
    assert res.reference_cell() == {"departments.front_desk.headcount": 4, "segments.citizens.arrivals.rate": 3.5,
                                    "policy": "as_scenario"}


def test_the_first_cell_is_the_default_reference_and_bad_names_are_refused():
    scenario = orgsim.load("classroom", SHORT)
    policies = [PolicySpec("fifo", {"priority": "fifo"}), PolicySpec("ext", {"priority": "external_first"})]
    res = orgsim.sweep(scenario, GRID[:1], policies, replications=3, seed=1, engine="numba")
    assert res.reference == 0 and res.reference_cell() == {"departments.front_desk.headcount": 3, "policy": "fifo"}
    for bad, needle in [({"policy": "fifo"}, "names 2 cells; add a value for departments.front_desk.headcount"),
                        ({"departments.front_desk.headcount": 5, "policy": "fifo"}, "names no cell"),
                        ({"horizon": 3}, "horizon is not swept")]:
        with pytest.raises(orgsim.OptionError, match=needle):
            orgsim.sweep(scenario, GRID[:1], policies, replications=2, reference=bad)


def test_the_cli_names_the_reference_and_the_json_reruns_the_sweep():
    args = ["sweep", "classroom", *(f"--set={s}" for s in SHORT), "--grid", "departments.front_desk.headcount=3,4",
            "--policy", "fifo", "--policy", "external_first", "-r", "4", "--seed", "2", "--engine", "numba",
            "--reference", "departments.front_desk.headcount=4,policy=fifo"]
    out = subprocess.run([sys.executable, "-m", "orgsim.cli", *args, "--format", "json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["reference"] == {"departments.front_desk.headcount": 4, "policy": "fifo"}
    assert doc["policy_changes"] == {"fifo": {"priority": "fifo"}, "external_first": {"priority": "external_first"}}
    again = orgsim.sweep(orgsim.Scenario.model_validate(doc["scenario_definition"]), list(doc["grid"].items()),
                         [PolicySpec(k, v) for k, v in doc["policy_changes"].items()], replications=doc["replications"],
                         seed=doc["seed"], engine=doc["engine"], reference=doc["reference"])
    assert json.loads(json.dumps(again.to_json()["rows"])) == doc["rows"]
    text = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True).stdout
    assert "paired difference against the reference cell, departments.front_desk.headcount=4, policy=fifo" in text
    assert text.count("reference\n") == 1  # the reference row says so instead of a difference
