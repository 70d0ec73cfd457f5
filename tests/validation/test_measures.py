"""The people and output measures against exact small cases and the model's own expectations, both engines.

Engagement is morale when morale cannot move; turnover is what the attrition formula expects; the survey's
answer count and spread follow its response rate and noise; productivity is completed work over paid time;
vacancies follow Little's law; drawing the survey moves no other number.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from agreement import disagreements

import orgsim
from orgsim import measures, metrics
from orgsim.engines.api import engine_function
from orgsim.kernels import layout
from orgsim.scenario.loader import validate_mapping

ENGINES = ("simpy", "numba")


def desk(heads=4, rate=2.0, **extra) -> dict:
    """One department serving one open stream, warm-up 200 of 2000 hours, weekly periods."""
    return {
        "name": "desk", "time_unit": "hour", "horizon": 2000, "warmup": 200, "period": 40,
        "departments": {"desk": {"headcount": heads, "services": {"serve": {"time": {"dist": "exponential", "mean": 1.0}}}}},
        "segments": {"walkins": {"arrivals": {"rate": rate}, "journey": ["desk.serve"], "expectation": 2.0}},
        **extra,
    }


def run(raw: dict, engine: str, reps: int = 10, seed: int = 3):
    return orgsim.run(validate_mapping(raw, "t"), engine=engine, replications=reps, seed=seed)


@pytest.mark.parametrize("engine", ENGINES)
def test_engagement_is_morale_when_morale_cannot_move(engine):
    raw = desk(morale={"enabled": False, "baseline": 0.6}, measures={"engagement": True})
    res = run(raw, engine, reps=3)
    assert res.values["firm.engagement"] == pytest.approx([0.6] * 3, rel=1e-12)
    series = res.timeseries().query("metric == 'firm.engagement'")["value"]
    assert len(series) == 3 * 50 and series.to_numpy() == pytest.approx([0.6] * 150, rel=1e-12)


def test_engagement_weights_each_department_by_its_employees_present():
    """Two departments, morale 0.5 with 2 present and 0.8 with 6 present: (2 x 0.5 + 6 x 0.8) / 8."""
    raw = desk(measures={"engagement": True})
    raw["departments"]["back"] = {"headcount": 6, "services": {"file": {"time": {"dist": "exponential", "mean": 1.0}}}}
    st = metrics.structure(validate_mapping(raw, "t"))
    table, length = layout.offsets(st.period_blocks())
    rows = np.zeros((1, 3, length))
    for name, values in (("dept_morale", [0.5, 0.8]), ("dept_headcount", [2.0, 6.0])):
        start, _ = table[name]
        rows[..., start : start + 2] = values
    b = layout.unpack(rows, st.period_blocks())
    assert measures.per_period(b, st, np.full(3, 40.0))["firm.engagement"][0] == pytest.approx([0.725] * 3)


def steady(hiring_delay: float, **measured) -> dict:
    """Morale pinned at its baseline (no effect moves the target), so each boundary's leaving chance is
    1 - exp(-attrition_rate) for every employee: the attrition formula at its neutral point."""
    morale = {"enabled": True, "load_effect": 0.0, "blocked_effect": 0.0, "attrition_rate": 0.05,
              "hiring_delay": hiring_delay}
    return desk(heads=10, rate=1.0, morale=morale, measures={"turnover": True, "year": 2000, **measured})


@pytest.mark.parametrize("engine", ENGINES)
def test_turnover_is_what_the_attrition_formula_expects(engine):
    """Leavers per employee-year: p per boundary, 45 boundaries in [200, 2000), over 1800 hours, x 2000 hours a year.
    With hiring_delay 0 posts refill at once, so the employees present are the 10 heads all along (nearly)."""
    res = run(steady(0.0), engine, reps=30)
    p = 1 - math.exp(-0.05)
    expected = p * 45 * 2000 / 1800
    x = res.values["dept.desk.turnover"]
    assert abs(x.mean() - expected) < 4 * x.std(ddof=1) / math.sqrt(x.size), (x.mean(), expected)


@pytest.mark.parametrize("engine", ENGINES)
def test_vacancies_follow_littles_law(engine):
    """Each leaver's post stays empty hiring_delay after they go: mean vacant posts = leavers per hour x delay."""
    res = run(steady(40.0), engine, reps=30)
    vacant = res.values["dept.desk.vacancy_time"]
    staffed = res.values["dept.desk.staffed"]
    leavers_per_hour = res.values["dept.desk.turnover"] * staffed / 2000
    assert vacant.mean() == pytest.approx((leavers_per_hour * 40.0).mean(), rel=0.1)
    assert np.allclose(vacant, 10 - staffed)


@pytest.mark.parametrize("engine", ENGINES)
def test_no_leavers_no_turnover_no_vacancy(engine):
    res = run(desk(morale={"enabled": False}, measures={"turnover": True}), engine, reps=3)
    assert np.all(res.values["dept.desk.turnover"] == 0.0)
    assert np.allclose(res.values["dept.desk.vacancy_time"], 0.0, atol=1e-9)


def surveyed(rate: float, sd: float) -> dict:
    return desk(heads=20, rate=1.0, morale={"enabled": False, "baseline": 0.5},
                measures={"engagement": True, "survey": {"response_rate": rate, "noise_sd": sd, "every": 1}})


@pytest.mark.parametrize("engine", ENGINES)
def test_survey_answers_follow_response_rate_and_noise(engine):
    """20 present, response rate 0.3: answers per survey ~ Binomial(20, 0.3); a survey's mean answer reads
    morale 0.5 with variance sd^2 E[1/n | n > 0] (sd 0.05: clipping at 0 or 1 is 10 sd away)."""
    res = run(surveyed(0.3, 0.05), engine, reps=20)
    ts = res.timeseries()
    n = ts.query("metric == 'firm.survey_responses'")["value"].to_numpy()
    assert n.size == 20 * 50
    assert abs(n.mean() - 6.0) < 4 * math.sqrt(20 * 0.3 * 0.7 / n.size)
    assert n.var(ddof=1) == pytest.approx(20 * 0.3 * 0.7, rel=0.15)
    reading = ts.query("metric == 'firm.engagement_survey'")["value"].dropna().to_numpy()
    k = np.arange(1, 21)
    pk = np.array([math.comb(20, j) * 0.3**j * 0.7 ** (20 - j) for j in k])
    expected_var = 0.05**2 * (pk / k).sum() / pk.sum()
    assert abs(reading.mean() - 0.5) < 4 * math.sqrt(expected_var / reading.size)
    assert ((reading - 0.5) ** 2).mean() == pytest.approx(expected_var, rel=0.15)
    summary = res.values["firm.engagement_survey"]
    assert np.all(np.abs(summary - 0.5) < 0.01)  # 45 surveys x ~6 answers after warm-up: sd 0.05 / sqrt(270)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_survey_moves_no_other_number(engine):
    """Its own streams: a run with the survey reports every other metric exactly as one without it."""
    raw = steady(40.0)
    raw["measures"]["engagement"] = True
    without = run(raw, engine, reps=4)
    raw["measures"]["survey"] = {"response_rate": 0.5, "noise_sd": 0.2, "every": 2}
    with_survey = run(raw, engine, reps=4)
    assert set(with_survey.values) - set(without.values) == {"firm.engagement_survey", "firm.survey_responses"}
    for name, x in without.values.items():
        assert np.array_equal(x, with_survey.values[name], equal_nan=True), name


@pytest.mark.parametrize("engine", ENGINES)
def test_productivity_is_completed_work_per_paid_employee_hour(engine):
    """One single-step journey, nobody leaving: each service completed is an order completed, and 4 are paid
    for the 1800 counted hours."""
    res = run(desk(measures={"productivity": True}), engine, reps=3)
    expected = res.values["external.completed"] / (4 * 1800)
    assert np.allclose(res.values["dept.desk.productivity"], expected, rtol=1e-9)
    assert np.allclose(res.values["firm.productivity"], expected, rtol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_productivity_leaves_rework_out(engine):
    """A department's output is its services completed for the first time: completed less redone."""
    raw = desk(measures={"productivity": True})
    raw["departments"]["check"] = {"headcount": 3, "services": {"look": {"time": {"dist": "exponential", "mean": 1.0}}}}
    raw["departments"]["desk"]["services"]["serve"]["defect_rate"] = 0.3
    raw["segments"]["walkins"]["journey"] = ["desk.serve", "check.look"]
    sc = validate_mapping(raw, "t")
    st = metrics.structure(sc)
    out = engine_function(engine)(orgsim.policies.effective_scenario(sc), {"desk": 4, "check": 3}, 5, np.arange(2))
    b = layout.unpack(out.rows, st.blocks())
    assert np.all(b["services_redone"][:, 0] > 0)
    assert np.array_equal(b["dept_done"].sum(-1), b["services_completed"][:, 0] - b["services_redone"][:, 0])
    p = layout.unpack(out.periods, st.period_blocks())
    assert np.all(p["dept_done"].sum((1, 2)) >= b["dept_done"].sum(-1))  # the periods count the warm-up too


def test_engines_agree_on_every_measure():
    raw = steady(40.0, engagement=True, productivity=True, survey={"response_rate": 0.5, "noise_sd": 0.1, "every": 2})
    raw["morale"].update(load_effect=2.0, utilisation_threshold=0.05)  # morale moves: engagement is not a constant
    a, b = run(raw, "simpy", reps=30, seed=1), run(raw, "numba", reps=30, seed=2)
    assert not disagreements(a, b, 0.01 / 40, 40)


def test_turnover_needs_a_year():
    from refusals import problems

    raw = desk(time_unit="tick", measures={"turnover": True})
    (problem,) = problems(raw)
    assert "measures.year" in problem and "tick" in problem
    assert validate_mapping({**raw, "measures": {"turnover": True, "year": 500}}, "t").year() == 500


def test_measures_are_the_same_numbers_whatever_the_batch_split():
    raw = steady(40.0, engagement=True, productivity=True, survey={"response_rate": 0.5, "noise_sd": 0.1, "every": 2})
    raw["morale"].update(load_effect=2.0, utilisation_threshold=0.05)
    sc = validate_mapping(raw, "t")
    whole = orgsim.run(sc, engine="numba", replications=8, seed=6)
    split = orgsim.run(sc, engine="numba", replications=8, seed=6, batch_size=3)
    for name, x in whole.values.items():
        assert np.array_equal(x, split.values[name], equal_nan=True), name
    assert whole.timeseries().equals(split.timeseries())


def rostered(kind: str, hiring_delay: float, horizon: float = 2000) -> dict:
    """`steady`'s desk of 10 on a calendar open around the clock, or in two shifts (6 and 4) covering the day."""
    raw = steady(hiring_delay)
    raw["horizon"] = horizon
    raw["calendars"] = {"always": ["daily 00:00-24:00"], "early": ["daily 00:00-12:00"], "late": ["daily 12:00-24:00"]}
    del raw["departments"]["desk"]["headcount"]
    if kind == "calendar":
        raw["departments"]["desk"].update(calendar="always", headcount=10)
    else:
        raw["departments"]["desk"]["shifts"] = [{"calendar": "early", "headcount": 6}, {"calendar": "late", "headcount": 4}]
    return raw


@pytest.mark.parametrize("engine", ENGINES)
def test_turnover_on_a_calendar_is_what_the_attrition_formula_expects(engine):
    """Each filled slot, on duty or not, leaves with p at each boundary; slots refilled at once (hiring_delay 0):
    leavers per slot-year are p x 50 boundaries a year, in shifts as on a calendar."""
    p = 1 - math.exp(-0.05)
    for kind in ("calendar", "shifts"):
        x = run(rostered(kind, 0.0), engine, reps=20).values["dept.desk.turnover"]
        assert abs(x.mean() - p * 50) < 4 * x.std(ddof=1) / math.sqrt(x.size), (kind, x.mean(), p * 50)


@pytest.mark.parametrize("engine", ENGINES)
def test_vacancies_on_a_calendar_are_the_staffed_time_the_schedule_lost(engine):
    """Open around the clock, on duty = the 10 slots less the vacant ones, plus overtime (someone finishing a job
    after their slot fell vacant): so vacancy_time = 10 - staffed + overtime per hour, from the engine's own
    integrals, and turnover's slot time is the staffed time less overtime."""
    res = run(rostered("calendar", 60.0, horizon=1000), engine, reps=4)
    v = res.values
    overtime_per_hour = v["dept.desk.overtime"] / 40
    assert np.all(v["dept.desk.vacancy_time"] > 0.1)
    assert np.allclose(v["dept.desk.vacancy_time"], 10 - v["dept.desk.staffed"] + overtime_per_hour, atol=1e-9)
    leavers = v["dept.desk.turnover"] * (v["dept.desk.staffed"] - overtime_per_hour) * 800 / 2000
    assert np.allclose(leavers, np.round(leavers), atol=1e-6) and np.all(leavers > 0)  # whole leavers
    series = res.timeseries().pivot_table(index=["replication", "period"], columns="metric", values="value")
    assert np.allclose(series["dept.desk.vacancy_time"],
                       10 - series["dept.desk.staffed"] + series["dept.desk.overtime"] / 40, atol=1e-9)


def test_engines_agree_on_measures_in_shifts():
    raw = rostered("shifts", 60.0, horizon=1200)
    raw["morale"].update(load_effect=2.0, utilisation_threshold=0.05)
    raw["measures"].update(engagement=True, productivity=True)
    a, b = run(raw, "simpy", reps=20, seed=1), run(raw, "numba", reps=20, seed=2)
    assert {"dept.desk.turnover", "dept.desk.vacancy_time"} <= set(a.values)
    assert not disagreements(a, b, 0.01 / 40, 40)


def test_a_review_leaves_departments_on_a_calendar_without_turnover():
    """A review moves slots at times the period rows do not record, so their slot time is not known."""
    raw = rostered("calendar", 60.0, horizon=400)
    raw["departments"]["back"] = {"headcount": 3, "services": {"file": {"time": {"dist": "exponential", "mean": 1.0}}}}
    raw["policy"] = {"review": {"every": 2, "threshold": 0.1}}
    names = set(run(raw, "numba", reps=2).values)
    assert "dept.desk.turnover" not in names and "dept.desk.vacancy_time" not in names
    assert "dept.back.turnover" in names
