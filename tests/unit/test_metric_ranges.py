"""Metric ranges are facts, and what the commands print respects them (issue 16, item 4).

The ranges in ``orgsim.metrics.KINDS`` decide every interval; they are checked here against what both engines
produce on the shipped scenarios, against the README's table, and through the command line: `run` and
`compare` with two replications (where the plain t interval printed NPS [-392.0, 490.8]) print no interval
outside a range and say that the intervals are unreliable; ten replications do not.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import orgsim
from orgsim import metrics
from orgsim.engines import reference
from orgsim.kernels import run as numba_run

README = Path(__file__).resolve().parents[2] / "README.md"
SHORT = {"baseline": 600, "call_centre": 600, "classroom": 100, "hospital": 300, "jackson": 600}


def cli(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def short(name: str) -> orgsim.Scenario:
    horizon = SHORT[name]
    return orgsim.load(name, [f"horizon={horizon}", f"warmup={horizon / 10:g}", f"period={horizon / 10:g}"])


@pytest.mark.parametrize("engine", ["numba", "simpy"])
@pytest.mark.parametrize("name", sorted(SHORT))
def test_every_value_the_engines_give_is_in_its_range(name, engine):
    sc = short(name)
    st = metrics.structure(sc)
    if engine == "numba":
        rows, periods = numba_run.simulate(sc, None, 3, 6)
        per_period = metrics.period_metrics(periods, st)
    else:
        heads = {d: dept.headcount for d, dept in sc.departments.items()}
        out = reference.simulate(sc, heads, 3, range(2))
        rows, per_period = out.rows, metrics.period_metrics(out.periods, st)
    for kind, values in (("replication", metrics.replication_metrics(rows, st)), ("period", per_period)):
        for metric, v in values.items():
            assert metric.rsplit(".", 1)[-1] in metrics.KINDS, f"{metric} has no kind: its range would be unknown"
            low, high = metrics.bounds(metric)
            x = np.asarray(v, float)
            x = x[~np.isnan(x)]
            assert np.all((x >= low) & (x <= high)), (kind, metric, x.min(), x.max())


def test_the_readme_table_gives_each_metric_its_range():
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| name | meaning | range |"):text.index("Defined once in `sim/metrics.py`")]
    words = {"0 or more": (0.0, math.inf), "0 to 1": (0.0, 1.0), "0 to 10": (0.0, 10.0), "-100 to 100": (-100.0, 100.0),
             "any": (-math.inf, math.inf)}
    seen = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[-1] == "as above":
            continue
        for name in re.findall(r"`([^`]+)`", cells[0]):
            seen[name.rsplit(".", 1)[-1]] = words[cells[-1]]
    assert seen == {k: (kind.low, kind.high) for k, kind in metrics.KINDS.items()}


def _inside(stats: dict, low: float, high: float) -> None:
    assert low <= stats["ci_low"] <= stats["mean"] <= stats["ci_high"] <= high, stats


def test_run_with_two_replications_stays_in_range_and_says_unreliable():
    out = json.loads(cli("run", "baseline", "-r", "2", "--horizon", "400", "--engine", "numba", "--format", "json",
                         "--no-progress").stdout)
    for metric, stats in out["metrics"].items():
        if stats["ci_low"] is not None:
            _inside(stats, *metrics.bounds(metric))
        assert stats["ci_reliable"] is False
        assert stats["ci_method"] == metrics.ci_method(*metrics.bounds(metric))
    text = cli("run", "baseline", "-r", "2", "--horizon", "400", "--engine", "numba", "--no-progress").stdout
    assert "* fewer than 10 replications: unreliable" in text
    nps = next(line for line in text.splitlines() if line.strip().startswith("nps"))
    assert nps.rstrip().endswith("] *"), nps
    low, high = (float(x.replace(",", "")) for x in re.search(r"\[(\S+), (\S+)\]", nps).groups())
    assert -100 <= low <= high <= 100


def test_ten_replications_are_not_flagged():
    text = cli("run", "call_centre", "-r", "10", "--horizon", "300", "--engine", "numba", "--no-progress").stdout
    assert "unreliable" not in text and "] *" not in text


def test_compare_with_two_replications_stays_in_range_and_says_unreliable(tmp_path):
    args = ["compare", "baseline", "--policy", "fixed", "--policy", "sqrt_staffing", "-r", "2", "--engine", "numba",
            "--set", "horizon=400"]
    out = json.loads(cli(*args, "--format", "json").stdout)
    for stats in out["policies"].values():
        _inside(stats, -100, 100)
        assert (stats["ci_method"], stats["ci_reliable"]) == ("logit-t", False)
    for stats in out["differences"].values():
        _inside(stats, -200, 200)
    text = cli(*args, "--report", str(tmp_path / "r.html")).stdout
    assert "95 % CIs fewer than 10 replications: unreliable" in text
    assert "(intervals from fewer than 10 replications: unreliable)." in text  # the one-sentence answer
    assert 'id="unreliable"' in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_timeseries_bands_stay_in_range():
    result = orgsim.run(short("baseline"), engine="numba", replications=3, seed=2)
    frame = result.timeseries_summary().dropna(subset=["ci_low"])
    assert len(frame) > 0
    for metric, rows in frame.groupby("metric"):
        low, high = metrics.bounds(metric)
        assert ((rows.ci_low >= low) & (rows.ci_high <= high) & (rows.ci_low <= rows["mean"])).all(), metric
        assert not rows.ci_reliable.any()
