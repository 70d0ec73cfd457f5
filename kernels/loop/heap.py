"""The event heap on (time, key): a binary heap in three arrays (times as bits, keys, payloads).

Keys are ``sequence << 4 | type``, so equal times come out first-scheduled
first.  The loop leaves a handled top in place (*spent*) and lets the next
event scheduled take its slot (``add``), or pops it when it needs the heap
(``settle``).  The heap grows between events only (``grow``).
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .columns import INNER, ix


@intrinsic
def time_bits(typingctx, t):
    """The bits of time t >= 0 as an int64: they order as the times do, and integer comparisons are cheaper."""
    if t != types.float64:
        return None
    return types.int64(t), lambda context, builder, sig, args: builder.bitcast(args[0], ir.IntType(64))


@intrinsic
def bits_time(typingctx, b):
    """The time whose bits ``time_bits`` gave."""
    if b != types.int64:
        return None
    return types.float64(b), lambda context, builder, sig, args: builder.bitcast(args[0], ir.DoubleType())


@njit(**INNER)
def before(t, key, bt, bk):
    """Whether an event at (t, key) comes strictly before one at (bt, bk), as the heap orders them; never at t = inf."""
    return t < bt or (t == bt and t < math.inf and key < bk)


@njit(**INNER)
def push(ht, hk, he, n, t, key, ev):
    """Add event ev at time t (>= 0) with key to a heap of size n (the times are kept as their bits)."""
    t = time_bits(t)
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


@njit(**INNER)
def _sift_down(ht, hk, he, n, t, key, ev):
    """Place event (t as bits, key, ev) in the root's slot of a heap of size n, whose root is vacant, and sift it down.

    The smaller child is chosen without a branch (its outcome is a coin
    toss, so a branch would be mispredicted half the time); slot n, read
    when only one child is live, is inside the array (the pools keep room).
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


@njit(**INNER)
def _pop(ht, hk, he, n):
    """Remove the top of a heap of size n (read it first); the heap then has n - 1 entries."""
    n -= 1
    _sift_down(ht, hk, he, n, ht[ix(n)], hk[ix(n)], he[ix(n)])


@njit(**INNER)
def add(ht, hk, he, n, spent, t, key, ev):
    """Add event ev at time t with key to a heap of size n; returns the new size.

    *spent*: the top was handled but left in place, and the new event takes
    its slot (one sift down instead of a pop's and a push's: most events
    schedule one, a service begun when an employee is freed).  The popped
    order is the same, since (time, key) orders every event strictly.
    """
    if spent:
        _sift_down(ht, hk, he, n, time_bits(t), key, ev)
        return n
    push(ht, hk, he, n, t, key, ev)
    return n + 1


@njit(**INNER)
def settle(ht, hk, he, n, spent):
    """Pop the handled top if no event took its slot (*spent*); returns the heap's size."""
    if spent:
        _pop(ht, hk, he, n)
        return n - 1
    return n


@njit(**INNER)
def grow(ht, hk, he, need):
    """The heap's arrays with at least *need* slots (twice the size at least), contents kept."""
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
