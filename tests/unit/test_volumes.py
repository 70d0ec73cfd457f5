"""The monthly arrival-level rule (``orgsim.eventlog.volumes``) on counts worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orgsim.eventlog.volumes import ALPHA, monthly_levels


def test_counts_near_their_expected_values_are_one_level():
    test = monthly_levels([22, 18, 21, 19], [20, 20, 20, 20])
    g = 2 * (22 * math.log(1.1) + 18 * math.log(0.9) + 21 * math.log(1.05) + 19 * math.log(0.95))
    assert test.g == pytest.approx(g) and test.df == 3
    assert test.p > ALPHA
    assert len(test.levels) == 1 and test.levels[0].factor == pytest.approx(1.0)


def test_a_difference_short_of_the_level_is_no_change():
    # G = 2 (30 ln 1.5 + 10 ln 0.5) = 10.47 on 1 df: p = 0.0012, above 0.001
    test = monthly_levels([30, 10], [20, 20])
    assert test.g == pytest.approx(2 * (30 * math.log(1.5) + 10 * math.log(0.5)))
    assert test.p == pytest.approx(0.00121, abs=1e-5)
    assert len(test.levels) == 1


def test_a_step_is_found_at_its_month_with_each_sides_level():
    test = monthly_levels([100, 96, 104, 20, 22, 18], [60, 60, 60, 60, 60, 60])
    assert [(lv.first, lv.last, lv.cases) for lv in test.levels] == [(0, 2, 300), (3, 5, 60)]
    assert [lv.factor for lv in test.levels] == pytest.approx([300 / 180, 60 / 180])


def test_part_months_count_by_their_expected_cases_and_a_month_without_cases_is_level_zero():
    # the first month is a third of one (expected 10): 12 cases there is the same level as 36 in a whole month
    test = monthly_levels([12, 36, 30, 0, 0], [10, 30, 30, 30, 30])
    assert [(lv.first, lv.last) for lv in test.levels] == [(0, 2), (3, 4)]
    assert test.levels[1].factor == 0.0 and test.levels[0].factor == pytest.approx(78 / 70)


def test_poisson_counts_at_one_level_rarely_change():
    rng = np.random.default_rng(7)
    changed = sum(len(monthly_levels(rng.poisson(40, 9), np.full(9, 40.0)).levels) > 1 for _ in range(500))
    assert changed <= 5  # ALPHA = 0.001 of 500 is 0.5; five is far in its tail

