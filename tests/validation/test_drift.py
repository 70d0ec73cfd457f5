"""Drift hidden behind one mean: MSER-5 finds a planted initial transient, the drift test flags planted drifts and
flags stationary autocorrelated series no more often than its level, and a scenario whose speed keeps rising is caught.

Rates over many synthetic data sets are judged with one-sided binomial tests at level 0.001, so a correct
method fails them once in a thousand runs of the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import binom

from orgsim.studies.drift import ALPHA, diagnose, mser5, mser5_limit, shift

DATASETS = 2000


def ar1(rng, shape: tuple[int, int], phi: float) -> np.ndarray:
    """Stationary AR(1) with unit marginal variance, independent rows (replications)."""
    r, t = shape
    e = rng.standard_normal((r, t)) * np.sqrt(1 - phi**2)
    y = np.empty((r, t))
    y[:, 0] = rng.standard_normal(r)
    for k in range(1, t):
        y[:, k] = phi * y[:, k - 1] + e[:, k]
    return y


def test_mser5_by_hand():
    # batch means 10, 0, 0, 0: deleting the first batch leaves no variance at all
    assert mser5(np.repeat([10.0, 0.0, 0.0, 0.0], 5)) == 5
    # batch means alternating 0, 1: deleting a batch only loses observations (2/64 against 12/7/36)
    assert mser5(np.repeat([0.0, 1.0] * 4, 5)) == 0
    # batch means 20, 10, then zeros: MSER(0) = 387.5/64, MSER(1) = 85.7/49, MSER(2) = 0
    assert mser5(np.repeat([20.0, 10.0] + [0.0] * 6, 5)) == 10
    # the search covers the first half of the batches only (d = 3 would leave no variance here), and needs 4 batches
    assert mser5(np.repeat([30.0, 20.0, 10.0, 0.0, 0.0, 0.0], 5)) == 10
    assert mser5(np.zeros(19)) is None
    assert mser5_limit(30) == 10 and mser5_limit(50) == 20 and mser5_limit(54) == 20


def test_mser5_removes_most_of_a_planted_initial_transient():
    """y_t = 10 exp(-t/20) + AR(1) noise over 500 periods: the untruncated mean is biased by about 10 * 20 / 500 = 0.4."""
    rng = np.random.default_rng(3)
    t = np.arange(500)
    errors_full, errors_cut, cuts = [], [], []
    for _ in range(300):
        y = 10 * np.exp(-t / 20) + ar1(rng, (1, 500), 0.5)[0]
        d = mser5(y)
        cuts.append(d)
        errors_full.append(y.mean())
        errors_cut.append(y[d:].mean())
    assert np.mean(errors_full) == pytest.approx(0.4, abs=0.03)  # the bias MSER-5 has to remove
    assert abs(np.mean(errors_cut)) < 0.05  # what is left of it (standard error of this average: about 0.006)
    assert 30 <= np.median(cuts) <= 150  # the transient is under the noise's level by t = 46


def test_a_stationary_autocorrelated_series_is_not_flagged_more_often_than_the_level():
    rng = np.random.default_rng(7)
    significant = flagged = 0
    for _ in range(DATASETS):
        s = shift(ar1(rng, (20, 45), 0.8), ALPHA)
        significant += abs(s.change) > s.change_half  # some part moved from the first, by its t-interval
        flagged += s.trending
    assert binom.cdf(significant, DATASETS, ALPHA) > 1e-3 or significant <= ALPHA * DATASETS, significant / DATASETS
    assert binom.sf(significant - 1, DATASETS, ALPHA / 5) > 1e-3 or significant >= ALPHA / 5 * DATASETS, "the test never fires"
    assert flagged <= significant


@pytest.mark.parametrize("shape", ["line", "dip"])
def test_a_planted_drift_is_flagged(shape):
    """A drift of 1.5 marginal standard deviations across the window, under AR(1) noise, 20 replications."""
    rng = np.random.default_rng(11)
    t = np.linspace(0, 1, 45)
    drift = 1.5 * (t if shape == "line" else np.sin(np.pi * t))  # a steady fall, or a dip that recovers
    hits = sum(shift(ar1(rng, (20, 45), 0.8) - drift, ALPHA).trending for _ in range(200))
    assert hits >= 190


def test_the_same_move_in_every_replication_is_flagged_and_a_flat_series_is_not():
    steps = np.tile(np.r_[np.zeros(20), np.ones(20)], (5, 1))
    s = shift(steps)
    assert s.trending and s.change == 1.0 and s.change_half == 0.0
    assert not shift(np.ones((5, 40))).trending


def test_the_window_starts_after_the_warm_up_and_drops_a_partial_last_period():
    rng = np.random.default_rng(2)
    noise = ar1(rng, (30, 51), 0.5) * 0.1
    before = noise.copy()
    before[:, :5] += 5.0  # a transient over the warm-up (periods 0-4, warm-up 200 with periods of 40)
    after = noise.copy()
    after[:, 30:] += 5.0  # a step in the middle of the window
    partial = noise.copy()
    partial[:, 50] -= 50.0  # the horizon 2020 ends 20 into period 50: its counts are half a period's
    series = {"before": before, "after": after, "partial": partial}
    d = diagnose(series, ["before", "after", "partial", "no_series"], period=40.0, warmup=200.0, horizon=2020.0)
    assert set(d) == {"before", "after", "partial"}
    assert d["after"].test.trending and not d["before"].test.trending and not d["partial"].test.trending
    assert d["after"].edges()[0] == 200.0 and d["after"].edges()[-1] == 2000.0
    assert d["before"].mser5_warmup >= 200.0  # MSER-5 deletes at least the transient's batch (5 periods of 40)


def run_json(*args) -> dict:
    proc = subprocess.run([sys.executable, "-m", "orgsim.cli", "run", *args, "--engine", "numba", "--format", "json",
                           "--no-progress"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_a_scenario_whose_speed_keeps_rising_is_flagged():
    """Training raises every service speed by 1 + effect * x * (1 - exp(-t / lag)): with a lag of 1,500 hours skill still
    grows through the whole run, so the same work takes less and less employee time: utilisation must fall."""
    out = run_json("baseline", "-r", "30", "--seed", "1", "--set", "policy.budget=50", "--set", "policy.investments.training=4",
                   "--set", "policy.investments.training_lag=1500")
    util = {k: v["drift"] for k, v in out["metrics"].items() if k.endswith(".utilisation")}
    flagged = [k for k, d in util.items() if d["trend"]]
    assert len(flagged) >= 3, util
    assert all(util[k]["change"] < 0 and util[k]["change_ci_high"] < 0 for k in flagged)
    assert any(w.startswith(flagged[0] + " still moves after the warm-up") for w in out["warnings"])


def test_a_stationary_queue_gives_no_warning():
    """call_centre is an M/M/c queue with patience: stationary after its warm-up, so nothing may be flagged."""
    out = run_json("call_centre", "-r", "40", "--seed", "4")
    assert out["warnings"] == []
    assert all(v["drift"] is None or v["drift"]["trend"] is False for v in out["metrics"].values())
    assert out["metrics"]["external.nps"]["drift"]["mser5_warmup"] is not None
