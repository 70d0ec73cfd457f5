"""The rule of waits that drift with the arrival month (``orgsim.eventlog.wait_periods``) on waits worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orgsim.eventlog.wait_periods import MIN_CASES, period_of, periods


def _cases(per_month: dict[str, list[float]]) -> tuple[pd.Series, pd.Series]:
    """Arrival times (the 10th of each month at noon) and waits, one case per value."""
    arrival, wait = [], []
    for month, waits in per_month.items():
        arrival += [pd.Timestamp(f"{month}-10 12:00")] * len(waits)
        wait += waits
    return pd.Series(arrival), pd.Series(wait, dtype=float)


def test_kruskal_wallis_statistic_as_worked_by_hand():
    # ranks 1-3 and 4-6: H = 12 / (6 * 7) * (6^2 / 3 + 15^2 / 3) - 3 * 7 = 24.857 - 21 = 3.857 (p 0.0495)
    test = periods(*_cases({"2024-01": [1.0, 2.0, 3.0], "2024-02": [4.0, 5.0, 6.0]}))
    assert test.h == pytest.approx(12 / 42 * (36 / 3 + 225 / 3) - 21)
    assert test.months == ("2024-01", "2024-02") and test.cases == (3, 3) and test.medians == (2.0, 5.0)
    assert test.starts == ("2024-01",)  # p 0.05: no drift at 0.001


def test_a_step_in_the_waits_is_a_period_from_its_month():
    rng = np.random.default_rng(0)
    months = {f"2024-{m:02d}": list(rng.exponential(10.0 if m < 3 else 200.0, 15)) for m in range(1, 7)}
    test = periods(*_cases(months))
    assert test.p < 1e-6
    assert test.starts == ("2024-01", "2024-03")


def test_a_side_of_fewer_than_min_cases_is_no_period():
    # the last month's waits are far longer, but it holds MIN_CASES - 1 cases: no boundary leaves both sides enough
    rng = np.random.default_rng(1)
    months = {"2024-01": list(rng.exponential(10.0, 40)), "2024-02": list(rng.exponential(1000.0, MIN_CASES - 1))}
    test = periods(*_cases(months))
    assert test.p < 1e-3 and test.starts == ("2024-01",)


def test_waits_of_one_law_split_rarely():
    # at level 0.001 the test rejects one law in about a thousand logs: at most 3 splits in 300 (binomial p 0.004)
    rng = np.random.default_rng(2)
    split = sum(len(periods(*_cases({f"2024-{m:02d}": list(rng.lognormal(3.0, 1.5, 20)) for m in range(1, 7)})).starts) > 1
                for _ in range(300))
    assert split <= 3


def test_each_case_falls_in_the_period_of_its_arrival_month():
    arrival = pd.Series(pd.to_datetime(["2024-01-31 23:59", "2024-02-01 00:00", "2024-04-15 00:00", "2024-07-01 00:00"]))
    assert period_of(arrival, ("2024-01", "2024-02", "2024-05")).tolist() == ["2024-01", "2024-02", "2024-02", "2024-05"]
