"""The replication driver: each replication reset, then its events handled until the horizon."""

import math

import numpy as np
from numba import njit

from .. import agreements, staffing
from ..demand import next_arrival
from ..items import I_NEXT, NF, NI
from ..model import defect_probability, speed_factor, training_factor
from ..profile import split
from ..rng import states as rng_states
from ..staffing import (
    DF_ADEAD,
    DF_EDEAD,
    DF_IAVAIL,
    DF_IBUSY,
    DF_LAST,
    DF_MORALE,
    DF_SPEED,
    DI_BUSY,
    DI_PRESENT,
    DI_QH,
    NDF,
    NDI,
)
from . import cascade, handlers
from .borrow import borrow
from .boundary import close_horizon, end_warmup, period_boundary, period_nps
from .columns import (
    A_ARRIVE,
    A_BEGIN,
    A_DISPATCH,
    A_ENQUEUE,
    A_FULFIL,
    A_NONE,
    A_SEND,
    A_START,
    EV_ABANDON,
    EV_ARRIVAL,
    EV_COMPLETE,
    EV_DELIVER,
    EV_ESCALATE,
    EV_HANDOFF,
    EV_HIRE,
    FAST,
    HOT,
    INNER,
    M32,
    P_ABAN,
    P_COMP,
    P_DDONE,
    P_DETR,
    P_PROM,
    P_SCORE,
    P_SOJ,
    R_ABAN,
    R_ARR,
    R_CHURN,
    R_COMP,
    R_DDONE,
    R_DETR,
    R_DVIS,
    R_DWAIT,
    R_HIST,
    R_PABAN,
    R_PARR,
    R_PAVAIL,
    R_PBUSY,
    R_PCOMP,
    R_PROM,
    R_PTIME,
    R_PWAIT,
    R_RCNT,
    R_REC,
    R_REV,
    R_RSUM,
    R_SCOMP,
    R_SCORE,
    R_SESC,
    R_SLW,
    R_SOJ,
    R_SREDO,
    R_ULATE,
    R_WAIT,
    Offsets,
    ix,
)
from .events import first_arrival
from .heap import before, bits_time, grow, settle
from .outcome import order_ended
from .pool import grow_items, grow_nodes, grow_pair


@njit(**FAST)
def run_replications(cs, states, rows, periods):
    # Measured alternately in one process against main's single-function loop (kernels/loop.py), baseline, 1 thread,
    # 20 replications a round, 40 rounds, shared machine: kernel per replication, median paired ratio 0.962 (IQR
    # 0.910-1.009, load 2.7) and 0.990 (IQR 0.963-1.027, load 4), every row and period identical.  Cold compile
    # (fresh cache, CPU s of the first orgsim.run of jackson, 6 alternating rounds, load 2.7-4.6): 54.7-62.7 s
    # (median 57.1) against main's 54.4-63.4 s (59.3).  The agreement hooks and the escalation handler must be
    # inlined: as plain calls (they take the compiled scenario) the kernel ran 2.39 times slower.
    """Simulate replications of compiled scenario *cs*, one after another.

    Replication i starts its random streams from ``states[i]`` (n_sources, 4)
    (``rng.states``: seeded from (seed, replication, source name) only) and
    fills ``rows[i]`` (row_len,) and ``periods[i]`` (n_periods, per_len), so
    it gives the same numbers whichever call, thread or position runs it.
    Pools are allocated once per call, reset between replications, and grown
    between events only (``_make_room``).  The hot scalars are locals here,
    passed to each part and returned by it (LLVM keeps them in registers).
    """
    cs = borrow(cs)
    off = _offsets(cs)
    room_items, room_heap, room_stack = _room(cs)
    n_changes = cs.stf_t.shape[0]
    pools = _pools()  # (owned here; the loop works on views of them)
    own = _arrays(cs)  # (owned here too)
    DI, DF, pdef, svc_n, learn, snap, pop, arr_t, factor, pay_sum, pay_n, AQ = borrow(own)
    for irep in range(states.shape[0]):
        st = borrow(states[irep])  # advanced in place
        row = borrow(rows[irep])
        per = borrow(periods[irep])
        if pools[2].shape[0] < cs.n_seg + room_heap:
            pools = _grown_heap(pools, cs.n_seg + room_heap)
        II, FF, ht, hk, he, a_code, a_arg, fl_need, fl_next = borrow(pools)
        _reset(cs, II, fl_next, DI, DF, pdef, svc_n, learn, pop, factor, pay_sum, pay_n, row, per)
        a_min, a_seg = _first_arrivals(cs, st, pop, arr_t)
        free, n_free, fl_free, fl_nfree, runs, hn, spent, seq, sp = _counters(II, fl_next)
        ip, tp, ab_t, ab_k, ab_d, es_t, es_k, es_d, kcur, tb, ci, tc = _clocks(cs)
        agreements.reset(AQ)
        qoc_int = cs.queue_of_class[1]  # (shared feedback may move it between boundaries)
        counting = irep < 0  # (typed, not literal: numba would compile literal variants otherwise)
        warm_pending = irep >= 0
        done = irep < 0
        t = 0.0
        while not done:
            pools, free, n_free, fl_free, fl_nfree = _make_room(cs, pools, free, n_free, fl_free, fl_nfree, hn, runs)
            II, FF, ht, hk, he, a_code, a_arg, fl_need, fl_next = borrow(pools)  # grown between events only
            while True:
                hn = settle(ht, hk, he, hn, spent)  # the last event scheduled none in its place: pop it now
                spent = False
                if n_free < room_items or ht.shape[0] - hn < room_heap + runs or fl_nfree <= cs.event_items:
                    break  # make room first
                th, abandons, escalates = _first_timed(ht, hk, hn, ab_t, ab_k, es_t, es_k, es_d)
                tn = a_min if a_min < th else th  # the next event: an arrival, else the heap's top or a timer's
                if tp <= tn and tp <= tb and tp <= tc:  # profile ticks up to the next change of state
                    ip, tp = _ticks(cs, DI, DF, snap, row, ip, min(tn, tb, tc))
                if warm_pending and cs.warmup <= tn and cs.warmup <= tb and cs.warmup <= tc:
                    t = cs.warmup
                    end_warmup(cs, DI, DF, pop, row, t)
                    counting = True
                    warm_pending = False
                    continue
                code = A_NONE
                j = np.int64(-1)
                end = handlers.NO_END
                if tb <= tn and tb <= tc and tb < cs.horizon:  # (tb is inf after the last boundary; so may tn be)
                    t = tb
                    free, n_free, hn, seq, runs, qoc_int, a_min, a_seg, kcur, tb = _boundary(
                        cs, t, kcur, st, II, free, n_free, DI, DF, pdef, per, ht, hk, he, hn, seq, pop, arr_t, factor,
                        pay_sum, pay_n, row, svc_n, learn, runs, qoc_int)  # fmt: skip
                elif tc <= tn and tc < cs.horizon:  # a department's schedule changes (all changes before the horizon)
                    t = tc
                    code, j, hn, seq = handlers.schedule_change(cs, DI, DF, ht, hk, he, t, ci, hn, seq)
                    ci += 1
                    tc = cs.stf_t[ci] if ci < n_changes else math.inf
                elif tn >= cs.horizon:
                    done = True
                    break
                else:  # ------------------------------------------------ the next event, by kind
                    t = tn
                    kind, ent, count, spent = _next_kind(hk, he, a_min < th, a_seg, abandons, ab_d, escalates, es_d)
                    if kind == EV_COMPLETE:
                        j, end, hn, spent, seq, sp, free, n_free = handlers.complete(
                            cs, off, II, FF, DI, DF, st, row, per, ht, hk, he, a_code, a_arg, svc_n, pay_sum, pay_n, t,
                            ent, kcur, counting, hn, spent, seq, sp, free, n_free)  # fmt: skip
                        code = A_DISPATCH  # the freed employee first, then the consequences stacked above
                    elif kind == EV_ARRIVAL:
                        j, free, n_free = handlers.arrival(cs, off, II, FF, st, row, pop, arr_t, t, ent, counting, free,
                                                           n_free)  # fmt: skip
                        a_min, a_seg = first_arrival(arr_t)
                        code = A_ARRIVE
                    elif kind == EV_ABANDON:
                        end, ab_t, ab_k, ab_d, fl_free, fl_nfree, free, n_free = handlers.abandon(
                            cs, II, FF, DI, DF, fl_next, t, ent, cs.queue_of_class[0], fl_free, fl_nfree, free, n_free)
                    elif kind == EV_HANDOFF:
                        code, j = handlers.handoff(ent)
                    elif kind == EV_DELIVER:
                        code, j, sp, free, n_free = handlers.deliver(cs, II, FF, a_code, a_arg, t, ent, sp, free, n_free)
                    elif kind == EV_HIRE:
                        code, hn, spent, seq = handlers.hire(cs, DI, DF, ht, hk, he, t, ent, count, hn, spent, seq)
                        j = ent
                    elif kind == EV_ESCALATE:
                        es_t, es_k, es_d = handlers.escalate(cs, II, FF, DI, DF, AQ, row, per, kcur, counting, ent)
                    else:
                        code, hn, spent, seq = handlers.on_duty(DI, ht, hk, he, t, ent, count, hn, spent, seq)
                        j = ent
                if end[0] >= 0:  # an order ended: count, score, churn
                    redrawn, sp, free, n_free = order_ended(cs, off, II, FF, st, row, per, pop, arr_t, a_code, a_arg, t,
                                                            kcur, counting, end, sp, free, n_free)  # fmt: skip
                    if redrawn:
                        a_min, a_seg = first_arrival(arr_t)
                # Training's speed factor depends on t alone, fixed during the cascade.  Written inside the
                # cascade, the compiler hoists it here anyway and evaluates its exp on every event, training or
                # not (139,500 exp calls per baseline year, 70 % of all): so it is computed here, only if needed.
                tr = cs.training
                train_f = training_factor(t, tr[0], tr[1], tr[2]) if tr[0] > 0.0 else 1.0
                while True:  # the cascade from action *code* on j until the stack is empty, an action at a time
                    if code == A_NONE:
                        if sp == 0:
                            break
                        sp -= 1
                        code = a_code[sp]
                        j = a_arg[sp]
                    if code == A_ARRIVE:
                        code, fl_free, fl_nfree = cascade.arrive(cs, II, st, fl_need, fl_next, j, fl_free, fl_nfree)
                    if code == A_FULFIL:
                        code, j, free, n_free = cascade.fulfil(cs, off, II, FF, DI, DF, row, t, j, counting, free, n_free)
                    if code == A_ENQUEUE:
                        code, seq, ab_t, ab_k, ab_d, es_t, es_k, es_d = cascade.enqueue(
                            cs, II, FF, DI, DF, AQ, row, per, t, j, kcur, counting, qoc_int, seq, ab_t, ab_k, ab_d,
                            es_t, es_k, es_d)  # fmt: skip
                    if code == A_DISPATCH:
                        code, j, hn, spent, seq, free, n_free, runs = cascade.dispatch(
                            cs, II, DI, DF, ht, hk, he, t, j, hn, spent, seq, free, n_free, runs)  # fmt: skip
                    if code == A_START:
                        code, ab_t, ab_k, ab_d, es_t, es_k, es_d = cascade.start(
                            cs, off, II, FF, DI, DF, AQ, row, per, t, j, kcur, counting, ab_t, ab_k, ab_d, es_t, es_k,
                            es_d)  # fmt: skip
                    if code == A_SEND:
                        sp, fl_free, fl_nfree, free, n_free, hn, spent, seq = cascade.send(
                            cs, II, FF, st, a_code, a_arg, fl_need, fl_next, ht, hk, he, factor, t, j, sp, fl_free,
                            fl_nfree, free, n_free, hn, spent, seq)  # fmt: skip
                        code = A_NONE
                    if code == A_BEGIN:
                        hn, spent, seq = cascade.begin(cs, II, FF, DF, st, pdef, ht, hk, he, t, j, train_f, hn, spent, seq)
                        code = A_NONE
        _ticks(cs, DI, DF, snap, row, ip, math.inf)  # the horizon: the profile ticks left (the horizon last), the
        close_horizon(cs, DI, DF, pop, learn, row, per, kcur)  # last period closed
    _keep(own, pools)  # (their views are used up to here: numba frees an array after its variable's last use)


@njit(**HOT)
def _first_timed(ht, hk, hn, ab_t, ab_k, es_t, es_k, es_d):
    """The first of the heap's top and the two timers (abandonments, escalations): its time, and whether it is an
    abandonment, an escalation (inf, False, False: none)."""
    th = bits_time(ht[0]) if hn > 0 else math.inf
    abandons = before(ab_t, ab_k, th, hk[0])  # (hk[0] is read but not used when the heap is empty)
    if abandons:
        th = ab_t
    if es_d >= 0 and before(es_t, es_k, th, ab_k if abandons else hk[0]):
        return es_t, False, True
    return th, abandons, False


@njit(**HOT)
def _next_kind(hk, he, arrives, a_seg, abandons, ab_d, escalates, es_d):
    """The next event's kind, entity and count: an arrival, else an abandonment, else an escalation, else the heap's
    top.

    The heap's top is *spent* (handled, still in place): popped when the next
    event needs the heap, unless one takes its slot.
    """
    if arrives:
        return EV_ARRIVAL, a_seg, np.int64(0), False
    if abandons:
        return EV_ABANDON, ab_d, np.int64(0), False
    if escalates:
        return EV_ESCALATE, es_d, np.int64(0), False
    return hk[0] & 15, he[0] >> 32, he[0] & M32, True


@njit(**INNER)
def _boundary(cs, t, k, st, II, free, n_free, DI, DF, pdef, per, ht, hk, he, hn, seq, pop, arr_t, factor, pay_sum,
              pay_n, row, svc_n, learn, runs, qoc_int):  # fmt: skip
    """The period boundary at t that closes period k (``boundary.period_boundary``), and what it moves in the loop:
    the pools, the queue order, the next arrival, the period and the next boundary."""
    free, n_free2, hn, seq = period_boundary(cs, t, k, st, II, free, n_free, DI, DF, pdef, per, ht, hk, he, hn, seq,
                                             pop, arr_t, factor, pay_sum, pay_n, row, svc_n, learn)  # fmt: skip
    runs += n_free - n_free2  # the boundary's only pool items are vacancy runs
    if cs.fb_priority[0] > 0.0:  # shared feedback sets the queue order: external first after a period below the level
        # (external work stays in queue 0 under fifo and external_first)
        qoc_int = np.int64(1) if period_nps(cs, per, k) < cs.fb_priority[1] else np.int64(0)
    a_min, a_seg = first_arrival(arr_t)
    k += 1
    tb = (k + 1) * cs.period if k < cs.n_periods - 1 else math.inf
    return free, n_free2, hn, seq, runs, qoc_int, a_min, a_seg, k, tb


@njit(**INNER)
def _ticks(cs, DI, DF, snap, row, ip, until):
    """Profile ticks ip, ... at times up to *until* (``profile.split``): the next tick and its time (inf: none)."""
    n_pf = cs.pf_times.shape[0]
    while ip < n_pf and cs.pf_times[ip] <= until:
        ip = split(ip, cs.pf_times, cs.pf_hours, DI[:, DI_BUSY], DI[:, DI_PRESENT], DF[:, DF_IBUSY], DF[:, DF_IAVAIL],
                   DF[:, DF_LAST], snap, row, cs.row_off[R_PTIME], cs.row_off[R_PBUSY], cs.row_off[R_PAVAIL])
    return ip, cs.pf_times[ip] if ip < n_pf else math.inf


@njit(**INNER)
def _first_arrivals(cs, st, pop, arr_t):
    """Each segment's first arrival, drawn at its starting population: the earliest and its segment."""
    for s in range(cs.n_seg):
        rate = cs.seg_rate[s] * (pop[s] if pop[s] >= 0 else 1.0)
        arr_t[s] = next_arrival(st, 5 * s, 0.0, rate, cs.dm_start[s], cs.dm_start[s + 1], cs.dm_bp, cs.dm_rt, cs.dm_cum)
    return first_arrival(arr_t)


@njit(**INNER)
def _clocks(cs):
    """A replication's starting clocks: the next profile tick and its time (inf: none); the earliest abandonment and
    escalation (deadline, key, department); the period the clock is in and the next boundary (at k x period before
    the horizon); the next schedule change (departments on a calendar) and its time."""
    n_pf = cs.pf_times.shape[0]
    n_changes = cs.stf_t.shape[0]
    tp = cs.pf_times[0] if n_pf > 0 else math.inf
    tb = cs.period if cs.n_periods > 1 else math.inf
    tc = cs.stf_t[0] if n_changes > 0 else math.inf
    zero = np.int64(0)
    return zero, tp, math.inf, zero, zero - 1, math.inf, zero, zero - 1, zero, tb, zero, tc


@njit(**INNER)
def _counters(II, fl_next):
    """A replication's starting scalars: the item pool's free list (head, count), the fired-need lists' (head,
    count), vacancy runs queued (pool items a boundary may release, each scheduling a start), the heap's size, whether
    its top is spent (``heap.add``), the next event key's sequence number, and the action stack's size."""
    return (np.int64(0), np.int64(II.shape[0]), np.int64(0), np.int64(fl_next.shape[0]), np.int64(0), np.int64(0),
            False, np.int64(0), np.int64(0))  # fmt: skip


@njit(**INNER)
def _keep(*owners):
    """Nothing: a use of *owners* that keeps them alive while views of them (``borrow``) are in use."""


@njit(**INNER)
def _arrays(cs):
    """The arrays of one call besides the pools: department state, services, segments, suppliers, agreements."""
    return (
        np.empty((cs.n_dept, NDI), dtype=np.int64),  # department state (DI_*, DF_* columns)
        np.empty((cs.n_dept, NDF), dtype=np.float64),
        np.empty(cs.n_svc),  # defect probability at the current morale
        np.empty(cs.n_svc),  # services completed, from t = 0 (continuous improvement's learning curve)
        np.empty(cs.n_svc),  # each service's defect-rate factor from continuous improvement (1: none)
        np.empty((cs.n_dept, 2)),  # busy and present employee time at the last profile tick
        np.empty(cs.n_seg, dtype=np.int64),  # population; -1 for an open stream
        np.empty(cs.n_seg),  # each segment's next arrival (inf: none)
        np.empty(cs.n_sup),  # suppliers' lead-time factors, and the payment delays of the period
        np.empty(cs.n_sup),
        np.empty(cs.n_sup),
        np.empty((cs.agr_target.shape[0], 2), dtype=np.int64),  # each service agreement's queued requests: head, tail
    )


@njit(**INNER)
def _make_room(cs, pools, free, n_free, fl_free, fl_nfree, hn, runs):
    """The pools grown to the room an event needs (``_room``), with the free lists' heads and counts.

    A boundary may start every queued run of vacancies: the heap keeps room
    for them too.
    """
    II, FF, ht, hk, he, a_code, a_arg, fl_need, fl_next = pools
    room_items, room_heap, room_stack = _room(cs)
    if n_free < room_items:
        II, FF, free, added = grow_items(II, FF, free, room_items)
        n_free += added
    if ht.shape[0] - hn < room_heap + runs:
        ht, hk, he = grow(ht, hk, he, room_heap + runs)
    if fl_nfree < cs.event_items + 1:
        fl_need, fl_next, fl_free, added = grow_nodes(fl_need, fl_next, fl_free, cs.event_items + 1)
        fl_nfree += added
    if a_code.shape[0] < room_stack:
        a_code, a_arg = grow_pair(a_code, a_arg, room_stack)
    return (II, FF, ht, hk, he, a_code, a_arg, fl_need, fl_next), free, n_free, fl_free, fl_nfree


@njit(**INNER)
def _grown_heap(pools, need):
    """The pools with the heap grown to *need* slots at least."""
    II, FF, ht, hk, he, a_code, a_arg, fl_need, fl_next = pools
    ht, hk, he = grow(ht, hk, he, need)
    return II, FF, ht, hk, he, a_code, a_arg, fl_need, fl_next


@njit(**INNER)
def _pools():
    """The pools of one call at their starting sizes: items (II, FF), heap, action stack, fired-need lists."""
    return (np.zeros((256, NI), dtype=np.int64), np.zeros((256, NF), dtype=np.float64), np.empty(256, dtype=np.int64),
            np.empty(256, dtype=np.int64), np.empty(256, dtype=np.int64), np.empty(64, dtype=np.int64),
            np.empty(64, dtype=np.int64), np.empty(64, dtype=np.int64), np.empty(64, dtype=np.int64))  # fmt: skip


@njit(**HOT)
def _room(cs):
    """Room every pool keeps before an event: items, heap slots (beyond vacancy runs), action stack.

    The largest cascade one event can cause (``event_items``, from the needs
    graph), plus a boundary's vacancy runs and starts.
    """
    return (cs.event_items + 2 * cs.n_dept + 2, 4 * cs.event_items + 2 * cs.n_dept + cs.n_seg + 16,
            cs.event_items + 16)  # fmt: skip


@njit(**HOT)
def _offsets(cs):
    """The accumulator offsets the events write (``columns.Offsets``)."""
    ro = cs.row_off
    po = cs.per_off
    return Offsets(ro[R_ARR], ro[R_COMP], ro[R_ABAN], ro[R_WAIT], ro[R_SOJ], ro[R_HIST], ro[R_SCORE], ro[R_PROM],
                   ro[R_DETR], ro[R_REV], ro[R_CHURN], ro[R_DWAIT], ro[R_DVIS], ro[R_RSUM], ro[R_RCNT], ro[R_SCOMP],
                   ro[R_SREDO], ro[R_SESC], ro[R_ULATE], ro[R_SLW], ro[R_DDONE], ro[R_PARR], ro[R_PCOMP], ro[R_PWAIT],
                   ro[R_PABAN], ro[R_REC], po[P_COMP], po[P_DDONE], po[P_ABAN], po[P_SOJ], po[P_SCORE], po[P_PROM],
                   po[P_DETR])  # fmt: skip


@njit(**INNER)
def _reset(cs, II, fl_next, DI, DF, pdef, svc_n, learn, pop, factor, pay_sum, pay_n, row, per):
    """Start a replication: empty accumulators, pools and queues; full staff at the starting morale."""
    for i in range(row.shape[0]):
        row[i] = 0.0
    for k in range(per.shape[0]):
        for i in range(per.shape[1]):
            per[k, i] = 0.0
    cap = II.shape[0]
    for j in range(cap - 1):
        II[ix(j), I_NEXT] = j + 1
    II[cap - 1, I_NEXT] = -1
    nfl = fl_next.shape[0]
    for k in range(nfl - 1):
        fl_next[k] = k + 1
    fl_next[nfl - 1] = -1
    mor = cs.morale
    baseline = mor[1]
    for d in range(cs.n_dept):
        for c in range(NDI):
            DI[d, c] = -1 if c >= DI_QH else 0
        for c in range(NDF):
            DF[d, c] = 0.0
        DF[d, DF_ADEAD] = math.inf
        DF[d, DF_EDEAD] = math.inf
        DI[d, DI_PRESENT] = cs.headcount[d]
        if cs.stf_on[d]:
            staffing.start(DI, d, cs.stf_first[d])
        DF[d, DF_MORALE] = mor[0] if cs.morale_on == 1 else baseline
        DF[d, DF_SPEED] = cs.skill[d] * speed_factor(DF[d, DF_MORALE], baseline, mor[6])
    for v in range(cs.n_svc):
        svc_n[v] = 0.0
        learn[v] = 1.0
        pdef[v] = defect_probability(cs.svc_defect[v], DF[cs.svc_dept[v], DF_MORALE], baseline, mor[7])
    for u in range(cs.n_sup):
        factor[u] = 1.0
        pay_sum[u] = 0.0
        pay_n[u] = 0.0
    for s in range(cs.n_seg):
        pop[s] = cs.seg_population[s]


def run_replication(cs, seed, rep, row, per):
    """One replication (a convenience over ``run_replications``): fill *row* (row_len,) and *per* (n_periods, per_len)."""
    run_replications(cs, rng_states(seed, [rep], cs.src_keys), row[None, :], per[None, :, :])
