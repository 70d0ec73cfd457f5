"""Calendars and rate tables that change on a date: the hours before and after are exactly the written ones.

Finance works Mon-Fri 09:00-17:00 until Sunday 12 January 2025 and 10:00-18:00 from Monday 13 January
(README "Working time").  With no work, present employee time per hour is the schedule, worked out
here by hand, on both engines; with work, the engines agree metric by metric (Welch, Bonferroni).  A
supplier on the same calendar counts its lead time in the open hours of each period, against the
hand-walked open clock (tests/open_walk.py).
"""

import math

import agreement
import numpy as np
import pytest
from open_walk import walk_advance

import orgsim
from orgsim.scenario.loader import validate_mapping

CHANGED = {"hours": ["mon-fri 09:00-17:00"], "changes": [{"from": "2025-01-13", "hours": ["mon-fri 10:00-18:00"]}]}
LEAD = 3.0
ALPHA = 0.001
COMPARISONS = 40


def office(rate: float) -> dict:
    """Finance (3 people) on the changing calendar from Monday 6 January 2025; callers all day at *rate* an hour."""
    return {
        "time_unit": "hour", "horizon": 336.0, "period": 1.0, "clock": {"start": "2025-01-06 00:00"},
        "holidays": ["2025-01-10"], "calendars": {"office": CHANGED},
        "departments": {
            "finance": {"calendar": "office", "headcount": 3,
                        "services": {"pay": {"time": {"dist": "exponential", "mean": 1.0}}}},
            "desk": {"headcount": 1, "services": {"note": {"time": {"dist": "deterministic", "value": 0}}}},
        },
        "segments": {"payers": {"arrivals": {"rate": rate}, "journey": ["finance.pay" if rate > 0 else "desk.note"],
                                "expectation": 1.0}},
        "allow_unstable": True,
    }


def _open_intervals() -> list[tuple[float, float]]:
    """By hand: weekdays 09-17 in the first week (Friday 10 a holiday), 10-18 in the second."""
    out = []
    for day in range(14):
        if day % 7 < 5 and day != 4:
            a, b = (9, 17) if day < 7 else (10, 18)
            out.append((24.0 * day + a, 24.0 * day + b))
    return out


@pytest.mark.parametrize("engine", ["simpy", "numba"])
def test_staffed_hours_before_and_after_the_change_are_the_written_ones(engine):
    res = orgsim.run(validate_mapping(office(0.0)), engine=engine, replications=2, seed=1)
    ts = res.timeseries()
    per_hour = ts[(ts.metric == "dept.finance.staffed") & (ts.replication == 1)].sort_values("period").value.to_numpy()
    expected = np.zeros(336)
    for a, b in _open_intervals():
        expected[int(a):int(b)] = 3.0
    np.testing.assert_array_equal(per_hour, expected)


def test_engines_agree_on_a_firm_whose_hours_change():
    raw = office(1.5)
    raw["segments"]["payers"]["arrivals"] = {
        "rate": {"mon-fri 08:00-16:00": 2.0},
        "changes": [{"from": "2025-01-13", "rate": {"mon-fri 09:00-17:00": 2.5}}]}
    scenario = validate_mapping(raw)
    ref = orgsim.run(scenario, engine="simpy", replications=40, seed=3)
    fast = orgsim.run(scenario, engine="numba", replications=200, seed=4)
    assert agreement.disagreements(ref, fast, ALPHA / COMPARISONS, COMPARISONS) == []


def test_the_changed_rate_table_gives_the_written_arrivals_per_day():
    raw = office(1.0)
    raw["segments"]["payers"]["arrivals"] = {
        "rate": {"mon-fri 08:00-16:00": 2.0}, "changes": [{"from": "2025-01-13", "rate": {"mon-fri 09:00-11:00": 5.0}}]}
    p = validate_mapping(raw).demand_profile("payers")
    assert p.integral(0, 168) == pytest.approx(4 * 8 * 2.0)  # Friday 10 a holiday
    assert p.integral(168, 336) == pytest.approx(5 * 2 * 5.0)
    assert p.integral(168 + 8, 168 + 9) == 0.0 and p.integral(168 + 9, 168 + 10) == 5.0


def _supplied() -> dict:
    raw = office(2.0)
    raw["departments"]["finance"]["services"]["pay"] = {
        "time": {"dist": "deterministic", "value": 0.0}, "needs": [{"supplier": "parts", "probability": 1.0}]}
    raw["departments"]["finance"].pop("calendar")
    raw["suppliers"] = {"parts": {"lead_time": {"dist": "deterministic", "value": LEAD}, "calendar": "office"}}
    raw["segments"]["payers"]["expectation"] = 10.0
    return raw


@pytest.mark.parametrize("engine,reps", [("simpy", 40), ("numba", 400)])
def test_a_supplier_counts_lead_time_in_each_periods_open_hours(engine, reps):
    res = orgsim.run(validate_mapping(_supplied()), engine=engine, replications=reps, seed=7)
    resp = res.values["internal.finance.parts.response_mean"]
    intervals, step = _open_intervals(), 1 / 240
    sent = np.arange(step / 2, 336.0, step)
    walked = np.array([walk_advance(intervals, s, LEAD) - s for s in sent])
    expected = float(walked[sent + walked <= 336.0].mean())
    se = resp.std(ddof=1) / math.sqrt(reps)
    assert abs(resp.mean() - expected) < 4 * se + 0.002 * expected, (resp.mean(), expected, se)
