"""Vacancies: leavers' and movers' slots queued ahead of all work, and the free employees who take them and go."""

import numpy as np
from numba import njit

from ..items import I_KIND, I_PENDING, I_SEG, K_VACANCY
from ..staffing import DI_PRESENT, DI_QH, DI_QT, DI_VAC, _advance
from .columns import EV_HIRE, INNER, ix
from .heap import push
from .pool import append, release, take, unlink

Q_VACANCY = 2  # a department's third queue


@njit(**INNER)
def enqueue_vacancies(II, DI, free, d, dest, count):
    """*count* vacancies at department d join its vacancy queue (dest: where movers go, -1 for leavers).

    The queue holds runs of equal destination (I_PENDING vacancies each), so
    a boundary adds at most two pool items per department however many
    leave.  Returns the free-list head and the items taken (0 or 1).
    """
    DI[d, DI_VAC] += count
    tl = DI[d, DI_QT + Q_VACANCY]
    if tl >= 0 and II[ix(tl), I_SEG] == dest:
        II[ix(tl), I_PENDING] += count
        return free, 0
    vj, free, _ = take(II, free, np.int64(0))
    II[ix(vj), I_KIND] = K_VACANCY
    II[ix(vj), I_SEG] = dest
    II[ix(vj), I_PENDING] = count
    append(II, DI, d, Q_VACANCY, vj)
    return free, 1


@njit(**INNER)
def leave(II, DI, DF, d, m, t, hiring_delay, transfer_delay, free, ht, hk, he, hn, seq):
    """*m* free employees of department d take its first m vacancies and leave now.

    Leavers are replaced here after the hiring delay; movers start in their
    receiving department after the transfer delay: one start event per run,
    carrying how many start.  Returns the free-list head, the pool items
    released, and the heap size and sequence number.
    """
    _advance(DI, DF, d, t)
    released = 0
    while m > 0:
        vj = DI[d, DI_QH + Q_VACANCY]
        k = min(m, II[ix(vj), I_PENDING])
        dest = II[ix(vj), I_SEG]
        m -= k
        DI[d, DI_VAC] -= k
        DI[d, DI_PRESENT] -= k
        if dest < 0:
            push(ht, hk, he, hn, t + hiring_delay, (seq << 4) | EV_HIRE, (d << 32) | k)
        else:
            push(ht, hk, he, hn, t + transfer_delay, (seq << 4) | EV_HIRE, (dest << 32) | k)
        hn += 1
        seq += 1
        II[ix(vj), I_PENDING] -= k
        if II[ix(vj), I_PENDING] == 0:
            unlink(II, DI, d, Q_VACANCY, vj)
            free, released = release(II, vj, free, released)
    return free, released, hn, seq
