"""Selection with a guarantee: KN achieves P(correct selection) >= 1 - alpha on planted problems, and drives the simulator.

The planted problems are the least favourable configuration for an indifference-zone procedure (the best
exactly delta above every other system, the others tied), with normal observations correlated across
systems as common random numbers make them.  Over many macro-replications the share of correct
selections must not fall significantly below 1 - alpha: a one-sided binomial test at level 0.001, so a
correct procedure fails it once in a thousand runs of the suite, and a procedure whose true probability
of correct selection is a few points below 1 - alpha fails it almost always.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

import orgsim
from orgsim.scenario.loader import validate_mapping
from orgsim.studies.compare import PolicySpec, compare
from orgsim.studies.kn import KN, bonferroni_n, eta, trials
from orgsim.studies.select import select

MACRO = 1500


def planted(rng, k: int, delta: float, sigma: np.ndarray, rho: float):
    """A draw of n observations of k systems: system k-1 is best by delta, a shared normal term couples them (CRN)."""
    mu = np.zeros(k)
    mu[-1] = delta

    def draw(n: int) -> np.ndarray:
        shared = rng.standard_normal((n, 1))
        own = rng.standard_normal((n, k))
        return mu + sigma * (np.sqrt(rho) * shared + np.sqrt(1 - rho) * own)

    return draw


def not_below(hits: int, trials: int, target: float) -> bool:
    """Is `hits` out of `trials` consistent with a success probability of at least `target` (one-sided, level 0.001)?"""
    return binom.cdf(hits, trials, target) > 1e-3


def test_eta_is_kim_and_nelsons_constant():
    # k = 2, alpha = 0.05, n0 = 10: eta = ((0.1)^(-2/9) - 1) / 2 = (10^(2/9) - 1) / 2, by hand 0.33405
    assert eta(2, 0.05, 10) == pytest.approx(0.33405, abs=1e-4)
    # k = 5, alpha = 0.1, n0 = 3: ((0.05)^(-1) - 1) / 2 = 9.5
    assert eta(5, 0.1, 3) == pytest.approx(9.5)


@pytest.mark.parametrize("k, n0, alpha, sigma, rho", [
    (2, 10, 0.05, (1.0, 1.0), 0.5),
    (4, 10, 0.05, (1.0, 1.0, 1.0, 1.0), 0.0),
    (4, 5, 0.2, (2.0, 0.5, 1.0, 1.0), 0.7),
    (8, 20, 0.1, (1.0,) * 8, 0.5),
])  # fmt: skip
def test_kn_selects_the_planted_best_at_least_as_often_as_it_promises(k, n0, alpha, sigma, rho):
    rng = np.random.default_rng([k, n0, int(alpha * 100)])
    delta = 0.5
    draw = planted(rng, k, delta, np.asarray(sigma), rho)
    hits, kn_total, fixed_total, bounded = trials(draw, k, n0, alpha, delta, MACRO)
    assert bounded  # no system ever ran past the procedure's own maximum
    assert not_below(hits, MACRO, 1 - alpha), f"P(correct selection) {hits / MACRO:.3f} < {1 - alpha}"
    assert kn_total < fixed_total  # the sequential procedure needs fewer replications than a fixed equal allocation


def test_the_fixed_equal_allocation_keeps_the_same_guarantee():
    """The yardstick KN is measured against must itself deliver 1 - alpha, or the saving would be against a straw man."""
    k, n0, alpha, delta = 4, 10, 0.1, 0.5
    rng = np.random.default_rng(11)
    draw = planted(rng, k, delta, np.array([1.0, 2.0, 0.5, 1.0]), 0.5)
    hits = 0
    for _ in range(MACRO):
        first = draw(n0)
        n = bonferroni_n(first, alpha, delta)
        x = np.vstack([first, draw(n - n0)])
        hits += int(np.argmax(x.mean(axis=0))) == k - 1
    assert not_below(hits, MACRO, 1 - alpha), f"P(correct selection) {hits / MACRO:.3f} < {1 - alpha}"


def test_identical_systems_end_with_the_first_listed_and_a_worse_one_leaves():
    rng = np.random.default_rng(5)
    base = rng.standard_normal((10, 1))
    first = np.hstack([base, base, base - 3.0])  # systems 0 and 1 identical in every replication, 2 far worse
    kn = KN(first, 0.05, 0.5)
    while not kn.done:
        more = rng.standard_normal((1, 1))
        kn.add(np.hstack([more, more, more - 3.0]))
    assert kn.selected == 0
    assert [i for i, _ in kn.eliminated] == [2, 1] and kn.tied == {1}


def test_elimination_follows_the_continuation_region():
    """Two systems, by hand: alpha 0.05, delta 1, n0 4, so h² = 2 eta (n0 - 1) = 3 (0.1^(-2/3) - 1) = 10.925."""
    first = np.array([[1.0, 0.0], [3.0, 0.0], [1.0, 1.0], [3.0, 1.0]])  # differences 1, 3, 0, 2: S² = 5/3
    kn = KN(first, 0.05, 1.0)
    assert kn.h2 == pytest.approx(10.925, abs=1e-3)
    assert kn.s2[0, 1] == pytest.approx(5 / 3)
    assert kn.bound == 19  # ceil(10.925 * 5/3) = ceil(18.21)
    # r = 4: means 2 and 0.5 differ by 1.5 < W = (18.21 - 4) / 8 = 1.78: both stay
    assert not kn.done
    # r = 5: means 2 and 0.4 differ by 1.6 > W = (18.21 - 5) / 10 = 1.32: system 1 leaves
    assert kn.add(np.array([[2.0, 0.0], [9.0, 9.0]])) == 1  # the second row is not needed
    assert kn.done and kn.selected == 0 and kn.eliminated == [(1, 5)]
    assert list(kn.means()) == [2.0, 0.4]


def two_desks(back_heads: int) -> dict:
    return {
        "horizon": 300, "warmup": 50, "period": 50,
        "departments": {
            "front": {"headcount": 6, "services": {"serve": {
                "time": {"dist": "exponential", "mean": 0.5},
                "needs": [{"service": "back.check", "probability": 0.5, "hold": True}]}}},
            "back": {"headcount": back_heads, "services": {"check": {"time": {"dist": "exponential", "mean": 1.0}}}},
        },
        "segments": {"c": {"arrivals": {"rate": 3.0}, "journey": ["front.serve"], "expectation": 1.5}},
        "policy": {"budget": 6 + back_heads},
    }  # fmt: skip


def test_select_drives_kn_on_common_random_numbers_and_batches_do_not_change_its_decision():
    scenario = validate_mapping(two_desks(3))
    policies = [PolicySpec("fifo", {"priority": "fifo"}), PolicySpec("sqrt", {"allocation": "sqrt_staffing"}),
                PolicySpec("ext", {"priority": "external_first"})]
    sel = select(scenario, policies, delta=0.05, alpha=0.1, metric="external.sojourn_mean", first_stage=8, seed=2)
    # the first stage is exactly what compare simulates for the same policies and seed: the same streams
    comp = compare(scenario, policies, metric="external.sojourn_mean", replications=8, seed=2)
    for label in sel.labels:  # (compare runs policies that resolve to one plan once, under the first name)
        arm = next(k for k, names in comp.names.items() if label in names)
        assert np.array_equal(sel.results[label].values["external.sojourn_mean"][:8], comp.values(arm))
        assert sel.simulated[label] == len(sel.results[label].replications) >= sel.used[label]
    # KN fed one replication at a time on the same numbers decides the same
    x = -np.full((max(sel.simulated.values()), 3), np.nan)
    for k, label in enumerate(sel.labels):
        v = sel.results[label].values["external.sojourn_mean"]
        x[: len(v), k] = -v  # lower is better: KN maximises
    kn = KN(x[:8], 0.1, 0.05)
    kn.add(x[8:])
    assert kn.done and sel.labels[kn.selected] == sel.selected
    assert [{"policy": sel.labels[i], "after": r, "tied": i in kn.tied} for i, r in kn.eliminated] == sel.eliminated
    for label in sel.labels:
        assert sel.means[label] == pytest.approx(np.mean(sel.results[label].values["external.sojourn_mean"][: sel.used[label]]))


def test_select_finds_the_planted_winner():
    # a back office of 2 heads for load 1.5 (utilisation 0.75, long holds): sqrt_staffing of the same 8 heads gives it more
    scenario = validate_mapping(two_desks(2))
    sel = orgsim.select(scenario, [PolicySpec("fixed", {"allocation": "fixed"}),
                                   PolicySpec("sqrt_staffing", {"allocation": "sqrt_staffing"})],
                        delta=0.05, metric="external.sojourn_mean", first_stage=10, seed=5)
    assert sel.allocations["sqrt_staffing"]["back"] > 2
    assert sel.selected == "sqrt_staffing"
    assert sel.eliminated == [{"policy": "fixed", "after": sel.used["fixed"], "tied": False}]
