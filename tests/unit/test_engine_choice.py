"""`--engine auto`, every study's default: the reference engine for small studies, numba for the rest (issue 16, item 9)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import orgsim
from orgsim.engines.api import AUTO_SIMPY_EVENTS
from orgsim.studies.estimate import choose_engine, events_per_replication

TINY = ["horizon=60", "warmup=0", "period=20"]  # classroom for three working days


def test_auto_switches_to_numba_just_above_the_event_threshold():
    scenario = orgsim.load("classroom", TINY)
    per = events_per_replication(scenario)
    most = math.floor(AUTO_SIMPY_EVENTS / per)  # the most replications the reference engine still takes
    assert most >= 2
    assert choose_engine("auto", [scenario], most) == "simpy"
    assert choose_engine("auto", [scenario], most + 1) == "numba"
    assert choose_engine("auto", [scenario, scenario], most) == "numba"  # a study counts all its variants
    assert choose_engine("simpy", [orgsim.load("baseline")], 10_000) == "simpy"  # an explicit engine is kept


def test_run_and_the_api_report_the_engine_auto_chose():
    small = orgsim.run(orgsim.load("classroom", TINY), replications=2, seed=1)
    assert small.engine == "simpy"
    out = subprocess.run([sys.executable, "-m", "orgsim.cli", "run", "classroom", *(f"--set={o}" for o in TINY),
                          "-r", "200", "--format", "json", "--no-progress"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["engine"] == "numba"
