"""What happens next: event kinds and keys, scheduling, and the two timers kept beside the heap.

Heap events are ordered by (time, key), key = sequence << 4 | kind, so equal
times are handled first-scheduled first; a payload is entity << 32 | count.
Two kinds live in timers beside the heap instead, compared with its top.
Each segment's next order is handled before a heap event only when strictly
earlier (a continuous draw: ties have probability zero); when a population
changes, its timer is drawn afresh at the new rate (the exponential gap is
memoryless).  Each department's earliest abandonment (the first deadline
among orders queued there) keeps the key it was given on joining the queue,
so it is ordered as the heap would order it, and leaves no stale entry
behind when the order starts service first, as nearly every order does.
"""

import math

import numpy as np
from numba import njit

from .. import layout
from ..layout import SEGMENT_SOURCES
from ..rng import exponential
from . import heap
from .columns import DF_ADEAD, DI_AJ, DI_AKEY, DI_QH, F_DEAD, F_PAT, F_WACC, I_AKEY, I_KIND, I_QN, K_ORDER
from .state import INLINE, INNER, LEAF, ix

EV_ARRIVAL = 0  # an order arrives (timer)
EV_COMPLETE = 1  # a service completes
EV_ABANDON = 2  # an order's patience runs out in a queue (timer)
EV_HANDOFF = 3  # an order reaches its next step's department
EV_DELIVER = 4  # a supplier delivers
EV_HIRE = 5  # employees start in a department: replacements, or movers after a review
_M32 = 0xFFFFFFFF


@njit(**INLINE)
def new_key(c, kind):
    """The next event key (counters *c*)."""
    key = (c.seq << 4) | kind
    c.seq += 1
    return key


@njit(**INLINE)
def schedule(ht, hk, he, c, t, kind, ent, count):
    """Put an event of *kind* for entity *ent* (with *count*) at time t in the heap (counters *c*)."""
    c.hn = heap.push(ht, hk, he, c.hn, c.spent, t, new_key(c, kind), (ent << 32) | count)
    c.spent = 0


@njit(**LEAF)
def peek(ht, hk, he, c):
    """The next event, not yet taken: (time, kind, entity, count); time inf when there is none."""
    th, key, ev = heap.top(ht, hk, he, c.hn)
    kind = key & 15
    ent = ev >> 32
    count = ev & _M32
    if before(c.ab_time, c.ab_key, th, key):
        th = c.ab_time
        kind = EV_ABANDON
        ent = c.ab_dept
        count = 0
    if c.next_arrival < th:
        return c.next_arrival, EV_ARRIVAL, c.next_seg, 0
    return th, kind, ent, count


@njit(**LEAF)
def _first(arr_t):
    """The earliest next arrival and its segment (inf, -1 when no segment has one)."""
    a = math.inf
    g = -1
    for s in range(arr_t.shape[0]):
        if arr_t[s] < a:
            a = arr_t[s]
            g = s
    return a, g


@njit(**LEAF)
def redraw_arrival(seg_rate, pop, arr_t, st, c, s, t):
    """Segment s's next order, drawn at time t at its current rate; then the earliest over segments."""
    rate = seg_rate[s] * (pop[s] if pop[s] >= 0 else 1.0)
    stream = layout.segment_stream(s, SEGMENT_SOURCES.arrivals)
    arr_t[s] = t + exponential(st, stream) / rate if rate > 0.0 else math.inf
    c.next_arrival, c.next_seg = _first(arr_t)


@njit(**LEAF)
def before(t, key, bt, bk):
    """Whether an event at (t, key) comes strictly before one at (bt, bk), as the heap orders them; never at t = inf."""
    return t < bt or (t == bt and t < math.inf and key < bk)


@njit(**INNER)
def _rescan(II, FF, DI, DF, d, q):
    """Department d's abandonment timer after an order left its queue q: the earliest (deadline, key) queued."""
    bt = math.inf
    bk = np.int64(0)
    bj = np.int64(-1)
    j = DI[d, DI_QH + q]
    while j >= 0:
        if II[ix(j), I_KIND] == K_ORDER:
            dt = FF[ix(j), F_DEAD]
            if before(dt, II[ix(j), I_AKEY], bt, bk):
                bt = dt
                bk = II[ix(j), I_AKEY]
                bj = j
        j = II[ix(j), I_QN]
    DF[d, DF_ADEAD] = bt
    DI[d, DI_AKEY] = bk
    DI[d, DI_AJ] = bj


@njit(**INNER)
def _first_abandonment(DI, DF):
    """The earliest abandonment over departments: (deadline, key, department); (inf, 0, -1) when none."""
    bt = math.inf
    bk = np.int64(0)
    bd = np.int64(-1)
    for d in range(DI.shape[0]):
        dt = DF[d, DF_ADEAD]
        if before(dt, DI[d, DI_AKEY], bt, bk):
            bt = dt
            bk = DI[d, DI_AKEY]
            bd = d
    return bt, bk, bd


@njit(**LEAF)
def arm_patience(II, FF, DI, DF, c, d, j, t):
    """Order j joins department d's queue at time t: it abandons when its total queue wait reaches its patience."""
    pat = FF[ix(j), F_PAT]
    if pat < math.inf:
        rem = pat - FF[ix(j), F_WACC]
        if rem < 0.0:
            rem = 0.0
        dead = t + rem
        akey = new_key(c, EV_ABANDON)
        FF[ix(j), F_DEAD] = dead
        II[ix(j), I_AKEY] = akey
        if dead < DF[d, DF_ADEAD]:  # (on a tie the earlier key stays first)
            DF[d, DF_ADEAD] = dead
            DI[d, DI_AKEY] = akey
            DI[d, DI_AJ] = j
            if dead < c.ab_time:
                c.ab_time = dead
                c.ab_key = akey
                c.ab_dept = d
    else:
        FF[ix(j), F_DEAD] = math.inf


@njit(**LEAF)
def disarm_patience(II, FF, DI, DF, c, d, q, j):
    """Order j has left department d's queue q (it started service or abandoned): the timers without it."""
    if DI[d, DI_AJ] == j:  # it held its department's earliest deadline
        _rescan(II, FF, DI, DF, d, q)
        if c.ab_dept == d:
            c.ab_time, c.ab_key, c.ab_dept = _first_abandonment(DI, DF)
