"""Internal service agreements in the compiled engine: escalation of late requests, and the attainment counts.

A request under an agreement (``cs.agr_pair``: customer department x supplier department -> agreement, -1 none)
that joins its supplier's queue gets a deadline, its target later; each department keeps the earliest
deadline among its queued agreement requests as a timer beside the event heap (as it keeps the earliest
abandonment), so a request that starts in time leaves nothing behind.  At the deadline the request moves to the
department's escalated queue, which is served before both work queues, first escalated first served.  Each
request is decided once: a hit when it starts service before escalating, a miss when it escalates.  The loop
calls these functions only when the scenario has agreements.  Rules: README "Model", "Internal service
agreements".
"""

import math

import numpy as np
from numba import njit

from .items import F_DEAD, FL_AGREE, FL_ESC, I_AKEY, I_FLAGS, I_QN, I_QP, I_REQD
from .staffing import DF_EDEAD, DI_EH, DI_EJ, DI_EKEY, DI_ET, DI_QH, DI_QT

# accumulator blocks (after the loop's last, dept_done): per agreement, after warm-up and per period
R_AHIT, R_AMISS, R_AWAIT, R_ASTART = 37, 38, 39, 40
P_AHIT, P_AMISS, P_AWAIT, P_ASTART = 15, 16, 17, 18

_INNER = dict(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)


@njit(**_INNER)
def _before(t, key, bt, bk):
    """Whether (t, key) comes strictly before (bt, bk), as the heap orders events."""
    return t < bt or (t == bt and t < math.inf and key < bk)


@njit(**_INNER)
def _count(cs, row, per, k, counting, block, pblock, a, x):
    if counting:
        row[cs.row_off[block] + a] += x
    per[k, cs.per_off[pblock] + a] += x


@njit(**_INNER)
def _rescan(II, FF, DI, DF, d):
    """Department d's escalation timer: the earliest (deadline, key) among its queued, unescalated agreement
    requests (in work queues 0 and 1)."""
    bt = math.inf
    bk = np.int64(0)
    bj = np.int64(-1)
    for q in range(2):
        j = DI[d, DI_QH + q]
        while j >= 0:
            if II[j, I_FLAGS] & FL_AGREE:
                if _before(FF[j, F_DEAD], II[j, I_AKEY], bt, bk):
                    bt = FF[j, F_DEAD]
                    bk = II[j, I_AKEY]
                    bj = j
            j = II[j, I_QN]
    DF[d, DF_EDEAD] = bt
    DI[d, DI_EKEY] = bk
    DI[d, DI_EJ] = bj


@njit(**_INNER)
def first(DI, DF):
    """The earliest escalation over departments: (deadline, key, department); (inf, 0, -1) when none."""
    bt = math.inf
    bk = np.int64(0)
    bd = np.int64(-1)
    for d in range(DI.shape[0]):
        if _before(DF[d, DF_EDEAD], DI[d, DI_EKEY], bt, bk):
            bt = DF[d, DF_EDEAD]
            bk = DI[d, DI_EKEY]
            bd = d
    return bt, bk, bd


@njit(**_INNER)
def _move(cs, II, DI, row, per, k, counting, d, j):
    """Request j leaves the work queue it is in for the tail of department d's escalated queue: a miss."""
    nx = II[j, I_QN]
    pv = II[j, I_QP]
    if pv >= 0:
        II[pv, I_QN] = nx
    else:
        DI[d, DI_QH + (0 if DI[d, DI_QH] == j else 1)] = nx
    if nx >= 0:
        II[nx, I_QP] = pv
    else:
        DI[d, DI_QT + (0 if DI[d, DI_QT] == j else 1)] = pv
    tl = DI[d, DI_ET]
    II[j, I_QN] = -1
    II[j, I_QP] = tl
    if tl >= 0:
        II[tl, I_QN] = j
    else:
        DI[d, DI_EH] = j
    DI[d, DI_ET] = j
    II[j, I_FLAGS] = (II[j, I_FLAGS] & ~FL_AGREE) | FL_ESC
    _count(cs, row, per, k, counting, R_AMISS, P_AMISS, cs.agr_pair[II[j, I_REQD] * cs.n_dept + d], 1.0)


@njit(**_INNER)
def queued(cs, II, FF, DI, DF, row, per, k, counting, d, j, a, t, key):
    """Request j under agreement a joined a work queue of department d at t (its first visit, not a redo).

    Its deadline is t + target; a target of 0 escalates it at once.  Returns whether d's escalation timer
    changed (the caller then takes the earliest over departments again).
    """
    target = cs.agr_target[a]
    if target <= 0.0:
        _move(cs, II, DI, row, per, k, counting, d, j)
        return False
    dead = t + target
    FF[j, F_DEAD] = dead
    II[j, I_AKEY] = key
    II[j, I_FLAGS] |= FL_AGREE
    if _before(dead, key, DF[d, DF_EDEAD], DI[d, DI_EKEY]):
        DF[d, DF_EDEAD] = dead
        DI[d, DI_EKEY] = key
        DI[d, DI_EJ] = j
        return True
    return False


@njit(**_INNER)
def escalate(cs, II, FF, DI, DF, row, per, k, counting, d):
    """Department d's earliest deadline is reached: that request moves to the escalated queue."""
    _move(cs, II, DI, row, per, k, counting, d, DI[d, DI_EJ])
    _rescan(II, FF, DI, DF, d)


@njit(**_INNER)
def pop(II, DI, d):
    """The head of department d's escalated queue, taken off it."""
    j = DI[d, DI_EH]
    nx = II[j, I_QN]
    DI[d, DI_EH] = nx
    if nx >= 0:
        II[nx, I_QP] = -1
    else:
        DI[d, DI_ET] = -1
    return j


@njit(**_INNER)
def started(cs, II, FF, DI, DF, row, per, k, counting, d, j, wait):
    """Request j (a sub-request's first visit) takes an employee of department d after queueing *wait*.

    Under an agreement, its wait counts; a hit unless it escalated.  Returns whether d's escalation timer
    changed (it was the request's).
    """
    a = cs.agr_pair[II[j, I_REQD] * cs.n_dept + d]
    if a < 0:
        return False
    fl = II[j, I_FLAGS]
    _count(cs, row, per, k, counting, R_AWAIT, P_AWAIT, a, wait)
    _count(cs, row, per, k, counting, R_ASTART, P_ASTART, a, 1.0)
    II[j, I_FLAGS] = fl & ~(FL_AGREE | FL_ESC)
    if fl & FL_ESC:
        return False
    _count(cs, row, per, k, counting, R_AHIT, P_AHIT, a, 1.0)
    if fl & FL_AGREE and DI[d, DI_EJ] == j:
        _rescan(II, FF, DI, DF, d)
        return True
    return False
