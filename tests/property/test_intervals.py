"""No interval orgsim reports leaves its metric's range (issue 16): NPS -100..100, rates 0..1, counts and times >= 0.

Hypothesis draws replication values anywhere in a metric's range (on the bounds, subnormal, huge, all
equal, two replications) for every kind of metric, and for paired differences of one, and checks what
``metrics.aggregate`` reports: an interval inside the range that holds the mean, the method that fits the
range, and the unreliable flag below ``MIN_RELIABLE`` replications.  Per-period bands use the same rule.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orgsim import metrics

NAMES = sorted(metrics.KINDS)


def values_in(low: float, high: float, max_size: int = 40):
    """Lists of replication values within [low, high] (an infinite bound is replaced by a huge number)."""
    top = high if math.isfinite(high) else 1e12
    bottom = low if math.isfinite(low) else -1e12
    edge = st.sampled_from([bottom, top])
    inside = st.floats(bottom, top, allow_nan=False, allow_infinity=False)
    return st.lists(st.one_of(edge, inside), min_size=1, max_size=max_size)


def check(stats: dict, low: float, high: float) -> None:
    assert stats["ci_method"] == metrics.ci_method(low, high)
    assert stats["ci_reliable"] == (stats["n"] >= metrics.MIN_RELIABLE)
    if stats["n"] < 2:
        assert math.isnan(stats["ci_low"]) and math.isnan(stats["ci_high"])
        return
    assert low <= stats["ci_low"] <= stats["mean"] <= stats["ci_high"] <= high, stats


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(NAMES), st.data())
@example(name="nps", data=None)
def test_a_metric_interval_stays_in_its_range(name, data):
    low, high = metrics.bounds(f"dept.x.{name}")
    values = [-100.0, 100.0] if data is None else data.draw(values_in(low, high))  # the widest NPS spread
    check(metrics.aggregate(np.array(values), f"dept.x.{name}"), low, high)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), st.data())
def test_a_paired_difference_interval_stays_in_its_range(name, data):
    kind = metrics.KINDS[name]
    first = data.draw(values_in(kind.low, kind.high))
    second = data.draw(st.lists(st.sampled_from(first), min_size=len(first), max_size=len(first)))
    d = np.array(first) - np.array(second)
    low, high = metrics.bounds(name, difference=True)
    check(metrics.aggregate(d, name, difference=True), low, high)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES), st.data())
def test_period_bands_stay_in_the_range(name, data):
    """Per-period bands come from count, sum and sum of squares; rounding in them must not leave the range."""
    low, high = metrics.bounds(name)
    columns = data.draw(st.lists(values_in(low, high, max_size=12), min_size=1, max_size=5))
    n = np.array([len(c) for c in columns], float)
    s = np.array([math.fsum(c) for c in columns])
    ss = np.array([math.fsum(v * v for v in c) for c in columns])
    mean, lo, hi = metrics.period_interval(np.vstack([n, s, ss]), name)
    ok = n >= 2
    assert np.all((low <= lo[ok]) & (lo[ok] <= hi[ok]) & (hi[ok] <= high))
    assert np.all(np.isnan(lo[~ok]) & np.isnan(hi[~ok]))


def test_the_plain_t_interval_left_the_range_where_this_one_does_not():
    """The failure the rule removes (issue 16: NPS [-392.0, 490.8] from -r 2): two replications far apart."""
    x = np.array([-10.0, 90.0])
    t = 12.706204736174706  # Student t, 1 degree of freedom, 97.5 %
    half = t * x.std(ddof=1) / math.sqrt(2)
    assert x.mean() - half < -100 and x.mean() + half > 100  # what the old rule printed
    stats = metrics.aggregate(x, "external.nps")
    assert -100 < stats["ci_low"] < stats["mean"] < stats["ci_high"] < 100
    assert stats["ci_method"] == "logit-t" and stats["ci_reliable"] is False


@pytest.mark.parametrize("name, method", [("external.nps", "logit-t"), ("dept.it.utilisation", "logit-t"),
                                          ("external.csat", "logit-t"), ("external.completed", "log-t"),
                                          ("external.sojourn_mean", "log-t"), ("no.such_metric", "t")])
def test_the_method_follows_the_range(name, method):
    assert metrics.aggregate(np.array([1.0, 2.0, 3.0]), name)["ci_method"] == method


def test_many_replications_give_the_t_interval():
    """The transformed interval is the t interval as n grows (delta method): the rule costs nothing when n is large."""
    rng = np.random.default_rng(5)
    x = rng.normal(40.0, 10.0, size=4000)
    stats = metrics.aggregate(x, "external.nps")
    half = 1.9605 * x.std(ddof=1) / math.sqrt(x.size)
    assert stats["ci_low"] == pytest.approx(x.mean() - half, abs=0.01 * half)
    assert stats["ci_high"] == pytest.approx(x.mean() + half, abs=0.01 * half)


def test_a_spread_of_one_rounding_step_keeps_the_mean_inside():
    """Mapping back from the logit scale is exact only to a rounding step: the interval must still hold the mean."""
    rng = np.random.default_rng(0)
    for v in rng.uniform(-100, 100, size=2000):
        stats = metrics.aggregate(np.array([v, np.nextafter(v, 200.0), v]), "external.nps")
        assert stats["ci_low"] <= stats["mean"] <= stats["ci_high"], stats


def test_ten_replications_are_reliable_nine_are_not():
    assert metrics.aggregate(np.arange(10.0), "external.completed")["ci_reliable"] is True
    assert metrics.aggregate(np.arange(9.0), "external.completed")["ci_reliable"] is False
