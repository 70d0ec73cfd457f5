"""The open clock worked out by hand, interval by interval: the oracle the open-clock tests compare the
engines' ``kernels/opentime.py`` with (written as plainly as possible, so it is not the code under test)."""

from __future__ import annotations

import math


def walk_advance(intervals, t: float, x: float) -> float:
    """The first moment after which more than x open time has passed since t (inf: none)."""
    for a, b in intervals:
        if b <= t:
            continue
        a = max(a, t)
        if x < b - a:
            return a + x
        x -= b - a
    return math.inf


def walk_elapsed(intervals, a: float, b: float) -> float:
    """Open time in [a, b]."""
    return sum(max(0.0, min(b, hi) - max(a, lo)) for lo, hi in intervals)
