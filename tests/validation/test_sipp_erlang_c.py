"""Allocation per shift against Erlang C, window by window (SIPP: each window staffed as its own steady state).

Three disjoint shifts each cover one window of the day; each window's calls form their own segment, so
``segment.<s>.service_level`` is the share of that window's calls answered within the target.  The
rule's heads per shift are worked out by hand from the window's offered load, and the simulated service
level of each window is Erlang C's at those heads: ``1 - C(n, a) exp(-(n mu - lambda) T)``.  A window
starts with the queue its predecessor left (service takes 3 minutes, a window lasts 8 hours), so the
check allows 0.01 for that transition beside the sampling error.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

import orgsim
from orgsim import theory
from orgsim.policies import allocate, effective_scenario
from orgsim.scenario.loader import validate_mapping

MEAN = 0.05  # hours per call
WINDOWS = {  # segment: (windows, calls per hour)
    "night": (["daily 22:00-24:00", "daily 00:00-06:00"], 20.0),  # 1 erlang
    "day": (["daily 06:00-14:00"], 120.0),  # 6 erlangs
    "evening": (["daily 14:00-22:00"], 60.0),  # 3 erlangs
}
TARGET = 0.02  # answered within 1.2 minutes


def three_shifts() -> dict:
    return {
        "time_unit": "hour", "horizon": 336, "warmup": 24, "period": 24,
        "calendars": {name: windows for name, (windows, _) in WINDOWS.items()},
        "departments": {"desk": {
            # written 5, 5, 4: stable on the week's average, and not what the rule makes of them
            "shifts": [{"calendar": name, "headcount": h} for name, h in zip(WINDOWS, (5, 5, 4))],
            "services": {"answer": {"time": {"dist": "exponential", "mean": MEAN}}}}},
        "segments": {name: {"arrivals": {"rate": {w: rate for w in windows}}, "journey": ["desk.answer"],
                            "expectation": 1.0, "service_level_target": TARGET}
                     for name, (windows, rate) in WINDOWS.items()},
        "morale": {"enabled": False},
        # utilisation_target 0.8: 1/0.8 -> 2, 6/0.8 -> 8, 3/0.8 -> 4 heads: 14, the budget, nothing left over
        "policy": {"allocation": "utilisation_target", "target_utilisation": 0.8, "budget": 14},
    }


def test_the_rule_staffs_each_window_by_its_own_load():
    sc = validate_mapping(three_shifts())
    assert allocate(sc) == {"desk": 14}
    assert [s.headcount for s in effective_scenario(sc).departments["desk"].shifts] == [2, 8, 4]


@pytest.mark.parametrize("engine,reps", [("numba", 60), ("simpy", 12)])
def test_each_windows_service_level_is_erlang_cs_at_its_heads(engine, reps):
    result = orgsim.run(validate_mapping(three_shifts()), engine=engine, replications=reps, seed=7)
    heads = dict(zip(WINDOWS, [2, 8, 4]))
    tol = stats.t.isf(0.001 / 6 / 2, reps - 1)  # 3 windows x 2 engines
    for name, (_, lam) in WINDOWS.items():
        x = result.values[f"segment.{name}.service_level"]
        exact = 1.0 - theory.mmc_wait_tail(lam, 1 / MEAN, heads[name], TARGET)
        se = x.std(ddof=1) / math.sqrt(x.size)
        assert abs(x.mean() - exact) <= tol * se + 0.01, f"{name}: {x.mean():.4f} vs Erlang C {exact:.4f} (SE {se:.2g})"
        assert 0.3 < exact < 0.95  # the target lands inside each window's wait distribution: the check has power
