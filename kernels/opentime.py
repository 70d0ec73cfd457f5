"""Open time: a clock that runs only while a calendar is open.

A clock is the rate "1 while open, 0 while closed", laid out as demand rates
are (``kernels/demand.py``): breakpoints ``bp``, rates ``rt`` and the integral
``cum`` (``cum[i]`` = open time up to ``bp[i]``), clock ``k`` owning rows
``lo:hi``, the horizon last.  Open time over [a, b] is then the integral of
the rate, and the moment at which open time x has passed since t is where
the integral reaches x: the arrivals' inversion, ``demand.invert``.  Because
the calendar is known in advance, that moment is computed once (when an order
joins a queue, when a delivery is requested) instead of being tracked event
by event.  A clock with no rows (lo == hi) is always open: open time is wall
time, with the arithmetic of a clock that never closes, draw for draw.

Used for patience on the open clock (the department's clock: open while its
scheduled headcount is above 0) and for the lead times of suppliers on a
calendar.  The reference engine calls the Python originals on the same arrays.
Rules: README "Model", "Patience" and "Needs".
"""

from numba import njit

from .demand import _last_at_most, invert


@njit(cache=True, nogil=True, error_model="numpy", forceinline=False)
def advance(t, x, lo, hi, bp, rt, cum):
    """The moment at which open time *x* has passed since *t* (inf: not before the horizon).

    Where x runs out exactly as the clock closes, the moment is the next
    opening: from then on the open time passed exceeds x.
    """
    if lo == hi:
        return t + x
    return invert(t, x, lo, hi, bp, rt, cum)


@njit(cache=True, nogil=True, error_model="numpy", forceinline=False)
def _integral(t, lo, hi, bp, rt, cum):
    """Open time over [0, t]."""
    end = hi - 1
    if t >= bp[end]:
        return cum[end]
    i = _last_at_most(bp, lo, end, t)
    return cum[i] + rt[i] * (t - bp[i])


@njit(cache=True, nogil=True, error_model="numpy", forceinline=False)
def elapsed(a, b, lo, hi, bp, rt, cum):
    """Open time over [a, b] (a <= b)."""
    if lo == hi:
        return b - a
    return _integral(b, lo, hi, bp, rt, cum) - _integral(a, lo, hi, bp, rt, cum)
