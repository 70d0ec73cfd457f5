"""The item pool and the fired-need lists: free lists, taking and releasing, department queues.

Pools never cap the work: they grow, but only between events (``driver``),
so no array variable is reassigned while events are handled.  New slots go
to the front of the free list.  Every item is taken (``take``), released
(``release``), queued (``append``) and unlinked (``unlink``) here only.
"""

import numpy as np
from numba import njit

from ..items import I_GEN, I_NEXT, I_QN, I_QP, NF, NI
from ..staffing import DI_QH, DI_QT
from .columns import HOT, INNER, ix


@njit(**HOT)
def take(II, free, n_free):
    """Take an item off the free list (its generation bumped): (its row, new head, items left)."""
    j = free
    free = II[ix(j), I_NEXT]
    II[ix(j), I_GEN] += 1
    return j, free, n_free - 1


@njit(**HOT)
def release(II, j, free, n_free):
    """Return item j to the free list (its generation bumped: stale references to it are ignored): (head, count)."""
    II[ix(j), I_NEXT] = free
    II[ix(j), I_GEN] += 1
    return j, n_free + 1


@njit(**HOT)
def append(II, DI, d, q, j):
    """Item j joins the tail of department d's queue q (0, 1: work; 2: vacancies)."""
    tl = DI[d, DI_QT + q]
    II[ix(j), I_QN] = -1
    II[ix(j), I_QP] = tl
    if tl >= 0:
        II[ix(tl), I_QN] = j
    else:
        DI[d, DI_QH + q] = j
    DI[d, DI_QT + q] = j


@njit(**HOT)
def unlink(II, DI, d, q, j):
    """Item j leaves department d's queue q, from wherever it is in it (the head's previous link is -1)."""
    nx = II[ix(j), I_QN]
    pv = II[ix(j), I_QP]
    if pv >= 0:
        II[ix(pv), I_QN] = nx
    else:
        DI[d, DI_QH + q] = nx
    if nx >= 0:
        II[ix(nx), I_QP] = pv
    else:
        DI[d, DI_QT + q] = pv


@njit(**HOT)
def take_node(fl_next, fl_free, fl_nfree):
    """A node of the fired-need lists off their free list: (node, new head, nodes left)."""
    node = fl_free
    return node, fl_next[node], fl_nfree - 1


@njit(**HOT)
def release_node(fl_next, node, fl_free, fl_nfree):
    """Return a fired-need node to the free list: (the node that followed it, new head, count)."""
    nxt = fl_next[node]
    fl_next[node] = fl_free
    return nxt, node, fl_nfree + 1


@njit(**INNER)
def grow_items(II, FF, free, need):
    """Pools with at least *need* more free slots: (II, FF, new free-list head, slots added)."""
    cap = II.shape[0]
    new = max(2 * cap, cap + need)
    II2 = np.zeros((new, NI), dtype=np.int64)
    FF2 = np.zeros((new, NF), dtype=np.float64)
    for j in range(cap):
        for f in range(NI):
            II2[j, f] = II[j, f]
        for f in range(NF):
            FF2[j, f] = FF[j, f]
    for j in range(cap, new - 1):
        II2[j, I_NEXT] = j + 1
    II2[new - 1, I_NEXT] = free
    return II2, FF2, cap, new - cap


@njit(**INNER)
def grow_pair(a, b, need):
    """Two int64 arrays of at least *need* slots (twice the size at least), contents kept."""
    n = a.shape[0]
    new = max(2 * n, need)
    a2 = np.empty(new, dtype=np.int64)
    b2 = np.empty(new, dtype=np.int64)
    for i in range(n):
        a2[i] = a[i]
        b2[i] = b[i]
    return a2, b2


@njit(**INNER)
def grow_nodes(need_of, nxt, free, need):
    """Fired-need lists with at least *need* more free nodes: (need_of, next, new free head, nodes added)."""
    n = need_of.shape[0]
    new = max(2 * n, n + need)
    need2, nxt2 = grow_pair(need_of, nxt, new)
    for k in range(n, new - 1):
        nxt2[k] = k + 1
    nxt2[new - 1] = free
    return need2, nxt2, n, new - n


@njit(**HOT)
def push_action(a_code, a_arg, sp, code, j):
    """Stack action *code* on item (or department) j; returns the stack's new size."""
    a_code[sp] = code
    a_arg[sp] = j
    return sp + 1
