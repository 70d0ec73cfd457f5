"""`orgsim run` / `orgsim trace` end to end, as a user would call them, and the Python API behind them."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import orgsim

SMALL = {
    "name": "Two desks",
    "horizon": 300,
    "warmup": 30,
    "period": 30,
    "departments": {
        "front": {
            "headcount": 2,
            "services": {
                "serve": {
                    "time": {"dist": "exponential", "mean": 0.5},
                    "needs": [{"service": "back.check", "probability": 0.5}],
                }
            },
        },
        "back": {"headcount": 1, "services": {"check": {"time": {"dist": "exponential", "mean": 0.5}}}},
    },
    "segments": {"walk_ins": {"arrivals": {"rate": 2.0}, "journey": ["front.serve"], "expectation": 1.5, "value": 10}},
}


def orgsim_cli(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    return path


def test_json_output_is_the_design_contract(small):
    out = json.loads(orgsim_cli("run", str(small), "-r", "4", "--seed", "3", "--format", "json").stdout)
    assert set(out) == {"scenario", "engine", "replications", "seed", "metrics", "warnings"}
    assert (out["scenario"], out["engine"], out["replications"], out["seed"]) == ("Two desks", "simpy", 4, 3)
    nps = out["metrics"]["external.nps"]
    assert set(nps) == {"mean", "ci_low", "ci_high", "std", "n", "ci_method", "ci_reliable", "drift"}
    assert set(nps["drift"]) == {"mser5_warmup", "mser5_at_limit", "part_edges", "part_means", "change_part", "change",
                                 "change_ci_low", "change_ci_high", "level_ci_half_width", "trend"}
    assert nps["ci_low"] <= nps["mean"] <= nps["ci_high"] and nps["n"] == 4
    assert (nps["ci_method"], nps["ci_reliable"]) == ("logit-t", False)  # NPS is bounded; 4 replications are too few
    for name in ("external.csat", "external.revenue", "dept.front.utilisation", "dept.back.wait_mean",
                 "internal.front.back.response_mean", "internal.rework_rate", "external.sojourn_p90"):
        assert name in out["metrics"], name


def test_table_names_every_department_and_the_internal_supplier(small):
    text = orgsim_cli("run", str(small), "-r", "3").stdout
    for word in ("nps", "csat", "revenue", "front", "back", "front waits on back"):
        assert word in text


def test_table_columns_line_up_whatever_the_names(tmp_path):
    scenario = yaml.safe_load(yaml.safe_dump(SMALL))
    scenario["departments"]["records_office"] = {
        "headcount": 1, "services": {"file": {"time": {"dist": "exponential", "mean": 0.2}}}}
    scenario["departments"]["front"]["services"]["serve"]["needs"].append({"service": "records_office.file"})
    path = tmp_path / "names.yaml"
    path.write_text(yaml.safe_dump(scenario))
    lines = orgsim_cli("run", str(path), "-r", "3").stdout.splitlines()

    top = next(i for i, line in enumerate(lines) if line.startswith("Departments"))
    header, rows = lines[top], lines[top + 1 : top + 4]
    for word in ("utilisation", "wait_mean", "blocked_share", "morale"):
        col = header.index(word)
        for row in rows:  # each value starts under its column's name
            assert row[col - 1] == " " and row[col] != " ", (word, row)

    top = next(i for i, line in enumerate(lines) if line.startswith("Internal suppliers"))
    block = lines[top + 1 : lines.index("", top)]
    labels = ["front waits on back", "front waits on records_office", "rework rate"]
    assert [line.split("  ")[1] for line in block] == labels
    assert len({re.search(r"\d", line).start() for line in block}) == 1, block  # the values start in one column


def test_out_dir_holds_every_file_and_the_resolved_scenario_reloads(small, tmp_path):
    out = tmp_path / "res"
    orgsim_cli("run", str(small), "-r", "3", "--seed", "5", "--out", str(out), "--set", "departments.back.headcount=2")
    assert {p.name for p in out.iterdir()} == {
        "summary.csv", "replications.parquet", "timeseries.parquet", "scenario.yaml", "run.json"}
    resolved = orgsim.load(out / "scenario.yaml")
    assert resolved.departments["back"].headcount == 2
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 5 and meta["versions"]["simpy"] and "--set" in meta["command"]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns[:4]) == ["replication", "period", "metric", "value"]
    assert set(ts["replication"]) == {0, 1, 2} and ts["period"].max() == 9
    summary = pd.read_csv(out / "summary.csv")
    assert (summary["n"] <= 3).all() and "external.nps" in set(summary["metric"])


def test_api_summary_matches_cli_json(small):
    result = orgsim.run(orgsim.load(small), engine="simpy", replications=3, seed=2)
    cli = json.loads(orgsim_cli("run", str(small), "-r", "3", "--seed", "2", "--format", "json").stdout)
    row = result.summary().set_index("metric").loc["external.csat"]
    assert row["mean"] == pytest.approx(cli["metrics"]["external.csat"]["mean"], rel=1e-12)


def test_horizon_flag_overrides_the_file(small):
    short = orgsim.run(orgsim.load(small, ["horizon=60"]), replications=2, seed=1)
    cli = json.loads(orgsim_cli("run", str(small), "-r", "2", "--seed", "1", "--horizon", "60", "--format", "json").stdout)
    expected = short.summary().set_index("metric").loc["external.arrivals", "mean"]
    assert cli["metrics"]["external.arrivals"]["mean"] == pytest.approx(expected)
    assert cli["metrics"]["external.arrivals"]["mean"] < 2.0 * 60


def test_trace_narrates_in_plain_english(small):
    text = orgsim_cli("trace", str(small), "--until", "5").stdout
    lines = [x for x in text.splitlines() if x.strip()]
    assert len(lines) > 3
    assert any("order" in x for x in lines) and any("back" in x for x in lines)
    frame = orgsim.trace(orgsim.load(small), until=5)
    assert (frame["time"] <= 5 + 1e-9).all() and np.all(np.diff(frame["time"].to_numpy()) >= 0)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["run", "SMALL", "-r", "0"], "at least 1"),
        (["run", "SMALL", "--seed", "-4"], ">= 0"),
        (["run", "SMALL", "--engine", "fortran"], "invalid choice"),
        (["run", "SMALL", "--horizon", "-1"], "must be > 0"),
        (["run", "SMALL", "--set", "departments.front.headcount=-2"], "departments.front.headcount"),
        (["trace", "SMALL"], "--until"),
        (["run", "missing.yaml"], "no such file"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(small, args, needle):
    proc = orgsim_cli(*[str(small) if a == "SMALL" else a for a in args], check=False)
    assert proc.returncode == 2
    assert needle in proc.stderr
