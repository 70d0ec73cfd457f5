"""One function per event kind: each changes the state at time t and says which cascade action follows.

A handler returns the action and its item (or department) for ``cascade``
with the loop's scalars it moved.  An event that ends an order returns its
end record ``(segment, completed, score, sojourn, wait, arrival)``
(``NO_END``: none), which ``outcome.order_ended`` counts.  A new event kind
is a new handler here and one dispatch line in ``driver``.
"""

import math

import numpy as np
from numba import njit

from .. import agreements, staffing
from ..demand import next_arrival
from ..items import (
    F_OPEN,
    F_PAT,
    F_PDEF,
    F_T0,
    F_WACC,
    FL_REDO,
    I_ESC,
    I_FIRED,
    I_FLAGS,
    I_GEN,
    I_KIND,
    I_PARENT,
    I_PENDING,
    I_RGEN,
    I_ROOT,
    I_ROUTE,
    I_SEG,
    I_STEP,
    I_SVC,
    K_INVOICE,
    K_ORDER,
    K_SUB,
)
from ..model import satisfaction
from ..profile import hour_of_week
from ..rng import NONE, _uniform, draw_inline, exponential
from ..staffing import DI_AJ, DI_BUSY, DI_PRESENT, _advance
from .columns import A_ARRIVE, A_DISPATCH, A_ENQUEUE, A_FULFIL, A_NONE, EV_HANDOFF, EV_HIRE, EV_ONDUTY, HOT, INNER, ix
from .events import first_abandonment, rescan_abandonment
from .heap import add, push
from .pool import push_action, release, release_node, take, unlink

NO_END = (np.int64(-1), np.int64(0), 0.0, 0.0, 0.0, 0.0)


@njit(**HOT)
def arrival(cs, off, II, FF, st, row, pop, arr_t, t, s, counting, free, n_free):
    """An order of segment s arrives: a new item, its patience drawn, the segment's next arrival drawn."""
    if counting:
        row[off.arr + s] += 1.0
        if cs.pf_on == 1:
            row[off.parr + hour_of_week(t, cs.pf_offset, cs.pf_per_unit)] += 1.0
    j, free, n_free = take(II, free, n_free)
    step = cs.seg_first_step[s]
    II[ix(j), I_KIND] = K_ORDER
    II[ix(j), I_SEG] = s
    II[ix(j), I_STEP] = step
    II[ix(j), I_SVC] = cs.step_svc[step]
    II[ix(j), I_ROUTE] = -2
    II[ix(j), I_FLAGS] = 0
    II[ix(j), I_PENDING] = 0
    II[ix(j), I_ROOT] = j
    II[ix(j), I_RGEN] = II[ix(j), I_GEN]
    II[ix(j), I_ESC] = 0
    II[ix(j), I_FIRED] = -1
    FF[ix(j), F_T0] = t
    FF[ix(j), F_WACC] = 0.0
    FF[ix(j), F_OPEN] = 0.0
    seg_pat = cs.seg_patience
    pc = int(seg_pat[s, 0])
    if pc == NONE:
        FF[ix(j), F_PAT] = math.inf
    else:
        FF[ix(j), F_PAT] = draw_inline(st, 5 * s + 1, pc, seg_pat[s, 1], seg_pat[s, 2], seg_pat[s, 3])
    rate = cs.seg_rate[s] * (pop[s] if pop[s] >= 0 else 1.0)
    dm_start = cs.dm_start
    if dm_start[s] == dm_start[s + 1]:
        arr_t[s] = t + exponential(st, 5 * s) / rate if rate > 0.0 else math.inf
    else:
        arr_t[s] = next_arrival(st, 5 * s, t, rate, dm_start[s], dm_start[s + 1], cs.dm_bp, cs.dm_rt, cs.dm_cum)
    return j, free, n_free


@njit(**HOT)
def complete(cs, off, II, FF, DI, DF, st, row, per, ht, hk, he, a_code, a_arg, svc_n, pay_sum, pay_n, t, j, kcur,
             counting, hn, spent, seq, sp, free, n_free):  # fmt: skip
    """Item j's service ends: its employee is free (dispatched first), a defect may be drawn, the work moves on.

    Returns the department, the end record and the scalars moved.
    """
    v = II[ix(j), I_SVC]
    d = cs.svc_dept[v]
    _advance(DI, DF, d, t)
    DI[d, DI_BUSY] -= 1
    svc_n[v] += 1.0
    fl = II[ix(j), I_FLAGS]
    if counting:
        row[off.scomp] += 1.0
        if fl & FL_REDO:
            row[off.sredo] += 1.0
        else:
            row[off.ddone + d] += 1.0
    if not fl & FL_REDO:
        per[kcur, off.p_ddone + d] += 1.0
    pd = FF[ix(j), F_PDEF]
    defect = False
    if pd > 0.0:
        defect = _uniform(st, cs.src_service + 4 * v + 2) < pd
    if II[ix(j), I_KIND] == K_ORDER:
        end, hn, spent, seq, sp, free, n_free = _order_step(cs, off, II, FF, st, row, ht, hk, he, a_code, a_arg, t, j, d,
                                                            v, fl, defect, counting, hn, spent, seq, sp, free,
                                                            n_free)  # fmt: skip
    else:
        end = NO_END
        sp, free, n_free = _request_done(cs, off, II, FF, st, row, a_code, a_arg, pay_sum, pay_n, t, j, v, fl, defect,
                                         counting, sp, free, n_free)  # fmt: skip
    return d, end, hn, spent, seq, sp, free, n_free


@njit(**HOT)
def _order_step(cs, off, II, FF, st, row, ht, hk, he, a_code, a_arg, t, j, d, v, fl, defect, counting, hn, spent, seq, sp,
                free, n_free):  # fmt: skip
    """An order's step at service v (department d) is done: redo it if a defect is caught, else go on or end."""
    s = II[ix(j), I_SEG]
    route = II[ix(j), I_ROUTE]
    if route == -2:  # first completion of this visit: draw where it goes (redos keep it)
        step = II[ix(j), I_STEP]
        route = cs.step_fixed[step]
        if route == -2:
            ur = _uniform(st, 5 * s + 2)
            route = -1
            for r in range(cs.route_start[step], cs.route_start[step + 1]):
                if ur < cs.route_cum[r]:
                    route = cs.route_step[r]
                    break
        II[ix(j), I_ROUTE] = route
    if route < 0:  # the journey is complete; a defect here escapes
        if defect:
            II[ix(j), I_ESC] += 1
        if counting:
            row[off.esc + s] += II[ix(j), I_ESC]
        soj = t - FF[ix(j), F_T0]
        score = satisfaction(soj, cs.seg_expectation[s], cs.seg_sensitivity[s], II[ix(j), I_ESC], cs.seg_penalty[s])
        end = (s, np.int64(1), score, soj, FF[ix(j), F_WACC], FF[ix(j), F_T0])
        free, n_free = release(II, j, free, n_free)
        return end, hn, spent, seq, sp, free, n_free
    caught = False  # the next step is the next internal customer
    if defect:
        if _uniform(st, cs.src_service + 4 * v + 3) < cs.svc_detect[v]:
            caught = True
        else:
            II[ix(j), I_ESC] += 1
    if caught:
        II[ix(j), I_FLAGS] = fl | FL_REDO
        sp = push_action(a_code, a_arg, sp, A_ENQUEUE, j)
    else:
        II[ix(j), I_FLAGS] = fl & ~FL_REDO
        II[ix(j), I_ROUTE] = -2
        II[ix(j), I_STEP] = route
        nv = cs.step_svc[route]
        II[ix(j), I_SVC] = nv
        h_code = int(cs.handoff[0])
        if h_code != NONE and cs.svc_dept[nv] != d:
            t_h = t + draw_inline(st, cs.src_handoff, h_code, cs.handoff[1], cs.handoff[2], cs.handoff[3])
            hn = add(ht, hk, he, hn, spent, t_h, (seq << 4) | EV_HANDOFF, j << 32)
            spent = False
            seq += 1
        else:
            sp = push_action(a_code, a_arg, sp, A_ARRIVE, j)
    return NO_END, hn, spent, seq, sp, free, n_free


@njit(**HOT)
def _request_done(cs, off, II, FF, st, row, a_code, a_arg, pay_sum, pay_n, t, j, v, fl, defect, counting, sp, free,
                  n_free):  # fmt: skip
    """A sub-request, invoice or recovery step is done: its requester is the next internal customer."""
    caught = False
    if defect:
        if _uniform(st, cs.src_service + 4 * v + 3) < cs.svc_detect[v]:
            caught = True
        else:
            r = II[ix(j), I_ROOT]
            if r >= 0 and II[ix(r), I_GEN] == II[ix(j), I_RGEN] and II[ix(r), I_KIND] == K_ORDER:
                II[ix(r), I_ESC] += 1  # a sub-request's defect marks the order that caused it
    kind = II[ix(j), I_KIND]
    if caught:
        II[ix(j), I_FLAGS] = fl | FL_REDO
        sp = push_action(a_code, a_arg, sp, A_ENQUEUE, j)
    elif kind == K_SUB:
        II[ix(j), I_FLAGS] = fl & ~FL_REDO
        sp = push_action(a_code, a_arg, sp, A_FULFIL, j)
    else:  # the invoice is paid (a recovery step is simply done)
        if kind == K_INVOICE:
            u = II[ix(j), I_SEG]
            pay_sum[u] += t - FF[ix(j), F_T0]
            pay_n[u] += 1.0
            if counting:
                row[off.late + u] += max(0.0, t - FF[ix(j), F_T0] - cs.sup_terms[u])
        free, n_free = release(II, j, free, n_free)
    return sp, free, n_free


@njit(**HOT)
def abandon(cs, II, FF, DI, DF, fl_next, t, d, qoc_ext, fl_free, fl_nfree, free, n_free):
    """The order with department d's earliest deadline leaves its queue; its hold needs are never sent.

    Returns the end record, the next abandonment (time, key, department) and the pool counters.
    """
    j = DI[d, DI_AJ]
    unlink(II, DI, d, qoc_ext, j)
    rescan_abandonment(II, FF, DI, DF, d, qoc_ext)
    ab_t, ab_k, ab_d = first_abandonment(DI, DF)
    node = II[ix(j), I_FIRED]
    while node >= 0:
        node, fl_free, fl_nfree = release_node(fl_next, node, fl_free, fl_nfree)
    s = II[ix(j), I_SEG]
    end = (s, np.int64(0), cs.seg_abandon_score[s], 0.0, 0.0, FF[ix(j), F_T0])
    free, n_free = release(II, j, free, n_free)
    return end, ab_t, ab_k, ab_d, fl_free, fl_nfree, free, n_free


@njit(**HOT)
def handoff(j):
    """Order j's handoff to another department is over: it arrives at its next service."""
    return A_ARRIVE, j


@njit(**HOT)
def deliver(cs, II, FF, a_code, a_arg, t, r, sp, free, n_free):
    """Supplier request r is delivered: its requester first, then the invoice it raises (stacked above)."""
    u = II[ix(r), I_SEG]
    paid_by = cs.sup_paid_by[u]
    if paid_by >= 0:  # every delivery raises an invoice that nobody waits for
        k, free, n_free = take(II, free, n_free)
        II[ix(k), I_KIND] = K_INVOICE
        II[ix(k), I_SEG] = u
        II[ix(k), I_SVC] = paid_by
        II[ix(k), I_ROUTE] = -2
        II[ix(k), I_FLAGS] = 0
        II[ix(k), I_PARENT] = -1
        II[ix(k), I_PENDING] = 0
        II[ix(k), I_ROOT] = -1  # work for no external order: its escaped defects mark none
        II[ix(k), I_RGEN] = 0
        II[ix(k), I_FIRED] = -1
        FF[ix(k), F_T0] = t
        sp = push_action(a_code, a_arg, sp, A_ARRIVE, k)
    return A_FULFIL, r, sp, free, n_free


@njit(**INNER)
def hire(cs, DI, DF, ht, hk, he, t, d, count, hn, spent, seq):
    """*count* employees start in department d (replacements, or movers after a review): returns the action."""
    code = A_NONE
    if cs.stf_on[d]:  # on a calendar: an extra slot, on duty if it is open; the first takes queued work now, the
        # others one per event
        came = staffing.hired(DI, DF, d, t, count)
        if came > 0 and staffing.work_queued(DI, d):
            code = A_DISPATCH
            if came > 1:
                hn = add(ht, hk, he, hn, spent, t, (seq << 4) | EV_ONDUTY, (d << 32) | (came - 1))
                spent = False
                seq += 1
        return code, hn, spent, seq
    _advance(DI, DF, d, t)  # they start one by one
    DI[d, DI_PRESENT] += 1
    if count > 1:
        hn = add(ht, hk, he, hn, spent, t, (seq << 4) | EV_HIRE, (d << 32) | (count - 1))
        spent = False
        seq += 1
    return A_DISPATCH, hn, spent, seq


@njit(**INNER)
def on_duty(DI, ht, hk, he, t, d, count, hn, spent, seq):
    """*count* employees of department d came on duty: one takes queued work, the rest later (none is needed once
    the queue is empty)."""
    if not staffing.work_queued(DI, d):
        return A_NONE, hn, spent, seq
    if count > 1:
        hn = add(ht, hk, he, hn, spent, t, (seq << 4) | EV_ONDUTY, (d << 32) | (count - 1))
        spent = False
        seq += 1
    return A_DISPATCH, hn, spent, seq


@njit(**INNER)
def schedule_change(cs, DI, DF, ht, hk, he, t, ci, hn, seq):
    """The schedule of a department on a calendar changes at t (change ci): returns the action, its department and
    the heap's size and sequence number."""
    d = cs.stf_d[ci]
    DI[d, staffing.DI_SCHED] = cs.stf_v[ci]
    came = staffing.reconcile(DI, DF, d, t)
    code = A_NONE
    if came > 0 and staffing.work_queued(DI, d):  # the first takes queued work now, the others one per event while
        # work is queued (pools grow between events); without work they wait idle
        code = A_DISPATCH
        if came > 1:
            push(ht, hk, he, hn, t, (seq << 4) | EV_ONDUTY, (d << 32) | (came - 1))
            hn += 1
            seq += 1
    return code, d, hn, seq


@njit(**HOT)
def escalate(cs, II, FF, DI, DF, AQ, row, per, kcur, counting, d):
    """Department d's earliest agreement deadline is reached: that request moves to its escalated queue
    (``agreements.escalate``).  Returns the earliest escalation left."""
    agreements.escalate(II, FF, DI, DF, AQ, cs.row_off, cs.per_off, row, per, kcur, counting, d, cs.agr_pair,
                        cs.agr_supplier)  # fmt: skip
    return agreements.first(DI, DF)
