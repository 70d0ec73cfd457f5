"""`orgsim compare --select` end to end: the selection, its guarantee and its bookkeeping; bad flags exit 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SHORT = ["--set", "horizon=800", "--set", "warmup=200"]
POLICIES = ["--policy", "fixed", "--policy", "sqrt_staffing", "--policy", "proportional_load"]


def orgsim_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr
    return proc


def test_select_reports_the_selected_policy_its_guarantee_and_every_replication():
    proc = orgsim_cli("compare", "baseline", *POLICIES, "--select", "--delta", "2", "--alpha", "0.1", "-r", "10",
                      "--seed", "3", "--format", "json", *SHORT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    pol = out["policies"]
    assert set(pol) == {"fixed", "sqrt_staffing", "proportional_load"}
    assert out["delta"] == 2 and out["alpha"] == 0.1 and out["first_stage"] == 10
    assert "at least 2 higher" in out["guarantee"] and "at least 90%" in out["guarantee"]
    # every policy but the selected one left, each after the replications it used; the selected one used the most
    left = [e["policy"] for e in out["eliminated"]]
    assert sorted(left + [out["selected"]]) == sorted(pol)
    assert all(pol[e["policy"]]["replications_used"] == e["after"] for e in out["eliminated"])
    assert [e["after"] for e in out["eliminated"]] == sorted(e["after"] for e in out["eliminated"])
    assert pol[out["selected"]]["replications_used"] == max(p["replications_used"] for p in pol.values())
    assert all(10 <= p["replications_used"] <= p["replications_simulated"] <= out["most_replications_needed"]
               for p in pol.values())
    assert out["replications_simulated"] == sum(p["replications_simulated"] for p in pol.values())
    fixed = out["fixed_equal_allocation"]
    assert fixed["total"] == 3 * fixed["per_policy"] and fixed["per_policy"] >= 10
    # those still in contention at the end, the selected one has the highest mean (KN's last screening, W = 0 or not)
    last = [k for k, p in pol.items() if p["replications_used"] == pol[out["selected"]]["replications_used"]]
    assert max(last, key=lambda k: pol[k]["mean"]) == out["selected"]


def test_select_table_names_the_selected_policy_and_the_yardstick():
    proc = orgsim_cli("compare", "baseline", *POLICIES, "--select", "--delta", "3", "-r", "10", "--seed", "3", *SHORT)
    assert proc.returncode == 0, proc.stderr
    assert "selected: " in proc.stdout and "at least 95%" in proc.stdout
    assert "eliminated after" in proc.stdout
    assert "a fixed equal allocation with the same guarantee needs" in proc.stdout


def test_policies_identical_in_every_replication_end_tied_with_the_first_listed():
    # in the classroom scenario no queue mixes external and internal work, so the queue priorities change nothing
    proc = orgsim_cli("compare", "classroom", "--policy", "fifo", "--policy", "external_first", "--select", "--delta", "5",
                      "-r", "5", "--format", "json", "--set", "horizon=400")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["selected"] == "fifo"
    assert out["eliminated"] == [{"policy": "external_first", "after": 5, "tied": True}]
    assert out["policies"]["fifo"]["mean"] == out["policies"]["external_first"]["mean"]


@pytest.mark.parametrize("args, needle", [
    (["--delta", "2"], "--delta needs --select"),
    (["--alpha", "0.1"], "--alpha needs --select"),
    (["--select"], "--delta is needed with --select"),
    (["--select", "--delta", "2", "--alpha", "1.5"], "--alpha must be between 0 and 1"),
    (["--select", "--delta", "2", "--alpha", "0"], "--alpha: must be > 0"),
    (["--select", "--delta", "-1"], "--delta: must be > 0"),
    (["--select", "--delta", "2", "--precision", "1"], "--precision cannot be combined with --select"),
    (["--select", "--delta", "2", "--report", "r.html"], "--report is not available with --select"),
    (["--select", "--delta", "2", "-r", "1"], "-r must be at least 2"),
    (["--select", "--delta", "0.0001", "-r", "3"], "would need up to"),
    (["--select", "--delta", "2", "--metric", "external.npss"], "did you mean `external.nps`"),
])  # fmt: skip
def test_bad_selection_flags_exit_2_with_one_line(args, needle):
    proc = orgsim_cli("compare", "baseline", *POLICIES, *args, *SHORT)
    assert proc.returncode == 2
    assert needle in proc.stderr, proc.stderr


def test_select_needs_two_policies():
    proc = orgsim_cli("compare", "baseline", "--policy", "fixed", "--select", "--delta", "2", *SHORT)
    assert proc.returncode == 2 and "--policy selection needs at least 2 policies" in proc.stderr
