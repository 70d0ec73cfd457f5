"""The two event kinds kept in timers beside the heap: each segment's next arrival, each department's earliest
abandonment.

Each segment's next order is handled before a heap event only when strictly
earlier (it is a continuous draw: ties have probability zero); when a
population changes, its timer is drawn afresh at the new rate (the
exponential gap is memoryless).  Each department's earliest abandonment (the
first deadline among orders queued there) keeps the sequence number it was
given on joining the queue, so it is ordered as the heap would order it; it
leaves no stale entry behind when the order starts service first, as nearly
every order does.
"""

import math

import numpy as np
from numba import njit

from ..items import F_DEAD, I_AKEY, I_KIND, I_QN, K_ORDER
from ..staffing import DF_ADEAD, DI_AJ, DI_AKEY, DI_QH
from .columns import INNER, ix
from .heap import before


@njit(**INNER)
def first_arrival(arr_t):
    """The earliest next arrival and its segment (inf, -1 when no segment has one)."""
    a = math.inf
    g = -1
    for s in range(arr_t.shape[0]):
        if arr_t[s] < a:
            a = arr_t[s]
            g = s
    return a, g


@njit(**INNER)
def rescan_abandonment(II, FF, DI, DF, d, q):
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
def first_abandonment(DI, DF):
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
