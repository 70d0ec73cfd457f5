"""Exact (and a few classical approximate) queueing-theory results.

The simulator is validated against these closed forms: they serve as test
oracles and as reference values in the teaching notebooks.  Everything here is
pure numpy/scipy arithmetic -- no simulation.  Functions raise ``ValueError``
with a clear message on invalid or unstable inputs.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "erlang_b",
    "erlang_c",
    "mmc",
    "erlang_a",
    "mg1_pk",
    "jackson_network",
    "priority_mm1_nonpreemptive",
    "priority_mmc_nonpreemptive",
    "kingman",
    "mmc_wait_tail",
]


# ---------------------------------------------------------------- validation
def _positive(name: str, x: float) -> float:
    x = float(x)
    if not (math.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a positive finite number, got {x!r}")
    return x


def _nonnegative(name: str, x: float) -> float:
    x = float(x)
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be a non-negative finite number, got {x!r}")
    return x


def _servers(servers, minimum: int = 1) -> int:
    if isinstance(servers, bool) or int(servers) != servers or servers < minimum:
        raise ValueError(f"servers must be an integer >= {minimum}, got {servers!r}")
    return int(servers)


def _stable(rho: float, what: str) -> None:
    if rho >= 1:
        raise ValueError(f"unstable {what}: utilisation {rho:.6g} >= 1")


# ------------------------------------------------------------------- Erlang
def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B blocking probability of M/M/N/N (Erlang 1917).

    Numerically stable via the Erlang-B recursion B_0 = 1,
    B_k = A B_{k-1} / (k + A B_{k-1}).
    """
    n = _servers(servers, minimum=0)
    a = _nonnegative("offered_load", offered_load)
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C probability of waiting in M/M/N (Erlang 1917).

    C = N B_N / (N - A (1 - B_N)), from the Erlang-B recursion; needs A < N.
    """
    n = _servers(servers)
    a = _nonnegative("offered_load", offered_load)
    _stable(a / n, f"M/M/{n} queue (offered load {a:g} >= {n} servers)")
    b = erlang_b(n, a)
    return n * b / (n - a * (1.0 - b))


def mmc(arrival_rate: float, service_rate: float, servers: int) -> dict:
    """Steady-state M/M/N measures (Erlang C; Little's law for L_q)."""
    lam = _nonnegative("arrival_rate", arrival_rate)
    mu = _positive("service_rate", service_rate)
    n = _servers(servers)
    c = erlang_c(n, lam / mu)
    wq = c / (n * mu - lam)
    return {
        "p_wait": c,
        "wait_mean": wq,
        "sojourn_mean": wq + 1.0 / mu,
        "utilisation": lam / (n * mu),
        "queue_mean": lam * wq,
    }


def mmc_wait_tail(arrival_rate: float, service_rate: float, servers: int, t):
    """P(W_q > t) = C exp(-(N mu - lambda) t) for FIFO M/M/N (Erlang 1917).

    ``t`` may be a scalar (float returned) or array-like (numpy array).
    """
    lam = _nonnegative("arrival_rate", arrival_rate)
    mu = _positive("service_rate", service_rate)
    n = _servers(servers)
    t_arr = np.asarray(t, dtype=float)
    if np.any(t_arr < 0):
        raise ValueError("t must be >= 0")
    out = erlang_c(n, lam / mu) * np.exp(-(n * mu - lam) * t_arr)
    return float(out) if out.ndim == 0 else out


def erlang_a(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    abandon_rate: float,
    max_states: int | None = None,
) -> dict:
    """M/M/N+M (Erlang A, Palm 1943; Garnett, Mandelbaum & Reiman 2002).

    Exact birth-death chain on the number in system n: birth lambda, death
    min(n, N) mu + max(n - N, 0) theta.  The stationary law is computed in
    log-space (safe for N in the hundreds) and truncated where the relative
    probability falls below ~1e-18 (``max_states`` grows automatically unless
    given).  By PASTA an arrival sees pi, so

    * p_wait = sum_{n>=N} pi_n,  queue_mean E[Q] = sum (n-N)^+ pi_n,
    * p_abandon = theta E[Q] / lambda (abandonment flow balance),
    * wait_mean = E[Q] / lambda (Little; averaged over all arrivals),
    * utilisation = E[min(n, N)] / N.

    wait_mean_served (first-passage derivation).  A FIFO arrival finding
    n = N + j has j customers ahead in queue.  Its *offered* wait V (time to
    reach a server if infinitely patient) depends only on customers ahead, so
    V is independent of its own patience tau ~ Exp(theta).  While i of those
    are still ahead, the queue ahead shrinks at rate r_i = N mu + i theta, so
    V = sum_{i=0..j} Exp(r_i) (independent).  The customer is served iff
    tau >= V, and
        P(served | j)   = E[e^{-theta V}] = prod_i r_i / (r_i + theta),
        E[W; served | j] = E[V e^{-theta V}]
                         = P(served | j) * sum_i 1 / (r_i + theta)
    (differentiate the Laplace transform).  Arrivals with n < N are served
    with zero wait.  Hence
        E[W | served] = sum_j pi_{N+j} E[W; served | j] / (1 - P(Ab)),
    where 1 - P(Ab) = sum_{n<N} pi_n + sum_j pi_{N+j} P(served | j).
    """
    lam = _positive("arrival_rate", arrival_rate)
    mu = _positive("service_rate", service_rate)
    n_srv = _servers(servers)
    theta = _nonnegative("abandon_rate", abandon_rate)
    if theta == 0:
        _stable(lam / (n_srv * mu), f"Erlang A with no abandonment (M/M/{n_srv})")

    def log_pi(size: int) -> np.ndarray:
        n = np.arange(1, size)
        death = np.minimum(n, n_srv) * mu + np.maximum(n - n_srv, 0) * theta
        lp = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(death))))
        return lp - lp.max()

    log_tol = math.log(1e-18)
    if max_states is None:
        size = max(2 * n_srv, 64)
        while True:
            lp = log_pi(size)
            # Terms are unimodal; stop once past the mode and the tail is tiny.
            if lp[-1] < log_tol and np.argmax(lp) < size - 1:
                break
            if size > 50_000_000:
                raise ValueError("Erlang A state space too large; pass max_states")
            size *= 2
    else:
        size = _servers(max_states, minimum=n_srv + 1) + 1
        lp = log_pi(size)
    pi = np.exp(lp)
    pi /= pi.sum()

    n = np.arange(size)
    q = np.maximum(n - n_srv, 0)
    queue_mean = float(q @ pi)

    # first-passage quantities for j = 0, 1, ... customers ahead in queue
    pi_q = pi[n_srv:]
    i = np.arange(pi_q.size)
    r = n_srv * mu + i * theta
    p_served_j = np.exp(np.cumsum(np.log(r) - np.log(r + theta)))
    wait_served_j = p_served_j * np.cumsum(1.0 / (r + theta))
    p_served = pi[:n_srv].sum() + pi_q @ p_served_j

    return {
        "p_wait": float(pi_q.sum()),
        "queue_mean": queue_mean,
        "p_abandon": theta * queue_mean / lam,
        "wait_mean": queue_mean / lam,
        "wait_mean_served": float(pi_q @ wait_served_j / p_served),
        "utilisation": float(np.minimum(n, n_srv) @ pi) / n_srv,
    }


# ------------------------------------------------------------- single server
def mg1_pk(arrival_rate: float, service_mean: float, service_cv: float) -> dict:
    """M/G/1 means by the Pollaczek-Khinchine formula (Pollaczek 1930, Khinchine 1932).

    W_q = rho E[S] (1 + cv^2) / (2 (1 - rho)).
    """
    lam = _nonnegative("arrival_rate", arrival_rate)
    es = _positive("service_mean", service_mean)
    cv = _nonnegative("service_cv", service_cv)
    rho = lam * es
    _stable(rho, "M/G/1 queue")
    wq = rho * es * (1.0 + cv * cv) / (2.0 * (1.0 - rho))
    return {"wait_mean": wq, "sojourn_mean": wq + es, "utilisation": rho}


def kingman(arrival_rate: float, service_mean: float, ca2: float, cs2: float) -> float:
    """Kingman (1961) heavy-traffic G/G/1 approximation of the mean queue wait.

    APPROXIMATION (exact only for M/G/1): W_q ~ rho/(1-rho) (ca2+cs2)/2 E[S],
    with ca2, cs2 the squared coefficients of variation of inter-arrival and
    service times.
    """
    lam = _nonnegative("arrival_rate", arrival_rate)
    es = _positive("service_mean", service_mean)
    ca2 = _nonnegative("ca2", ca2)
    cs2 = _nonnegative("cs2", cs2)
    rho = lam * es
    _stable(rho, "G/G/1 queue")
    return rho / (1.0 - rho) * (ca2 + cs2) / 2.0 * es


# ------------------------------------------------------------------ networks
def jackson_network(external_rates, routing, service_rates, servers) -> dict:
    """Open Jackson network of M/M/c_i stations (Jackson 1957).

    Traffic equations lambda = gamma (I - P)^{-1}; each station then behaves
    as an independent M/M/c_i queue.  Per-visit means are returned as arrays;
    ``network_sojourn_mean`` = sum_i lambda_i T_i / sum gamma (Little).
    """
    gamma = np.atleast_1d(np.asarray(external_rates, dtype=float))
    p = np.atleast_2d(np.asarray(routing, dtype=float))
    mu = np.atleast_1d(np.asarray(service_rates, dtype=float))
    c = np.atleast_1d(np.asarray(servers))
    j = gamma.size
    if gamma.ndim != 1 or p.shape != (j, j) or mu.shape != (j,) or c.shape != (j,):
        raise ValueError(f"shape mismatch: need gamma ({j},), routing ({j},{j}), "
                         f"service_rates ({j},), servers ({j},)")
    if np.any(gamma < 0) or gamma.sum() <= 0:
        raise ValueError("external_rates must be >= 0 with a positive total")
    if np.any(p < 0) or np.any(p.sum(axis=1) > 1 + 1e-12):
        raise ValueError("routing must be non-negative with row sums <= 1")
    if np.any(mu <= 0):
        raise ValueError("service_rates must be positive")
    if np.any(c < 1) or np.any(c != np.round(c)):
        raise ValueError("servers must be integers >= 1")
    c = c.astype(int)
    if np.max(np.abs(np.linalg.eigvals(p))) >= 1 - 1e-12:
        raise ValueError("routing matrix has spectral radius >= 1: customers never leave")

    lam = np.linalg.solve((np.eye(j) - p).T, gamma)
    lam = np.where(np.abs(lam) < 1e-300, 0.0, lam)
    rho = lam / (c * mu)
    bad = np.flatnonzero(rho >= 1)
    if bad.size:
        raise ValueError(f"unstable stations {bad.tolist()} with utilisation "
                         f"{np.round(rho[bad], 6).tolist()} (>= 1)")

    per = [mmc(lam[k], mu[k], c[k]) for k in range(j)]
    wq = np.array([m["wait_mean"] for m in per])
    t = np.array([m["sojourn_mean"] for m in per])
    return {
        "arrival_rates": lam,
        "utilisation": rho,
        "wait_mean": wq,
        "sojourn_mean": t,
        "queue_mean": lam * wq,
        "network_sojourn_mean": float(lam @ t / gamma.sum()),
    }


# ------------------------------------------------------------------ priority
def priority_mmc_nonpreemptive(arrival_rates, service_rate: float, servers: int) -> np.ndarray:
    """Per-class mean queue waits, M/M/c non-preemptive priority (Cobham 1954).

    Class 0 is highest priority; all classes share exponential rate mu.
    W_k = [C(c, A) / (c mu)] / ((1 - sigma_{k-1}) (1 - sigma_k)),
    sigma_k = sum_{i<=k} lambda_i / (c mu), C the Erlang C probability.
    """
    lam = np.atleast_1d(np.asarray(arrival_rates, dtype=float))
    mu = _positive("service_rate", service_rate)
    n = _servers(servers)
    if lam.ndim != 1 or lam.size < 1 or np.any(lam < 0) or not np.all(np.isfinite(lam)):
        raise ValueError("arrival_rates must be a 1-d array of non-negative rates")
    sigma = np.cumsum(lam) / (n * mu)
    _stable(sigma[-1], f"M/M/{n} priority queue")
    w0 = erlang_c(n, lam.sum() / mu) / (n * mu)
    sigma_prev = np.concatenate(([0.0], sigma[:-1]))
    return w0 / ((1.0 - sigma_prev) * (1.0 - sigma))


def priority_mm1_nonpreemptive(arrival_rates, service_rate: float) -> np.ndarray:
    """Per-class mean queue waits, M/M/1 non-preemptive priority (Cobham 1954).

    W_k = W0 / ((1 - sigma_{k-1}) (1 - sigma_k)), W0 = sum lambda_i E[S^2]/2
    = rho / mu for exponential service, sigma_k = sum_{i<=k} rho_i.
    """
    return priority_mmc_nonpreemptive(arrival_rates, service_rate, 1)
