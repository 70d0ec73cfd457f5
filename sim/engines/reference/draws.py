"""Random draws for the reference engine: one buffered sampler per named random source.

Every source (``arrivals/<segment>``, ``service/<dept>.<service>``, ...) gets
its own NumPy generator from ``orgsim.kernels.streams``, seeded from
(seed, replication, source name) only.  Calling NumPy once per draw costs
about a microsecond, so a sampler fills a buffer of draws at a time and hands
them out one by one; the sequence a source produces depends only on how many
draws were taken from *that* source, so buffering changes nothing but speed.
"""

from __future__ import annotations

import math

from orgsim.kernels import streams

BATCH = 512  # draws per refill: large enough to amortise NumPy's call cost, small enough to waste little


class Draw:
    """Successive draws from one source; call it to get the next one.

    *fill(rng, n)* returns an array of *n* draws from the generator *rng*.
    """

    __slots__ = ("_rng", "_fill", "_buf")

    def __init__(self, rng, fill):
        self._rng = rng
        self._fill = fill
        self._buf: list[float] = []

    def __call__(self) -> float:
        buf = self._buf
        if not buf:
            buf.extend(self._fill(self._rng, BATCH)[::-1].tolist())
        return buf.pop()


class Constant:
    """A source that needs no randomness: a deterministic time."""

    __slots__ = ("value",)

    def __init__(self, value: float):
        self.value = value

    def __call__(self) -> float:
        return self.value


def _filler(dist, scale: float = 1.0):
    """A batch-filling function for a distribution model, every draw multiplied by *scale*."""
    kind = dist.dist
    if kind == "exponential":
        mean = dist.mean * scale
        return lambda rng, n: rng.standard_exponential(n) * mean
    if kind == "gamma":
        shape = 1.0 / dist.cv**2
        theta = dist.mean * dist.cv**2 * scale
        return lambda rng, n: rng.gamma(shape, theta, n)
    if kind == "erlang":
        k = dist.k
        theta = dist.mean / k * scale
        return lambda rng, n: rng.gamma(k, theta, n)
    if kind == "lognormal":
        sigma2 = math.log1p(dist.cv**2)
        mu = math.log(dist.mean * scale) - sigma2 / 2.0
        sigma = math.sqrt(sigma2)
        return lambda rng, n: rng.lognormal(mu, sigma, n)
    if kind == "uniform":
        low, high = dist.low * scale, dist.high * scale
        return lambda rng, n: rng.uniform(low, high, n)
    if kind == "triangular":
        low, mode, high = dist.low * scale, dist.mode * scale, dist.high * scale
        return lambda rng, n: rng.triangular(low, mode, high, n)
    raise ValueError(f"unknown distribution {kind!r}")


def sample(rng, dist) -> float:
    """One draw of a distribution model from the generator *rng* (a deterministic one draws nothing)."""
    if dist.dist == "deterministic":
        return float(dist.value)
    return float(_filler(dist)(rng, 1)[0])


class Streams:
    """The samplers of one replication, each on its own named source."""

    def __init__(self, seed: int, replication: int):
        self.seed = int(seed)
        self.replication = int(replication)

    def rng(self, source: str):
        """The NumPy generator of one named source (for rare draws: binomial, Poisson)."""
        return streams.generator(self.seed, self.replication, source)

    def of(self, source: str, dist, scale: float = 1.0):
        """Draws from a distribution model on *source*, multiplied by *scale* (e.g. 1 / skill)."""
        kind = dist.dist
        if kind == "deterministic":
            return Constant(dist.value * scale)
        if kind == "uniform" and dist.low == dist.high or kind == "triangular" and dist.low == dist.high:
            return Constant(dist.low * scale)
        return Draw(self.rng(source), _filler(dist, scale))

    def uniform(self, source: str) -> Draw:
        """Uniform draws on [0, 1): decisions such as routing, needs firing, defects, churn."""
        return Draw(self.rng(source), lambda rng, n: rng.random(n))

    def exponential(self, source: str) -> Draw:
        """Standard exponential draws (mean 1): gaps of Poisson streams whose rate may change."""
        return Draw(self.rng(source), lambda rng, n: rng.standard_exponential(n))
