"""The numba engine's random streams: seeding identical to NumPy's SeedSequence, samplers true to their laws.

Moments are checked with tolerances derived from the data: the sample is cut
into B batches, and the batch means (for the mean) and batch variances (for
the variance) are compared with theory by a t-test, which needs no fourth
moments.  Every comparison in this file shares one family-wise false-alarm
rate ALPHA (Bonferroni), so a correct sampler fails with probability below
ALPHA, while a wrong parameterisation (a rate for a mean, sigma for sigma^2,
cv for cv^2...) fails by tens of standard errors.
"""

import math
import zlib

import numpy as np
import pytest
from numba import njit
from scipy import stats

from orgsim.kernels import rng, streams

ALPHA = 0.001  # family-wise false-alarm rate of this file
N = 400_000  # draws per sampler
BATCHES = 200


# (kind, scenario parameters, mean, variance)
def _cases():
    out = [
        ("exponential", {"mean": 2.5}, 2.5, 6.25),
        ("gamma", {"mean": 3.0, "cv": 0.5}, 3.0, (3.0 * 0.5) ** 2),
        ("gamma", {"mean": 2.0, "cv": 2.0}, 2.0, 16.0),  # shape 1/4 < 1: the boost path
        ("lognormal", {"mean": 1.5, "cv": 0.8}, 1.5, (1.5 * 0.8) ** 2),
        ("erlang", {"mean": 2.0, "k": 3}, 2.0, 4.0 / 3),
        ("erlang", {"mean": 2.0, "k": 40}, 2.0, 4.0 / 40),  # many phases: drawn as a gamma
        ("uniform", {"low": 1.0, "high": 4.0}, 2.5, 9.0 / 12),
        ("triangular", {"low": 0.0, "mode": 1.0, "high": 4.0}, 5.0 / 3, (0 + 16 + 1 - 0 - 0 - 4) / 18),
        ("normal", {}, 0.0, 1.0),
        ("poisson", {"lam": 3.7}, 3.7, 3.7),  # inversion
        ("poisson", {"lam": 45.0}, 45.0, 45.0),  # transformed rejection
        ("poisson", {"lam": 5000.0}, 5000.0, 5000.0),
        ("binomial", {"n": 30, "p": 0.2}, 6.0, 4.8),
        ("binomial", {"n": 1000, "p": 0.9}, 900.0, 90.0),  # the symmetric branch
        ("binomial", {"n": 100_000, "p": 0.004}, 400.0, 398.4),
    ]
    return out


CASES = _cases()
M = 2 * len(CASES) + 3 + 6  # comparisons in this file: mean and variance per case, three pmf tests, two ziggurat laws x 3
T = stats.t.ppf(1 - ALPHA / (2 * M), BATCHES - 1)


@pytest.mark.parametrize("kind, params, mean, var", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_sampler_mean_and_variance(kind, params, mean, var):
    x = rng.sample(kind, N, seed=11, **params).astype(float).reshape(BATCHES, -1)
    means = x.mean(axis=1)
    t_mean = (means.mean() - mean) / (means.std(ddof=1) / math.sqrt(BATCHES))
    assert abs(t_mean) < T, f"{kind} {params}: mean {means.mean():.6g} vs {mean:.6g} (t = {t_mean:.2f})"
    variances = x.var(axis=1, ddof=1)
    t_var = (variances.mean() - var) / (variances.std(ddof=1) / math.sqrt(BATCHES))
    assert abs(t_var) < T, f"{kind} {params}: variance {variances.mean():.6g} vs {var:.6g} (t = {t_var:.2f})"


@pytest.mark.parametrize(
    "kind, params, pmf",
    [
        ("poisson", {"lam": 2.5}, lambda k: stats.poisson.pmf(k, 2.5)),
        ("poisson", {"lam": 30.0}, lambda k: stats.poisson.pmf(k, 30.0)),
        ("binomial", {"n": 40, "p": 0.15}, lambda k: stats.binom.pmf(k, 40, 0.15)),
    ],
)
def test_discrete_samplers_follow_their_pmf(kind, params, pmf):
    """A chi-square goodness-of-fit test over every value with expected count >= 5 (the tails pooled)."""
    x = rng.sample(kind, N, seed=5, **params)
    values = np.arange(x.max() + 1)
    expected = pmf(values) * N
    keep = expected >= 5
    observed = np.bincount(x, minlength=values.size)
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], N - expected[keep].sum())
    chi2 = ((obs - exp) ** 2 / exp).sum()
    p = stats.chi2.sf(chi2, obs.size - 1)
    assert p > ALPHA / M, f"{kind} {params}: chi-square {chi2:.1f} on {obs.size - 1} df, p = {p:.2e}"


@pytest.mark.parametrize(
    "kind, dist, tail_sides, r",
    [("exponential", stats.expon, 1, rng.ZIGGURAT_EXP_R), ("normal", stats.norm, 2, rng.ZIGGURAT_NORMAL_R)],
)
def test_ziggurat_samplers_follow_their_law(kind, dist, tail_sides, r):
    """The whole shape, not only two moments: a wrong layer table or wedge test bends the CDF (Kolmogorov-Smirnov
    on 4 million draws), a wrong tail moves the mass beyond the base layer's edge r (its count against the
    binomial law) or within it (KS on the draws beyond r, against the law's tail)."""
    n = 4_000_000
    x = rng.sample(kind, n, seed=23, **({"mean": 1.0} if kind == "exponential" else {}))
    ks = stats.kstest(x, dist.cdf)
    assert ks.pvalue > ALPHA / M, f"{kind}: KS D = {ks.statistic:.2e}, p = {ks.pvalue:.2e}"
    p = tail_sides * dist.sf(r)
    tail = np.abs(x[np.abs(x) > r])
    z = (tail.size - n * p) / math.sqrt(n * p * (1 - p))
    assert abs(z) < stats.norm.ppf(1 - ALPHA / (2 * M)), f"{kind}: {tail.size} draws beyond r, expected {n * p:.0f}"
    ks_tail = stats.kstest(tail, lambda v: 1.0 - dist.sf(v) / dist.sf(r))
    assert ks_tail.pvalue > ALPHA / M, f"{kind}: the tail beyond r, KS p = {ks_tail.pvalue:.2e}"


def test_deterministic_draws_its_value():
    assert np.all(rng.sample("deterministic", 10, value=1.25) == 1.25)


def test_uniform_is_in_the_open_unit_interval():
    x = rng.sample("uniform", 200_000, low=0.0, high=1.0)
    assert x.min() > 0.0 and x.max() < 1.0


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**32 - 1, 2**32, 2**64 + 17])
@pytest.mark.parametrize("replication", [0, 1, 99_999, 2**32 + 3])
def test_seeding_is_numpy_seedsequence(seed, replication):
    """The compiled seeding reproduces ``streams.state_words`` (NumPy's SeedSequence) word for word."""
    sources = ["arrivals/consumers", "service/it.fix_account", "handoff", "lead_time/parts"]
    keys = np.array([streams.source_key(s) for s in sources], dtype=np.uint64)
    got = rng.states(seed, replication, keys)
    for k, source in enumerate(sources):
        assert np.array_equal(got[k], streams.state_words(seed, replication, source)), source


def test_streams_differ_by_source_replication_and_seed():
    keys = np.array([zlib.crc32(b"a"), zlib.crc32(b"b")], dtype=np.uint64)
    a = rng.states(1, 0, keys)
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a, rng.states(1, 1, keys))
    assert not np.array_equal(a, rng.states(2, 0, keys))


def test_next_u64_is_xoshiro256starstar():
    """The inlined generator step against a plain-Python xoshiro256** (Blackman & Vigna 2018)."""
    st = rng.states(3, 4, np.array([77], dtype=np.uint64))
    mask = (1 << 64) - 1

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & mask

    s0, s1, s2, s3 = (int(w) for w in st[0])
    expected = []
    for _ in range(8):
        expected.append((rotl((s1 * 5) & mask, 7) * 9) & mask)
        t = (s1 << 17) & mask
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
    assert [int(rng.next_u64(st, 0)) for _ in range(8)] == expected


@njit
def _fill_inline(st, code, p0, p1, p2, out):
    for j in range(out.shape[0]):
        out[j] = rng.draw_inline(st, 0, code, p0, p1, p2)


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "exponential", "mean": 2.0},
        {"dist": "lognormal", "mean": 2.0, "cv": 1.5},
        {"dist": "gamma", "mean": 2.0, "cv": 0.4},
        {"dist": "gamma", "mean": 2.0, "cv": 2.0},
        {"dist": "erlang", "mean": 2.0, "k": 3},
        {"dist": "uniform", "low": 1.0, "high": 2.0},
        {"dist": "triangular", "low": 0.0, "mode": 1.0, "high": 3.0},
        {"dist": "deterministic", "value": 1.5},
    ],
)
def test_inline_draws_are_draw_bit_for_bit(dist):
    """The event loop's inlined draws consume the stream as ``draw`` does and give the same bits."""
    from types import SimpleNamespace

    code, p0, p1, p2 = rng.dist_params(SimpleNamespace(**dist))
    seed_state = rng.states(7, 0, np.array([0x5EED], dtype=np.uint64))
    a, b = np.empty(20_000), np.empty(20_000)
    st_a, st_b = seed_state.copy(), seed_state.copy()
    rng._fill(st_a, code, p0, p1, p2, a)
    _fill_inline(st_b, code, p0, p1, p2, b)
    assert np.array_equal(a.view(np.int64), b.view(np.int64))
    assert np.array_equal(st_a, st_b)  # and leave the stream in the same state
