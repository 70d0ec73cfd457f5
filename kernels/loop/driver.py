"""The replication driver: each replication reset, then its events handled until the horizon."""

import math

import numpy as np
from numba import njit

from ..layout import MORALE
from . import cascade, handlers, heap
from .boundary import close_horizon, end_warmup, period_boundary
from .columns import DF_ADEAD, DI_PRESENT, DI_QH, I_NEXT, NDF, NDI, NF, NI
from .departments import set_defect_probabilities, set_morale
from .events import EV_ABANDON, EV_ARRIVAL, EV_COMPLETE, EV_DELIVER, EV_HANDOFF, peek, redraw_arrival
from .pool import grow_items, grow_nodes, grow_pair
from .state import COUNTERS, FAST, INLINE, INNER, Work, borrow, copy_counters, ix, local_copy


@njit(**FAST)
def run_replications(cs, states, rows, periods):
    """Simulate replications of compiled scenario *cs*, one after another.

    Replication i starts its random streams from ``states[i]`` (n_sources, 4)
    (``rng.states``: seeded from (seed, replication, source name) only) and
    fills ``rows[i]`` (row_len,) and ``periods[i]`` (n_periods, per_len), so
    it gives the same numbers whichever call, thread or position runs it.
    Pools are allocated once per call and reset between replications.
    """
    model = borrow(cs)
    own = _work(model)
    for i in range(states.shape[0]):
        st = borrow(states[i])  # advanced in place
        row = borrow(rows[i])
        per = borrow(periods[i])
        _reset(model, borrow(own), st, row, per)
        while own.ctr[0].done == 0:
            own = _make_room(model, own)
            _events(model, borrow(own), st, row, per)
        close_horizon(model, borrow(own), row, per)


@njit(**INLINE)
def _events(cs, w, st, row, per):
    """Handle events until the horizon, or until a pool needs room: the driver grows pools between events only.

    While events are handled no array variable is reassigned (numba would
    otherwise reference-count every pool array on every event), and the
    counters are a stack copy that only inlined code sees (``local_copy``).
    """
    st = borrow(st)
    row = borrow(row)
    per = borrow(per)
    home = w.ctr[0]
    c = local_copy(home)
    room_items, room_heap, _ = _room(cs)
    while True:
        c.hn = heap.settle(w.ht, w.hk, w.he, c.hn, c.spent)  # the last event scheduled none in its place: pop it now
        c.spent = 0
        if c.n_free < room_items or w.ht.shape[0] - c.hn < room_heap + c.runs or c.fl_nfree <= cs.event_items:
            break  # make room first
        t, kind, ent, count = peek(w.ht, w.hk, w.he, c)
        if c.warm_pending and cs.warmup <= t and cs.warmup <= c.next_boundary:
            end_warmup(cs, w, c, row, cs.warmup)
        elif c.next_boundary <= t and c.next_boundary < cs.horizon:  # (inf after the last boundary; so may t be)
            copy_counters(home, c)  # (the boundary is compiled apart: it works on the counters at home)
            period_boundary(cs, w, st, per, c.next_boundary)
            copy_counters(c, home)
        elif t >= cs.horizon:
            c.done = 1
            break
        else:
            if kind == EV_COMPLETE:
                c.spent = 1  # the heap's top: popped when the next event needs the heap, unless one takes its slot
                code, j = handlers.complete(cs, w, c, st, row, per, t, ent)
            elif kind == EV_ARRIVAL:
                code, j = handlers.arrival(cs, w, c, st, row, t, ent)
            elif kind == EV_ABANDON:
                code, j = handlers.abandon(cs, w, c, st, row, per, t, ent)
            else:
                c.spent = 1
                if kind == EV_HANDOFF:
                    code, j = handlers.handoff(ent)
                elif kind == EV_DELIVER:
                    code, j = handlers.deliver(cs, w, c, t, ent)
                else:
                    code, j = handlers.hire(w, c, t, ent, count)
            if c.ended >= 0:
                handlers.order_ended(cs, w, c, st, row, per, t)
            cascade.run(cs, w, c, st, row, t, code, j)
    copy_counters(home, c)


@njit(**INLINE)
def _room(cs):
    """Room every pool keeps before an event: items, heap slots (beyond vacancy runs), action stack.

    The largest cascade one event can cause (``event_items``, from the needs
    graph), plus a boundary's vacancy runs and starts.
    """
    return (cs.event_items + 2 * cs.n_dept + 2, 4 * cs.event_items + 2 * cs.n_dept + cs.n_seg + 16,
            cs.event_items + 16)  # fmt: skip


@njit(**INLINE)
def _work(cs):
    """The arrays of one call, at their starting sizes."""
    return Work(
        np.zeros((256, NI), dtype=np.int64), np.zeros((256, NF), dtype=np.float64),
        np.empty(256, dtype=np.int64), np.empty(256, dtype=np.int64), np.empty(256, dtype=np.int64),
        np.empty(64, dtype=np.int64), np.empty(64, dtype=np.int64),
        np.empty(64, dtype=np.int64), np.empty(64, dtype=np.int64),
        np.empty((cs.n_dept, NDI), dtype=np.int64), np.empty((cs.n_dept, NDF), dtype=np.float64),
        np.empty(cs.n_svc), np.empty(cs.n_seg, dtype=np.int64), np.empty(cs.n_seg),
        np.empty(cs.n_sup), np.empty(cs.n_sup), np.empty(cs.n_sup),
        np.zeros(1, dtype=COUNTERS),
    )  # fmt: skip


@njit(**INLINE)
def _make_room(cs, own):
    """The arrays with every pool grown to the room an event needs (``_room``)."""
    c = own.ctr[0]
    room_items, room_heap, room_stack = _room(cs)
    II, FF, ht, hk, he = own.II, own.FF, own.ht, own.hk, own.he
    a_code, a_arg, fl_need, fl_next = own.a_code, own.a_arg, own.fl_need, own.fl_next
    if c.n_free < room_items:
        II, FF, c.free, added = grow_items(II, FF, c.free, room_items)
        c.n_free += added
    if ht.shape[0] - c.hn < room_heap + c.runs:  # a boundary may start every queued run of vacancies
        ht, hk, he = heap.grow(ht, hk, he, room_heap + c.runs)
    if c.fl_nfree < cs.event_items + 1:
        fl_need, fl_next, c.fl_free, added = grow_nodes(fl_need, fl_next, c.fl_free, cs.event_items + 1)
        c.fl_nfree += added
    if a_code.shape[0] < room_stack:
        a_code, a_arg = grow_pair(a_code, a_arg, room_stack)
    return Work(II, FF, ht, hk, he, a_code, a_arg, fl_need, fl_next, own.DI, own.DF, own.pdef, own.pop, own.arr_t,
                own.factor, own.pay_sum, own.pay_n, own.ctr)  # fmt: skip


@njit(**INNER)
def _reset(cs, w, st, row, per):
    """Start a replication: empty accumulators, pools and queues; full staff; the first arrivals drawn."""
    row[:] = 0.0
    per[:, :] = 0.0
    cap = w.II.shape[0]
    for j in range(cap - 1):
        w.II[ix(j), I_NEXT] = j + 1
    w.II[cap - 1, I_NEXT] = -1
    nfl = w.fl_next.shape[0]
    for k in range(nfl - 1):
        w.fl_next[k] = k + 1
    w.fl_next[nfl - 1] = -1
    c = w.ctr[0]
    c.free = 0
    c.n_free = cap
    c.runs = 0
    c.fl_free = 0
    c.fl_nfree = nfl
    c.hn = 0
    c.spent = 0
    c.seq = 0
    c.sp = 0
    c.period = 0
    c.counting = 0
    c.warm_pending = 1
    c.done = 0
    c.ab_time = math.inf
    c.ab_key = 0
    c.ab_dept = -1
    c.ended = -1
    c.next_boundary = cs.period if cs.n_periods > 1 else math.inf  # boundaries at k x period before the horizon
    start = cs.morale[MORALE.start] if cs.morale_on == 1 else cs.morale[MORALE.baseline]
    for d in range(cs.n_dept):
        for col in range(NDI):
            w.DI[d, col] = -1 if col >= DI_QH else 0
        for col in range(NDF):
            w.DF[d, col] = 0.0
        w.DF[d, DF_ADEAD] = math.inf
        w.DI[d, DI_PRESENT] = cs.headcount[d]
        set_morale(w.DF, cs.skill, cs.morale, d, start)
    set_defect_probabilities(w.pdef, w.DF, cs.svc_defect, cs.svc_dept, cs.morale)
    for u in range(cs.n_sup):
        w.factor[u] = 1.0
        w.pay_sum[u] = 0.0
        w.pay_n[u] = 0.0
    for s in range(cs.n_seg):
        w.pop[s] = cs.seg_population[s]
        redraw_arrival(cs.seg_rate, w.pop, w.arr_t, st, c, s, 0.0)
