"""Both engines against queueing theory: with the organisational mechanisms off, orgsim is a queueing network.

Every case runs on the numba engine and on the SimPy reference; the
reference runs 1/REFERENCE_SHARE of the replications (it is ~100x slower),
so its tolerances are wider by the same rule, not by hand.

Each check compares the mean over replications of a per-replication metric
with its closed form: |mean - theory| <= t * SE, SE = std / sqrt(n) over the
replications, t the Student quantile for a two-sided test at ALPHA / M, where
M counts every comparison in this file (Bonferroni): a correct engine fails
this file with probability below ALPHA.  Horizons are long and warm-ups cover
several relaxation times, so the start-empty and ratio-estimator biases are
far below one standard error; an engine that gets a rule wrong (the queue
order, the routing, the handoff, a parameterisation) is off by many.

Theory: ``orgsim.theory`` (Erlang C, Erlang A, Pollaczek–Khinchine, Jackson,
Cobham's non-preemptive priority M/M/c).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import orgsim
from orgsim import metrics, theory
from orgsim.engines import reference
from orgsim.kernels import run
from orgsim.scenario.loader import validate_mapping

ALPHA = 0.001  # family-wise false-alarm rate of this file
M = 80  # comparisons made in this file, both engines (an upper bound; counted below by CHECKS)
REFERENCE_SHARE = 15  # the reference engine runs replications // REFERENCE_SHARE (at least 8)
CHECKS: list[str] = []
SEED = 20240601


@pytest.fixture(params=["numba", "simpy"])
def engine(request) -> str:
    return request.param


def simulate(raw: dict | orgsim.Scenario, replications: int, engine: str) -> dict[str, np.ndarray]:
    """Per-replication metrics of a scenario given as a mapping (validated like a file) or a Scenario."""
    scenario = raw if isinstance(raw, orgsim.Scenario) else validate_mapping(raw)
    if engine == "numba":
        rows, _ = run.simulate(scenario, None, SEED, replications)
    else:
        heads = {d: dept.headcount for d, dept in scenario.departments.items()}
        rows = reference.simulate(scenario, heads, SEED, range(max(8, replications // REFERENCE_SHARE))).rows
    return metrics.replication_metrics(rows, metrics.structure(scenario))


def check(values: np.ndarray, expected: float, what: str) -> None:
    """Mean of *values* over replications equals *expected* within the Bonferroni t tolerance."""
    CHECKS.append(what)
    assert len(CHECKS) <= M, "raise M: more comparisons than budgeted"
    x = np.asarray(values, dtype=float)
    assert not np.isnan(x).any(), f"{what}: undefined in some replication"
    n = x.size
    se = x.std(ddof=1) / math.sqrt(n)
    tol = stats.t.ppf(1 - ALPHA / (2 * M), n - 1) * se
    assert abs(x.mean() - expected) <= tol, (
        f"{what}: mean {x.mean():.5g} vs theory {expected:.5g} (|diff| {abs(x.mean() - expected):.3g} > {tol:.3g}, "
        f"SE {se:.3g}, n {n})"
    )


def station(lam: float, mean: float, servers: int, horizon: float, warmup: float, **extra) -> dict:
    """One department, one open segment, one step: M/M/c (or M/G/c with another time distribution)."""
    time = extra.pop("time", {"dist": "exponential", "mean": mean})
    seg = {"arrivals": {"rate": lam}, "journey": ["desk.serve"], "expectation": 10.0 * mean}
    seg.update(extra)
    return {
        "name": "station",
        "horizon": horizon,
        "warmup": warmup,
        "period": horizon / 10,
        "departments": {"desk": {"headcount": servers, "services": {"serve": {"time": time}}}},
        "segments": {"callers": seg},
    }


@pytest.mark.parametrize(
    "servers, rho, horizon, warmup, reps",
    [
        (1, 0.80, 20_000, 2_000, 200),
        (1, 0.95, 100_000, 15_000, 120),
        (10, 0.80, 4_000, 400, 200),
        (10, 0.95, 12_000, 1_500, 160),
    ],
    ids=["M/M/1-0.80", "M/M/1-0.95", "M/M/10-0.80", "M/M/10-0.95"],
)
def test_mmc_waits_match_erlang_c(servers, rho, horizon, warmup, reps, engine):
    lam = rho * servers
    m = simulate(station(lam, 1.0, servers, horizon, warmup), reps, engine)
    th = theory.mmc(lam, 1.0, servers)
    check(m["dept.desk.wait_mean"], th["wait_mean"], f"{engine} M/M/{servers} rho={rho} wait")
    check(m["dept.desk.utilisation"], th["utilisation"], f"M/M/{servers} rho={rho} utilisation")
    check(m["external.sojourn_mean"], th["sojourn_mean"], f"M/M/{servers} rho={rho} sojourn")


def test_erlang_a_abandonment_and_served_wait(engine):
    """M/M/10+M (the shipped call centre): abandonment share and the wait of served callers."""
    scenario = orgsim.load("call_centre", ["horizon=6000", "warmup=600", "period=600"])
    m = simulate(scenario, 150, engine)
    th = theory.erlang_a(9.0, 1.0, 10, 0.5)
    check(m["external.abandon_rate"], th["p_abandon"], "Erlang A abandon rate")
    check(m["external.wait_mean"], th["wait_mean_served"], "Erlang A wait of served")
    check(m["dept.agents.utilisation"], th["utilisation"], "Erlang A utilisation")


def test_overloaded_erlang_a_runs_and_matches_theory(engine):
    """M/M/10+M at offered load 1.1 (lambda 11, mu 1, theta 0.5): abandonment keeps it stable (issue 16), so it
    validates without allow_unstable and both engines give the exact Erlang A abandonment (0.1477)."""
    scenario = orgsim.load("call_centre", ["segments.callers.arrivals.rate=11", "horizon=6000", "warmup=600",
                                           "period=600"])
    assert not scenario.allow_unstable
    m = simulate(scenario, 150, engine)
    th = theory.erlang_a(11.0, 1.0, 10, 0.5)
    check(m["external.abandon_rate"], th["p_abandon"], f"{engine} overloaded Erlang A abandon rate")
    check(m["external.wait_mean"], th["wait_mean_served"], "overloaded Erlang A wait of served")
    check(m["dept.agents.utilisation"], th["utilisation"], "overloaded Erlang A utilisation")


def test_mg1_lognormal_matches_pollaczek_khinchine(engine):
    lam, mean, cv = 0.7, 1.0, 1.5
    raw = station(lam, mean, 1, 60_000, 6_000, time={"dist": "lognormal", "mean": mean, "cv": cv})
    m = simulate(raw, 120, engine)
    th = theory.mg1_pk(lam, mean, cv)
    check(m["dept.desk.wait_mean"], th["wait_mean"], "M/G/1 lognormal wait")
    check(m["external.sojourn_mean"], th["sojourn_mean"], "M/G/1 lognormal sojourn")


def test_jackson_network_with_feedback(engine):
    """The shipped Jackson network: per-station utilisation and wait, and the network sojourn (Little)."""
    scenario = orgsim.load("jackson", ["horizon=20000", "warmup=2000", "period=2000"])
    m = simulate(scenario, 120, engine)
    names = ["intake", "assessment", "processing", "quality"]
    routing = np.zeros((4, 4))
    routing[0, 1] = 1.0
    routing[1, 2] = 0.9
    routing[2, 3] = 1.0
    routing[3, 2] = 0.25
    routing[3, 1] = 0.10
    th = theory.jackson_network([2.0, 0, 0, 0], routing, [1 / 0.3, 1 / 0.3, 1 / 0.55, 1 / 0.25], [1, 1, 2, 1])
    for k, d in enumerate(names):
        check(m[f"dept.{d}.utilisation"], th["utilisation"][k], f"Jackson {d} utilisation")
        check(m[f"dept.{d}.wait_mean"], th["wait_mean"][k], f"Jackson {d} wait")
    check(m["external.sojourn_mean"], th["network_sojourn_mean"], "Jackson network sojourn")


def test_tandem_with_deterministic_handoff(engine):
    """Two M/M/1 stations in series with a constant handoff between them (a pure delay keeps the flow Poisson)."""
    lam, mu1, mu2, h = 0.7, 1.0, 1.25, 0.5
    raw = {
        "horizon": 40_000,
        "warmup": 4_000,
        "period": 4_000,
        "handoff": {"dist": "deterministic", "value": h},
        "departments": {
            "a": {"headcount": 1, "services": {"s": {"time": {"dist": "exponential", "mean": 1 / mu1}}}},
            "b": {"headcount": 1, "services": {"s": {"time": {"dist": "exponential", "mean": 1 / mu2}}}},
        },
        "segments": {"jobs": {"arrivals": {"rate": lam}, "journey": ["a.s", "b.s"], "expectation": 10.0}},
    }
    m = simulate(raw, 120, engine)
    expected = theory.mmc(lam, mu1, 1)["sojourn_mean"] + theory.mmc(lam, mu2, 1)["sojourn_mean"] + h
    check(m["external.sojourn_mean"], expected, "tandem sojourn with handoff")
    check(m["dept.b.wait_mean"], theory.mmc(lam, mu2, 1)["wait_mean"], "tandem second station wait")


def _two_class(priority: str) -> dict:
    """A back office that serves external orders (segment `direct`) and internal requests from the front desk.

    The front desk's service needs `back.work` with probability 1/2 (no hold):
    the request is sent on arrival, so the internal stream is a thinned
    Poisson stream.  The front is fast and overstaffed; the back is M/M/5 at
    utilisation 0.8 with two Poisson classes of equal exponential work.
    """
    return {
        "horizon": 20_000,
        "warmup": 2_000,
        "period": 2_000,
        "departments": {
            "front": {
                "headcount": 20,
                "services": {
                    "desk": {
                        "time": {"dist": "exponential", "mean": 0.5},
                        "needs": [{"service": "back.work", "probability": 0.5}],
                    }
                },
            },
            "back": {"headcount": 5, "services": {"work": {"time": {"dist": "exponential", "mean": 1.0}}}},
        },
        "segments": {
            "walk_in": {"arrivals": {"rate": 4.0}, "journey": ["front.desk"], "expectation": 10.0},
            "direct": {"arrivals": {"rate": 2.0}, "journey": ["back.work"], "expectation": 10.0},
        },
        "policy": {"priority": priority},
    }


@pytest.mark.parametrize("priority", ["external_first", "internal_first", "fifo"])
def test_priority_classes_match_cobham(priority, engine):
    m = simulate(_two_class(priority), 100, engine)
    lam_ext, lam_int, mu, c = 2.0, 2.0, 1.0, 5
    if priority == "fifo":
        w_ext = w_int = theory.mmc(lam_ext + lam_int, mu, c)["wait_mean"]
    elif priority == "external_first":
        w_ext, w_int = theory.priority_mmc_nonpreemptive([lam_ext, lam_int], mu, c)
    else:
        w_int, w_ext = theory.priority_mmc_nonpreemptive([lam_int, lam_ext], mu, c)
    # an external order's only queue is the back office's; a request's response is its wait plus its work
    check(m["segment.direct.wait_mean"], w_ext, f"{priority}: external class wait")
    check(m["internal.front.back.response_mean"], w_int + 1 / mu, f"{priority}: internal class response")


def test_comparison_budget():
    """Runs last (file order): the Bonferroni budget M covered every comparison made above."""
    assert len(CHECKS) <= M
