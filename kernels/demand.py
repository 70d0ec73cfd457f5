"""Time-varying demand: the next arrival of a Poisson stream whose rate is piecewise constant in time.

A segment's rate is ``scale x r(t)``: ``scale`` is 1 for an open stream and the
population for a population segment; ``r`` is given by breakpoints ``bp``, rates
``rt`` and the integrated rate ``cum`` (``cum[i]`` = integral of r up to
``bp[i]``; ``rt[i]`` holds on ``[bp[i], bp[i + 1])``), segment ``s`` owning
rows ``lo:hi`` of the three arrays (``orgsim.scenario.calendar`` builds them).
The next arrival after t is exact, by inverting the integrated rate: draw
E ~ Exp(1) and find the T at which scale x integral of r over [t, T] reaches E.
A segment with no rows (lo == hi) has a constant rate: T = t + E / scale, the
same arithmetic, draw for draw, as before time-varying demand existed.  The
reference engine calls ``invert`` itself (its Python original), on the same
arrays, with E from its own stream of the same name.
"""

import math

from numba import njit

from .rng import exponential


@njit(cache=True, nogil=True, error_model="numpy", forceinline=False)
def _last_at_most(a, lo, hi, v):
    """The largest i in [lo, hi) with a[i] <= v (a sorted, a[lo] <= v)."""
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if a[mid] <= v:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True, error_model="numpy", forceinline=False)
def invert(t, x, lo, hi, bp, rt, cum):
    """The time T >= t at which the integrated rate over [t, T] reaches x (inf: not before the horizon bp[hi - 1])."""
    end = hi - 1
    if t >= bp[end]:
        return math.inf
    i = _last_at_most(bp, lo, end, t)
    target = cum[i] + rt[i] * (t - bp[i]) + x
    if target >= cum[end]:
        return math.inf
    j = _last_at_most(cum, i, end, target)  # cum[j] <= target < cum[j + 1], so rt[j] > 0
    return max(t, bp[j] + (target - cum[j]) / rt[j])


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def next_arrival(st, i, t, scale, lo, hi, bp, rt, cum):
    """The next arrival after t of a stream at scale x r(t), with E from random stream row *i* (inf: none)."""
    if scale <= 0.0:
        return math.inf
    e = exponential(st, i)
    if lo == hi:
        return t + e / scale
    return invert(t, e / scale, lo, hi, bp, rt, cum)
