"""Staff on a calendar or in shifts: the schedule's time accounting exactly, and the engines against each other.

Exact identities of the rule (README "Model", "Working time"), on both engines:
with no work, present employee time is the scheduled headcount's integral;
with work, it is that plus the overtime, overtime accrues only while the
schedule is below the staff still finishing jobs, and in a period when the
department is closed every busy employee is one finishing a job past closing,
so busy time equals overtime there (nothing starts while closed).  The
engines are compared with Welch's t on every metric of firms on calendars and
in shifts (with patience, needs with hold, attrition, a periodic review), each comparison at
ALPHA over the module's comparisons (Bonferroni).
"""

import agreement
import numpy as np
import pytest

import orgsim
from orgsim.scenario.loader import validate_mapping

ALPHA = 0.001
COMPARISONS = 3 * 40 + 50  # three firms of at most 40 metrics each, contact_centre with a review at most 50
OPEN_DAYS = 9  # two weeks from Monday 6 Jan 2025 with Friday 10 Jan a holiday: 9 weekdays open


def office(rate: float, horizon: float = 336.0, period: float = 1.0) -> dict:
    """Finance (3 people) open Mon-Fri 09:00-17:00; callers all day long reach it at *rate* an hour."""
    return {
        "time_unit": "hour", "horizon": horizon, "period": period,
        "clock": {"start": "2025-01-06 00:00"}, "holidays": ["2025-01-10"],
        "calendars": {"office": ["mon-fri 09:00-17:00"]},
        "departments": {
            "finance": {"calendar": "office", "headcount": 3,
                        "services": {"pay": {"time": {"dist": "exponential", "mean": 1.0}}}},
            "desk": {"headcount": 1, "services": {"note": {"time": {"dist": "deterministic", "value": 0}}}},
        },
        "segments": {"payers": {"arrivals": {"rate": rate}, "journey": ["finance.pay" if rate > 0 else "desk.note"],
                                "expectation": 1.0}},
        "allow_unstable": True,
    }


def _closed_hours() -> np.ndarray:
    """Per hour of the two weeks: True when the office is closed (by hand: weekday 09-17 open, Friday 10 a holiday)."""
    hours = np.arange(336)
    day, hour = hours // 24, hours % 24
    open_ = (day % 7 < 5) & (day != 4) & (hour >= 9) & (hour < 17)
    return ~open_


@pytest.mark.parametrize("engine", ["simpy", "numba"])
def test_without_work_staffed_time_is_the_schedule_exactly(engine):
    res = orgsim.run(validate_mapping(office(0.0)), engine=engine, replications=3, seed=1)
    staffed = res.values["dept.finance.staffed"]
    assert staffed == pytest.approx(np.full(3, 3 * 8 * OPEN_DAYS / 336), rel=1e-12)
    assert np.all(res.values["dept.finance.overtime"] == 0.0)
    ts = res.timeseries()
    per_hour = ts[(ts.metric == "dept.finance.staffed") & (ts.replication == 0)].sort_values("period").value.to_numpy()
    np.testing.assert_array_equal(per_hour, np.where(_closed_hours(), 0.0, 3.0))


@pytest.mark.parametrize("engine,reps", [("simpy", 6), ("numba", 30)])
def test_nothing_starts_while_closed_and_overtime_is_work_past_closing(engine, reps):
    """An M/M/3 office (rate 2, mean service 1) open 09-17 fed around the clock: the queue waits overnight."""
    res = orgsim.run(validate_mapping(office(2.0)), engine=engine, replications=reps, seed=2)
    ts = res.timeseries()

    def series(metric):
        t = ts[ts.metric == metric].pivot(index="replication", columns="period", values="value")
        return t.to_numpy()

    busy = series("dept.finance.utilisation") * series("dept.finance.staffed")  # busy employee time per hour
    busy = np.nan_to_num(busy)
    overtime = series("dept.finance.overtime")
    staffed = series("dept.finance.staffed")
    closed = _closed_hours()
    # closed: everyone present is finishing a job past closing, so present = busy = overtime; nothing starts
    np.testing.assert_allclose(busy[:, closed], overtime[:, closed], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(staffed[:, closed], overtime[:, closed], rtol=1e-9, atol=1e-9)
    assert np.all(overtime[:, ~closed] == 0.0)  # open: the schedule holds everyone present
    assert np.all(staffed[:, ~closed] >= 3.0 - 1e-12)  # ... and all three are there
    after_closing = closed & (np.arange(336) % 24 == 17)
    assert overtime[:, after_closing].sum() > 0.0  # some job ran past 17:00
    # staffed over the horizon: the schedule's hours x heads, plus the overtime
    total = res.values["dept.finance.staffed"] * 336
    assert total == pytest.approx(3 * 8 * OPEN_DAYS + res.values["dept.finance.overtime"] * 336, rel=1e-9)


def _disagreements(ref, fast, most: int = 40) -> list[str]:
    return agreement.disagreements(ref, fast, ALPHA / COMPARISONS, most)


FIRM = {
    "time_unit": "hour", "horizon": 336, "warmup": 24, "period": 24, "clock": {"start": "2025-03-03 00:00"},
    "calendars": {"office": ["mon-fri 09:00-12:30", "mon-fri 13:00-17:00"],
                  "early": ["mon-fri 07:00-15:00"], "late": ["mon-fri 13:00-21:00", "sat 09:00-13:00"],
                  "night": ["daily 22:00-24:00", "daily 00:00-06:00"]},
    "departments": {
        "support": {"shifts": [{"calendar": "early", "headcount": 4}, {"calendar": "late", "headcount": 3},
                               {"calendar": "night", "headcount": 1}],
                    "services": {"help": {"time": {"dist": "exponential", "mean": 0.5},
                                          "needs": [{"service": "finance.check", "probability": 0.2, "hold": True}]}}},
        "finance": {"calendar": "office", "headcount": 2,
                    "services": {"check": {"time": {"dist": "gamma", "mean": 0.4, "cv": 0.7}}}},
    },
    "segments": {"callers": {"arrivals": {"rate": {"mon-fri 08:00-12:00": 6.0, "mon-fri 12:00-20:00": 3.0,
                                                   "daily 22:00-24:00": 0.5}},
                             "journey": ["support.help"], "expectation": 1.0,
                             "patience": {"dist": "exponential", "mean": 1.0}}},
    "allow_unstable": True,
}


@pytest.mark.parametrize("overrides", [[], ["morale.enabled=true", "morale.attrition_rate=0.3", "morale.hiring_delay=30"]],
                         ids=["shifts", "shifts-attrition"])
def test_engines_agree_on_calendars_and_shifts(overrides):
    from orgsim.scenario.loader import apply_overrides

    raw, _ = apply_overrides(FIRM, overrides)
    scenario = validate_mapping(raw)
    ref = orgsim.run(scenario, engine="simpy", replications=60, seed=41)
    fast = orgsim.run(scenario, engine="numba", replications=60, seed=42)
    assert not _disagreements(ref, fast)
    assert ref.values["dept.support.overtime"].mean() > 0.0  # shift ends caught people mid-job
    assert ref.values["dept.finance.overtime"].mean() > 0.0


def test_engines_agree_on_an_office_queue_that_waits_overnight():
    scenario = validate_mapping(office(2.0, horizon=336, period=24))
    ref = orgsim.run(scenario, engine="simpy", replications=40, seed=43)
    fast = orgsim.run(scenario, engine="numba", replications=40, seed=44)
    assert not _disagreements(ref, fast)


def _review_pair() -> dict:
    """Calls on Monday 09:00-17:00 only, 10 an hour at a desk of 2 (one hour each: a backlog for Tuesday), and an
    idle back office of 3, both open Mon-Fri 09:00-17:00; a review at every daily boundary (README "Policies")."""
    hour = {"time": {"dist": "exponential", "mean": 1.0}}
    return {"time_unit": "hour", "horizon": 48, "period": 24, "calendars": {"office": ["mon-fri 09:00-17:00"]},
            "departments": {"desk": {"calendar": "office", "headcount": 2, "services": {"answer": hour}},
                            "back": {"calendar": "office", "headcount": 3, "services": {"file": hour}}},
            "segments": {"calls": {"arrivals": {"rate": {"mon 09:00-17:00": 10.0}}, "journey": ["desk.answer"],
                                   "expectation": 1.0}},
            "policy": {"review": {"every": 1, "threshold": 0.2, "transfer_delay": 4}}, "allow_unstable": True}


@pytest.mark.parametrize("engine", ["simpy", "numba"])
def test_a_review_moves_a_slot_from_the_next_opening_on(engine):
    res = orgsim.run(validate_mapping(_review_pair()), engine=engine, replications=3, seed=5)
    ts = res.timeseries()

    def on_schedule(dept):  # employee time per day less overtime: the schedule's integral less vacant slots
        rows = ts[ts.replication == 0]
        staffed = rows[rows.metric == f"dept.{dept}.staffed"].sort_values("period").value.to_numpy()
        overtime = rows[rows.metric == f"dept.{dept}.overtime"].sort_values("period").value.to_numpy()
        return staffed * 24 - overtime

    # Monday as written; from Tuesday 09:00 one of back's slots is the desk's (the move at Tuesday 00:00)
    np.testing.assert_allclose(on_schedule("desk"), [2 * 8, 3 * 8], rtol=1e-12)
    np.testing.assert_allclose(on_schedule("back"), [3 * 8, 2 * 8], rtol=1e-12)


def test_engines_agree_on_contact_centre_with_a_review():
    raw = orgsim.load("contact_centre").model_dump(mode="json")
    raw["policy"]["review"] = {"every": 1, "threshold": 0.1, "transfer_delay": 8}
    scenario = validate_mapping(raw)
    ref = orgsim.run(scenario, engine="simpy", replications=20, seed=45)
    fast = orgsim.run(scenario, engine="numba", replications=40, seed=46)
    assert not _disagreements(ref, fast, 50)
    # the review moved heads: the back office is staffed differently from the written schedule in both engines
    written = orgsim.run(validate_mapping(orgsim.load("contact_centre").model_dump(mode="json")), engine="numba",
                         replications=40, seed=46)
    for res in (ref, fast):
        assert abs(res.values["dept.back_office.staffed"].mean() - written.values["dept.back_office.staffed"].mean()) > 0.05


@pytest.mark.parametrize("engine", ["simpy", "numba"])
@pytest.mark.parametrize("around_the_clock", ["back", "desk"])
def test_a_review_moves_heads_between_the_clock_and_a_calendar(engine, around_the_clock):
    raw = _review_pair()
    del raw["departments"][around_the_clock]["calendar"]
    res = orgsim.run(validate_mapping(raw), engine=engine, replications=3, seed=6)
    ts = res.timeseries()
    rows = ts[ts.replication == 0]

    def hours(metric):
        return rows[rows.metric == metric].sort_values("period").value.to_numpy() * 24

    if around_the_clock == "back":
        # the idle back office (3 all day) gives one at Tuesday 00:00 (idle: gone at once); an extra desk slot
        # from 04:00, so 3 on duty at the desk from 09:00
        np.testing.assert_allclose(hours("dept.back.staffed"), [3 * 24, 2 * 24], rtol=1e-12)
        np.testing.assert_allclose(hours("dept.desk.staffed") - hours("dept.desk.overtime") / 24, [2 * 8, 3 * 8],
                                   rtol=1e-12)
    else:
        # the back office on its calendar gives a slot at Tuesday 00:00; the mover joins the desk (2 all day,
        # busy with Monday's backlog) at 04:00
        np.testing.assert_allclose(hours("dept.back.staffed") - hours("dept.back.overtime") / 24, [3 * 8, 2 * 8],
                                   rtol=1e-12)
        np.testing.assert_allclose(hours("dept.desk.staffed"), [2 * 24, 2 * 4 + 3 * 20], rtol=1e-12)
