"""The item pool and the fired-need lists: free lists, allocation and release, department queues.

Pools never cap the work: they grow, but only between events (``driver``),
so no array variable is reassigned while events are handled.  New slots go
to the front of the free list.
"""

import numpy as np
from numba import njit

from .columns import DI_QH, DI_QT, I_GEN, I_NEXT, I_QN, I_QP, NF, NI
from .state import INNER, LEAF, ix


@njit(**LEAF)
def allocate(II, c):
    """Take an item from the free list (counters *c*; its generation bumped); returns its row."""
    j = c.free
    c.free = II[ix(j), I_NEXT]
    c.n_free -= 1
    II[ix(j), I_GEN] += 1
    return j


@njit(**LEAF)
def release(II, c, j):
    """Return item j to the free list (its generation bumped: stale references to it are ignored)."""
    II[ix(j), I_NEXT] = c.free
    c.free = j
    c.n_free += 1
    II[ix(j), I_GEN] += 1


@njit(**LEAF)
def link(II, DI, d, q, j):
    """Item j joins the tail of department d's queue q."""
    tl = DI[d, DI_QT + q]
    II[ix(j), I_QN] = -1
    II[ix(j), I_QP] = tl
    if tl >= 0:
        II[ix(tl), I_QN] = j
    else:
        DI[d, DI_QH + q] = j
    DI[d, DI_QT + q] = j


@njit(**LEAF)
def unlink(II, DI, d, q, j):
    """Item j leaves department d's queue q, from wherever it is in it."""
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


@njit(**LEAF)
def take_node(fl_next, c):
    """A node of the fired-need lists, from their free list."""
    node = c.fl_free
    c.fl_free = fl_next[node]
    c.fl_nfree -= 1
    return node


@njit(**LEAF)
def release_node(fl_next, c, node):
    """Return a fired-need node to the free list; returns the node that followed it."""
    nxt = fl_next[node]
    fl_next[node] = c.fl_free
    c.fl_free = node
    c.fl_nfree += 1
    return nxt


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
