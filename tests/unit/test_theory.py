"""Tests for orgsim.theory: literature vectors, identities and a Monte Carlo check."""

import heapq

import numpy as np
import pytest
from scipy import stats

from orgsim import theory as th


# ------------------------------------------------------------ literature
def test_erlang_c_literature():
    assert th.erlang_c(12, 10.0) == pytest.approx(0.449388, abs=1e-6)
    assert th.mmc(10.0, 1.0, 12)["wait_mean"] == pytest.approx(0.224694, abs=1e-6)
    assert th.erlang_c(100, 95.0) == pytest.approx(0.506457, abs=1e-6)


def test_erlang_b_small_cases():
    assert th.erlang_b(0, 3.0) == 1.0
    assert th.erlang_b(1, 1.0) == pytest.approx(0.5)
    assert th.erlang_b(2, 1.0) == pytest.approx(0.2)  # (1/2)/(1+1+1/2)


@pytest.mark.parametrize(
    "lam, n, theta, p_wait, p_ab",
    [(100.0, 100, 1.0, 0.5133, 0.0399), (100.0, 110, 0.1, 0.2225, 0.0019)],
)
def test_erlang_a_literature(lam, n, theta, p_wait, p_ab):
    r = th.erlang_a(lam, 1.0, n, theta)
    assert round(r["p_wait"], 4) == p_wait
    assert round(r["p_abandon"], 4) == p_ab
    assert r["p_abandon"] == pytest.approx(theta * r["wait_mean"], rel=1e-12)


def test_jackson_tandem():
    p = [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    r = th.jackson_network([1.0, 0, 0], p, [1.5, 1.25, 2.0], [1, 1, 1])
    assert r["network_sojourn_mean"] == pytest.approx(7.0, rel=1e-12)
    np.testing.assert_allclose(r["arrival_rates"], 1.0)


def test_jackson_feedback_visits():
    # single station with feedback prob 0.5: lambda = gamma / 0.5
    r = th.jackson_network([1.0], [[0.5]], [4.0], [1])
    assert r["arrival_rates"][0] == pytest.approx(2.0)
    mm1 = th.mmc(2.0, 4.0, 1)
    assert r["network_sojourn_mean"] == pytest.approx(2 * mm1["sojourn_mean"])


# ------------------------------------------------------------ identities
def test_erlang_a_tiny_theta_approaches_erlang_c():
    a = th.erlang_a(10.0, 1.0, 12, 1e-9)
    c = th.mmc(10.0, 1.0, 12)
    assert a["p_wait"] == pytest.approx(c["p_wait"], rel=1e-6)
    assert a["wait_mean"] == pytest.approx(c["wait_mean"], rel=1e-6)
    assert a["wait_mean_served"] == pytest.approx(c["wait_mean"], rel=1e-5)
    assert a["queue_mean"] == pytest.approx(c["queue_mean"], rel=1e-6)


@pytest.mark.parametrize("lam, n", [(10.0, 8), (50.0, 50), (200.0, 190)])
def test_erlang_a_theta_equals_mu_is_mminf(lam, n):
    r = th.erlang_a(lam, 1.0, n, 1.0)
    assert r["p_wait"] == pytest.approx(stats.poisson.sf(n - 1, lam), rel=1e-9)


def test_erlang_a_internal_consistency():
    r = th.erlang_a(4.0, 1.0, 4, 0.5)
    # carried load = served throughput / mu
    assert r["utilisation"] * 4 == pytest.approx(4.0 * (1 - r["p_abandon"]), rel=1e-12)
    # served customers wait less on average than all arrivals
    assert r["wait_mean_served"] < r["wait_mean"]


def test_priority_conservation_law():
    lam = np.array([0.3, 1.1, 0.8, 0.4])
    mu, c = 1.0, 3
    w = th.priority_mmc_nonpreemptive(lam, mu, c)
    fifo = th.mmc(lam.sum(), mu, c)["wait_mean"]
    assert lam @ w / lam.sum() == pytest.approx(fifo, rel=1e-12)
    assert np.all(np.diff(w) > 0)

    lam1 = np.array([0.2, 0.3, 0.1])
    w1 = th.priority_mm1_nonpreemptive(lam1, 1.0)
    assert lam1 @ w1 / lam1.sum() == pytest.approx(th.mmc(0.6, 1.0, 1)["wait_mean"], rel=1e-12)
    assert w1[0] == pytest.approx(0.6 / (1 - 0.2))  # W0 = rho/mu, sigma_0 = 0.2


def test_mm1_consistency():
    lam, mu = 0.7, 1.0
    a = th.mmc(lam, mu, 1)
    b = th.mg1_pk(lam, 1 / mu, 1.0)
    j = th.jackson_network([lam], [[0.0]], [mu], [1])
    for key in ("wait_mean", "sojourn_mean", "utilisation"):
        assert a[key] == pytest.approx(b[key], rel=1e-12)
        assert a[key] == pytest.approx(float(np.squeeze(j[key])), rel=1e-12)
    assert a["sojourn_mean"] == pytest.approx(1 / (mu - lam))
    assert j["network_sojourn_mean"] == pytest.approx(a["sojourn_mean"])
    assert th.kingman(lam, 1 / mu, 1.0, 1.0) == pytest.approx(a["wait_mean"])


def test_mmc_wait_tail():
    c = th.erlang_c(12, 10.0)
    assert th.mmc_wait_tail(10.0, 1.0, 12, 0.0) == pytest.approx(c)
    t = np.array([0.5, 1.0])
    np.testing.assert_allclose(th.mmc_wait_tail(10.0, 1.0, 12, t), c * np.exp(-2 * t))


@pytest.mark.parametrize(
    "call",
    [
        lambda: th.erlang_c(10, 10.0),
        lambda: th.mmc(5.0, 1.0, 4),
        lambda: th.mg1_pk(1.0, 1.0, 0.5),
        lambda: th.kingman(2.0, 0.5, 1.0, 1.0),
        lambda: th.erlang_a(5.0, 1.0, 4, 0.0),
        lambda: th.priority_mm1_nonpreemptive([0.5, 0.6], 1.0),
        lambda: th.priority_mmc_nonpreemptive([1.0, 1.0], 1.0, 2),
        lambda: th.mmc_wait_tail(3.0, 1.0, 2, 1.0),
        lambda: th.erlang_b(2.5, 1.0),
        lambda: th.mmc(1.0, -1.0, 2),
        lambda: th.jackson_network([1.0], [[1.0]], [5.0], [1]),
    ],
)
def test_invalid_or_unstable_raises(call):
    with pytest.raises(ValueError):
        call()


def test_jackson_names_unstable_stations():
    p = [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    with pytest.raises(ValueError, match=r"\[1, 2\]"):
        th.jackson_network([1.0, 0, 0], p, [1.5, 1.0, 0.9], [1, 1, 1])


# ------------------------------------------------------------ Monte Carlo
def _simulate_erlang_a(lam, mu, n, theta, customers, seed):
    """Independent FIFO M/M/n+M simulation (per-customer recursion).

    Servers' next-free times are kept in a heap; a customer's offered wait is
    (earliest free time - arrival).  It abandons if its patience is shorter,
    leaving servers untouched; otherwise it takes that server.
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, customers))
    patience = rng.exponential(1 / theta, customers)
    service = rng.exponential(1 / mu, customers)
    free = [0.0] * n
    waits = np.empty(customers)
    abandoned = np.zeros(customers, dtype=bool)
    for k in range(customers):
        a = arrivals[k]
        offered = free[0] - a
        if offered <= 0:
            waits[k] = 0.0
            heapq.heapreplace(free, a + service[k])
        elif patience[k] < offered:
            waits[k] = patience[k]
            abandoned[k] = True
        else:
            waits[k] = offered
            heapq.heapreplace(free, free[0] + service[k])
    return waits, abandoned


def test_erlang_a_monte_carlo():
    lam, mu, n, theta = 4.0, 1.0, 4, 0.5
    exact = th.erlang_a(lam, mu, n, theta)
    waits, ab = _simulate_erlang_a(lam, mu, n, theta, 420_000, seed=20240611)
    waits, ab = waits[20_000:], ab[20_000:]  # warm-up
    batches = 40
    wb = np.array_split(waits, batches)
    abb = np.array_split(ab, batches)
    p_ab = np.array([b.mean() for b in abb])
    w_served = np.array([w[~a].mean() for w, a in zip(wb, abb)])
    w_all = np.array([w.mean() for w in wb])
    for est, key in ((p_ab, "p_abandon"), (w_served, "wait_mean_served"), (w_all, "wait_mean")):
        se = est.std(ddof=1) / np.sqrt(batches)
        assert se < 0.01 * exact[key], (key, se)  # the check is sharp
        assert abs(est.mean() - exact[key]) < 4 * se, (key, est.mean(), exact[key], se)
