"""Time-varying demand against its exact expectation, on both engines, and the engines against each other.

Orders of a non-homogeneous Poisson process in a window are Poisson with mean
the integrated rate there, so over R independent replications their total is
Poisson with mean R x the integral.  Each per-period total is compared with
that mean at a normal tolerance z * sqrt(mean), z set so that the whole module
fails by chance with probability at most ALPHA (Bonferroni over every period
and engine).  The expected counts are worked out by hand below from the rule
(windows, weekday of the clock, a holiday, seasonality), not by the program's
compiler.  Service takes no time, so each order completes the instant it
arrives and the per-period completed count is the per-period arrival count.
An M_t/M/inf case (so many employees that nobody waits) checks the busy time
per period against the exact solution of m'(t) = lambda(t) - m(t) / E[S].
"""

import agreement
import numpy as np
import pytest
from scipy import stats

import orgsim
from orgsim.scenario.loader import validate_mapping

ALPHA = 0.001
PERIODS = 24  # 4-hour periods over 4 days
MT_PERIODS = 36  # the M_t/M/inf check: 2-hour periods over 3 days
TESTS = 2 * PERIODS + 60 + 2 * MT_PERIODS  # per-period checks on two engines, engine comparisons, M_t/M/inf periods
Z = stats.norm.isf(ALPHA / TESTS / 2)

SCENARIO = {
    "time_unit": "hour", "horizon": 96, "period": 4,
    "clock": {"start": "2025-01-30 00:00"},  # a Thursday
    "holidays": ["2025-01-31"],  # Friday: no demand from any rate table
    "departments": {"desk": {"headcount": 1, "services": {"serve": {"time": {"dist": "deterministic", "value": 0}}}}},
    "segments": {
        "walkin": {
            "arrivals": {"rate": {"mon-fri 08:00-12:00": 30, "mon-fri 12:00-16:00": 15, "sat 08:00-16:00": 10},
                         "seasonality": {"feb": 2}},
            "journey": ["desk.serve"], "expectation": 1,
        },
        "members": {  # 50 customers who never leave, each ordering at 0.5 per hour from midnight to 04:00
            "arrivals": {"population": 50, "rate_per_customer": {"daily 00:00-04:00": 0.5}},
            "journey": ["desk.serve"], "expectation": 1, "churn": {"ceiling": 0, "floor": 0},
        },
    },
}


def expected_per_period() -> np.ndarray:
    """Orders per 4-hour period, by hand: Thu 30 Jan, Fri 31 Jan (holiday), Sat 1 Feb (seasonality x2), Sun 2 Feb."""
    e = np.zeros(PERIODS)
    for day in range(4):
        if day != 1:  # the holiday closes the members' window too
            e[6 * day] = 50 * 0.5 * 4  # members, 00:00-04:00
    e[2], e[3] = 30 * 4, 15 * 4  # Thursday 08-12, 12-16
    e[6 * 2 + 2] = e[6 * 2 + 3] = 10 * 2 * 4  # Saturday 08-16 in February: 20 an hour
    return e


def per_period_totals(result) -> np.ndarray:
    ts = result.timeseries()
    done = ts[ts.metric == "external.completed"]
    return done.groupby("period").value.sum().reindex(range(PERIODS), fill_value=0.0).to_numpy()


@pytest.mark.parametrize("engine,reps", [("simpy", 60), ("numba", 400)])
def test_arrivals_per_window_equal_the_integrated_rate(engine, reps):
    scenario = validate_mapping(SCENARIO)
    got = per_period_totals(orgsim.run(scenario, engine=engine, replications=reps, seed=3))
    want = reps * expected_per_period()
    closed = want == 0
    assert np.all(got[closed] == 0), f"orders where the rate is 0 (closed, holiday): {got[closed]}"
    z = (got[~closed] - want[~closed]) / np.sqrt(want[~closed])
    assert np.all(np.abs(z) < Z), f"z-scores {np.round(z, 2)} beyond {Z:.2f}"


def test_engines_agree_on_time_varying_demand():
    """Welch's t on every metric of a queueing firm whose demand peaks on weekday mornings, with patience."""
    raw = {
        "time_unit": "hour", "horizon": 336, "warmup": 24, "period": 24, "clock": {"start": "2025-03-03 00:00"},
        "departments": {"desk": {"headcount": 3, "services": {"serve": {"time": {"dist": "exponential", "mean": 0.4},
                                                                          "needs": [{"service": "back.check", "probability": 0.3}]}}},
                        "back": {"headcount": 2, "services": {"check": {"time": {"dist": "gamma", "mean": 0.5, "cv": 0.7}}}}},
        "segments": {
            "callers": {"arrivals": {"rate": {"mon-fri 08:00-12:00": 9.0, "mon-fri 12:00-18:00": 4.0, "sat 09:00-13:00": 3.0}},
                        "journey": ["desk.serve"], "expectation": 1.0,
                        "patience": {"dist": "exponential", "mean": 0.5}},
            "members": {"arrivals": {"population": 200, "rate_per_customer": {"daily 10:00-16:00": 0.01}},
                        "journey": ["desk.serve"], "expectation": 1.5},
        },
    }
    scenario = validate_mapping(raw)
    ref = orgsim.run(scenario, engine="simpy", replications=40, seed=31)
    fast = orgsim.run(scenario, engine="numba", replications=40, seed=32)
    assert not agreement.disagreements(ref, fast, ALPHA / TESTS, 60)
    arrivals = ref.values["external.arrivals"].mean()
    assert arrivals > 600  # the varying streams ran: 564 callers and 156 members expected after the warm-up


def test_a_constant_table_gives_a_plain_rate_in_distribution():
    """`daily 00:00-24:00: 3` is the plain rate 3 in a table: the same count law (mean and variance 3 x horizon)."""
    raw = {"time_unit": "hour", "horizon": 200, "period": 50,
           "departments": {"d": {"headcount": 1, "services": {"s": {"time": {"dist": "deterministic", "value": 0}}}}},
           "segments": {"c": {"arrivals": {"rate": {"daily 00:00-24:00": 3.0}}, "journey": ["d.s"], "expectation": 1}}}
    counts = orgsim.run(validate_mapping(raw), engine="numba", replications=400, seed=5).values["external.arrivals"]
    mean = 3.0 * 200
    assert abs(counts.mean() - mean) < Z * np.sqrt(mean / 400)
    assert counts.var(ddof=1) == pytest.approx(mean, rel=0.25)  # chi-square, 399 df: sd of the ratio 0.07


# --------------------------------------------------------------------------- M_t/M/infinity


def _mt_m_inf_busy(pieces, tau: float, period: float, periods: int) -> np.ndarray:
    """Exact expected busy time per period of M_t/M/inf started empty: m' = lambda(t) - m / tau, integrated.

    *pieces* are (start, end, lambda) covering [0, horizon], constant in between; on each,
    m(t) = lambda tau + (m(a) - lambda tau) exp(-(t - a) / tau), whose integral is closed-form.
    """
    cuts = sorted({a for a, _, _ in pieces} | {b for _, b, _ in pieces} | {k * period for k in range(periods + 1)})
    rate = lambda t: next(lam for a, b, lam in pieces if a <= t < b)  # noqa: E731
    busy = np.zeros(periods)
    m = 0.0
    for a, b in zip(cuts[:-1], cuts[1:]):
        target = rate(a) * tau
        decay = np.exp(-(b - a) / tau)
        busy[int(a // period)] += target * (b - a) + (m - target) * tau * (1 - decay)
        m = target + (m - target) * decay
    return busy


@pytest.mark.parametrize("engine,reps", [("simpy", 30), ("numba", 300)])
def test_mt_m_infinity_busy_time_follows_the_exact_solution(engine, reps):
    """Enough employees that nobody waits: busy employees are the M_t/M/inf occupancy, mean m(t)."""
    daily = [(0, 8, 5.0), (8, 16, 40.0), (16, 24, 15.0)]
    pieces = [(24 * d + a, 24 * d + b, lam) for d in range(3) for a, b, lam in daily]
    heads, period, periods = 150, 2.0, MT_PERIODS
    raw = {"time_unit": "hour", "horizon": 72, "period": period,
           "departments": {"desk": {"headcount": heads,
                                    "services": {"serve": {"time": {"dist": "exponential", "mean": 1.0}}}}},
           "segments": {"c": {"arrivals": {"rate": {"daily 00:00-08:00": 5.0, "daily 08:00-16:00": 40.0,
                                                    "daily 16:00-24:00": 15.0}},
                              "journey": ["desk.serve"], "expectation": 1}}}
    ts = orgsim.run(validate_mapping(raw), engine=engine, replications=reps, seed=9).timeseries()
    util = ts[ts.metric == "dept.desk.utilisation"].pivot(index="replication", columns="period", values="value")
    busy = util.to_numpy() * heads * period  # nobody leaves (morale off): available = heads x period
    exact = _mt_m_inf_busy(pieces, 1.0, period, periods)
    z = (busy.mean(axis=0) - exact) / (busy.std(axis=0, ddof=1) / np.sqrt(reps))
    limit = stats.t.isf(ALPHA / TESTS / 2, reps - 1)
    assert np.all(np.abs(z) < limit), f"z {np.round(z, 2)} beyond {limit:.2f}"
    assert exact.max() > 70 and exact.min() < 10  # the case has power: the load swings between 5 and 40 busy
