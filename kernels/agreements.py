"""Internal service agreements in the compiled engine: escalation of late requests, and the attainment counts.

A request under an agreement (``cs.agr_pair``: customer department x supplier department -> agreement, -1 none)
that joins its supplier's queue gets a deadline, its target later, and joins its agreement's list of queued
requests (``AQ``: head and tail per agreement, linked through the items), whose deadlines follow the order of
queueing.  Each department keeps the earliest deadline among the heads of its agreements' lists as a timer beside
the event heap (as it keeps the earliest abandonment), so a request that starts in time leaves nothing behind
and no queue is ever scanned.  At the deadline the request moves to the
department's escalated queue, which is served before both work queues, first escalated first served.  Each
request is decided once: a hit when it starts service before escalating, a miss when it escalates.  The loop
calls these functions only when the scenario has agreements.  Rules: README "Model", "Internal service
agreements".
"""

import math

import numpy as np
from numba import njit

from .items import F_DEAD, FL_AGREE, FL_ESC, I_AKEY, I_AN, I_AP, I_FLAGS, I_QN, I_QP, I_REQD
from .staffing import DF_EDEAD, DI_EH, DI_EJ, DI_EKEY, DI_ET, DI_QH, DI_QT

# accumulator blocks (after the loop's last, dept_done): per agreement, after warm-up and per period
R_AHIT, R_AMISS, R_AWAIT, R_ASTART = 37, 38, 39, 40
P_AHIT, P_AMISS, P_AWAIT, P_ASTART = 15, 16, 17, 18

# (the compiled scenario is never an argument: passing it, dozens of arrays, costs a reference count on each per
# call; measured: three times the kernel's time per replication on baseline with one agreement)
_INNER = dict(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)


@njit(**_INNER)
def _before(t, key, bt, bk):
    """Whether (t, key) comes strictly before (bt, bk), as the heap orders events."""
    return t < bt or (t == bt and t < math.inf and key < bk)


@njit(**_INNER)
def _count(ro, po, row, per, k, counting, block, pblock, a, x):
    if counting:
        row[ro[block] + a] += x
    per[k, po[pblock] + a] += x


@njit(**_INNER)
def _retime(II, FF, DI, DF, AQ, supplier, d):
    """Department d's escalation timer: the earliest (deadline, key) among the oldest queued, unescalated
    request of each of its agreements (within one agreement deadlines follow the order of queueing)."""
    bt = math.inf
    bk = np.int64(0)
    bj = np.int64(-1)
    for a in range(AQ.shape[0]):
        j = AQ[a, 0]
        if j >= 0 and supplier[a] == d and _before(FF[j, F_DEAD], II[j, I_AKEY], bt, bk):
            bt = FF[j, F_DEAD]
            bk = II[j, I_AKEY]
            bj = j
    DF[d, DF_EDEAD] = bt
    DI[d, DI_EKEY] = bk
    DI[d, DI_EJ] = bj


@njit(**_INNER)
def _unlist(II, AQ, a, j):
    """Request j leaves agreement a's list of queued, unescalated requests."""
    nx = II[j, I_AN]
    pv = II[j, I_AP]
    if pv >= 0:
        II[pv, I_AN] = nx
    else:
        AQ[a, 0] = nx
    if nx >= 0:
        II[nx, I_AP] = pv
    else:
        AQ[a, 1] = pv


@njit(**_INNER)
def reset(AQ):
    """No agreement has a request queued (a replication's start)."""
    for a in range(AQ.shape[0]):
        AQ[a, 0] = -1
        AQ[a, 1] = -1


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
def _move(II, DI, ro, po, row, per, k, counting, d, j, a):
    """Request j under agreement a leaves the work queue it is in for the tail of department d's escalated
    queue: a miss."""
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
    _count(ro, po, row, per, k, counting, R_AMISS, P_AMISS, a, 1.0)


@njit(**_INNER)
def queued(II, FF, DI, DF, AQ, ro, po, row, per, k, counting, d, j, a, target, t, key):
    """Request j under agreement a joined a work queue of department d at t (its first visit, not a redo).

    Its deadline is t + *target*; a target of 0 escalates it at once.  Returns whether d's escalation timer
    changed (the caller then takes the earliest over departments again).
    """
    if target <= 0.0:
        _move(II, DI, ro, po, row, per, k, counting, d, j, a)
        return False
    FF[j, F_DEAD] = t + target
    II[j, I_AKEY] = key
    II[j, I_FLAGS] |= FL_AGREE
    tl = AQ[a, 1]  # the youngest of its agreement's list: deadlines there follow the order of queueing
    II[j, I_AN] = -1
    II[j, I_AP] = tl
    if tl >= 0:
        II[tl, I_AN] = j
    else:
        AQ[a, 0] = j
    AQ[a, 1] = j
    if _before(t + target, key, DF[d, DF_EDEAD], DI[d, DI_EKEY]):
        DF[d, DF_EDEAD] = t + target
        DI[d, DI_EKEY] = key
        DI[d, DI_EJ] = j
        return True
    return False


@njit(**_INNER)
def escalate(II, FF, DI, DF, AQ, ro, po, row, per, k, counting, d, pair, supplier):
    """Department d's earliest deadline is reached: that request moves to the escalated queue (*pair*: the
    agreement of customer c and supplier d at c x departments + d; *supplier*: each agreement's)."""
    j = DI[d, DI_EJ]
    a = pair[II[j, I_REQD] * DI.shape[0] + d]
    _unlist(II, AQ, a, j)
    _move(II, DI, ro, po, row, per, k, counting, d, j, a)
    _retime(II, FF, DI, DF, AQ, supplier, d)


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
def started(II, FF, DI, DF, AQ, ro, po, row, per, k, counting, d, j, a, wait, supplier):
    """Request j (a sub-request's first visit) under agreement a takes an employee of department d after queueing
    *wait*: its wait counts; a hit unless it escalated.  Returns whether d's escalation timer changed (it was the
    request's).
    """
    fl = II[j, I_FLAGS]
    _count(ro, po, row, per, k, counting, R_AWAIT, P_AWAIT, a, wait)
    _count(ro, po, row, per, k, counting, R_ASTART, P_ASTART, a, 1.0)
    II[j, I_FLAGS] = fl & ~(FL_AGREE | FL_ESC)
    if fl & FL_ESC:
        return False
    _count(ro, po, row, per, k, counting, R_AHIT, P_AHIT, a, 1.0)
    if fl & FL_AGREE:
        _unlist(II, AQ, a, j)
        if DI[d, DI_EJ] == j:
            _retime(II, FF, DI, DF, AQ, supplier, d)
            return True
    return False
