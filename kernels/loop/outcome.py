"""An order ended (completed or abandoned): count it, score it, and let one customer of its segment churn.

A detractor may be offered a complaint-recovery step (work queued at the
recovery service); a customer who leaves lowers the segment's population,
and its next arrival is drawn afresh at the new rate.
"""

import numpy as np
from numba import njit

from ..demand import next_arrival
from ..items import F_T0, I_FIRED, I_FLAGS, I_KIND, I_PARENT, I_PENDING, I_RGEN, I_ROOT, I_ROUTE, I_SEG, I_SVC, K_RECOVERY
from ..layout import HIST_BINS, sojourn_bin
from ..model import churns, nps_class, recovered_churn_probability
from ..profile import hour_of_week
from ..rng import _uniform
from .columns import A_ARRIVE, HOT, ix
from .pool import push_action, take


@njit(**HOT)
def order_ended(cs, off, II, FF, st, row, per, pop, arr_t, a_code, a_arg, t, kcur, counting, end, sp, free, n_free):
    """Count the end record *end* (``handlers``) in period kcur (and the row once counting); then churn.

    Returns whether the segment's next arrival was drawn afresh, and the scalars moved.
    """
    s, done, score, soj, wait, t0 = end
    c = nps_class(score)
    if done == 1:
        per[kcur, off.p_comp + s] += 1.0
        per[kcur, off.p_soj + s] += soj
    else:
        per[kcur, off.p_aban + s] += 1.0
    per[kcur, off.p_score + s] += score
    if c > 0:
        per[kcur, off.p_prom + s] += 1.0
    elif c < 0:
        per[kcur, off.p_detr + s] += 1.0
    if counting:
        _count(cs, off, row, s, done, score, soj, wait, t0, c)
    redrawn = False
    if pop[s] > 0:  # one customer leaves with the churn probability
        redrawn, sp, free, n_free = _churn(cs, off, II, FF, st, row, pop, arr_t, a_code, a_arg, t, counting, s, score,
                                           c, sp, free, n_free)  # fmt: skip
    return redrawn, sp, free, n_free


@njit(**HOT)
def _count(cs, off, row, s, done, score, soj, wait, t0, c):
    """The ended order in the replication's row (after warm-up)."""
    if done == 1:
        row[off.comp + s] += 1.0
        row[off.wait + s] += wait
        row[off.soj + s] += soj
        row[off.hist + s * HIST_BINS + sojourn_bin(soj, cs.scale)] += 1.0
        row[off.rev + s] += cs.seg_value[s]
        if wait <= cs.seg_sl_target[s]:  # (-1: no target)
            row[off.slw + s] += 1.0
    else:
        row[off.aban + s] += 1.0
    if cs.pf_on == 1:
        hw = hour_of_week(t0, cs.pf_offset, cs.pf_per_unit)
        if done == 1:
            row[off.pcomp + hw] += 1.0
            row[off.pwait + hw] += wait
        else:
            row[off.paban + hw] += 1.0
    row[off.score + s] += score
    if c > 0:
        row[off.prom + s] += 1.0
    elif c < 0:
        row[off.detr + s] += 1.0


@njit(**HOT)
def _churn(cs, off, II, FF, st, row, pop, arr_t, a_code, a_arg, t, counting, s, score, c, sp, free, n_free):
    """One customer of population segment s leaves with the churn probability (lower once a recovery step is won)."""
    u = _uniform(st, 5 * s + 3)
    won = False
    if c < 0 and cs.recovery[0] > 0.0:  # a detractor is offered a recovery step: work queued at the recovery service
        won = _uniform(st, cs.src_recovery + s) < cs.recovery[2]
        if counting:
            row[off.rec] += 1.0
            if won:
                row[off.rec + 1] += 1.0
        sp, free, n_free = _recovery_step(cs, II, FF, a_code, a_arg, t, s, sp, free, n_free)
    ch = cs.seg_churn
    if won:
        gone = u < recovered_churn_probability(score, ch[s, 0], ch[s, 1], ch[s, 2], ch[s, 3], cs.recovery[3],
                                               cs.recovery[4] > 0.0)  # fmt: skip
    else:
        gone = churns(u, score, ch[s, 0], ch[s, 1], ch[s, 2], ch[s, 3])
    if gone:
        pop[s] -= 1
        if counting:
            row[off.churn + s] += 1.0
        # the next order is drawn afresh at the new rate
        arr_t[s] = next_arrival(st, 5 * s, t, cs.seg_rate[s] * pop[s], cs.dm_start[s], cs.dm_start[s + 1], cs.dm_bp,
                                cs.dm_rt, cs.dm_cum)  # fmt: skip
    return gone, sp, free, n_free


@njit(**HOT)
def _recovery_step(cs, II, FF, a_code, a_arg, t, s, sp, free, n_free):
    """A complaint-recovery step for segment s arrives at the recovery service (nobody waits for it)."""
    k, free, n_free = take(II, free, n_free)
    II[ix(k), I_KIND] = K_RECOVERY
    II[ix(k), I_SEG] = s
    II[ix(k), I_SVC] = np.int64(cs.recovery[1])
    II[ix(k), I_ROUTE] = -2
    II[ix(k), I_FLAGS] = 0
    II[ix(k), I_PARENT] = -1
    II[ix(k), I_PENDING] = 0
    II[ix(k), I_ROOT] = -1  # work for no order still in the system: its defects mark none
    II[ix(k), I_RGEN] = 0
    II[ix(k), I_FIRED] = -1
    FF[ix(k), F_T0] = t
    return push_action(a_code, a_arg, sp, A_ARRIVE, k), free, n_free
