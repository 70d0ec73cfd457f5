"""The interval rule covers the true mean about 95 % of the time from MIN_RELIABLE replications on (issue 16).

Planted cases, each shaped like an orgsim metric near the edge of its range, where the plain t interval
leaves the range: a rare-event rate (abandonment: a share of 100 orders at 1 %), an NPS near +100 (50
customers, 98 % promoters), a small count (Poisson, mean 1), and a mid-range share for contrast.  (A count
so rare that every replication can be 0 is out of reach of any interval built from replication means: all
zeros give [0, 0].)  For each, TRIALS
independent studies of n replications give TRIALS intervals; the share that holds the true mean is the
coverage.  The claim tested: coverage is within SLACK of 95 % (the delta method is exact only as n
grows).  The check allows for Monte Carlo error with a Clopper-Pearson interval of the observed coverage
at ALPHA / CASES (Bonferroni): a method whose coverage is in the claimed band fails this file with
probability below ALPHA.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from orgsim import metrics

ALPHA = 0.001
TRIALS = 4000
SLACK = 0.02  # claimed: coverage within 0.93..0.97
NOMINAL = 0.95


def _rate(rng, n):
    return rng.binomial(100, 0.01, size=(TRIALS, n)) / 100, 0.01


def _nps(rng, n):
    c = rng.multinomial(50, (0.98, 0.015, 0.005), size=(TRIALS, n))
    return 100.0 * (c[..., 0] - c[..., 2]) / 50, 100.0 * (0.98 - 0.005)


def _count(rng, n):
    return rng.poisson(1.0, size=(TRIALS, n)).astype(float), 1.0


def _share(rng, n):
    return rng.binomial(50, 0.5, size=(TRIALS, n)) / 50, 0.5


CASES = [
    ("external.abandon_rate", _rate),
    ("external.nps", _nps),
    ("external.abandoned", _count),
    ("dept.desk.utilisation", _share),
]
SIZES = (metrics.MIN_RELIABLE, 2 * metrics.MIN_RELIABLE)


def clopper_pearson(k: int, n: int, alpha: float) -> tuple[float, float]:
    low = stats.beta.ppf(alpha / 2, k, n - k + 1) if k > 0 else 0.0
    high = stats.beta.ppf(1 - alpha / 2, k + 1, n - k) if k < n else 1.0
    return low, high


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("metric, planted", CASES, ids=[c[0] for c in CASES])
def test_coverage_is_near_nominal(metric, planted, n):
    rng = np.random.default_rng([20261601, n, CASES.index((metric, planted))])
    x, truth = planted(rng, n)
    lo, hi = metrics.interval(x.mean(axis=1), x.std(axis=1, ddof=1), n, *metrics.bounds(metric))
    covered = int(np.sum((lo <= truth) & (truth <= hi)))
    low, high = clopper_pearson(covered, TRIALS, ALPHA / (len(CASES) * len(SIZES)))
    assert low <= NOMINAL + SLACK and high >= NOMINAL - SLACK, (
        f"{metric}, n {n}: coverage {covered / TRIALS:.3f} (99.9 % CI {low:.3f} to {high:.3f}) outside "
        f"{NOMINAL - SLACK:.2f}..{NOMINAL + SLACK:.2f}"
    )
    low_bound, high_bound = metrics.bounds(metric)
    assert np.all((lo >= low_bound) & (hi <= high_bound))


def test_the_planted_edge_cases_are_where_the_t_interval_fails():
    """At n = MIN_RELIABLE the plain t interval leaves the range in the three edge cases: they test the bounds."""
    n = metrics.MIN_RELIABLE
    for metric, planted in CASES[:3]:
        x, _ = planted(np.random.default_rng(7), n)
        half = stats.t.ppf(0.975, n - 1) * x.std(axis=1, ddof=1) / np.sqrt(n)
        low, high = metrics.bounds(metric)
        outside = np.mean((x.mean(axis=1) - half < low) | (x.mean(axis=1) + half > high))
        assert outside > 0.05, (metric, outside)
