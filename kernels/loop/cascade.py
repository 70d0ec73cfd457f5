"""The consequences of one event, run to the end: one function per action, and the loop that chains them.

Handling an event may start a cascade (an arrival fires needs whose
sub-requests fire needs of their own, an employee freed takes the next item
whose hold sends requests...).  It runs on an explicit action stack in the
order a recursive implementation would use.  Each action returns the next
(action, argument), and the chain tries the actions in the order below
within one pass, so an action may fall through to a later one without
going back to the stack.
"""

import numpy as np
from numba import njit

from .. import layout
from ..layout import DIST, MORALE, REVIEW, ROW, SERVICE_SOURCES, TRAINING, WORK_CLASS
from ..model import training_factor
from ..rng import _uniform, draw, draw_inline
from . import pool
from .columns import (
    DF_SPEED,
    DI_BLOCKED,
    DI_BUSY,
    DI_PRESENT,
    DI_QH,
    DI_VAC,
    F_PDEF,
    F_T0,
    F_TENQ,
    F_WACC,
    FL_BLOCKED,
    FL_HOLD,
    FL_QUEUED,
    I_FIRED,
    I_FLAGS,
    I_KIND,
    I_PARENT,
    I_PENDING,
    I_REQD,
    I_RGEN,
    I_ROOT,
    I_ROUTE,
    I_SEG,
    I_SVC,
    I_TARGET,
    K_DELIVERY,
    K_ORDER,
    K_SUB,
)  # fmt: skip
from .departments import advance, leave
from .events import EV_COMPLETE, EV_DELIVER, arm_patience, disarm_patience, schedule
from .state import INLINE, LEAF, copy_counters, ix

A_NONE = 0  # take the next action from the stack
A_ARRIVE = 1  # item arrives at its service: fire needs
A_FULFIL = 2  # request fulfilled: release its waiting parent
A_ENQUEUE = 3  # join the department queue (or start at once)
A_DISPATCH = 4  # one employee of a department (the argument) is free: vacancy first, then the queue
A_START = 5  # item takes an employee
A_SEND = 6  # send the item's fired requests
A_BEGIN = 7  # service begins: draw its time


@njit(**INLINE)
def push_action(a_code, a_arg, c, code, j):
    """Stack an action for after the current chain (counters *c*)."""
    a_code[c.sp] = code
    a_arg[c.sp] = j
    c.sp += 1


@njit(**LEAF)
def _arrive(cs, w, c, st, j):
    """Item j arrives at its service: each need fires independently.  Hold needs wait for an employee."""
    II = w.II
    v = II[ix(j), I_SVC]
    n0 = cs.need_start[v]
    n1 = cs.need_start[v + 1]
    if n1 > n0:
        stream = layout.service_stream(cs.src_service, v, SERVICE_SOURCES.needs)
        head = -1
        tail = -1
        hold = 0
        for k in range(n0, n1):
            pk = cs.need_prob[k]
            if pk >= 1.0 or (pk > 0.0 and _uniform(st, stream) < pk):
                node = pool.take_node(w.fl_next, c)
                w.fl_need[node] = k
                w.fl_next[node] = -1
                if tail >= 0:
                    w.fl_next[tail] = node
                else:
                    head = node
                tail = node
                hold |= cs.need_hold[k]
        if head >= 0:
            II[ix(j), I_FIRED] = head
            if hold:  # queue for an employee first, send when one is taken
                II[ix(j), I_FLAGS] |= FL_HOLD
            else:  # send now, wait in no queue, queue when all are fulfilled
                return A_SEND, j
    return A_ENQUEUE, j


@njit(**LEAF)
def _fulfil(cs, w, c, row, t, j):
    """Request j is fulfilled: its response time is counted, and its parent goes on when it waits for no other."""
    II = w.II
    p = II[ix(j), I_PARENT]
    if c.counting:
        idx = II[ix(j), I_REQD] * cs.n_targets + II[ix(j), I_TARGET]
        row[cs.row_off[ROW.resp_sum] + idx] += t - w.FF[ix(j), F_T0]
        row[cs.row_off[ROW.resp_count] + idx] += 1.0
    pool.release(II, c, j)
    II[ix(p), I_PENDING] -= 1
    if II[ix(p), I_PENDING] != 0:
        return A_NONE, p
    if II[ix(p), I_FLAGS] & FL_BLOCKED:  # the held employee now serves it
        II[ix(p), I_FLAGS] &= ~FL_BLOCKED
        d = cs.svc_dept[II[ix(p), I_SVC]]
        advance(w.DI, w.DF, d, t)
        w.DI[d, DI_BLOCKED] -= 1
        return A_BEGIN, p
    return A_ENQUEUE, p


@njit(**LEAF)
def _enqueue(cs, w, c, t, j):
    """Item j joins its department's queue for its class of work, or starts at once with a free employee."""
    II, DI = w.II, w.DI
    d = cs.svc_dept[II[ix(j), I_SVC]]
    if DI[d, DI_PRESENT] - DI[d, DI_BUSY] > 0:  # a free employee: the queue is empty
        return A_START, j
    order = II[ix(j), I_KIND] == K_ORDER
    q = cs.queue_of_class[WORK_CLASS.external] if order else cs.queue_of_class[WORK_CLASS.internal]
    pool.link(II, DI, d, q, j)
    II[ix(j), I_FLAGS] |= FL_QUEUED
    w.FF[ix(j), F_TENQ] = t
    if order:
        arm_patience(II, w.FF, DI, w.DF, c, d, j, t)
    return A_NONE, j


@njit(**LEAF)
def _dispatch(cs, w, c, t, d):
    """A free employee of department d leaves for a queued vacancy, or takes the first queued item."""
    DI = w.DI
    if DI[d, DI_PRESENT] - DI[d, DI_BUSY] > 0:
        if DI[d, DI_VAC] > 0:  # a vacancy queues ahead of all work: this employee leaves
            home = w.ctr[0]  # (leave is compiled apart: it works on the counters at home)
            copy_counters(home, c)
            leave(w.II, DI, w.DF, w.ht, w.hk, w.he, home, d, np.int64(1), t, cs.morale[MORALE.hiring_delay],
                  cs.review[REVIEW.transfer_delay])  # fmt: skip
            copy_counters(c, home)
        else:
            q = 0 if DI[d, DI_QH] >= 0 else (1 if DI[d, DI_QH + 1] >= 0 else -1)
            if q >= 0:
                j = DI[d, DI_QH + q]
                pool.unlink(w.II, DI, d, q, j)
                return A_START, j
    return A_NONE, d


@njit(**LEAF)
def _start(cs, w, c, row, t, j):
    """Item j takes an employee: its queue wait ends; with hold needs the employee is blocked until they are met."""
    II, FF, DI = w.II, w.FF, w.DI
    d = cs.svc_dept[II[ix(j), I_SVC]]
    fl = II[ix(j), I_FLAGS]
    wait = 0.0
    if fl & FL_QUEUED:
        wait = t - FF[ix(j), F_TENQ]
        fl &= ~FL_QUEUED
        disarm_patience(II, FF, DI, w.DF, c, d, cs.queue_of_class[WORK_CLASS.external], j)
    if c.counting:
        row[cs.row_off[ROW.dept_wait_sum] + d] += wait
        row[cs.row_off[ROW.dept_visits] + d] += 1.0
    if II[ix(j), I_KIND] == K_ORDER:
        FF[ix(j), F_WACC] += wait
    advance(DI, w.DF, d, t)
    DI[d, DI_BUSY] += 1
    code = A_BEGIN
    if fl & FL_HOLD:  # the employee is taken, then blocked until every request is fulfilled
        fl = (fl & ~FL_HOLD) | FL_BLOCKED
        DI[d, DI_BLOCKED] += 1
        code = A_SEND
    II[ix(j), I_FLAGS] = fl
    return code, j


@njit(**LEAF)
def _send(cs, w, c, st, t, j):
    """Item j sends its fired requests: sub-requests arrive at once (in the order listed), deliveries are scheduled."""
    II = w.II
    d = cs.svc_dept[II[ix(j), I_SVC]]
    node = II[ix(j), I_FIRED]
    II[ix(j), I_FIRED] = -1
    n = 0
    sp0 = c.sp
    while node >= 0:
        k = w.fl_need[node]
        node = pool.release_node(w.fl_next, c, node)
        n += 1
        r = pool.allocate(II, c)
        II[ix(r), I_PARENT] = j
        II[ix(r), I_PENDING] = 0
        II[ix(r), I_ROOT] = II[ix(j), I_ROOT]
        II[ix(r), I_RGEN] = II[ix(j), I_RGEN]
        II[ix(r), I_REQD] = d
        II[ix(r), I_TARGET] = cs.need_target[k]
        II[ix(r), I_FLAGS] = 0
        II[ix(r), I_ROUTE] = -2
        II[ix(r), I_FIRED] = -1
        w.FF[ix(r), F_T0] = t
        if cs.need_supplier[k]:
            u = cs.need_index[k]
            II[ix(r), I_KIND] = K_DELIVERY
            II[ix(r), I_SEG] = u
            lead = cs.sup_lead[u]
            lt = draw(st, cs.src_lead + u, int(lead[DIST.code]), lead[DIST.p0], lead[DIST.p1], lead[DIST.p2]) * w.factor[u]
            schedule(w.ht, w.hk, w.he, c, t + lt, EV_DELIVER, r, 0)
        else:
            II[ix(r), I_KIND] = K_SUB
            II[ix(r), I_SVC] = cs.need_index[k]
            push_action(w.a_code, w.a_arg, c, A_ARRIVE, r)
    II[ix(j), I_PENDING] = n
    lo = sp0  # stacked last is taken first: reversed, the sub-requests arrive in the order their needs are listed
    hi = c.sp - 1
    while lo < hi:
        tmp = w.a_arg[lo]
        w.a_arg[lo] = w.a_arg[hi]
        w.a_arg[hi] = tmp
        lo += 1
        hi -= 1
    return A_NONE, j


@njit(**LEAF)
def _begin(cs, w, c, st, t, j, train_f):
    """Item j's service begins: its time is drawn at the department's speed, its defect chance fixed."""
    v = w.II[ix(j), I_SVC]
    d = cs.svc_dept[v]
    dist = cs.svc_dist[v]
    stream = layout.service_stream(cs.src_service, v, SERVICE_SOURCES.service)
    x = draw_inline(st, stream, int(dist[DIST.code]), dist[DIST.p0], dist[DIST.p1], dist[DIST.p2])
    w.FF[ix(j), F_PDEF] = w.pdef[v]
    sf = w.DF[d, DF_SPEED]
    sf *= train_f
    schedule(w.ht, w.hk, w.he, c, t + x / sf, EV_COMPLETE, j, 0)
    return A_NONE, j


@njit(**INLINE)
def run(cs, w, c, st, row, t, code, j):
    """Run the cascade an event started with action *code* on *j*, until the action stack is empty."""
    # Training's speed factor depends on t alone, fixed during the cascade.  Written inside the cascade, the compiler
    # hoists it here anyway and evaluates its exp on every event, training or not (139,500 exp calls per baseline
    # year, 70 % of all): so it is computed here, only if needed.
    share = cs.training[TRAINING.share]
    train_f = training_factor(t, share, cs.training[TRAINING.effect], cs.training[TRAINING.lag]) if share > 0.0 else 1.0
    while True:
        if code == A_NONE:
            if c.sp == 0:
                break
            c.sp -= 1
            code = w.a_code[c.sp]
            j = w.a_arg[c.sp]
        if code == A_ARRIVE:
            code, j = _arrive(cs, w, c, st, j)
        if code == A_FULFIL:
            code, j = _fulfil(cs, w, c, row, t, j)
        if code == A_ENQUEUE:
            code, j = _enqueue(cs, w, c, t, j)
        if code == A_DISPATCH:
            code, j = _dispatch(cs, w, c, t, j)
        if code == A_START:
            code, j = _start(cs, w, c, row, t, j)
        if code == A_SEND:
            code, j = _send(cs, w, c, st, t, j)
        if code == A_BEGIN:
            code, j = _begin(cs, w, c, st, t, j, train_f)
