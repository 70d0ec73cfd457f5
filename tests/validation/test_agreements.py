"""Internal service agreements and role clarity: against queueing theory, and the two engines against each other.

Attainment: when one agreement with one target covers all the work a department queues, escalation keeps
first-come-first-served order (the escalated are the oldest), so at an M/M/c supplier a request's queue wait has
Erlang C's law and attainment is P(W <= target) = 1 - C(c, a) exp(-(c mu - lambda) target)
(``orgsim.theory.mmc_wait_tail``).  Escalation order: with target 0 every request that has to queue escalates at
once, so under `fifo` requests are served before external work, non-preemptively: the two-class priority queue
whose mean waits Cobham (1954) gives (``orgsim.theory.priority_mmc_nonpreemptive``), and attainment is the
chance of not waiting at all, 1 - C(c, a).  Role clarity multiplies every sub-request's work time by
exp(-role_clarity_effect x), which sets the supplier's utilisation exactly.  Every statistical check in the module
shares one Bonferroni budget (ALPHA over TESTS).
"""

import math

import agreement
import numpy as np
import pytest
from scipy import stats

import orgsim
from orgsim import theory
from orgsim.scenario.loader import validate_mapping
from orgsim.scenario.traffic import solve

ALPHA = 0.001
MAX_METRICS = 60  # the engines' comparison: at most this many metrics
TESTS = 2 * 3 + 2 * 4 + 2 + 2 * MAX_METRICS  # Erlang C (2 engines x 3 checks), priority (2 x 4), clarity (2),
# engines (2 scenarios)


def _tol_t(n: int) -> float:
    return stats.t.isf(ALPHA / TESTS / 2, n - 1)


def _close(x: np.ndarray, exact: float, what: str) -> None:
    """The mean of replication values *x* is *exact* within the t-interval at the module's level."""
    x = x[~np.isnan(x)]
    se = x.std(ddof=1) / math.sqrt(x.size)
    assert abs(x.mean() - exact) <= _tol_t(x.size) * se, f"{what}: {x.mean():.4f} vs {exact:.4f} (SE {se:.2g})"


def _supplier(lam: float, servers: int, target: float, horizon: float, walk_ins: float = 0.0, **extra) -> dict:
    """Clients arrive at `front` (many heads) whose every case sends `desk` a request (Poisson at *lam*); *walk_ins*
    external orders per time unit queue at `desk` too; every desk service takes exponential time of mean 1."""
    segments = {"clients": {"arrivals": {"rate": lam}, "journey": ["front.take"], "expectation": 5.0}}
    if walk_ins:
        segments["walk_ins"] = {"arrivals": {"rate": walk_ins}, "journey": ["desk.serve"], "expectation": 5.0}
    exp1 = {"dist": "exponential", "mean": 1.0}
    return {"time_unit": "hour", "horizon": horizon, "warmup": 100.0, "period": horizon / 10,
            "departments": {
                "front": {"headcount": 40, "services": {"take": {"time": {"dist": "exponential", "mean": 0.1},
                                                                 "needs": [{"service": "desk.check", "probability": 1.0}]}}},
                "desk": {"headcount": servers, "services": {"check": {"time": exp1}, "serve": {"time": exp1}}}},
            "segments": segments, "agreements": [{"supplier": "desk", "target": target}], **extra}


@pytest.mark.parametrize("engine,reps,horizon", [("numba", 200, 3000.0), ("simpy", 12, 1500.0)])
def test_attainment_is_erlang_c_when_escalation_keeps_the_order(engine, reps, horizon):
    lam, c, target = 1.4, 2, 0.5
    result = orgsim.run(validate_mapping(_supplier(lam, c, target, horizon)), engine=engine, replications=reps, seed=3)
    exact = 1.0 - theory.mmc_wait_tail(lam, 1.0, c, target)
    assert 0.2 < exact < 0.9  # the target lands inside the wait distribution: the check has power
    _close(result.values["agreement.front.desk.attainment"], exact, "attainment")
    _close(result.values["internal.sla_attainment"], exact, "all agreements")
    _close(result.values["agreement.front.desk.wait_mean"], theory.mmc(lam, 1.0, c)["wait_mean"], "mean wait")


@pytest.mark.parametrize("engine,reps,horizon", [("numba", 200, 3000.0), ("simpy", 12, 1500.0)])
def test_target_zero_serves_requests_first_as_cobham_says(engine, reps, horizon):
    lam, walk_ins, c = 0.8, 0.7, 2
    spec = _supplier(lam, c, 0.0, horizon, walk_ins)  # policy fifo: only escalation puts requests first
    result = orgsim.run(validate_mapping(spec), engine=engine, replications=reps, seed=4)
    first, second = theory.priority_mmc_nonpreemptive([lam, walk_ins], 1.0, c)
    assert second > 1.5 * first  # the priority shows: fifo would give both the same mean wait
    _close(result.values["agreement.front.desk.wait_mean"], first, "escalated requests' wait")
    _close(result.values["segment.walk_ins.wait_mean"], second, "walk-ins' wait")
    _close(result.values["agreement.front.desk.attainment"], 1.0 - theory.erlang_c(c, lam + walk_ins), "no wait")
    plain = orgsim.run(validate_mapping({**spec, "agreements": [], "policy": {"priority": "internal_first"}}),
                       engine=engine, replications=reps, seed=4)
    _close(plain.values["segment.walk_ins.wait_mean"], second, "walk-ins' wait under internal_first")


@pytest.mark.parametrize("engine,reps", [("numba", 100), ("simpy", 10)])
def test_role_clarity_shortens_every_request_by_its_factor(engine, reps):
    lam, c = 1.2, 2
    spec = _supplier(lam, c, 1.0, 1500.0, policy={"budget": 44, "investments": {"role_clarity": 2}})
    scenario = validate_mapping(spec)
    r = math.exp(-3.0 * 2 / 44)  # the default role_clarity_effect, 2 heads of a budget of 44
    assert scenario.policy.clarity_factor == pytest.approx(r, rel=1e-15)
    assert solve(scenario).load["desk"] == pytest.approx(lam * r)  # the traffic equations see the same work
    result = orgsim.run(scenario, engine=engine, replications=reps, seed=5)
    _close(result.values["dept.desk.utilisation"], lam * r / c, "desk utilisation")  # (no walk-ins: all requests)


def test_engines_agree_with_agreements_and_role_clarity():
    """service_desk (escalated fixes go before external_first's callers) with role clarity."""
    scenario = orgsim.load("service_desk", ["horizon=500", "policy.budget=10", "policy.investments.role_clarity=1"])
    ref = orgsim.run(scenario, engine="simpy", replications=30, seed=11)
    fast = orgsim.run(scenario, engine="numba", replications=60, seed=12)
    assert not agreement.disagreements(ref, fast, ALPHA / TESTS, MAX_METRICS)
    assert 0.3 < np.nanmean(fast.values["internal.sla_attainment"]) < 0.99  # both hits and escalations occur


def test_engines_agree_when_two_targets_reorder_one_queue():
    """Two customers of one supplier under different targets, walk-ins in the same fifo queue: escalations of
    the two agreements interleave (the department's timer takes the earlier of the two oldest)."""
    spec = _supplier(0.6, 2, 1.0, 600.0, walk_ins=0.8)
    spec["departments"]["back"] = {"headcount": 30, "services": {"file": {
        "time": {"dist": "exponential", "mean": 0.1}, "needs": [{"service": "desk.check", "probability": 1.0}]}}}
    spec["segments"]["letters"] = {"arrivals": {"rate": 0.3}, "journey": ["back.file"], "expectation": 5.0}
    spec["agreements"] = [{"supplier": "desk", "target": 1.0}, {"customer": "back", "supplier": "desk", "target": 0.2}]
    scenario = validate_mapping(spec)
    ref = orgsim.run(scenario, engine="simpy", replications=30, seed=13)
    fast = orgsim.run(scenario, engine="numba", replications=60, seed=14)
    assert not agreement.disagreements(ref, fast, ALPHA / TESTS, MAX_METRICS)
    for pair in ("front.desk", "back.desk"):  # both agreements have hits and escalations
        assert 0.2 < np.nanmean(fast.values[f"agreement.{pair}.attainment"]) < 0.95, pair
