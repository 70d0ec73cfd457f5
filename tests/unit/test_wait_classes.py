"""The rule of cases that wait long at every visit (``orgsim.eventlog.wait_classes``) on waits drawn by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from orgsim.eventlog.volumes import ALPHA
from orgsim.eventlog.wait_classes import (
    MIN_CASES,
    class_of,
    classes,
    classify,
    independence,
    shrink,
    shrunk,
)


def _events(delays: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event columns of a cases x activities table of delays: case codes, activity codes, delays."""
    cases, acts = np.indices(delays.shape)
    return cases.ravel(), acts.ravel(), delays.ravel().astype(float)


def test_the_distance_is_cramer_von_mises_against_the_shuffled_totals():
    # two cases, delays (0, 1) and (3, 4): totals 1 and 7.  Shuffled, a case holds 0 or 3 and 1 or 4: totals
    # {1, 7} or {4, 4}, so the shuffles' totals are 1, 4 and 7 in shares 1/4, 1/2, 1/4 (up to the draws).
    # Observed 1 and 7: F(1) = 1/4, F(7) = 1, against (2i - 1) / 4 = 1/4 and 3/4: (0 + 1/16) + 1/24
    distance, _, p = independence(*_events(np.array([[0.0, 1.0], [3.0, 4.0]])), 2)
    assert math.isclose(distance, 1 / 16 + 1 / 24, rel_tol=0.05)
    # a shuffle gives {1, 7} again (as far) or {4, 4}: F(4) = 3/4 twice, (1/2)^2 + 0 + 1/24, further: p = 1
    assert p == 1.0


def test_a_case_slow_at_every_visit_is_seen():
    rng = np.random.default_rng(0)
    slow = np.where(rng.random(80) < 0.2, 50.0, 1.0)[:, None]
    distance, shuffled, p = independence(*_events(slow * rng.exponential(2.0, (80, 4))), 80)
    assert distance > shuffled and p < ALPHA


def test_a_fixed_total_shared_out_over_the_visits_is_seen():
    rng = np.random.default_rng(1)
    share = rng.dirichlet(np.ones(4), 60)  # each case waits 1,900 h in all, split at random over its 4 visits
    distance, shuffled, p = independence(*_events(1900.0 * share), 60)
    assert distance > shuffled and p < ALPHA


def test_independent_waits_are_not_rejected():
    rng = np.random.default_rng(2)
    _, _, p = independence(*_events(rng.lognormal(2.0, 1.0, (80, 4))), 80)
    assert p > 0.01


def test_two_kinds_of_case_are_cut_between_them():
    rng = np.random.default_rng(3)
    quick, slow = rng.lognormal(np.log(200.0), 0.3, 100), rng.lognormal(np.log(2000.0), 0.1, 20)
    bounds = classes(np.concatenate([quick, slow]))
    assert len(bounds) == 2 and quick.max() < bounds[0] < slow.min() and bounds[1] == math.inf


def test_totals_of_one_law_are_one_class():
    rng = np.random.default_rng(4)
    assert classes(rng.lognormal(np.log(200.0), 0.8, 200)) == (math.inf,)


def test_no_class_has_fewer_than_min_cases():
    # MIN_CASES - 1 cases wait ten times longer: too few for a class of their own, so no cut isolates them
    rng = np.random.default_rng(5)
    quick, slow = rng.lognormal(np.log(200.0), 0.3, 100), rng.lognormal(np.log(2000.0), 0.1, MIN_CASES - 1)
    totals = np.concatenate([quick, slow])
    bounds = classes(totals)
    assert not any(quick.max() < b < slow.min() for b in bounds)  # the gap the few long ones leave is no cut
    assert pd.Series(class_of(pd.Series(totals), bounds)).value_counts().min() >= MIN_CASES


def test_a_cut_never_splits_equal_totals():
    # 8 short totals, 20 at exactly 2,000 h and 12 near 5,000 h: the cut after the short ones leaves too few cases
    # below it, and a cut inside the run of 2,000s (where a bound would be 2,000 h) is no cut; the one kept falls
    # between 2,000 h and the long ones, and equal totals share a class
    rng = np.random.default_rng(9)
    totals = np.concatenate([rng.uniform(5.0, 15.0, 8), [2000.0] * 20, rng.uniform(4800.0, 5200.0, 12)])
    bounds = classes(totals)
    assert 2000.0 not in bounds and any(2000.0 < b < 4800.0 for b in bounds)
    assert set(pd.Series(class_of(pd.Series(totals), bounds)).groupby(totals).nunique()) == {1}


def test_each_case_falls_in_the_first_class_whose_bound_holds_it():
    totals = pd.Series([0.0, 10.0, 10.5, 99.0, 5000.0])
    assert class_of(totals, (10.0, 100.0, math.inf)).tolist() == [0, 0, 1, 1, 2]


def test_the_groups_test_finds_classes_only_when_the_waits_are_not_independent():
    rng = np.random.default_rng(6)
    slow = np.where(np.arange(100) < 20, 100.0, 1.0)[:, None]
    for delays, dependent in ((slow * rng.exponential(2.0, (100, 3)), True), (rng.exponential(2.0, (100, 3)), False)):
        totals = pd.Series(delays.sum(axis=1))
        found = classify(totals, *_events(delays))
        assert found.cases == 100 and found.dependent is dependent
        assert (len(found.bounds) > 1) if dependent else found.bounds == ()


def test_the_shrink_keeps_draws_that_already_give_the_observed_spread():
    # one activity, delays 1 and 3: its positives' mean 2 and variance 1; the totals 1 and 3 have variance 1, what
    # independent draws give: s = 1
    assert shrink(*_events(np.array([[1.0], [3.0]])), 2, 0.0) == 1.0


def test_a_total_shared_out_exactly_draws_the_waits_to_their_means():
    # delays (1, 3) and (3, 1): totals 4 and 4, variance 0; independent draws give 1 + 1: s^2 = (0 - 0) / 2 = 0
    assert shrink(*_events(np.array([[1.0, 3.0], [3.0, 1.0]])), 2, 0.0) == 0.0


def test_the_shrink_by_hand():
    # four cases, delays (1, 2.5), (3, 1.5), (1.5, 2), (2.5, 2): every delay positive, means 2 and 2, variances
    # 0.625 and 0.125; the totals 3.5, 4.5, 3.5, 4.5 have variance 0.25 where independent draws give 0.75, and every
    # case has the same route (no variance from it): s^2 = 0.25 / 0.75
    delays = np.array([[1.0, 2.5], [3.0, 1.5], [1.5, 2.0], [2.5, 2.0]])
    assert math.isclose(shrink(*_events(delays), 4, 0.0), math.sqrt(1 / 3), rel_tol=1e-5)  # to 6 decimals


def test_independent_waits_are_hardly_shrunk():
    rng = np.random.default_rng(7)
    assert shrink(*_events(rng.lognormal(2.0, 1.0, (2000, 4))), 2000, 0.0) > 0.9


def test_shrunk_delays_keep_each_activitys_mean_and_its_zeros():
    rng = np.random.default_rng(8)
    delays = np.where(rng.random((50, 3)) < 0.4, 0.0, rng.exponential(5.0, (50, 3)))
    _, act, delay = _events(delays)
    for s in (0.0, 0.3, 1.0):
        moved = shrunk(act, delay, 0.0, s)
        assert np.array_equal(moved == 0.0, delay == 0.0)
        for a in range(3):
            positive = (act == a) & (delay > 0)
            assert math.isclose(moved[positive].mean(), delay[positive].mean())
            assert math.isclose(moved[positive].std(), s * delay[positive].std(), abs_tol=1e-12)
