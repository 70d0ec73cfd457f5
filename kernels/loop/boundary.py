"""The clock's milestones: warm-up end, period boundaries (morale, attrition, review, suppliers, acquisition), horizon.

A boundary follows the README's order: per department (1) close the
period's utilisation and blocked share, (2) move morale, (3) draw leavers;
then the periodic review; then per supplier (4) the lead-time factor; then
per population segment (5) acquisition.  Idle employees take new vacancies
at once (vacancies queue ahead of all work).
"""

import math

import numpy as np
from numba import njit

from .. import layout
from ..layout import ACQUISITION, MORALE, PERIOD, REVIEW, ROW, SEGMENT_SOURCES
from ..model import acquisition_mean, attrition_probability, lead_time_factor, morale_next
from ..rng import binomial, poisson
from .columns import (
    DF_IAVAIL,
    DF_IBLK,
    DF_IBUSY,
    DF_MORALE,
    DF_PAVAIL,
    DF_PBLK,
    DF_PBUSY,
    DF_WAVAIL,
    DF_WBLK,
    DF_WBUSY,
    DI_BUSY,
    DI_PRESENT,
    DI_VAC,
)  # fmt: skip
from .departments import advance, enqueue_vacancies, leave, set_defect_probabilities, set_morale
from .events import redraw_arrival
from .state import INLINE, INNER, LEAF


@njit(**LEAF)
def end_warmup(cs, w, c, row, t):
    """Statistics start at t: employee time so far is set aside, the active population recorded."""
    DI, DF = w.DI, w.DF
    for d in range(cs.n_dept):
        advance(DI, DF, d, t)
        DF[d, DF_WBUSY] = DF[d, DF_IBUSY]
        DF[d, DF_WBLK] = DF[d, DF_IBLK]
        DF[d, DF_WAVAIL] = DF[d, DF_IAVAIL]
    for s in range(cs.n_seg):
        if w.pop[s] >= 0:
            row[cs.row_off[ROW.seg_active_at_warmup] + s] = w.pop[s]
    c.counting = 1
    c.warm_pending = 0


@njit(**INLINE)
def _close_period(cs, w, per, k, d, t):
    """Department d's employee time of period k, written to its row; returns (busy, blocked, available)."""
    DI, DF, po = w.DI, w.DF, cs.per_off
    advance(DI, DF, d, t)
    db = DF[d, DF_IBUSY] - DF[d, DF_PBUSY]
    dk = DF[d, DF_IBLK] - DF[d, DF_PBLK]
    da = DF[d, DF_IAVAIL] - DF[d, DF_PAVAIL]
    DF[d, DF_PBUSY] = DF[d, DF_IBUSY]
    DF[d, DF_PBLK] = DF[d, DF_IBLK]
    DF[d, DF_PAVAIL] = DF[d, DF_IAVAIL]
    per[k, po[PERIOD.dept_busy] + d] = db
    per[k, po[PERIOD.dept_blocked] + d] = dk
    per[k, po[PERIOD.dept_available] + d] = da
    per[k, po[PERIOD.dept_headcount] + d] = DI[d, DI_PRESENT]
    return db, dk, da


@njit(**INLINE)
def _staff(cs, w, st, per, k, t):
    """Steps (1)-(3) for every department; returns each one's utilisation (-1: nobody present all period)."""
    mor = cs.morale
    baseline = mor[MORALE.baseline]
    util = np.empty(cs.n_dept)
    for d in range(cs.n_dept):
        db, dk, da = _close_period(cs, w, per, k, d, t)
        util[d] = db / da if da > 0.0 else -1.0
        if cs.morale_on == 1:
            ut = db / da if da > 0.0 else 0.0
            bs = dk / da if da > 0.0 else 0.0
            # recognition lifts the target: the formula's baseline argument, not the neutral point of the effects
            m = morale_next(w.DF[d, DF_MORALE], ut, bs, baseline + cs.morale_lift, mor[MORALE.utilisation_threshold],
                            mor[MORALE.load_effect], mor[MORALE.blocked_effect], mor[MORALE.adjust_rate])  # fmt: skip
            set_morale(w.DF, cs.skill, mor, d, m)
            pa = attrition_probability(m, baseline, mor[MORALE.attrition_rate], mor[MORALE.attrition_effect])
            eligible = w.DI[d, DI_PRESENT] - w.DI[d, DI_VAC]  # present and not already leaving
            if eligible > 0 and pa > 0.0:
                leavers = binomial(st, cs.src_attrition + d, eligible, pa)
                if leavers > 0:
                    enqueue_vacancies(w.II, w.DI, w.ctr[0], d, np.int64(-1), leavers)
        per[k, cs.per_off[PERIOD.dept_morale] + d] = w.DF[d, DF_MORALE]
    if cs.morale_on == 1:
        set_defect_probabilities(w.pdef, w.DF, cs.svc_defect, cs.svc_dept, mor)
    return util


@njit(**INLINE)
def _review(cs, w, util):
    """The periodic review: one employee from the least to the most utilised department (first in order on ties)."""
    lo = np.int64(-1)
    hi = np.int64(-1)
    for d in range(cs.n_dept):
        if util[d] < 0.0:
            continue
        if lo < 0 or util[d] < util[lo]:
            lo = d
        if hi < 0 or util[d] > util[hi]:
            hi = d
    if (lo >= 0 and hi != lo and util[hi] - util[lo] > cs.review[REVIEW.threshold]
            and w.DI[lo, DI_PRESENT] - w.DI[lo, DI_VAC] - 1 >= cs.review[REVIEW.min_per_department]):  # fmt: skip
        enqueue_vacancies(w.II, w.DI, w.ctr[0], lo, hi, np.int64(1))  # permanent here; the mover starts there


@njit(**INLINE)
def _acquire(cs, w, st, per, k, t):
    """Step (5): new customers of each population segment, more when the period's NPS was high."""
    po = cs.per_off
    for s in range(cs.n_seg):
        pop = w.pop[s]
        per[k, po[PERIOD.seg_active] + s] = pop if pop >= 0 else 0.0
        if pop < 0:
            continue
        n_end = per[k, po[PERIOD.seg_completed] + s] + per[k, po[PERIOD.seg_abandoned] + s]
        nps = 0.0
        if n_end > 0.0:
            nps = 100.0 * (per[k, po[PERIOD.seg_promoters] + s] - per[k, po[PERIOD.seg_detractors] + s]) / n_end
        lam = acquisition_mean(cs.seg_acquisition[s, ACQUISITION.rate], cs.period,
                               cs.seg_acquisition[s, ACQUISITION.word_of_mouth], nps)  # fmt: skip
        new = poisson(st, layout.segment_stream(s, SEGMENT_SOURCES.acquisition), lam)
        if new > 0:  # the rate changed: the next order is drawn afresh (the gap is memoryless)
            w.pop[s] += new
            redraw_arrival(cs.seg_rate, w.pop, w.arr_t, st, w.ctr[0], s, t)


@njit(**INNER)
def period_boundary(cs, w, st, per, t):
    """The boundary at time t that closes the current period; the clock moves to the next."""
    c = w.ctr[0]
    k = c.period
    util = _staff(cs, w, st, per, k, t)
    if cs.review_every > 0 and (k + 1) % cs.review_every == 0:
        _review(cs, w, util)
    for d in range(cs.n_dept):  # vacancies queue ahead of all work: idle employees take them now
        m = min(w.DI[d, DI_PRESENT] - w.DI[d, DI_BUSY], w.DI[d, DI_VAC])
        if m > 0:
            leave(w.II, w.DI, w.DF, w.ht, w.hk, w.he, c, d, m, t, cs.morale[MORALE.hiring_delay],
                  cs.review[REVIEW.transfer_delay])  # fmt: skip
    for u in range(cs.n_sup):  # step (4)
        if w.pay_n[u] > 0.0:
            w.factor[u] = lead_time_factor(w.pay_sum[u] / w.pay_n[u], cs.sup_terms[u], cs.sup_sensitivity[u])
        w.pay_sum[u] = 0.0
        w.pay_n[u] = 0.0
    _acquire(cs, w, st, per, k, t)
    c.period = k + 1
    c.next_boundary = (k + 2) * cs.period if k + 1 < cs.n_periods - 1 else math.inf


@njit(**INNER)
def close_horizon(cs, w, row, per):
    """The horizon closes the last period (no boundary update) and employee time over [warmup, horizon]."""
    DF, ro = w.DF, cs.row_off
    k = w.ctr[0].period
    for d in range(cs.n_dept):
        _close_period(cs, w, per, k, d, cs.horizon)
        per[k, cs.per_off[PERIOD.dept_morale] + d] = DF[d, DF_MORALE]
        row[ro[ROW.dept_busy] + d] = DF[d, DF_IBUSY] - DF[d, DF_WBUSY]
        row[ro[ROW.dept_blocked] + d] = DF[d, DF_IBLK] - DF[d, DF_WBLK]
        row[ro[ROW.dept_available] + d] = DF[d, DF_IAVAIL] - DF[d, DF_WAVAIL]
        row[ro[ROW.dept_morale] + d] = DF[d, DF_MORALE]
    for s in range(cs.n_seg):
        per[k, cs.per_off[PERIOD.seg_active] + s] = w.pop[s] if w.pop[s] >= 0 else 0.0
