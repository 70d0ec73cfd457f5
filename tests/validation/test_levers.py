"""Communication, shared feedback, continuous improvement and complaint recovery (README "Model", Policies): each
against its formula, and the two engines against each other.

Formulas checked on both engines:
- communication's meeting share is `q = min(0.5, communication_time x)` of the time spent serving, counted in
  utilisation: an M/M/c queue's utilisation becomes lambda E[S] / (c (1 - q)), and `dept.<d>.meeting_share` is q
  times (busy - blocked) / available exactly; handoffs and defect rates are multiplied by exp(-effect x) and
  missed detections too (the scenario the engines run);
- shared feedback's lift is `feedback_effect x max(0, NPS_last) / 100` at every boundary: `firm.feedback_lift` is
  its mean over the boundaries from warm-up on, recomputed here from the per-period NPS of the time series, and
  with `feedback_priority` the boundaries after which external work went first are those below the level;
- continuous improvement puts `(1 + n / n0)^-b` on each defect rate, n the services completed before the
  boundary: in an M/M/c queue with every defect escaping, the factor at the last boundary and the escaped-defect
  share of completed orders follow from n ~ lambda t;
- complaint recovery offers a step to every detractor of a population segment, wins with its probability and
  then the customer leaves with churn_factor x churn(s) (churn(10) with the paradox); the steps are work at
  their service.
The engines are compared with Welch's t on every metric, one firm per lever (feedback with its queue order),
each comparison at ALPHA over the module's comparisons (Bonferroni).
"""

import math

import agreement
import numpy as np
import pytest
from refusals import problems

import orgsim
from orgsim.policies import effective_scenario
from orgsim.scenario.edit import override_text, with_overrides
from orgsim.scenario.loader import validate_mapping

ALPHA = 0.001
COMPARISONS = 4 * 100  # four firms, at most 100 metrics each
LAMBDA, HEADS = 6.0, 8  # the M/M/c queue: 6 an hour, 8 agents at mean service 1 (no patience, morale off)


def baseline(overrides: dict):
    """The shipped baseline with *overrides* (path -> value), validated as ``--set`` would."""
    return with_overrides(orgsim.load("baseline"), [override_text(k, v) for k, v in overrides.items()], "baseline")


def queue(investments: dict, budget: int, defect_rate: float = 0.0, horizon: float = 2000.0) -> dict:
    """An M/M/8 queue at 6 an hour, the budget 8 heads plus the investments' heads."""
    return {
        "time_unit": "hour", "horizon": horizon, "warmup": 200, "period": 40,
        "departments": {"agents": {"headcount": HEADS, "services": {"answer": {
            "time": {"dist": "exponential", "mean": 1.0}, "defect_rate": defect_rate, "detection": 0.0}}}},
        "segments": {"callers": {"arrivals": {"rate": LAMBDA}, "journey": ["agents.answer"], "expectation": 1.5}},
        "morale": {"enabled": False},
        "policy": {"budget": budget, "investments": investments},
        "costs": {"labour": 0, "escaped_defect": 1},  # firm.defect_cost counts the escaped defects
    }


@pytest.mark.parametrize("engine,reps", [("simpy", 8), ("numba", 60)])
def test_meetings_take_their_share_of_capacity(engine, reps):
    # 2 of 10 heads' worth: x = 0.2, q = 0.5 x 0.2 = 0.1
    res = orgsim.run(validate_mapping(queue({"communication": 2, "communication_time": 0.5}, 10)),
                     engine=engine, replications=reps, seed=3)
    q = 0.5 * 0.2
    util = res.values["dept.agents.utilisation"]
    expected = LAMBDA * 1.0 / (HEADS * (1 - q))  # 0.833 against 0.75 without the meetings
    half = 4 * util.std(ddof=1) / math.sqrt(reps) + 0.005
    assert abs(util.mean() - expected) < half, (util.mean(), expected)
    assert abs(util.mean() - LAMBDA / HEADS) > 3 * half  # the meetings show: it is not the load without them
    # nobody is blocked here, so the meeting share is q x utilisation, replication by replication
    np.testing.assert_allclose(res.values["dept.agents.meeting_share"], q * util, rtol=1e-12)


def test_communication_shortens_handoffs_and_cuts_defects_and_misses():
    raw = queue({"communication": 4, "communication_effect": 3.0, "communication_time": 0.1}, 12, defect_rate=0.1)
    raw["departments"]["agents"]["services"]["answer"]["detection"] = 0.6
    raw["handoff"] = {"dist": "exponential", "mean": 0.5}
    run = effective_scenario(validate_mapping(raw))
    f = math.exp(-3.0 * 4 / 12)
    svc = run.departments["agents"].services["answer"]
    assert svc.defect_rate == pytest.approx(0.1 * f, rel=1e-12)
    assert 1 - svc.detection == pytest.approx(0.4 * f, rel=1e-12)
    assert run.handoff.mean == pytest.approx(0.5 * f, rel=1e-12)


def test_meetings_count_in_the_stability_check():
    # 8 agents at load 7.8 are stable; half their time in meetings (capped at 0.5) is not
    raw = queue({"communication": 8, "communication_time": 1.0}, 16)
    raw["segments"]["callers"]["arrivals"]["rate"] = 7.8
    validate_mapping({**raw, "policy": {"budget": 8}})
    with pytest.raises(orgsim.OrgsimError, match="agents"):
        validate_mapping(raw)


@pytest.mark.parametrize("engine,reps", [("simpy", 3), ("numba", 10)])
def test_feedback_lift_is_last_periods_nps_shared(engine, reps):
    scenario = baseline({"horizon": 600, "policy.budget": 43, "policy.investments.feedback": 3,
                         "policy.investments.feedback_effect": 4.0, "policy.investments.feedback_priority": 65})
    res = orgsim.run(scenario, engine=engine, replications=reps, seed=5)
    ts = res.timeseries()
    nps = ts[ts.metric == "external.nps"].pivot(index="replication", columns="period", values="value").to_numpy()
    boundaries = np.arange(1, nps.shape[1]) * 40.0  # boundary k closes period k - 1; none at the horizon
    counted = boundaries >= 200.0
    last = np.nan_to_num(nps[:, :-1])[:, counted]
    expected = (4.0 * 3 / 43 * np.maximum(0.0, last) / 100.0).mean(axis=1)
    np.testing.assert_allclose(res.values["firm.feedback_lift"], expected, rtol=1e-9)
    assert expected.min() > 0.0  # baseline's NPS is positive: the lever lifted morale
    first = (last < 65).mean(axis=1)  # boundaries after which external work went first
    np.testing.assert_allclose(res.values["firm.external_first_share"], first, rtol=1e-12)


@pytest.mark.parametrize("engine,reps", [("simpy", 4), ("numba", 30)])
def test_feedback_below_its_level_puts_external_work_first(engine, reps):
    """At level 100 (every period of these runs stays below it) external work goes first after every boundary;
    at -100 (no period is below it) the order stays fifo: the very runs of the scenario without the lever."""
    sets = {"horizon": 400, "policy.budget": 42, "policy.investments.feedback": 2,
            "policy.investments.feedback_effect": 0.0}
    always = orgsim.run(baseline({**sets, "policy.investments.feedback_priority": 100}), engine=engine,
                        replications=reps, seed=9)
    never = orgsim.run(baseline({**sets, "policy.investments.feedback_priority": -100}), engine=engine,
                       replications=reps, seed=9)
    assert np.all(never.values["firm.external_first_share"] == 0.0)
    assert np.all(always.values["firm.external_first_share"] == 1.0)  # every period's NPS stayed below 100
    fifo = orgsim.run(baseline({"horizon": 400}), engine=engine, replications=reps, seed=9)
    np.testing.assert_array_equal(never.values["external.nps"], fifo.values["external.nps"])
    assert not np.array_equal(always.values["external.nps"], fifo.values["external.nps"])


@pytest.mark.parametrize("engine,reps", [("simpy", 6), ("numba", 60)])
def test_defect_rates_follow_the_learning_curve(engine, reps):
    rate, n0, effect, x = 0.2, 500.0, 4.0, 2 / 10
    b = effect * x
    res = orgsim.run(validate_mapping(queue({"improvement": 2, "improvement_effect": effect,
                                             "improvement_scale": n0}, 10, defect_rate=rate)),
                     engine=engine, replications=reps, seed=7)
    last = 49 * 40.0  # the last boundary before the horizon 2000
    factor = res.values["internal.learning_factor"]
    expected = (1 + LAMBDA * last / n0) ** -b  # n ~ lambda t: about 11,760 services, sd ~ 110 (1 %)
    assert factor.mean() == pytest.approx(expected, rel=0.01)
    # every defect escapes (detection 0), so escaped / completed is the rate times the factor of each period
    starts = np.arange(5, 50) * 40.0  # periods after warm-up; the factor of period k comes from n at its start
    per_period = rate * (1 + LAMBDA * starts / n0) ** -b
    share = res.values["firm.defect_cost"] / res.values["external.completed"]
    half = 4 * share.std(ddof=1) / math.sqrt(reps) + 0.002
    assert abs(share.mean() - per_period.mean()) < half, (share.mean(), per_period.mean())
    assert per_period.mean() < 0.5 * rate  # the curve matters: the test would see its absence


LEVERS = {
    "communication": {"policy.investments.communication": 2},
    "feedback": {"policy.investments.feedback": 2, "policy.investments.feedback_effect": 6.0,
                 "policy.investments.feedback_priority": 65},
    "improvement": {"policy.investments.improvement": 2, "policy.investments.improvement_scale": 200.0},
}


@pytest.mark.parametrize("lever", sorted(LEVERS))
def test_engines_agree_on_each_lever(lever):
    scenario = baseline({"horizon": 700, "policy.budget": 42, **LEVERS[lever]})
    ref = orgsim.run(scenario, engine="simpy", replications=40, seed=11)
    fast = orgsim.run(scenario, engine="numba", replications=40, seed=12)
    assert not agreement.disagreements(ref, fast, ALPHA / COMPARISONS, 100)


def test_feedback_priority_is_refused_without_feedback_or_with_another_order():
    raw = queue({"feedback_priority": 10}, 8)
    assert any("feedback_priority needs investments.feedback > 0" in p for p in problems(raw))
    raw = queue({"feedback": 1, "feedback_priority": 10}, 9)
    raw["policy"]["priority"] = "internal_first"
    assert any("needs priority fifo (got internal_first)" in p for p in problems(raw))


def complaints(recovery: dict | None, horizon: float = 1000.0) -> dict:
    """Clients (a population of 100,000 ordering 3 an hour in all) served at a desk so late that every order
    scores 0: every ended order is a detractor.  With *recovery*, its step is a call at `care` (3 people)."""
    raw = {
        "time_unit": "hour", "horizon": horizon, "warmup": 100, "period": 50,
        "departments": {
            "desk": {"headcount": 5, "services": {"serve": {"time": {"dist": "exponential", "mean": 1.0}}}},
            "care": {"headcount": 3, "services": {"call": {"time": {"dist": "exponential", "mean": 0.5}}}},
        },
        "segments": {"clients": {"arrivals": {"population": 100_000, "rate_per_customer": 3e-5},
                                 "journey": ["desk.serve"], "expectation": 1e-9}},
        "morale": {"enabled": False},
        "costs": {"labour": 0, "churn": 1},  # firm.churn_cost counts the customers who left
        "policy": {"budget": 8},
    }
    if recovery is not None:
        raw["policy"] = {"budget": 9, "investments": {"recovery": 1}, "recovery": {"service": "care.call", **recovery}}
    return raw


def churn_at(score: float) -> float:
    """The default churn curve (floor 0.005, ceiling 0.30, midpoint 6.5, steepness 1.5), by hand."""
    return 0.005 + (0.30 - 0.005) / (1 + math.exp(1.5 * (score - 6.5)))


@pytest.mark.parametrize("engine,reps", [("simpy", 6), ("numba", 40)])
@pytest.mark.parametrize("paradox", [False, True])
def test_recovery_wins_detractors_back_as_written(engine, reps, paradox):
    won, factor = 0.6, 0.3
    res = orgsim.run(validate_mapping(complaints({"success_probability": won, "churn_factor": factor,
                                                  "paradox": paradox})), engine=engine, replications=reps, seed=13)
    v = res.values
    ended = v["external.completed"] + v["external.abandoned"]
    np.testing.assert_array_equal(v["external.recovery_offers"], ended)  # every ended order was a detractor
    total = ended.sum()
    share = (v["external.recovered_share"] * ended).sum() / total
    assert abs(share - won) < 4 * math.sqrt(won * (1 - won) / total)
    recovered = churn_at(10.0 if paradox else 0.0) * factor
    p = won * recovered + (1 - won) * churn_at(0.0)  # churn per ended order
    churned = v["firm.churn_cost"].sum()
    assert abs(churned / total - p) < 4 * math.sqrt(p * (1 - p) / total), (churned / total, p)
    # the steps are work: 3 an hour at mean 0.5 on 3 people
    util = v["dept.care.utilisation"]
    assert abs(util.mean() - 3 * 0.5 / 3) < 4 * util.std(ddof=1) / math.sqrt(reps) + 0.01


@pytest.mark.parametrize("engine", ["simpy", "numba"])
def test_without_recovery_nobody_is_won_back(engine):
    res = orgsim.run(validate_mapping(complaints(None)), engine=engine, replications=4, seed=13)
    v = res.values
    assert "external.recovery_offers" not in v and np.all(v["dept.care.utilisation"] == 0.0)
    ended = (v["external.completed"] + v["external.abandoned"]).sum()
    p = churn_at(0.0)
    assert abs(v["firm.churn_cost"].sum() / ended - p) < 4 * math.sqrt(p * (1 - p) / ended)


def test_recovery_needs_its_step_and_its_cost():
    raw = complaints({"success_probability": 0.5})
    raw["policy"]["investments"] = {}
    assert any("needs both policy.recovery" in p for p in problems(raw))
    raw = complaints({"success_probability": 0.5})
    raw["policy"]["recovery"]["service"] = "care.cal"
    assert any("unknown service `care.cal`; did you mean `care.call`?" in p for p in problems(raw))


def test_engines_agree_on_complaint_recovery():
    scenario = validate_mapping(complaints({"success_probability": 0.6, "churn_factor": 0.3}, horizon=400))
    ref = orgsim.run(scenario, engine="simpy", replications=40, seed=21)
    fast = orgsim.run(scenario, engine="numba", replications=40, seed=22)
    assert not agreement.disagreements(ref, fast, ALPHA / COMPARISONS, 100)
