"""Runaway work is refused or announced before it starts: a validated scenario never dies on an allocation."""

from __future__ import annotations

import signal
import subprocess
import sys

import numpy as np
import pytest

import orgsim
from orgsim.studies import estimate

CLI = [sys.executable, "-m", "orgsim.cli"]


def orgsim_cli(*args, timeout=120):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args", [
    ["run", "baseline", "-r", "1000000000000", "--engine", "numba"],
    ["run", "baseline", "-r", "1000000000000"],
    ["sweep", "baseline", "-r", "100000000000", "--policy", "fixed", "--no-progress"],
])
def test_more_replications_than_memory_holds_are_refused_before_anything_runs(args):
    out = orgsim_cli(*args)
    assert out.returncode == 2, out.stderr
    assert "memory" in out.stderr and "available" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("override", [["--horizon", "1e20"], ["--set", "period=1e-9"], ["--set", "horizon=1.0e15"],
                                      ["--set", "period=1e-320"]])  # horizon / period overflows to inf
def test_a_replication_with_too_many_periods_is_a_scenario_error(override):
    commands = [["run", "baseline", "-r", "2", "--engine", "numba"]]
    if override[0] == "--set":  # validate has no --horizon flag
        commands.append(["validate", "baseline"])
    for command in commands:
        args = [*command, *override]
        out = orgsim_cli(*args)
        assert out.returncode == 2, (args, out.stderr)
        assert "reporting periods" in out.stderr and "lengthen `period`" in out.stderr and "Traceback" not in out.stderr


def test_batches_shrink_to_fit_memory_and_the_numbers_do_not_change(monkeypatch):
    scenario = orgsim.load("classroom")
    full = orgsim.run(scenario, engine="numba", replications=16, seed=3)
    row = 8.0 * sum(estimate._row_values(scenario)[:2])
    kept = 8.0 * 16 * (2 * estimate._row_values(scenario)[2] + estimate._row_values(scenario)[1])
    # room for the results kept and one replication's rows per batch in flight, not more
    monkeypatch.setattr(estimate, "available_memory", lambda: (kept + row * estimate.IN_FLIGHT * 1.5) / estimate.MEMORY_SHARE)
    small = orgsim.run(scenario, engine="numba", replications=16, seed=3)
    assert small.extra["batch_size"] == 1 < full.extra["batch_size"]
    for name in full.values:
        assert np.array_equal(full.values[name], small.values[name], equal_nan=True), name


def test_the_event_estimate_follows_the_traffic_equations():
    """jackson: open Poisson arrivals; its estimate counts arrivals plus a start and an end per service."""
    sc = orgsim.load("jackson")
    run = orgsim.run(sc, engine="simpy", replications=2, seed=1)
    arrivals = run.summary().set_index("metric").loc["external.arrivals", "mean"] / (sc.horizon - sc.warmup)
    per_time = (estimate.events_per_replication(sc) - sc.n_periods()) / sc.horizon
    assert per_time > 3 * arrivals * 0.9  # every order is served at least once: arrival, start, end


def test_a_long_run_is_announced_with_its_estimate_and_ctrl_c_stops_it():
    proc = subprocess.Popen([*CLI, "run", "baseline", "--horizon", "1e9", "--set", "period=1e5", "-r", "4",
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    assert "estimated at" in line and "events" in line and "Ctrl-C" in line, line
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
