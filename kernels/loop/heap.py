"""The event heap: a binary heap ordered by (time, key), in three arrays (times as their bits, keys, payloads).

Keys are unique, so (time, key) orders every event strictly and events come
out in one order whatever the heap's shape.  The loop handles the top in
place and marks it *spent*; the next event scheduled takes its slot with
one sift-down instead of a pop and a push (most events schedule one: the
freed employee's next service), and ``settle`` pops it only when none did.
Times are kept as the bits of non-negative float64s, which order as the
times do, so comparisons are integer ones.
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .state import INNER, LEAF, ix


@intrinsic
def _time_bits(typingctx, t):
    """The bits of time t >= 0 as an int64."""
    if t != types.float64:
        return None
    return types.int64(t), lambda context, builder, sig, args: builder.bitcast(args[0], ir.IntType(64))


@intrinsic
def _bits_time(typingctx, b):
    """The time whose bits ``_time_bits`` gave."""
    if b != types.int64:
        return None
    return types.float64(b), lambda context, builder, sig, args: builder.bitcast(args[0], ir.DoubleType())


@njit(**LEAF)
def _insert(ht, hk, he, n, t, key, ev):
    """Add event ev at time t (>= 0) with key to a heap of size n."""
    t = _time_bits(t)
    i = n
    while i > 0:
        p = (i - 1) >> 1
        pt = ht[ix(p)]
        if pt < t or (pt == t and hk[ix(p)] < key):
            break
        ht[ix(i)] = pt
        hk[ix(i)] = hk[ix(p)]
        he[ix(i)] = he[ix(p)]
        i = p
    ht[ix(i)] = t
    hk[ix(i)] = key
    he[ix(i)] = ev


@njit(**LEAF)
def _sift_down(ht, hk, he, n, t, key, ev):
    """Place event (t as bits, key, ev) in the vacant root slot of a heap of size n and sift it down.

    The smaller child is chosen without a branch (its outcome is a coin
    toss, so a branch would be mispredicted half the time); slot n, read
    when only one child is live, is inside the array (the loop keeps room).
    """
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        t1 = ht[ix(c)]
        t2 = ht[ix(c + 1)]
        right = (c + 1 < n) & ((t2 < t1) | ((t2 == t1) & (hk[ix(c + 1)] < hk[ix(c)])))
        c += right
        ct = t2 if right else t1
        if t < ct or (t == ct and key < hk[ix(c)]):
            break
        ht[ix(i)] = ct
        hk[ix(i)] = hk[ix(c)]
        he[ix(i)] = he[ix(c)]
        i = c
    ht[ix(i)] = t
    hk[ix(i)] = key
    he[ix(i)] = ev


@njit(**LEAF)
def push(ht, hk, he, n, spent, t, key, ev):
    """Add event ev at time t (>= 0) with key to a heap of size n; returns the new size.

    With *spent* (the handled top is still in place) the event takes the
    top's slot.
    """
    if spent:
        _sift_down(ht, hk, he, n, _time_bits(t), key, ev)
        return n
    _insert(ht, hk, he, n, t, key, ev)
    return n + 1


@njit(**LEAF)
def settle(ht, hk, he, n, spent):
    """Pop the handled top if no event took its slot (*spent*); returns the heap's size."""
    if spent:
        n -= 1
        _sift_down(ht, hk, he, n, ht[ix(n)], hk[ix(n)], he[ix(n)])
    return n


@njit(**LEAF)
def top(ht, hk, he, n):
    """The top event of a heap of size n: (time, key, payload); time inf when empty (key and payload then unused)."""
    return (_bits_time(ht[0]) if n > 0 else math.inf), hk[0], he[0]


@njit(**INNER)
def grow(ht, hk, he, need):
    """The heap's arrays with room for at least *need* more events."""
    n = ht.shape[0]
    new = max(2 * n, n + need)
    ht2 = np.empty(new, dtype=np.int64)
    hk2 = np.empty(new, dtype=np.int64)
    he2 = np.empty(new, dtype=np.int64)
    for i in range(n):
        ht2[i] = ht[i]
        hk2[i] = hk[i]
        he2[i] = he[i]
    return ht2, hk2, he2


__all__ = ["push", "settle", "top", "grow"]
