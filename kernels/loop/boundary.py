"""Period boundaries, the warm-up's end and the horizon: the loop's once-a-period work, compiled apart (cold).

At a boundary, in the README's order: per department (1) close the
period's utilisation and blocked share, (2) move morale (recognition and
shared feedback lifting the target), (3) draw leavers; then continuous
improvement's defect rates; then the periodic review; then per supplier (4)
the lead-time factor; then per population segment (5) acquisition.  Idle
employees take new vacancies at once (vacancies queue ahead of all work).
"""

import numpy as np
from numba import njit

from .. import staffing
from ..demand import next_arrival
from ..model import (
    acquisition_mean,
    attrition_probability,
    defect_probability,
    feedback_lift,
    lead_time_factor,
    learning_factor,
    morale_next,
    ramp_factor,
    speed_factor,
)
from ..rng import binomial, poisson
from ..staffing import (
    DF_IAVAIL,
    DF_IBLK,
    DF_IBUSY,
    DF_IOT,
    DF_MORALE,
    DF_PAVAIL,
    DF_PBLK,
    DF_PBUSY,
    DF_SPEED,
    DF_WAVAIL,
    DF_WBLK,
    DF_WBUSY,
    DF_WOT,
    DI_BUSY,
    DI_GAP,
    DI_PRESENT,
    DI_VAC,
    _advance,
)
from .columns import (
    EV_HIRE,
    INNER,
    P_ABAN,
    P_ACTIVE,
    P_COMP,
    P_DAVAIL,
    P_DBLK,
    P_DBUSY,
    P_DETR,
    P_DHEAD,
    P_DLEAVE,
    P_DMOR,
    P_DOT,
    P_PROM,
    R_ACTIVE,
    R_DAVAIL,
    R_DBLK,
    R_DBUSY,
    R_DMOR,
    R_DOT,
    R_FBL,
    R_LEARN,
)
from .departments import enqueue_vacancies, leave
from .heap import push


@njit(**INNER)
def period_boundary(cs, t, k, st, II, free, n_free, DI, DF, pdef, per, ht, hk, he, hn, seq, pop, arr_t, factor,
                    pay_sum, pay_n, row, svc_n, learn):  # fmt: skip
    """The period boundary at time t that closes period k (module docstring); returns the pool counters it moved."""
    mor = cs.morale
    lift = cs.morale_lift
    if cs.feedback > 0.0 or cs.fb_priority[0] > 0.0:  # shared feedback: the NPS of all orders ended in period k
        nps = period_nps(cs, per, k)
        fb = feedback_lift(cs.feedback, nps)
        lift = lift + fb
        if t >= cs.warmup:
            row[cs.row_off[R_FBL]] += fb
            row[cs.row_off[R_FBL] + 1] += 1.0
            if cs.fb_priority[0] > 0.0 and nps < cs.fb_priority[1]:
                row[cs.row_off[R_FBL] + 2] += 1.0
    util = np.empty(cs.n_dept)
    for d in range(cs.n_dept):
        u, free, n_free, hn, seq = _close_department(cs, d, t, k, st, II, free, n_free, DI, DF, per, ht, hk, he, hn, seq,
                                                     lift)  # fmt: skip
        util[d] = u
    learning = cs.learning[0] > 0.0
    if learning:  # continuous improvement: each service's defect rate along its learning curve
        for v in range(cs.n_svc):
            learn[v] = learning_factor(svc_n[v], cs.learning[1], cs.learning[0])
    if cs.morale_on == 1 or learning:
        for v in range(cs.n_svc):
            pdef[v] = defect_probability(cs.svc_defect[v] * learn[v], DF[cs.svc_dept[v], DF_MORALE], mor[1], mor[7])
    if cs.review_every > 0 and (k + 1) % cs.review_every == 0:
        free, n_free, hn, seq = _review(cs, util, t, II, free, n_free, DI, DF, ht, hk, he, hn, seq)
    for d in range(cs.n_dept):  # vacancies queue ahead of all work: idle employees take them now
        m = min(DI[d, DI_PRESENT] - DI[d, DI_BUSY], DI[d, DI_VAC])
        if m > 0 and not cs.stf_on[d]:  # (on a calendar, idle employees went off duty at once already)
            free, released, hn, seq = leave(II, DI, DF, d, m, t, mor[10], cs.review[1], free, ht, hk, he, hn, seq)
            n_free += released
    for u in range(cs.n_sup):
        if pay_n[u] > 0.0:
            factor[u] = lead_time_factor(pay_sum[u] / pay_n[u], cs.sup_terms[u], cs.sup_sensitivity[u])
        pay_sum[u] = 0.0
        pay_n[u] = 0.0
    _acquisition(cs, t, k, st, per, pop, arr_t)
    return free, n_free, hn, seq


@njit(**INNER)
def _close_department(cs, d, t, k, st, II, free, n_free, DI, DF, per, ht, hk, he, hn, seq, lift):
    """Department d at the boundary: its period's employee time, morale, leavers.

    Returns its utilisation (-1: nobody present all period) and the pool
    counters it moved.
    """
    po = cs.per_off
    mor = cs.morale
    baseline = mor[1]
    _advance(DI, DF, d, t)
    db = DF[d, DF_IBUSY] - DF[d, DF_PBUSY]
    dk = DF[d, DF_IBLK] - DF[d, DF_PBLK]
    da = DF[d, DF_IAVAIL] - DF[d, DF_PAVAIL]
    DF[d, DF_PBUSY] = DF[d, DF_IBUSY]
    DF[d, DF_PBLK] = DF[d, DF_IBLK]
    DF[d, DF_PAVAIL] = DF[d, DF_IAVAIL]
    per[k, po[P_DBUSY] + d] = db
    per[k, po[P_DBLK] + d] = dk
    per[k, po[P_DAVAIL] + d] = da
    per[k, po[P_DHEAD] + d] = DI[d, DI_PRESENT]
    if cs.stf_on[d]:
        per[k, po[P_DOT] + d] = staffing.period_overtime(DI, DF, d, t)
    util = db / da if da > 0.0 else -1.0  # -1: nobody present all period
    if cs.morale_on == 1:
        ut = db / da if da > 0.0 else 0.0
        bs = dk / da if da > 0.0 else 0.0
        # recognition lifts the target: the formula's baseline argument, not the neutral point of the effects
        m = morale_next(DF[d, DF_MORALE], ut, bs, baseline + lift, mor[3], mor[4], mor[5], mor[2], cs.challenge[d])
        DF[d, DF_MORALE] = m
        DF[d, DF_SPEED] = cs.skill[d] * speed_factor(m, baseline, mor[6])
        pa = attrition_probability(m, baseline, mor[8], mor[9])
        eligible = DI[d, DI_PRESENT] - DI[d, DI_VAC]  # present and not already leaving
        if cs.stf_on[d]:  # on a calendar: drawn from the filled slots, on duty or not; each slot is vacated now
            eligible = cs.headcount[d] - DI[d, DI_GAP]
            leavers = binomial(st, cs.src_attrition + d, eligible, pa) if eligible > 0 and pa > 0.0 else 0
            per[k, po[P_DLEAVE] + d] = leavers
            if leavers > 0:
                staffing.vacate(DI, DF, d, t, leavers)
                push(ht, hk, he, hn, t + mor[10], (seq << 4) | EV_HIRE, (d << 32) | leavers)
                hn += 1
                seq += 1
            eligible = 0
        if eligible > 0 and pa > 0.0:
            leavers = binomial(st, cs.src_attrition + d, eligible, pa)
            per[k, po[P_DLEAVE] + d] = leavers
            if leavers > 0:
                free, taken = enqueue_vacancies(II, DI, free, d, np.int64(-1), leavers)
                n_free -= taken
        if mor[12] > 0.0:  # turnover costs speed: the last ramp_periods boundaries' leavers work slower
            DF[d, DF_SPEED] *= ramp_factor(_recent(per, po[P_DLEAVE] + d, k, int(mor[12])), cs.headcount[d], mor[11])
    per[k, po[P_DMOR] + d] = DF[d, DF_MORALE]
    return util, free, n_free, hn, seq


@njit(**INNER)
def _recent(per, col, k, n):
    """Sum of column col over periods k-n+1 .. k (leavers drawn at the last n boundaries)."""
    total = 0.0
    for j in range(max(0, k - n + 1), k + 1):
        total += per[j, col]
    return total


@njit(**INNER)
def _review(cs, util, t, II, free, n_free, DI, DF, ht, hk, he, hn, seq):
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
    # the floor counts employees staying; on a calendar, the fewest scheduled while open less vacant slots
    keeps = np.int64(0)
    if lo >= 0:
        keeps = cs.stf_min[lo] - DI[lo, DI_GAP] if cs.stf_on[lo] else DI[lo, DI_PRESENT] - DI[lo, DI_VAC]
    if lo >= 0 and hi != lo and util[hi] - util[lo] > cs.review[0] and keeps - 1 >= cs.review[2]:
        if cs.stf_on[lo]:  # a permanent vacant slot there now; the mover starts there transfer_delay later
            staffing.vacate(DI, DF, lo, t, 1)
            push(ht, hk, he, hn, t + cs.review[1], (seq << 4) | EV_HIRE, (hi << 32) | 1)
            hn += 1
            seq += 1
        else:
            free, taken = enqueue_vacancies(II, DI, free, lo, hi, np.int64(1))  # permanent here; the mover
            n_free -= taken  # starts there
    return free, n_free, hn, seq


@njit(**INNER)
def _acquisition(cs, t, k, st, per, pop, arr_t):
    """Each population segment's active customers for period k, and its new customers (drawn from its NPS)."""
    po = cs.per_off
    for s in range(cs.n_seg):
        per[k, po[P_ACTIVE] + s] = pop[s] if pop[s] >= 0 else 0.0
        if pop[s] < 0:
            continue
        n_end = per[k, po[P_COMP] + s] + per[k, po[P_ABAN] + s]
        nps = 0.0
        if n_end > 0.0:
            nps = 100.0 * (per[k, po[P_PROM] + s] - per[k, po[P_DETR] + s]) / n_end
        lam = acquisition_mean(cs.seg_acquisition[s, 0], cs.period, cs.seg_acquisition[s, 1], nps)
        new = poisson(st, 5 * s + 4, lam)
        if new > 0:  # the rate changed: the next order is drawn afresh (the gap is memoryless)
            pop[s] += new
            arr_t[s] = next_arrival(st, 5 * s, t, cs.seg_rate[s] * pop[s], cs.dm_start[s], cs.dm_start[s + 1], cs.dm_bp,
                                    cs.dm_rt, cs.dm_cum)  # fmt: skip


@njit(**INNER)
def period_nps(cs, per, k):
    """NPS over the orders of every segment ended in period k (0 if none)."""
    po = cs.per_off
    net = 0.0
    n_end = 0.0
    for s in range(cs.n_seg):
        net += per[k, po[P_PROM] + s] - per[k, po[P_DETR] + s]
        n_end += per[k, po[P_COMP] + s] + per[k, po[P_ABAN] + s]
    return 100.0 * net / n_end if n_end > 0.0 else 0.0


@njit(**INNER)
def end_warmup(cs, DI, DF, pop, row, t):
    """Warm-up ends at t: employee time and active customers from here on are counted."""
    for d in range(cs.n_dept):
        _advance(DI, DF, d, t)
        DF[d, DF_WBUSY] = DF[d, DF_IBUSY]
        DF[d, DF_WBLK] = DF[d, DF_IBLK]
        DF[d, DF_WAVAIL] = DF[d, DF_IAVAIL]
    staffing.mark_warmup(DI, DF, cs.stf_on, t)
    for s in range(cs.n_seg):
        if pop[s] >= 0:
            row[cs.row_off[R_ACTIVE] + s] = pop[s]


@njit(**INNER)
def close_horizon(cs, DI, DF, pop, learn, row, per, kcur):
    """The horizon: close the last period (no boundary update); employee time over [warmup, horizon]."""
    t = cs.horizon
    ro = cs.row_off
    po = cs.per_off
    for d in range(cs.n_dept):
        _advance(DI, DF, d, t)
        per[kcur, po[P_DBUSY] + d] = DF[d, DF_IBUSY] - DF[d, DF_PBUSY]
        per[kcur, po[P_DBLK] + d] = DF[d, DF_IBLK] - DF[d, DF_PBLK]
        per[kcur, po[P_DAVAIL] + d] = DF[d, DF_IAVAIL] - DF[d, DF_PAVAIL]
        per[kcur, po[P_DMOR] + d] = DF[d, DF_MORALE]
        per[kcur, po[P_DHEAD] + d] = DI[d, DI_PRESENT]
        if cs.stf_on[d]:
            per[kcur, po[P_DOT] + d] = staffing.period_overtime(DI, DF, d, t)
            row[ro[R_DOT] + d] = DF[d, DF_IOT] - DF[d, DF_WOT]
        row[ro[R_DBUSY] + d] = DF[d, DF_IBUSY] - DF[d, DF_WBUSY]
        row[ro[R_DBLK] + d] = DF[d, DF_IBLK] - DF[d, DF_WBLK]
        row[ro[R_DAVAIL] + d] = DF[d, DF_IAVAIL] - DF[d, DF_WAVAIL]
        row[ro[R_DMOR] + d] = DF[d, DF_MORALE]
    for s in range(cs.n_seg):
        per[kcur, po[P_ACTIVE] + s] = pop[s] if pop[s] >= 0 else 0.0
    if cs.learning[0] > 0.0:
        for v in range(cs.n_svc):
            row[ro[R_LEARN] + v] = learn[v]
