"""Department staff: employee time, morale and speed, vacancies and the employees who leave to fill them."""

import numpy as np
from numba import njit

from ..layout import MORALE
from ..model import defect_probability, speed_factor
from . import pool
from .columns import (
    DF_IAVAIL,
    DF_IBLK,
    DF_IBUSY,
    DF_LAST,
    DF_MORALE,
    DF_SPEED,
    DI_BLOCKED,
    DI_BUSY,
    DI_PRESENT,
    DI_QH,
    DI_QT,
    DI_VAC,
    I_KIND,
    I_PENDING,
    I_SEG,
    K_VACANCY,
    Q_VACANCY,
)  # fmt: skip
from .events import EV_HIRE, schedule
from .state import INNER, LEAF, ix

_VACANCIES = np.int64(Q_VACANCY)  # (typed as a variable: pool.link and unlink compile once)


@njit(**LEAF)
def advance(DI, DF, d, t):
    """Integrate department d's employee time up to t."""
    dt = t - DF[d, DF_LAST]
    if dt > 0.0:
        DF[d, DF_IBUSY] += DI[d, DI_BUSY] * dt
        DF[d, DF_IBLK] += DI[d, DI_BLOCKED] * dt
        DF[d, DF_IAVAIL] += DI[d, DI_PRESENT] * dt
        DF[d, DF_LAST] = t


@njit(**INNER)
def set_morale(DF, skill, morale, d, m):
    """Department d's morale becomes m, and with it its work speed (skill x speed factor); *morale*: MORALE columns."""
    DF[d, DF_MORALE] = m
    DF[d, DF_SPEED] = skill[d] * speed_factor(m, morale[MORALE.baseline], morale[MORALE.productivity_effect])


@njit(**INNER)
def set_defect_probabilities(pdef, DF, svc_defect, svc_dept, morale):
    """Every service's defect probability at its department's current morale."""
    for v in range(pdef.shape[0]):
        pdef[v] = defect_probability(svc_defect[v], DF[svc_dept[v], DF_MORALE], morale[MORALE.baseline],
                                     morale[MORALE.defect_effect])  # fmt: skip


@njit(**INNER)
def enqueue_vacancies(II, DI, c, d, dest, count):
    """*count* vacancies at department d join its vacancy queue (dest: where movers go, -1 for leavers).

    The queue holds runs of equal destination (I_PENDING vacancies each), so
    a boundary adds at most two pool items per department however many leave.
    """
    DI[d, DI_VAC] += count
    tl = DI[d, DI_QT + _VACANCIES]
    if tl >= 0 and II[ix(tl), I_SEG] == dest:
        II[ix(tl), I_PENDING] += count
        return
    vj = pool.allocate(II, c)
    c.runs += 1
    II[ix(vj), I_KIND] = K_VACANCY
    II[ix(vj), I_SEG] = dest
    II[ix(vj), I_PENDING] = count
    pool.link(II, DI, d, _VACANCIES, vj)


@njit(**INNER)
def leave(II, DI, DF, ht, hk, he, c, d, m, t, hiring_delay, transfer_delay):
    """*m* free employees of department d take its first m vacancies and leave at time t.

    Leavers are replaced after the hiring delay; movers start in their
    receiving department after the transfer delay: one start event per run,
    carrying how many start.
    """
    advance(DI, DF, d, t)
    while m > 0:
        vj = DI[d, DI_QH + _VACANCIES]
        k = min(m, II[ix(vj), I_PENDING])
        dest = II[ix(vj), I_SEG]
        m -= k
        DI[d, DI_VAC] -= k
        DI[d, DI_PRESENT] -= k
        if dest < 0:
            schedule(ht, hk, he, c, t + hiring_delay, EV_HIRE, d, k)
        else:
            schedule(ht, hk, he, c, t + transfer_delay, EV_HIRE, dest, k)
        II[ix(vj), I_PENDING] -= k
        if II[ix(vj), I_PENDING] == 0:
            pool.unlink(II, DI, d, _VACANCIES, vj)
            pool.release(II, c, vj)
            c.runs -= 1
