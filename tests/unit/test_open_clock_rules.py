"""The open clock: its arithmetic against a slow walk over open intervals, exact traces of the rules, and refusals.

``kernels/opentime.py`` advances a clock that runs only while a calendar is
open; here it is checked against a plain walk over the open intervals of
random schedules.  The reference engine's traces then show the two rules
that use it, worked out by hand: an order whose patience runs on the open
clock keeps it overnight, and a supplier on a calendar delivers after its
lead time in open hours (README "Model", "Patience" and "Needs").
"""

import math

import numpy as np
import pytest
import refusals
from open_walk import walk_advance, walk_elapsed

import orgsim
from orgsim.engines.reference import Organisation
from orgsim.kernels import opentime
from orgsim.scenario import shifts
from orgsim.scenario.loader import validate_mapping


def _random_clock(rng, horizon=100.0):
    """A random 0/1 schedule over [0, horizon] as open intervals and as the Profile the engines read."""
    cuts = np.sort(rng.uniform(0.0, horizon, 12))
    breaks = np.concatenate(([0.0], cuts))
    heads = rng.integers(0, 3, len(breaks))
    sched = shifts.Schedule(breaks, heads, horizon)
    ends = np.append(breaks[1:], horizon)
    intervals = [(a, b) for a, b, h in zip(breaks, ends, heads) if h > 0]
    return intervals, sched.open_clock()


@pytest.mark.parametrize("seed", range(8))
def test_advance_and_elapsed_match_a_walk_over_the_open_intervals(seed):
    rng = np.random.default_rng(seed)
    intervals, clock = _random_clock(rng)
    args = (0, len(clock.breaks), clock.breaks, clock.rates, clock.cumulative)
    for _ in range(200):
        t = rng.uniform(0.0, 100.0)
        x = rng.exponential(10.0)
        expected = walk_advance(intervals, t, x)
        got = opentime.advance(t, x, *args)
        if math.isinf(expected):
            assert math.isinf(got) or got >= 100.0 - 1e-9
        else:
            assert got == pytest.approx(expected, abs=1e-9)
            assert opentime.elapsed(t, got, *args) == pytest.approx(x, abs=1e-9)
        b = rng.uniform(t, 100.0)
        assert opentime.elapsed(t, b, *args) == pytest.approx(walk_elapsed(intervals, t, b), abs=1e-9)


def test_patience_running_out_at_closing_runs_out_at_the_next_opening():
    clock = shifts.Schedule(np.array([0.0, 9.0, 17.0]), np.array([0, 2, 0]), 48.0).open_clock()
    args = (0, len(clock.breaks), clock.breaks, clock.rates, clock.cumulative)
    assert opentime.advance(16.0, 1.0, *args) == math.inf  # closed from 17:00 to the horizon
    clock = shifts.Schedule(np.array([0.0, 9.0, 17.0, 33.0]), np.array([0, 2, 0, 1]), 48.0).open_clock()
    args = (0, len(clock.breaks), clock.breaks, clock.rates, clock.cumulative)
    assert opentime.advance(16.0, 1.0, *args) == 33.0  # spent at 17:00 exactly: it exceeds from the opening on
    assert opentime.advance(3.0, 0.0, *args) == 9.0  # none left while closed: at the opening
    assert opentime.advance(5.0, 2.5, *args) == 11.5
    assert opentime.advance(16.5, 2.0, *args) == 34.5
    assert opentime.advance(5.0, 2.5, 0, 0, clock.breaks, clock.rates, clock.cumulative) == 7.5  # always open


# ---------------------------------------------------------------- exact traces of the reference engine


def det(value):
    return {"dist": "deterministic", "value": value}


def office_firm(clock: str) -> dict:
    """One clerk on office hours (Mon-Fri 09-17) working 2 h per case; t = 0 is Monday 00:00."""
    return {
        "time_unit": "hour", "horizon": 48.0, "period": 24.0,
        "calendars": {"office": ["mon-fri 09:00-17:00"]},
        "departments": {"clerk": {"calendar": "office", "headcount": 1, "services": {"case": {"time": det(2.0)}}}},
        "segments": {
            "walk_in": {"arrivals": {"rate": 0.0}, "journey": ["clerk.case"], "expectation": 100.0},
            "email": {"arrivals": {"rate": 0.0}, "journey": ["clerk.case"], "expectation": 100.0,
                      "patience": det(0.5), "patience_clock": clock},
        },
        "allow_unstable": True,
    }


def _run(raw, script):
    sc = validate_mapping(raw)
    org = Organisation(sc, {d: dept.headcount for d, dept in sc.departments.items()}, seed=1, replication=0, trace=True)
    for name, times in script.items():
        org.script(name, times)
    org.run()
    return org.tracer.records


@pytest.mark.parametrize("clock,when,text", [("wall", 17.25, "0.50 h in queues, the last"),
                                             ("open", 33.25, "16.50 h in queues (0.50 h while open)")])
def test_an_email_keeps_its_patience_overnight_on_the_open_clock(clock, when, text):
    """Mon 15:30 a walk-in takes the clerk until 17:30 (overtime); 16:00 a second walk-in queues; 16:45 an e-mail
    with half an hour of patience queues behind it.  On the wall clock it gives up at 17:15.  On the open clock it
    has spent a quarter of an hour by 17:00 and the other quarter from Tuesday 09:00 (t = 33), when the clerk takes
    the walk-in ahead of it: it gives up at 09:15 (t = 33.25)."""
    records = _run(office_firm(clock), {"walk_in": [15.5, 16.0], "email": [16.75]})
    gave_up = [r for r in records if r["event"] == "abandon"]
    assert [round(r["time"], 9) for r in gave_up] == [when]
    assert text in gave_up[0]["text"]


def test_a_supplier_on_office_hours_delivers_after_its_lead_time_in_open_hours():
    """A 4 h lead time requested Monday 15:00 runs 15:00-17:00 and Tuesday 09:00-11:00: delivered at t = 35."""
    raw = office_firm("wall")
    raw["departments"]["clerk"] = {"headcount": 1, "services": {"case": {
        "time": det(0.0), "needs": [{"supplier": "parts", "probability": 1.0}]}}}
    raw["suppliers"] = {"parts": {"lead_time": det(4.0), "calendar": "office"}}
    records = _run(raw, {"walk_in": [15.0, 16.5, 30.0]})
    # 16:30 -> 0.5 h on Monday, 3.5 h from 09:00 Tuesday; 06:00 Tuesday -> 09:00 + 4 h
    assert [round(r["time"], 9) for r in records if r["event"] == "deliver"] == [35.0, 36.5, 37.0]


def test_requests_and_invoices_follow_the_calendar_of_the_department_that_does_the_work():
    """Monday 20:00 a walk-in at an all-night desk needs a check by the office clerks and a part (lead time 1 h,
    no calendar) whose invoice they pay: the request and the invoice (raised at 21:00) wait for Tuesday 09:00;
    the walk-in is served (in no time) when the check is done, at 09:30."""
    raw = office_firm("wall")
    raw["departments"] = {
        "desk": {"headcount": 1, "services": {"order": {"time": det(0.0), "needs": [
            {"service": "clerk.check", "probability": 1.0}, {"supplier": "parts", "probability": 1.0}]}}},
        "clerk": {"calendar": "office", "headcount": 2,
                  "services": {"check": {"time": det(0.5)}, "pay": {"time": det(0.25)}}},
    }
    raw["segments"] = {"walk_in": {"arrivals": {"rate": 0.0}, "journey": ["desk.order"], "expectation": 100.0}}
    raw["suppliers"] = {"parts": {"lead_time": det(1.0), "paid_by": "clerk.pay"}}
    records = _run(raw, {"walk_in": [20.0]})
    assert [round(r["time"], 9) for r in records if r["event"] == "deliver"] == [21.0]
    starts = sorted((round(r["time"], 9), r["service"]) for r in records if r["event"] == "start")
    assert starts == [(33.0, "clerk.check"), (33.0, "clerk.pay"), (33.5, "desk.order")]  # the order, once both are in


def test_open_clock_at_departments_without_a_calendar_is_the_wall_clock_bit_for_bit():
    """Always open, so the open clock counts every moment queued: the same numbers, both engines."""
    wall = orgsim.load("call_centre", ["horizon=300"])
    open_ = orgsim.load("call_centre", ["horizon=300", "segments.callers.patience_clock=open"])
    for engine in ("simpy", "numba"):
        a = orgsim.run(wall, engine=engine, replications=2, seed=3).values
        b = orgsim.run(open_, engine=engine, replications=2, seed=3).values
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=f"{engine} {name}")
        assert a["external.abandoned"].sum() > 0  # patience was tested


# ---------------------------------------------------------------- refusals


def test_a_supplier_names_an_unknown_calendar():
    raw = office_firm("wall")
    raw["suppliers"] = {"parts": {"lead_time": det(4.0), "calendar": "ofice"}}
    (p,) = refusals.problems(raw)
    assert "suppliers.parts.calendar" in p and "unknown calendar `ofice`" in p and "did you mean `office`" in p


def test_a_supplier_whose_calendar_never_opens_is_refused():
    raw = office_firm("wall")
    raw["horizon"], raw["period"] = 8.0, 8.0  # Monday 00:00-08:00: the office never opens
    raw["suppliers"] = {"parts": {"lead_time": det(4.0), "calendar": "office"}}
    assert any("suppliers.parts.calendar" in p and "never open" in p for p in refusals.problems(raw))


def test_an_unknown_patience_clock_is_refused():
    raw = office_firm("opne")
    (p,) = refusals.problems(raw)
    assert "segments.email.patience_clock" in p and "'wall'" in p and "'open'" in p


def test_the_default_clock_dumps_as_before():
    sc = validate_mapping(office_firm("wall"))
    dumped = sc.model_dump()
    assert "patience_clock" not in dumped["segments"]["email"]
    assert validate_mapping(office_firm("open")).model_dump()["segments"]["email"]["patience_clock"] == "open"
