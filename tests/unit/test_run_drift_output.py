"""`orgsim run` shows drift: a warning in the table, a field per metric and a list of warnings in the JSON, and
`--report FILE` writes an HTML report with every per-period series plotted and the same warnings."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import orgsim
from orgsim.present.tables import drift_lines

UNSTABLE = ["hospital", "-r", "12", "--seed", "2", "--engine", "numba", "--no-progress"]  # its wards saturate: waits grow all year


def orgsim_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr
    return proc


def test_a_drifting_run_warns_in_the_table_the_json_and_the_report(tmp_path):
    report = tmp_path / "run.html"
    table = orgsim_cli("run", *UNSTABLE, "--report", str(report))
    assert table.returncode == 0, table.stderr
    out = json.loads(orgsim_cli("run", *UNSTABLE, "--format", "json").stdout)
    assert out["warnings"], "the hospital's growing waits must be flagged"
    flagged = [k for k, v in out["metrics"].items() if v["drift"] and v["drift"]["trend"]]
    assert "external.sojourn_mean" in flagged
    assert sorted(w.split(" ")[0] for w in out["warnings"]) == sorted(flagged)
    assert out["metrics"]["external.sojourn_mean"]["drift"]["change"] > 0  # waits grow
    assert out["metrics"]["external.wait_mean"]["drift"] is None  # no per-period series of it
    # the table: a warning line and one row per flagged metric
    assert "WARNING: these per-period means still move after the warm-up" in table.stdout
    assert all(re.search(rf"^\s+{re.escape(k)}\s", table.stdout, flags=re.M) for k in flagged)
    assert f"report written to {report}" in table.stdout
    # the report: the same warnings, the flagged rows marked, a figure per group of series
    page = report.read_text(encoding="utf-8")
    assert page.count("<li>") == len(out["warnings"])
    assert all(f'<tr class="moves"><td>{k}</td>' in page for k in flagged)
    assert all(f'id="fig-{g}"' in page for g in ("external", "utilisation", "morale", "headcount"))
    assert "http://" not in page and "https://" not in page


def test_a_stationary_run_says_nothing_moves(tmp_path):
    report = tmp_path / "run.html"
    proc = orgsim_cli("run", "call_centre", "-r", "20", "--seed", "4", "--engine", "numba", "--no-progress",
                      "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    assert "no per-period mean moves after the warm-up (8 metrics" in proc.stdout
    assert "WARNING" not in proc.stdout
    page = report.read_text(encoding="utf-8")
    assert 'id="warnings" class="ok"' in page and "<li>" not in page


def test_the_report_place_is_checked_before_the_run(tmp_path):
    proc = orgsim_cli("run", "call_centre", "-r", "2", "--engine", "numba", "--report", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.startswith("orgsim run: --report ")


def test_without_per_replication_series_drift_is_said_not_tested():
    result = orgsim.run("call_centre", engine="numba", replications=3, seed=1)
    big = dataclasses.replace(result, series=None)  # what a run too large to keep its series gives back
    assert big.drift is None and big.warnings() == []
    assert all(v["drift"] is None for v in big.to_json()["metrics"].values())
    assert "not tested (per-replication series are not kept" in "\n".join(drift_lines(big))
