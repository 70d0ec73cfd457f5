"""The service level against Erlang C, and hour-of-week profiles against exact results, on both engines.

Service level: in FIFO M/M/c the queue wait W has P(W <= T) = 1 - C(c, a) exp(-(c mu - lambda) T)
(``orgsim.theory.mmc_wait_tail``); with nobody abandoning, every ended order is a completed one, so
``external.service_level`` estimates it.  Profiles: orders of a non-homogeneous Poisson process in one
hour are Poisson with mean the integrated rate over that hour (worked out by hand below, half-hour
windows included); staffed headcount is exact where headcount is constant; in M_t/M/inf the busy
employees have mean m(t), m' = lambda(t) - m / E[S], whose integral over each hour is closed-form.
Every statistical check in the module shares one Bonferroni budget (ALPHA over TESTS).
"""

import math

import numpy as np
import pytest
from scipy import stats

import orgsim
from orgsim import theory
from orgsim.scenario.loader import validate_mapping

ALPHA = 0.001
TESTS = 4 + 2 * 168 + 2 * 168 + 168 * 4  # service level (2 cases x 2 engines), arrivals and M_t/M/inf per hour x 2, Welch
HOURS = 168


def _tol_t(n: int) -> float:
    return stats.t.isf(ALPHA / TESTS / 2, n - 1)


def _station(lam: float, servers: int, target: float, horizon: float, warmup: float) -> dict:
    return {"time_unit": "hour", "horizon": horizon, "warmup": warmup, "period": horizon / 10,
            "departments": {"desk": {"headcount": servers,
                                     "services": {"serve": {"time": {"dist": "exponential", "mean": 1.0}}}}},
            "segments": {"c": {"arrivals": {"rate": lam}, "journey": ["desk.serve"], "expectation": 1.0,
                               "service_level_target": target}}}


@pytest.mark.parametrize("engine,reps,horizon", [("numba", 200, 3000.0), ("simpy", 12, 1500.0)])
@pytest.mark.parametrize("lam,servers,target", [(8.0, 10, 0.1), (4.5, 5, 0.25)])
def test_service_level_equals_erlang_c(engine, reps, horizon, lam, servers, target):
    result = orgsim.run(validate_mapping(_station(lam, servers, target, horizon, 100.0)), engine=engine,
                        replications=reps, seed=11)
    x = result.values["external.service_level"]
    exact = 1.0 - theory.mmc_wait_tail(lam, 1.0, servers, target)
    se = x.std(ddof=1) / math.sqrt(x.size)
    assert abs(x.mean() - exact) <= _tol_t(x.size) * se, f"{x.mean():.4f} vs Erlang C {exact:.4f} (SE {se:.2g})"
    assert 0.05 < exact < 0.95  # the target lands inside the wait distribution: the check has power
    assert "segment.c.service_level" not in result.values  # one segment: the external value is the segment's


# --------------------------------------------------------------------------- arrivals per hour of the week

TABLE = {"mon-fri 08:30-12:00": 30.0, "mon-fri 12:00-17:00": 12.0, "sat 10:00-14:00": 6.0}


def expected_per_hour() -> np.ndarray:
    """Orders per hour of the week (0 = Monday 00:00), by hand from TABLE: 08:00-09:00 gets half an hour of 30."""
    e = np.zeros(HOURS)
    for day in range(5):
        e[24 * day + 8] = 15.0
        e[24 * day + 9 : 24 * day + 12] = 30.0
        e[24 * day + 12 : 24 * day + 17] = 12.0
    e[24 * 5 + 10 : 24 * 5 + 14] = 6.0
    return e


def _table_scenario(unit: str) -> dict:
    per = {"minute": 60.0, "hour": 1.0, "day": 1 / 24}[unit]  # time units per hour
    return {"time_unit": unit, "horizon": 2 * HOURS * per, "period": 24 * per, "profile": True,
            "clock": {"start": "2025-01-30 06:00"},  # a Thursday 06:00: hour of the week 78 at t = 0
            "departments": {"desk": {"headcount": 3, "services": {"serve": {"time": {"dist": "exponential",
                                                                                      "mean": 0.05 * per}}}}},
            "segments": {"c": {"arrivals": {"rate": {k: v / per for k, v in TABLE.items()}},
                               "journey": ["desk.serve"], "expectation": per}}}


@pytest.mark.parametrize("engine,reps,unit", [("numba", 300, "minute"), ("simpy", 40, "hour")])
def test_arrivals_profile_equals_the_integrated_rate_per_hour(engine, reps, unit):
    result = orgsim.run(validate_mapping(_table_scenario(unit)), engine=engine, replications=reps, seed=5)
    counts = result.profiles["external.arrivals"] * 2  # per hour, each hour of the week seen twice in two weeks
    total = counts.sum(axis=0)
    want = reps * 2 * expected_per_hour()
    closed = want == 0
    assert np.all(total[closed] == 0), f"orders where the rate is 0: hours {np.flatnonzero(total[closed])}"
    z = (total[~closed] - want[~closed]) / np.sqrt(want[~closed])
    assert np.all(np.abs(z) < stats.norm.isf(ALPHA / TESTS / 2)), f"z {np.round(z, 2)}"
    frame = result.profile()
    staffed = frame[frame.metric == "dept.desk.staffed"]
    assert len(staffed) == HOURS and np.allclose(staffed["mean"], 3.0, rtol=0, atol=1e-9)  # constant headcount
    util = frame[frame.metric == "dept.desk.utilisation"]["mean"].to_numpy()
    idle = closed & np.roll(closed, 1)  # closed in this hour and the one before: no order left in service
    assert np.all(util[idle] == 0) and np.all(util[expected_per_hour() == 30.0] > 0.2)


# --------------------------------------------------------------------------- M_t/M/infinity utilisation


def _mt_m_inf_busy_per_hour(daily, tau: float, days: int) -> np.ndarray:
    """Exact expected busy time in each hour of M_t/M/inf started empty (m' = lambda(t) - m / tau, integrated)."""
    busy = np.zeros(24 * days)
    m = 0.0
    for h in range(24 * days):
        lam = next(r for a, b, r in daily if a <= h % 24 < b)
        target, decay = lam * tau, math.exp(-1.0 / tau)
        busy[h] = target + (m - target) * tau * (1 - decay)
        m = target + (m - target) * decay
    return busy


@pytest.mark.parametrize("engine,reps", [("numba", 300), ("simpy", 30)])
def test_mt_m_infinity_utilisation_profile_follows_the_exact_solution(engine, reps):
    daily = [(0, 8, 5.0), (8, 16, 40.0), (16, 24, 15.0)]
    heads = 150
    raw = {"time_unit": "hour", "horizon": HOURS, "period": 24, "profile": True,
           "departments": {"desk": {"headcount": heads,
                                    "services": {"serve": {"time": {"dist": "exponential", "mean": 1.0}}}}},
           "segments": {"c": {"arrivals": {"rate": {"daily 00:00-08:00": 5.0, "daily 08:00-16:00": 40.0,
                                                    "daily 16:00-24:00": 15.0}},
                              "journey": ["desk.serve"], "expectation": 1}}}
    result = orgsim.run(validate_mapping(raw), engine=engine, replications=reps, seed=9)
    busy = result.profiles["dept.desk.utilisation"] * heads  # one week: each hour of the week is one hour
    exact = _mt_m_inf_busy_per_hour(daily, 1.0, 7)
    z = (busy.mean(axis=0) - exact) / (busy.std(axis=0, ddof=1) / np.sqrt(reps))
    assert np.all(np.abs(z) < _tol_t(reps)), f"z {np.round(z, 2)}"
    assert exact.max() > 35 and exact.min() < 6  # the load swings: the check has power


# --------------------------------------------------------------------------- the engines agree


def test_engines_agree_on_every_profile_value():
    """Welch's t per hour and metric on a firm with a weekday peak, patience and two departments."""
    raw = {"time_unit": "hour", "horizon": HOURS, "period": 24, "profile": True,
           "departments": {"desk": {"headcount": 3, "services": {"serve": {"time": {"dist": "exponential", "mean": 0.4},
                                                                             "needs": [{"service": "back.check",
                                                                                        "probability": 0.3}]}}},
                           "back": {"headcount": 2, "services": {"check": {"time": {"dist": "exponential", "mean": 0.5}}}}},
           "segments": {"c": {"arrivals": {"rate": {"mon-fri 08:00-12:00": 9.0, "mon-fri 12:00-18:00": 4.0,
                                                    "daily 18:00-20:00": 1.0}},
                              "journey": ["desk.serve"], "expectation": 1.0, "service_level_target": 0.2,
                              "patience": {"dist": "exponential", "mean": 0.5}}}}
    scenario = validate_mapping(raw)
    ref = orgsim.run(scenario, engine="simpy", replications=40, seed=31)
    fast = orgsim.run(scenario, engine="numba", replications=40, seed=32)
    assert set(ref.profiles) == set(fast.profiles) == {
        "external.arrivals", "external.wait_mean", "external.abandon_rate", "dept.desk.utilisation",
        "dept.desk.staffed", "dept.back.utilisation", "dept.back.staffed"}
    bad, tested = [], 0
    for name in ("external.arrivals", "external.wait_mean", "external.abandon_rate", "dept.desk.utilisation"):
        for h in range(HOURS):
            x, y = ref.profiles[name][:, h], fast.profiles[name][:, h]
            x, y = x[~np.isnan(x)], y[~np.isnan(y)]
            if len(x) < 3 or len(y) < 3 or (np.ptp(x) == 0 and np.ptp(y) == 0):
                assert len(x) < 3 or len(y) < 3 or x[0] == y[0], f"{name} hour {h}: {x[0]} vs {y[0]}"
                continue
            tested += 1
            p = stats.ttest_ind(x, y, equal_var=False).pvalue
            if p < ALPHA / TESTS:
                bad.append(f"{name} hour {h}: simpy {x.mean():.4g} vs numba {y.mean():.4g} (p={p:.2g})")
    assert not bad
    assert tested > 200  # the open hours of three metrics at least
    sl_ref, sl_fast = ref.values["external.service_level"], fast.values["external.service_level"]
    assert stats.ttest_ind(sl_ref, sl_fast, equal_var=False).pvalue >= ALPHA / TESTS
