"""One function per event kind: what the event itself does, returning the first action of its cascade (``cascade``)."""

import math

from numba import njit

from .. import layout
from ..layout import CHURN, DIST, HIST_BINS, PERIOD, ROW, SEGMENT_SOURCES, SERVICE_SOURCES, WORK_CLASS, sojourn_bin
from ..model import churns, nps_class, satisfaction
from ..rng import NONE, _uniform, draw_inline
from . import pool
from .cascade import A_ARRIVE, A_DISPATCH, A_ENQUEUE, A_FULFIL, A_NONE, push_action
from .columns import (
    DI_AJ,
    DI_BUSY,
    DI_PRESENT,
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
)  # fmt: skip
from .departments import advance
from .events import EV_HANDOFF, EV_HIRE, disarm_patience, redraw_arrival, schedule
from .state import INLINE, LEAF, ix


@njit(**LEAF)
def arrival(cs, w, c, st, row, t, s):
    """An order of segment s arrives: it draws its patience, and the segment its next order."""
    II, FF = w.II, w.FF
    if c.counting:
        row[cs.row_off[ROW.seg_arrivals] + s] += 1.0
    j = pool.allocate(II, c)
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
    pat = cs.seg_patience[s]
    if int(pat[DIST.code]) == NONE:
        FF[ix(j), F_PAT] = math.inf
    else:
        stream = layout.segment_stream(s, SEGMENT_SOURCES.patience)
        FF[ix(j), F_PAT] = draw_inline(st, stream, int(pat[DIST.code]), pat[DIST.p0], pat[DIST.p1], pat[DIST.p2])
    redraw_arrival(cs.seg_rate, w.pop, w.arr_t, st, c, s, t)
    return A_ARRIVE, j


@njit(**LEAF)
def complete(cs, w, c, st, row, per, t, j):
    """Item j's service completes: the employee is freed (dispatched first), the work checked for a defect."""
    v = w.II[ix(j), I_SVC]
    d = cs.svc_dept[v]
    advance(w.DI, w.DF, d, t)
    w.DI[d, DI_BUSY] -= 1
    fl = w.II[ix(j), I_FLAGS]
    if c.counting:
        row[cs.row_off[ROW.services_completed]] += 1.0
        if fl & FL_REDO:
            row[cs.row_off[ROW.services_redone]] += 1.0
    pd = w.FF[ix(j), F_PDEF]
    defect = False
    if pd > 0.0:
        defect = _uniform(st, layout.service_stream(cs.src_service, v, SERVICE_SOURCES.defects)) < pd
    if w.II[ix(j), I_KIND] == K_ORDER:
        _step_done(cs, w, c, st, row, per, t, j, v, d, fl, defect)
    else:
        _request_done(cs, w, c, st, t, j, v, fl, defect)
    return A_DISPATCH, d


@njit(**LEAF)
def _detected(st, src_service, svc_detect, v):
    """Whether the next internal customer catches a defect of service v."""
    return _uniform(st, layout.service_stream(src_service, v, SERVICE_SOURCES.detection)) < svc_detect[v]


@njit(**LEAF)
def _route(II, st, step_fixed, route_start, route_cum, route_step, j, s):
    """Order j's next step after its visit (-1: its journey is complete), drawn at its first completion there."""
    route = II[ix(j), I_ROUTE]
    if route == -2:  # redos keep it
        step = II[ix(j), I_STEP]
        route = step_fixed[step]
        if route == -2:
            ur = _uniform(st, layout.segment_stream(s, SEGMENT_SOURCES.routing))
            route = -1
            for r in range(route_start[step], route_start[step + 1]):
                if ur < route_cum[r]:
                    route = route_step[r]
                    break
        II[ix(j), I_ROUTE] = route
    return route


@njit(**INLINE)
def _step_done(cs, w, c, st, row, per, t, j, v, d, fl, defect):
    """Order j completed a journey step: redo it, go on to the next step, or end (a defect at the end escapes)."""
    II = w.II
    s = II[ix(j), I_SEG]
    route = _route(II, st, cs.step_fixed, cs.route_start, cs.route_cum, cs.route_step, j, s)
    if route < 0:  # the journey is complete: nobody internal is left to catch a defect
        if defect:
            II[ix(j), I_ESC] += 1
        sojourn = t - w.FF[ix(j), F_T0]
        c.ended = s
        c.ended_done = 1
        c.ended_score = satisfaction(sojourn, cs.seg_expectation[s], cs.seg_sensitivity[s], II[ix(j), I_ESC],
                                     cs.seg_penalty[s])  # fmt: skip
        c.ended_sojourn = sojourn
        c.ended_wait = w.FF[ix(j), F_WACC]
        pool.release(II, c, j)
        return
    if defect:  # the next step is the next internal customer
        if _detected(st, cs.src_service, cs.svc_detect, v):
            II[ix(j), I_FLAGS] = fl | FL_REDO
            push_action(w.a_code, w.a_arg, c, A_ENQUEUE, j)
            return
        II[ix(j), I_ESC] += 1
    II[ix(j), I_FLAGS] = fl & ~FL_REDO
    II[ix(j), I_ROUTE] = -2
    II[ix(j), I_STEP] = route
    nv = cs.step_svc[route]
    II[ix(j), I_SVC] = nv
    h = cs.handoff
    if int(h[DIST.code]) != NONE and cs.svc_dept[nv] != d:
        handoff = draw_inline(st, cs.src_handoff, int(h[DIST.code]), h[DIST.p0], h[DIST.p1], h[DIST.p2])
        schedule(w.ht, w.hk, w.he, c, t + handoff, EV_HANDOFF, j, 0)
    else:
        push_action(w.a_code, w.a_arg, c, A_ARRIVE, j)


@njit(**INLINE)
def _request_done(cs, w, c, st, t, j, v, fl, defect):
    """Sub-request or invoice j completed: redo it, fulfil the requester, or pay the invoice."""
    II = w.II
    if defect:  # its requester is the next internal customer
        if _detected(st, cs.src_service, cs.svc_detect, v):
            II[ix(j), I_FLAGS] = fl | FL_REDO
            push_action(w.a_code, w.a_arg, c, A_ENQUEUE, j)
            return
        r = II[ix(j), I_ROOT]
        if r >= 0 and II[ix(r), I_GEN] == II[ix(j), I_RGEN] and II[ix(r), I_KIND] == K_ORDER:
            II[ix(r), I_ESC] += 1  # a sub-request's defect marks the order that caused it
    if II[ix(j), I_KIND] == K_SUB:
        II[ix(j), I_FLAGS] = fl & ~FL_REDO
        push_action(w.a_code, w.a_arg, c, A_FULFIL, j)
    else:  # the invoice is paid
        u = II[ix(j), I_SEG]
        w.pay_sum[u] += t - w.FF[ix(j), F_T0]
        w.pay_n[u] += 1.0
        pool.release(II, c, j)


@njit(**LEAF)
def abandon(cs, w, c, st, row, per, t, d):
    """The order with department d's earliest deadline leaves its queue, scored as abandoned."""
    II = w.II
    j = w.DI[d, DI_AJ]
    q = cs.queue_of_class[WORK_CLASS.external]
    pool.unlink(II, w.DI, d, q, j)
    disarm_patience(II, w.FF, w.DI, w.DF, c, d, q, j)
    node = II[ix(j), I_FIRED]  # hold needs never sent
    while node >= 0:
        node = pool.release_node(w.fl_next, c, node)
    c.ended = II[ix(j), I_SEG]
    c.ended_done = 0
    c.ended_score = cs.seg_abandon_score[c.ended]
    pool.release(II, c, j)
    return A_NONE, j


@njit(**LEAF)
def handoff(j):
    """Order j reaches the department of its next step."""
    return A_ARRIVE, j


@njit(**LEAF)
def deliver(cs, w, c, t, r):
    """A supplier delivers request r: the requester goes on first, then the invoice it raises (if modelled)."""
    II = w.II
    u = II[ix(r), I_SEG]
    paid_by = cs.sup_paid_by[u]
    if paid_by >= 0:  # an invoice that nobody waits for
        k = pool.allocate(II, c)
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
        w.FF[ix(k), F_T0] = t
        push_action(w.a_code, w.a_arg, c, A_ARRIVE, k)
    return A_FULFIL, r


@njit(**LEAF)
def hire(w, c, t, d, count):
    """*count* employees start in department d, one by one: one now, the rest as the next event at the same time."""
    advance(w.DI, w.DF, d, t)
    w.DI[d, DI_PRESENT] += 1
    if count > 1:
        schedule(w.ht, w.hk, w.he, c, t, EV_HIRE, d, count - 1)
    return A_DISPATCH, d


@njit(**LEAF)
def order_ended(cs, w, c, st, row, per, t):
    """The order the event ended (``c.ended``, its segment) is counted and scored; a customer may churn."""
    s = c.ended
    score = c.ended_score
    cls = nps_class(score)
    k = c.period
    po, ro = cs.per_off, cs.row_off
    if c.ended_done:
        per[k, po[PERIOD.seg_completed] + s] += 1.0
        per[k, po[PERIOD.seg_sojourn_sum] + s] += c.ended_sojourn
    else:
        per[k, po[PERIOD.seg_abandoned] + s] += 1.0
    per[k, po[PERIOD.seg_score_sum] + s] += score
    if cls > 0:
        per[k, po[PERIOD.seg_promoters] + s] += 1.0
    elif cls < 0:
        per[k, po[PERIOD.seg_detractors] + s] += 1.0
    if c.counting:
        if c.ended_done:
            row[ro[ROW.seg_completed] + s] += 1.0
            row[ro[ROW.seg_wait_sum] + s] += c.ended_wait
            row[ro[ROW.seg_sojourn_sum] + s] += c.ended_sojourn
            row[ro[ROW.seg_sojourn_hist] + s * HIST_BINS + sojourn_bin(c.ended_sojourn, cs.scale)] += 1.0
            row[ro[ROW.seg_revenue] + s] += cs.seg_value[s]
        else:
            row[ro[ROW.seg_abandoned] + s] += 1.0
        row[ro[ROW.seg_score_sum] + s] += score
        if cls > 0:
            row[ro[ROW.seg_promoters] + s] += 1.0
        elif cls < 0:
            row[ro[ROW.seg_detractors] + s] += 1.0
    if w.pop[s] > 0:  # one customer leaves with the churn probability
        u = _uniform(st, layout.segment_stream(s, SEGMENT_SOURCES.churn))
        ch = cs.seg_churn[s]
        if churns(u, score, ch[CHURN.floor], ch[CHURN.ceiling], ch[CHURN.midpoint], ch[CHURN.steepness]):
            w.pop[s] -= 1
            if c.counting:
                row[ro[ROW.seg_churned] + s] += 1.0
            redraw_arrival(cs.seg_rate, w.pop, w.arr_t, st, c, s, t)  # the next order is drawn afresh at the new rate
    c.ended = -1
