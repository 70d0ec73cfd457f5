"""Progress bar on a terminal only, clean --format json, the sweep table, and the messages for bad use."""

from __future__ import annotations

import json
import sys

import pandas as pd
from dist_helpers import SCENARIO, cli, free_port
from terminal import with_terminal_stderr as _with_terminal_stderr


def test_progress_bar_on_a_terminal_and_json_stays_clean(capsys):
    args = ["run", SCENARIO, "-r", "12", "--format", "json"]
    code, out, err = _with_terminal_stderr(*args)
    assert code == 0, err
    assert json.loads(out)["replications"] == 12
    assert "replications:" in err and "12/12" in err and "rep/s" in err
    code, out, err = _with_terminal_stderr(*args, "--no-progress")
    assert code == 0 and json.loads(out)["replications"] == 12
    assert "12/12" not in err
    code, out, err = cli(capsys, *args)  # stderr is not a terminal: no bar
    assert code == 0 and json.loads(out)["replications"] == 12
    assert err == ""


def test_sweep_table_and_json(tmp_path, capsys):
    args = ["sweep", SCENARIO, "--grid", "departments.front_desk.headcount=3,4,5", "--grid",
            "segments.citizens.arrivals.rate=3.5,4", "--policy", "fifo", "--policy", "external_first",
            "-r", "5", "--seed", "3", "--engine", "numba", "--out", tmp_path]
    code, out, err = cli(capsys, *args, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    table = pd.read_csv(tmp_path / "sweep.csv")
    assert list(table.columns) == ["departments.front_desk.headcount", "segments.citizens.arrivals.rate", "policy",
                                   "metric", "mean", "ci_low", "ci_high", "std", "n", "ci_method", "ci_reliable",
                                   "minus_reference", "minus_reference_ci_low", "minus_reference_ci_high"]
    assert not table["ci_reliable"].any()  # 5 replications: every interval is flagged
    metrics = table["metric"].nunique()
    assert len(table) == 3 * 2 * 2 * metrics == len(doc["rows"])
    assert set(table["n"][table["metric"] == "external.arrivals"]) == {5}
    assert pd.read_parquet(tmp_path / "sweep.parquet").shape == table.shape
    # common random numbers: arrivals do not depend on the policy or the headcount
    arr = table[table["metric"] == "external.arrivals"].groupby("segments.citizens.arrivals.rate")["mean"].nunique()
    assert set(arr) == {1}
    code, out, err = cli(capsys, *args[:-2], "--metric", "external.wait_mean")
    assert code == 0 and "external.wait_mean" in out and out.count("external_first") == 6
    assert out.count("] *") == 12 and "* fewer than 10 replications: unreliable" in out


def test_bad_sweep_input_exits_2(capsys):
    for bad, word in [(["--grid", "departments.front_desk.headcount"], "PATH=V1,V2"),
                      (["--grid", "departments.front_desk.headcount=3,x"], "--grid"),
                      (["--grid", "departments.nowhere.headcount=3"], "--grid"),
                      (["--policy", "nonsense"], "--policy nonsense")]:
        code, _, err = cli(capsys, "sweep", SCENARIO, "-r", "2", *bad)
        assert code == 2, (bad, err)
        assert word in err and "Traceback" not in err, err
    code, _, err = cli(capsys, "sweep", SCENARIO, "-r", "2")
    assert code == 2 and "--grid" in err


def test_dask_missing_exits_2_with_the_install_hint(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if orgsim[distributed] were not installed
    monkeypatch.setitem(sys.modules, "dask", None)
    for cmd in (["run", SCENARIO, "-r", "2"], ["compare", SCENARIO, "--policy", "fifo", "-r", "2"],
                ["optimise", SCENARIO, "--budget", "4"], ["sweep", SCENARIO, "--policy", "fifo", "-r", "2"]):
        code, _, err = cli(capsys, *cmd, "--backend", "dask")
        assert code == 2, err
        assert "install orgsim[distributed]" in err


def test_backend_options_misused_exit_2(capsys):
    code, _, err = cli(capsys, "run", SCENARIO, "-r", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert code == 2 and "--backend dask" in err
    code, _, err = cli(capsys, "run", SCENARIO, "-r", "2", "--backend", "dask", "--scheduler",
                         f"tcp://127.0.0.1:{free_port()}")
    assert code == 2 and "cannot reach" in err
