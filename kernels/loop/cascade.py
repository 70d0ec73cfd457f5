"""The cascade an event starts, one function per action, run on an explicit action stack.

An arrival fires needs whose sub-requests fire needs of their own, an
employee freed takes the next item whose hold sends requests...; the
cascade runs on a stack in the order a recursive implementation would use.
Within one pass the actions are tried in the order of their codes, so an
action may fall through to a later one (the loop in ``driver``, which calls
each action itself so that each is inlined once).
"""

import math

import numpy as np
from numba import njit

from .. import agreements, staffing
from ..items import (
    F_DEAD,
    F_OPEN,
    F_PAT,
    F_PDEF,
    F_T0,
    F_TENQ,
    F_WACC,
    FL_BLOCKED,
    FL_HOLD,
    FL_QUEUED,
    FL_REDO,
    I_AKEY,
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
)
from ..opentime import advance, elapsed
from ..rng import _uniform, draw, draw_inline
from ..staffing import (
    DF_ADEAD,
    DF_SPEED,
    DI_AJ,
    DI_AKEY,
    DI_BLOCKED,
    DI_BUSY,
    DI_EH,
    DI_PRESENT,
    DI_QH,
    DI_VAC,
    _advance,
)
from .columns import (
    A_ARRIVE,
    A_BEGIN,
    A_ENQUEUE,
    A_NONE,
    A_SEND,
    A_START,
    EV_ABANDON,
    EV_COMPLETE,
    EV_DELIVER,
    EV_ESCALATE,
    HOT,
    ix,
)
from .departments import leave
from .events import first_abandonment, rescan_abandonment
from .heap import add, settle
from .pool import append, push_action, release, release_node, take, take_node, unlink


@njit(**HOT)
def arrive(cs, II, st, fl_need, fl_next, j, fl_free, fl_nfree):
    """Item j arrives at its service: each need fires independently; then it queues, or sends its requests first."""
    v = II[ix(j), I_SVC]
    n0 = cs.need_start[v]
    n1 = cs.need_start[v + 1]
    code = A_ENQUEUE
    if n1 > n0:
        head = -1
        tail = -1
        nf = 0
        hold = 0
        for k in range(n0, n1):
            pk = cs.need_prob[k]
            if pk >= 1.0 or (pk > 0.0 and _uniform(st, cs.src_service + 4 * v + 1) < pk):
                node, fl_free, fl_nfree = take_node(fl_next, fl_free, fl_nfree)
                fl_need[node] = k
                fl_next[node] = -1
                if tail >= 0:
                    fl_next[tail] = node
                else:
                    head = node
                tail = node
                nf += 1
                hold |= cs.need_hold[k]
        if nf > 0:
            II[ix(j), I_FIRED] = head
            if hold:  # queue for an employee first, send when one is taken
                II[ix(j), I_FLAGS] |= FL_HOLD
            else:  # send now, wait in no queue, queue when all are fulfilled
                code = A_SEND
    return code, fl_free, fl_nfree


@njit(**HOT)
def fulfil(cs, off, II, FF, DI, DF, row, t, j, counting, free, n_free):
    """Request j is fulfilled: released; its parent, once every request is in, resumes (its held employee begins
    serving it) or queues.  Returns the next action and its item."""
    p = II[ix(j), I_PARENT]
    if counting:
        idx = II[ix(j), I_REQD] * cs.n_targets + II[ix(j), I_TARGET]
        row[off.rsum + idx] += t - FF[ix(j), F_T0]
        row[off.rcnt + idx] += 1.0
    free, n_free = release(II, j, free, n_free)
    II[ix(p), I_PENDING] -= 1
    code = A_NONE
    if II[ix(p), I_PENDING] == 0:
        j = p
        if II[ix(p), I_FLAGS] & FL_BLOCKED:  # the held employee now serves it
            II[ix(p), I_FLAGS] &= ~FL_BLOCKED
            d = cs.svc_dept[II[ix(p), I_SVC]]
            _advance(DI, DF, d, t)
            DI[d, DI_BLOCKED] -= 1
            code = A_BEGIN
        else:
            code = A_ENQUEUE
    return code, j, free, n_free


@njit(**HOT)
def enqueue(cs, II, FF, DI, DF, AQ, row, per, t, j, kcur, counting, qoc_int, seq, ab_t, ab_k, ab_d, es_t, es_k, es_d):
    """Item j joins its department's queue for its class, or starts at once when an employee is free (the queue is
    then empty).  An order with finite patience gets its deadline and may become the earliest abandonment; a
    sub-request under a service agreement its escalation (``agreed_queued``)."""
    d = cs.svc_dept[II[ix(j), I_SVC]]
    if DI[d, DI_PRESENT] - DI[d, DI_BUSY] > 0:
        return A_START, seq, ab_t, ab_k, ab_d, es_t, es_k, es_d
    kind = II[ix(j), I_KIND]
    append(II, DI, d, cs.queue_of_class[0] if kind == K_ORDER else qoc_int, j)
    II[ix(j), I_FLAGS] |= FL_QUEUED
    FF[ix(j), F_TENQ] = t
    if kind == K_ORDER:
        pat = FF[ix(j), F_PAT]
        if pat < math.inf:  # abandons when its total queue wait reaches its patience
            on_open = cs.seg_open[II[ix(j), I_SEG]] == 1
            rem = pat - FF[ix(j), F_OPEN if on_open else F_WACC]
            if rem < 0.0:
                rem = 0.0
            if on_open:  # ... counted while the department is open: then it is known now
                dead = advance(t, rem, cs.oc_start[d], cs.oc_start[d + 1], cs.oc_bp, cs.oc_rt, cs.oc_cum)
            else:
                dead = t + rem
            akey = (seq << 4) | EV_ABANDON
            seq += 1
            FF[ix(j), F_DEAD] = dead
            II[ix(j), I_AKEY] = akey
            if dead < DF[d, DF_ADEAD]:  # (on a tie the earlier key stays first)
                DF[d, DF_ADEAD] = dead
                DI[d, DI_AKEY] = akey
                DI[d, DI_AJ] = j
                if dead < ab_t:
                    ab_t = dead
                    ab_k = akey
                    ab_d = d
        else:
            FF[ix(j), F_DEAD] = math.inf
    elif cs.agr_target.shape[0] > 0 and kind == K_SUB and not II[ix(j), I_FLAGS] & FL_REDO:
        seq, es_t, es_k, es_d = agreed_queued(cs, II, FF, DI, DF, AQ, row, per, kcur, counting, t, j, seq, es_t, es_k,
                                              es_d)  # fmt: skip
    return A_NONE, seq, ab_t, ab_k, ab_d, es_t, es_k, es_d


@njit(**HOT)
def dispatch(cs, II, DI, DF, ht, hk, he, t, d, hn, spent, seq, free, n_free, runs):
    """One employee of department d is free: a vacancy first (the employee leaves), else the head of the first
    non-empty work queue starts.  Returns the next action and its item."""
    j = d
    if DI[d, DI_PRESENT] - DI[d, DI_BUSY] > 0:
        if DI[d, DI_VAC] > 0 and cs.stf_on[d]:  # off duty: leaves now, ahead of all work
            staffing.off_duty(DI, DF, d, t)
        elif DI[d, DI_VAC] > 0:  # a vacancy queues ahead of all work: this employee leaves
            hn = settle(ht, hk, he, hn, spent)  # (leave schedules by push)
            spent = False
            free, released, hn, seq = leave(II, DI, DF, d, np.int64(1), t, cs.morale[10], cs.review[1], free, ht, hk, he, hn,
                                            seq)  # fmt: skip
            n_free += released
            runs -= released
        elif DI[d, DI_EH] >= 0:  # escalated requests before all other work (service agreements)
            return A_START, agreements.pop(II, DI, d), hn, spent, seq, free, n_free, runs
        else:
            q = 0 if DI[d, DI_QH] >= 0 else (1 if DI[d, DI_QH + 1] >= 0 else -1)
            if q >= 0:
                j = DI[d, DI_QH + q]
                unlink(II, DI, d, q, j)
                return A_START, j, hn, spent, seq, free, n_free, runs
    return A_NONE, j, hn, spent, seq, free, n_free, runs


@njit(**HOT)
def start(cs, off, II, FF, DI, DF, AQ, row, per, t, j, kcur, counting, ab_t, ab_k, ab_d, es_t, es_k, es_d):
    """Item j takes an employee (its queue wait ends): it begins, or, holding needs, sends its requests first.  A
    sub-request under a service agreement is decided (``agreed_started``)."""
    d = cs.svc_dept[II[ix(j), I_SVC]]
    fl = II[ix(j), I_FLAGS]
    wait = 0.0
    if fl & FL_QUEUED:
        wait = t - FF[ix(j), F_TENQ]
        fl &= ~FL_QUEUED
        if DI[d, DI_AJ] == j:  # it held its department's earliest deadline
            rescan_abandonment(II, FF, DI, DF, d, cs.queue_of_class[0])
            if ab_d == d:
                ab_t, ab_k, ab_d = first_abandonment(DI, DF)
    if counting:
        row[off.dwait + d] += wait
        row[off.dvis + d] += 1.0
    if II[ix(j), I_KIND] == K_ORDER:
        FF[ix(j), F_WACC] += wait
        if wait > 0.0 and cs.seg_open[II[ix(j), I_SEG]]:
            FF[ix(j), F_OPEN] += elapsed(FF[ix(j), F_TENQ], t, cs.oc_start[d], cs.oc_start[d + 1], cs.oc_bp, cs.oc_rt,
                                         cs.oc_cum)  # fmt: skip
    _advance(DI, DF, d, t)
    DI[d, DI_BUSY] += 1
    if fl & FL_HOLD:  # the employee is taken, then blocked until every request is fulfilled
        fl = (fl & ~FL_HOLD) | FL_BLOCKED
        DI[d, DI_BLOCKED] += 1
        code = A_SEND
    else:
        code = A_BEGIN
    II[ix(j), I_FLAGS] = fl
    if cs.agr_target.shape[0] > 0 and II[ix(j), I_KIND] == K_SUB and not fl & FL_REDO:
        es_t, es_k, es_d = agreed_started(cs, II, FF, DI, DF, AQ, row, per, kcur, counting, j, wait, es_t, es_k, es_d)
    return code, ab_t, ab_k, ab_d, es_t, es_k, es_d


@njit(**HOT)
def send(cs, II, FF, st, a_code, a_arg, fl_need, fl_next, ht, hk, he, factor, t, j, sp, fl_free, fl_nfree, free,
         n_free, hn, spent, seq):  # fmt: skip
    """Item j sends its fired requests: sub-requests arrive at their services in the order their needs are listed,
    supplier requests are delivered after the lead time (on the supplier's open clock)."""
    d = cs.svc_dept[II[ix(j), I_SVC]]
    node = II[ix(j), I_FIRED]
    II[ix(j), I_FIRED] = -1
    root = II[ix(j), I_ROOT]
    rgen = II[ix(j), I_RGEN]
    n = 0
    sp0 = sp
    while node >= 0:
        k = fl_need[node]
        node, fl_free, fl_nfree = release_node(fl_next, node, fl_free, fl_nfree)
        n += 1
        r, free, n_free = take(II, free, n_free)
        II[ix(r), I_PARENT] = j
        II[ix(r), I_PENDING] = 0
        II[ix(r), I_ROOT] = root
        II[ix(r), I_RGEN] = rgen
        II[ix(r), I_REQD] = d
        II[ix(r), I_TARGET] = cs.need_target[k]
        II[ix(r), I_FLAGS] = 0
        II[ix(r), I_ROUTE] = -2
        II[ix(r), I_FIRED] = -1
        FF[ix(r), F_T0] = t
        if cs.need_supplier[k]:
            u = cs.need_index[k]
            II[ix(r), I_KIND] = K_DELIVERY
            II[ix(r), I_SEG] = u
            lt = draw(st, cs.src_lead + u, int(cs.sup_lead[u, 0]), cs.sup_lead[u, 1], cs.sup_lead[u, 2],
                      cs.sup_lead[u, 3]) * factor[u]  # fmt: skip
            uk = cs.n_dept + u  # the supplier's clock: its lead time counts open time only
            td = advance(t, lt, cs.oc_start[uk], cs.oc_start[uk + 1], cs.oc_bp, cs.oc_rt, cs.oc_cum)
            hn = add(ht, hk, he, hn, spent, td, (seq << 4) | EV_DELIVER, r << 32)
            spent = False
            seq += 1
        else:
            II[ix(r), I_KIND] = K_SUB
            II[ix(r), I_SVC] = cs.need_index[k]
            sp = push_action(a_code, a_arg, sp, A_ARRIVE, r)
    II[ix(j), I_PENDING] = n
    lo = sp0  # sub-requests arrive in the order their needs are listed
    hi = sp - 1
    while lo < hi:
        tmp = a_arg[lo]
        a_arg[lo] = a_arg[hi]
        a_arg[hi] = tmp
        lo += 1
        hi -= 1
    return sp, fl_free, fl_nfree, free, n_free, hn, spent, seq


@njit(**HOT)
def begin(cs, II, FF, DF, st, pdef, ht, hk, he, t, j, train_f, hn, spent, seq):
    """Item j's service begins: its time drawn, scaled by the department's speed and training; its completion
    scheduled, and its defect probability fixed."""
    v = II[ix(j), I_SVC]
    d = cs.svc_dept[v]
    dist = cs.svc_dist
    x = draw_inline(st, cs.src_service + 4 * v, int(dist[v, 0]), dist[v, 1], dist[v, 2], dist[v, 3])
    if cs.clarity < 1.0 and II[ix(j), I_KIND] == K_SUB:  # role clarity: less time clarifying
        x *= cs.clarity
    FF[ix(j), F_PDEF] = pdef[v]
    sf = DF[d, DF_SPEED]
    sf *= train_f
    hn = add(ht, hk, he, hn, spent, t + x / sf, (seq << 4) | EV_COMPLETE, j << 32)
    return hn, False, seq + 1


@njit(**HOT)
def agreed_queued(cs, II, FF, DI, DF, AQ, row, per, kcur, counting, t, j, seq, es_t, es_k, es_d):
    """Sub-request j (a first visit) joined a work queue: under a service agreement, it escalates at the
    agreement's target if still queued (``agreements.queued``).  Returns the sequence number and the earliest
    escalation."""
    d = cs.svc_dept[II[ix(j), I_SVC]]
    a = cs.agr_pair[II[ix(j), I_REQD] * cs.n_dept + d]
    if a >= 0:
        if agreements.queued(II, FF, DI, DF, AQ, cs.row_off, cs.per_off, row, per, kcur, counting, d, j, a,
                             cs.agr_target[a], t, (seq << 4) | EV_ESCALATE):  # fmt: skip
            es_t, es_k, es_d = agreements.first(DI, DF)
        seq += 1
    return seq, es_t, es_k, es_d


@njit(**HOT)
def agreed_started(cs, II, FF, DI, DF, AQ, row, per, kcur, counting, j, wait, es_t, es_k, es_d):
    """Sub-request j (a first visit) took an employee after queueing *wait*: under a service agreement, it is
    decided (``agreements.started``).  Returns the earliest escalation."""
    d = cs.svc_dept[II[ix(j), I_SVC]]
    a = cs.agr_pair[II[ix(j), I_REQD] * cs.n_dept + d]
    if a >= 0 and agreements.started(II, FF, DI, DF, AQ, cs.row_off, cs.per_off, row, per, kcur, counting, d, j, a,
                                     wait, cs.agr_supplier):  # fmt: skip
        es_t, es_k, es_d = agreements.first(DI, DF)
    return es_t, es_k, es_d
