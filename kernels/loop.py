"""The jitted event loop: replications of a compiled scenario, each filling one accumulator row.

Entities live in preallocated pools (rows of ``II``/``FF``) with free lists;
events sit in a binary heap ordered by (time, sequence number), so equal
times are handled first-scheduled first.  Two kinds are kept in timers
beside the heap instead.  Each segment's next order is handled before a
heap event only when strictly earlier (it is a continuous draw: ties have
probability zero); when a population changes, its timer is drawn afresh at
the new rate (the exponential gap is memoryless).  Each department's
earliest abandonment (the first deadline among orders queued there) keeps
the sequence number it was given on joining the queue, so it is ordered as
the heap would order it; it leaves no stale entry behind when the order
starts service first, as nearly every order does.  Escalations of requests
under service agreements are kept per department the same way
(``kernels/agreements.py``).  Handling an event may
start a cascade (an arrival fires needs whose sub-requests fire needs of their own,
an employee freed takes the next item whose hold sends requests...); a
cascade runs on an explicit action stack in the order a recursive
implementation would use, so one function owns every array.

Pools never cap the work: they grow, but only between events, in an outer
loop.  The inner loop handles events as long as every pool has room for the
largest cascade one event can cause (``event_items``, from the needs graph),
so no array variable is reassigned inside it — numba would otherwise
reference-count every pool array on every event.

Time is the scenario's time unit throughout.  Rules: README "Model".
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from . import agreements, staffing
from .demand import next_arrival
from .items import (
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
    I_ESC,
    I_FIRED,
    I_FLAGS,
    I_GEN,
    I_KIND,
    I_NEXT,
    I_PARENT,
    I_PENDING,
    I_QN,
    I_QP,
    I_REQD,
    I_RGEN,
    I_ROOT,
    I_ROUTE,
    I_SEG,
    I_STEP,
    I_SVC,
    I_TARGET,
    K_DELIVERY,
    K_INVOICE,
    K_ORDER,
    K_RECOVERY,
    K_SUB,
    K_VACANCY,
    NF,
    NI,
)
from .layout import HIST_BINS, sojourn_bin
from .model import (
    acquisition_mean,
    attrition_probability,
    churns,
    defect_probability,
    feedback_lift,
    lead_time_factor,
    learning_factor,
    morale_next,
    nps_class,
    ramp_factor,
    recovered_churn_probability,
    satisfaction,
    speed_factor,
    training_factor,
)
from .opentime import advance, elapsed
from .profile import hour_of_week, split
from .rng import NONE, _uniform, binomial, draw, draw_inline, exponential, poisson
from .staffing import (
    DF_ADEAD,
    DF_EDEAD,
    DF_IAVAIL,
    DF_IBLK,
    DF_IBUSY,
    DF_IOT,
    DF_LAST,
    DF_MORALE,
    DF_PAVAIL,
    DF_PBLK,
    DF_PBUSY,
    DF_SPEED,
    DF_WAVAIL,
    DF_WBLK,
    DF_WBUSY,
    DF_WOT,
    DI_AJ,
    DI_AKEY,
    DI_BLOCKED,
    DI_BUSY,
    DI_EH,
    DI_GAP,
    DI_PRESENT,
    DI_QH,
    DI_QT,
    DI_SCHED,
    DI_VAC,
    NDF,
    NDI,
    _advance,
)

# ---- events (heap key = sequence << 4 | type; payload = entity << 32 | count).  Two kinds live outside the heap,
# compared with its top: orders arrive from per-segment timers (each segment's next arrival), and abandonments
# from per-department timers (the earliest deadline among orders in its queue).  Nearly every order starts service
# before its patience runs out; in the heap, its abandonment would stay as a stale entry until then.
EV_COMPLETE = 1
EV_ABANDON = 2
EV_HANDOFF = 3
EV_DELIVER = 4
EV_HIRE = 5  # an employee starts in a department: a replacement, or a mover after a review
EV_ONDUTY = 6  # employees who came on duty (kernels/staffing.py) take queued work, one per event
EV_ESCALATE = 7  # a request under a service agreement reached its target while queued (a timer, as abandonments)

# ---- actions of a cascade (handled in this order within one pass, so a step may fall through to a later one)
A_NONE = 0
A_ARRIVE = 1  # item arrives at its service: fire needs
A_FULFIL = 2  # request fulfilled: release its waiting parent
A_ENQUEUE = 3  # join the department queue (or start at once)
A_DISPATCH = 4  # one employee of a department is free: vacancy first, then the queue
A_START = 5  # item takes an employee
A_SEND = 6  # send the item's fired requests
A_BEGIN = 7  # service begins: draw its time

# ---- accumulator row blocks (order of compile.ROW_BLOCKS / PERIOD_BLOCKS)
R_ARR, R_COMP, R_ABAN, R_WAIT, R_SOJ, R_HIST, R_SCORE, R_PROM, R_DETR, R_REV, R_CHURN, R_ACTIVE = range(12)
R_DBUSY, R_DBLK, R_DAVAIL, R_DWAIT, R_DVIS, R_DMOR, R_RSUM, R_RCNT, R_SCOMP, R_SREDO, R_SESC, R_ULATE = range(12, 24)
R_SLW, R_PTIME, R_PARR, R_PCOMP, R_PWAIT, R_PABAN, R_PBUSY, R_PAVAIL = range(24, 32)
R_DOT = 32
R_FBL, R_LEARN, R_REC = 33, 34, 35  # shared feedback's lift (sum, count); continuous improvement's factors;
# complaint recovery's steps (offered, won)
R_DDONE = 36  # (service agreements' blocks follow: kernels/agreements.py, R_AHIT... 37-40, P_AHIT... 15-18)
P_COMP, P_ABAN, P_SOJ, P_SCORE, P_PROM, P_DETR, P_ACTIVE, P_DBUSY, P_DBLK, P_DAVAIL, P_DMOR, P_DHEAD, P_DOT = range(13)
P_DLEAVE, P_DDONE = 13, 14

M32 = 0xFFFFFFFF
# ix(i): index i, known to be >= 0.  Numba adds a negative-index wraparound to every access with a signed index;
# with an unsigned one it does not.  Pool rows (II, FF) and heap slots are indexed this way (the baseline kernel
# ran 3-4 % faster).
ix = np.uint64
_FAST = dict(cache=True, nogil=True, error_model="numpy")
_INNER = dict(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)  # called from jitted code only


@intrinsic
def _unowned(typingctx, ary):
    """A view of *ary* that holds no reference to its memory (null meminfo): refcounting it is free.

    Draws from a replication's random streams pass its state row to the
    inlined samplers, and numba increments and decrements the row's owner
    around every inlined call: an atomic operation per draw, on one counter
    shared by every thread's rows (perf put them at 12 % of the baseline
    kernel's samples; dropping them made it 3 % faster on one thread).
    Safe while the caller's array lives, as ``states`` does here.
    """
    if not isinstance(ary, types.Array):
        return None

    def codegen(context, builder, sig, args):
        src = context.make_array(sig.args[0])(context, builder, args[0])
        view = context.make_array(sig.return_type)(context, builder, src._getvalue())
        view.meminfo = context.get_constant_null(types.MemInfoPointer(types.voidptr))
        return view._getvalue()

    return ary(ary), codegen


@intrinsic
def _time_bits(typingctx, t):
    """The bits of time t >= 0 as an int64: they order as the times do, and integer comparisons are cheaper."""
    if t != types.float64:
        return None
    return types.int64(t), lambda context, builder, sig, args: builder.bitcast(args[0], ir.IntType(64))


@intrinsic
def _bits_time(typingctx, b):
    """The time whose bits ``_time_bits`` gave."""
    if b != types.int64:
        return None
    return types.float64(b), lambda context, builder, sig, args: builder.bitcast(args[0], ir.DoubleType())


# --------------------------------------------------------------------------- pools (grown between events only)


@njit(**_INNER)
def _grow_items(II, FF, free, need):
    """Pools with at least *need* more free slots; new slots go to the front of the free list."""
    cap = II.shape[0]
    new = max(2 * cap, cap + need)
    II2 = np.zeros((new, NI), dtype=np.int64)
    FF2 = np.zeros((new, NF), dtype=np.float64)
    for j in range(cap):
        for f in range(NI):
            II2[j, f] = II[j, f]
        for f in range(NF):
            FF2[j, f] = FF[j, f]
    for j in range(cap, new - 1):
        II2[j, I_NEXT] = j + 1
    II2[new - 1, I_NEXT] = free
    return II2, FF2, cap, new - cap


@njit(**_INNER)
def _grow_heap(ht, hk, he, need):
    n = ht.shape[0]
    new = max(2 * n, n + need)
    ht2 = np.empty(new, dtype=np.int64)
    hk2 = np.empty(new, dtype=np.int64)
    he2 = np.empty(new, dtype=np.int64)
    for i in range(n):
        ht2[i] = ht[i]
        hk2[i] = hk[i]
        he2[i] = he[i]
    return ht2, hk2, he2


@njit(**_INNER)
def _grow_stack(a, b, need):
    n = a.shape[0]
    new = max(2 * n, need)
    a2 = np.empty(new, dtype=np.int64)
    b2 = np.empty(new, dtype=np.int64)
    for i in range(n):
        a2[i] = a[i]
        b2[i] = b[i]
    return a2, b2


@njit(**_INNER)
def _grow_fired(need_of, nxt, free, need):
    n = need_of.shape[0]
    new = max(2 * n, n + need)
    need2, nxt2 = _grow_stack(need_of, nxt, new)
    for k in range(n, new - 1):
        nxt2[k] = k + 1
    nxt2[new - 1] = free
    return need2, nxt2, n, new - n


# --------------------------------------------------------------------------- heap on (time, key)


@njit(**_INNER)
def _hpush(ht, hk, he, n, t, key, ev):
    """Add event ev at time t (>= 0) with key to a heap of size n (the times are kept as their bits)."""
    t = _time_bits(t)
    i = n
    while i > 0:
        p = (i - 1) >> 1
        pt = ht[ix(p)]
        if pt < t or (pt == t and hk[ix(p)] < key):
            break
        ht[ix(i)] = pt
        hk[ix(i)] = hk[ix(p)]
        he[ix(i)] = he[ix(p)]
        i = p
    ht[ix(i)] = t
    hk[ix(i)] = key
    he[ix(i)] = ev


@njit(**_INNER)
def _sift_down(ht, hk, he, n, t, key, ev):
    """Place event (t as bits, key, ev) in the root's slot of a heap of size n, whose root is vacant, and sift it down.

    The smaller child is chosen without a branch (its outcome is a coin
    toss, so a branch would be mispredicted half the time); slot n, read
    when only one child is live, is inside the array (the pools keep room).
    """
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        t1 = ht[ix(c)]
        t2 = ht[ix(c + 1)]
        right = (c + 1 < n) & ((t2 < t1) | ((t2 == t1) & (hk[ix(c + 1)] < hk[ix(c)])))
        c += right
        ct = t2 if right else t1
        if t < ct or (t == ct and key < hk[ix(c)]):
            break
        ht[ix(i)] = ct
        hk[ix(i)] = hk[ix(c)]
        he[ix(i)] = he[ix(c)]
        i = c
    ht[ix(i)] = t
    hk[ix(i)] = key
    he[ix(i)] = ev


@njit(**_INNER)
def _hpop(ht, hk, he, n):
    """Remove the top of a heap of size n (read it first); the heap then has n - 1 entries."""
    n -= 1
    _sift_down(ht, hk, he, n, ht[ix(n)], hk[ix(n)], he[ix(n)])


@njit(**_INNER)
def _hadd(ht, hk, he, n, spent, t, key, ev):
    """Add event ev at time t with key to a heap of size n; returns the new size.

    *spent*: the top was handled but left in place, and the new event takes
    its slot (one sift down instead of a pop's and a push's: most events
    schedule one, a service begun when an employee is freed).  The popped
    order is the same, since (time, key) orders every event strictly.
    """
    if spent:
        _sift_down(ht, hk, he, n, _time_bits(t), key, ev)
        return n
    _hpush(ht, hk, he, n, t, key, ev)
    return n + 1


@njit(**_INNER)
def _hsettle(ht, hk, he, n, spent):
    """Pop the handled top if no event took its slot (*spent*); returns the heap's size."""
    if spent:
        _hpop(ht, hk, he, n)
        return n - 1
    return n


@njit(**_INNER)
def _enqueue_vacancies(II, DI, free, d, dest, count):
    """*count* vacancies at department d join its vacancy queue (dest: where movers go, -1 for leavers).

    The queue holds runs of equal destination (I_PENDING vacancies each), so
    a boundary adds at most two pool items per department however many
    leave.  Returns the free-list head and the items taken (0 or 1).
    """
    DI[d, DI_VAC] += count
    tl = DI[d, DI_QT + 2]
    if tl >= 0 and II[ix(tl), I_SEG] == dest:
        II[ix(tl), I_PENDING] += count
        return free, 0
    vj = free
    free = II[ix(vj), I_NEXT]
    II[ix(vj), I_GEN] += 1
    II[ix(vj), I_KIND] = K_VACANCY
    II[ix(vj), I_SEG] = dest
    II[ix(vj), I_PENDING] = count
    II[ix(vj), I_QN] = -1
    II[ix(vj), I_QP] = tl
    if tl >= 0:
        II[ix(tl), I_QN] = vj
    else:
        DI[d, DI_QH + 2] = vj
    DI[d, DI_QT + 2] = vj
    return free, 1


@njit(**_INNER)
def _recent(per, col, k, n):
    """Sum of column col over periods k-n+1 .. k (leavers drawn at the last n boundaries)."""
    total = 0.0
    for j in range(max(0, k - n + 1), k + 1):
        total += per[j, col]
    return total


@njit(**_INNER)
def _leave(II, DI, DF, d, m, t, hiring_delay, transfer_delay, free, ht, hk, he, hn, seq):
    """*m* free employees of department d take its first m vacancies and leave now.

    Leavers are replaced here after the hiring delay; movers start in their
    receiving department after the transfer delay: one start event per run,
    carrying how many start.  Returns the free-list head, the pool items
    released, and the heap size and sequence number.
    """
    _advance(DI, DF, d, t)
    released = 0
    while m > 0:
        vj = DI[d, DI_QH + 2]
        k = min(m, II[ix(vj), I_PENDING])
        dest = II[ix(vj), I_SEG]
        m -= k
        DI[d, DI_VAC] -= k
        DI[d, DI_PRESENT] -= k
        if dest < 0:
            _hpush(ht, hk, he, hn, t + hiring_delay, (seq << 4) | EV_HIRE, (d << 32) | k)
        else:
            _hpush(ht, hk, he, hn, t + transfer_delay, (seq << 4) | EV_HIRE, (dest << 32) | k)
        hn += 1
        seq += 1
        II[ix(vj), I_PENDING] -= k
        if II[ix(vj), I_PENDING] == 0:
            nx = II[ix(vj), I_QN]
            DI[d, DI_QH + 2] = nx
            if nx >= 0:
                II[ix(nx), I_QP] = -1
            else:
                DI[d, DI_QT + 2] = -1
            II[ix(vj), I_NEXT] = free
            free = vj
            II[ix(vj), I_GEN] += 1
            released += 1
    return free, released, hn, seq


@njit(**_INNER)
def _boundary(cs, t, k, st, II, free, n_free, DI, DF, pdef, per, ht, hk, he, hn, seq, pop, arr_t, factor, pay_sum,
              pay_n, row, svc_n, learn):  # fmt: skip
    """The period boundary at time t that closes period k, in the README's order.

    Per department (1) close the period's utilisation and blocked share, (2)
    move morale (recognition and shared feedback lifting the target), (3)
    draw leavers; then continuous improvement's defect rates; then the
    periodic review; then per supplier (4) the lead-time factor; then per
    population segment (5) acquisition.  Idle employees take new vacancies at
    once (vacancies queue ahead of all work).  Returns the pool counters it
    moved.
    """
    D = cs.n_dept
    po = cs.per_off
    mor = cs.morale
    baseline = mor[1]
    morale_on = cs.morale_on == 1
    lift = cs.morale_lift
    if cs.feedback > 0.0 or cs.fb_priority[0] > 0.0:  # shared feedback: the NPS of all orders ended in period k
        nps = _period_nps(cs, per, k)
        fb = feedback_lift(cs.feedback, nps)
        lift = lift + fb
        if t >= cs.warmup:
            row[cs.row_off[R_FBL]] += fb
            row[cs.row_off[R_FBL] + 1] += 1.0
            if cs.fb_priority[0] > 0.0 and nps < cs.fb_priority[1]:
                row[cs.row_off[R_FBL] + 2] += 1.0
    util = np.empty(D)
    for d in range(D):
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
        util[d] = db / da if da > 0.0 else -1.0  # -1: nobody present all period
        if morale_on:
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
                    _hpush(ht, hk, he, hn, t + mor[10], (seq << 4) | EV_HIRE, (d << 32) | leavers)
                    hn += 1
                    seq += 1
                eligible = 0
            if eligible > 0 and pa > 0.0:
                leavers = binomial(st, cs.src_attrition + d, eligible, pa)
                per[k, po[P_DLEAVE] + d] = leavers
                if leavers > 0:
                    free, taken = _enqueue_vacancies(II, DI, free, d, np.int64(-1), leavers)
                    n_free -= taken
            if mor[12] > 0.0:  # turnover costs speed: the last ramp_periods boundaries' leavers work slower
                DF[d, DF_SPEED] *= ramp_factor(_recent(per, po[P_DLEAVE] + d, k, int(mor[12])), cs.headcount[d], mor[11])
        per[k, po[P_DMOR] + d] = DF[d, DF_MORALE]
    learning = cs.learning[0] > 0.0
    if learning:  # continuous improvement: each service's defect rate along its learning curve
        for v in range(cs.n_svc):
            learn[v] = learning_factor(svc_n[v], cs.learning[1], cs.learning[0])
    if morale_on or learning:
        for v in range(cs.n_svc):
            pdef[v] = defect_probability(cs.svc_defect[v] * learn[v], DF[cs.svc_dept[v], DF_MORALE], baseline, mor[7])
    if cs.review_every > 0 and (k + 1) % cs.review_every == 0:
        # periodic review: one employee from the least to the most utilised department (first in order on ties)
        lo = np.int64(-1)
        hi = np.int64(-1)
        for d in range(D):
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
                _hpush(ht, hk, he, hn, t + cs.review[1], (seq << 4) | EV_HIRE, (hi << 32) | 1)
                hn += 1
                seq += 1
            else:
                free, taken = _enqueue_vacancies(II, DI, free, lo, hi, np.int64(1))  # permanent here; the mover
                n_free -= taken  # starts there
    for d in range(D):  # vacancies queue ahead of all work: idle employees take them now
        m = min(DI[d, DI_PRESENT] - DI[d, DI_BUSY], DI[d, DI_VAC])
        if m > 0 and not cs.stf_on[d]:  # (on a calendar, idle employees went off duty at once already)
            free, released, hn, seq = _leave(II, DI, DF, d, m, t, mor[10], cs.review[1], free, ht, hk, he, hn, seq)
            n_free += released
    for u in range(cs.n_sup):
        if pay_n[u] > 0.0:
            factor[u] = lead_time_factor(pay_sum[u] / pay_n[u], cs.sup_terms[u], cs.sup_sensitivity[u])
        pay_sum[u] = 0.0
        pay_n[u] = 0.0
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
    return free, n_free, hn, seq


@njit(**_INNER)
def _period_nps(cs, per, k):
    """NPS over the orders of every segment ended in period k (0 if none)."""
    po = cs.per_off
    net = 0.0
    n_end = 0.0
    for s in range(cs.n_seg):
        net += per[k, po[P_PROM] + s] - per[k, po[P_DETR] + s]
        n_end += per[k, po[P_COMP] + s] + per[k, po[P_ABAN] + s]
    return 100.0 * net / n_end if n_end > 0.0 else 0.0


@njit(**_INNER)
def _first(arr_t):
    """The earliest next arrival and its segment (inf, -1 when no segment has one)."""
    a = math.inf
    g = -1
    for s in range(arr_t.shape[0]):
        if arr_t[s] < a:
            a = arr_t[s]
            g = s
    return a, g


@njit(**_INNER)
def _before(t, key, bt, bk):
    """Whether an event at (t, key) comes strictly before one at (bt, bk), as the heap orders them; never at t = inf."""
    return t < bt or (t == bt and t < math.inf and key < bk)


@njit(**_INNER)
def _rescan_abandonment(II, FF, DI, DF, d, q):
    """Department d's abandonment timer after an order left its queue q: the earliest (deadline, key) queued."""
    bt = math.inf
    bk = np.int64(0)
    bj = np.int64(-1)
    j = DI[d, DI_QH + q]
    while j >= 0:
        if II[ix(j), I_KIND] == K_ORDER:
            dt = FF[ix(j), F_DEAD]
            if _before(dt, II[ix(j), I_AKEY], bt, bk):
                bt = dt
                bk = II[ix(j), I_AKEY]
                bj = j
        j = II[ix(j), I_QN]
    DF[d, DF_ADEAD] = bt
    DI[d, DI_AKEY] = bk
    DI[d, DI_AJ] = bj


@njit(**_INNER)
def _first_abandonment(DI, DF):
    """The earliest abandonment over departments: (deadline, key, department); (inf, 0, -1) when none."""
    bt = math.inf
    bk = np.int64(0)
    bd = np.int64(-1)
    for d in range(DI.shape[0]):
        dt = DF[d, DF_ADEAD]
        if _before(dt, DI[d, DI_AKEY], bt, bk):
            bt = dt
            bk = DI[d, DI_AKEY]
            bd = d
    return bt, bk, bd


# --------------------------------------------------------------------------- replications


@njit(**_FAST)
def run_replications(cs, states, rows, periods):
    # longer than 150 lines: a split into inlined event and action functions (branch kernel-split, issue 14)
    # keeps every number but measured 6-9 % slower and a 48 s cold compile against 28 s, so the loop stays whole
    # until a split holds the speed
    """Simulate replications of compiled scenario *cs*, one after another.

    Replication i starts its random streams from ``states[i]`` (n_sources, 4)
    (``rng.states``: seeded from (seed, replication, source name) only) and
    fills ``rows[i]`` (row_len,) and ``periods[i]`` (n_periods, per_len), so
    it gives the same numbers whichever call, thread or position runs it.
    Pools are allocated once per call and reset between replications.
    """
    S = cs.n_seg
    D = cs.n_dept
    V = cs.n_svc
    U = cs.n_sup
    NT = cs.n_targets
    horizon = cs.horizon
    warmup = cs.warmup
    period = cs.period
    n_periods = cs.n_periods
    scale = cs.scale
    ro = cs.row_off
    po = cs.per_off
    o_arr = ro[R_ARR]
    o_comp = ro[R_COMP]
    o_aban = ro[R_ABAN]
    o_wait = ro[R_WAIT]
    o_soj = ro[R_SOJ]
    o_hist = ro[R_HIST]
    o_score = ro[R_SCORE]
    o_prom = ro[R_PROM]
    o_detr = ro[R_DETR]
    o_rev = ro[R_REV]
    o_churn = ro[R_CHURN]
    o_dwait = ro[R_DWAIT]
    o_dvis = ro[R_DVIS]
    o_rsum = ro[R_RSUM]
    o_rcnt = ro[R_RCNT]
    o_scomp = ro[R_SCOMP]
    o_sredo = ro[R_SREDO]
    o_esc = ro[R_SESC]
    o_late = ro[R_ULATE]
    o_slw = ro[R_SLW]
    o_ddone = ro[R_DDONE]
    sl_target = cs.seg_sl_target
    prof = cs.pf_on == 1  # hour-of-week profile (kernels/profile.py)
    pf_t = cs.pf_times
    n_pf = pf_t.shape[0]
    pf_off = cs.pf_offset
    pf_per = cs.pf_per_unit
    q_comp = po[P_COMP]
    q_ddone = po[P_DDONE]
    q_aban = po[P_ABAN]
    q_soj = po[P_SOJ]
    q_score = po[P_SCORE]
    q_prom = po[P_PROM]
    q_detr = po[P_DETR]
    qoc_ext = cs.queue_of_class[0]
    qoc_int = cs.queue_of_class[1]
    svc_dept = cs.svc_dept
    svc_dist = cs.svc_dist
    svc_detect = cs.svc_detect
    need_start = cs.need_start
    need_prob = cs.need_prob
    step_svc = cs.step_svc
    step_fixed = cs.step_fixed
    seg_rate = cs.seg_rate
    dm_start = cs.dm_start  # time-varying rates (kernels/demand.py)
    dm_bp = cs.dm_bp
    dm_rt = cs.dm_rt
    dm_cum = cs.dm_cum
    seg_pat = cs.seg_patience
    seg_open = cs.seg_open  # patience on the open clock (kernels/opentime.py), per segment
    oc_start = cs.oc_start
    oc_bp = cs.oc_bp
    oc_rt = cs.oc_rt
    oc_cum = cs.oc_cum
    h_code = int(cs.handoff[0])
    h_p0 = cs.handoff[1]
    h_p1 = cs.handoff[2]
    h_p2 = cs.handoff[3]
    src_svc = cs.src_service
    mor = cs.morale
    morale_on = cs.morale_on == 1
    baseline = mor[1]
    hiring_delay = mor[10]
    train_share = cs.training[0]
    train_effect = cs.training[1]
    train_lag = cs.training[2]
    transfer_delay = cs.review[1]
    agr_pair = cs.agr_pair  # internal service agreements (kernels/agreements.py)
    agr_target = cs.agr_target
    agr_sup = cs.agr_supplier
    has_agr = agr_target.shape[0] > 0
    clarity = cs.clarity  # role clarity's factor on the work time of sub-requests (1: none)
    inf = math.inf
    zero = np.int64(0)
    one = np.int64(1)

    # room every pool must have before an event: the largest cascade, plus a boundary's vacancy runs and starts
    room_items = cs.event_items + 2 * D + 2
    room_heap = 4 * cs.event_items + 2 * D + S + 16
    room_stack = cs.event_items + 16
    n_changes = cs.stf_t.shape[0]

    II = np.zeros((256, NI), dtype=np.int64)
    FF = np.zeros((256, NF), dtype=np.float64)
    ht = np.empty(256, dtype=np.int64)
    hk = np.empty(256, dtype=np.int64)
    he = np.empty(256, dtype=np.int64)
    a_code = np.empty(64, dtype=np.int64)
    a_arg = np.empty(64, dtype=np.int64)
    fl_need = np.empty(64, dtype=np.int64)
    fl_next = np.empty(64, dtype=np.int64)
    DI = np.empty((D, NDI), dtype=np.int64)  # department state (DI_*, DF_* columns)
    DF = np.empty((D, NDF), dtype=np.float64)
    pdef = np.empty(V)  # defect probability at the current morale
    svc_n = np.empty(V)  # services completed, from t = 0 (continuous improvement's learning curve)
    learn = np.empty(V)  # each service's defect-rate factor from continuous improvement (1: none)
    snap = np.empty((D, 2))  # busy and present employee time at the last profile tick
    # segments and suppliers
    pop = np.empty(S, dtype=np.int64)  # population; -1 for an open stream
    arr_t = np.empty(S)  # each segment's next arrival (inf: none)
    factor = np.empty(U)
    pay_sum = np.empty(U)
    pay_n = np.empty(U)
    AQ = np.empty((cs.agr_target.shape[0], 2), dtype=np.int64)  # each service agreement's queued requests: head, tail

    for irep in range(states.shape[0]):
        st = _unowned(states[irep])  # advanced in place
        row = rows[irep]
        per = periods[irep]
        qoc_int = cs.queue_of_class[1]  # (shared feedback may move it between boundaries)
        for i in range(row.shape[0]):
            row[i] = 0.0
        for k in range(per.shape[0]):
            for i in range(per.shape[1]):
                per[k, i] = 0.0
        cap = II.shape[0]
        for j in range(cap - 1):
            II[ix(j), I_NEXT] = j + 1
        II[cap - 1, I_NEXT] = -1
        free = zero
        n_free = cap
        runs = zero  # vacancy runs queued
        nfl = fl_next.shape[0]
        for k in range(nfl - 1):
            fl_next[k] = k + 1
        fl_next[nfl - 1] = -1
        fl_free = zero
        fl_nfree = nfl
        hn = zero
        spent = False  # the heap's top was handled but is still in place (see _hadd)
        seq = zero
        sp = zero
        for d in range(D):
            for c in range(NDI):
                DI[d, c] = -1 if c >= DI_QH else 0
            for c in range(NDF):
                DF[d, c] = 0.0
            DF[d, DF_ADEAD] = inf
            DF[d, DF_EDEAD] = inf
            DI[d, DI_PRESENT] = cs.headcount[d]
            if cs.stf_on[d]:
                staffing.start(DI, d, cs.stf_first[d])
            DF[d, DF_MORALE] = mor[0] if morale_on else baseline
            DF[d, DF_SPEED] = cs.skill[d] * speed_factor(DF[d, DF_MORALE], baseline, mor[6])
        for v in range(V):
            svc_n[v] = 0.0
            learn[v] = 1.0
            pdef[v] = defect_probability(cs.svc_defect[v], DF[svc_dept[v], DF_MORALE], baseline, mor[7])
        for u in range(U):
            factor[u] = 1.0
            pay_sum[u] = 0.0
            pay_n[u] = 0.0
        if ht.shape[0] < S + room_heap:
            ht, hk, he = _grow_heap(ht, hk, he, S + room_heap)
        for s in range(S):
            pop[s] = cs.seg_population[s]
            rate = seg_rate[s] * (pop[s] if pop[s] >= 0 else 1.0)
            arr_t[s] = next_arrival(st, 5 * s, 0.0, rate, dm_start[s], dm_start[s + 1], dm_bp, dm_rt, dm_cum)
        a_min, a_seg = _first(arr_t)
        ip = zero  # the next profile tick and its time (inf: none)
        tp = pf_t[0] if n_pf > 0 else inf
        ab_t = inf  # the earliest abandonment: deadline, key, department
        ab_k = zero
        ab_d = zero - 1
        es_t = inf  # the earliest escalation (service agreements): deadline, key, department
        es_k = zero
        es_d = zero - 1
        agreements.reset(AQ)

        counting = irep < 0  # (typed, not literal: numba would compile literal variants otherwise)
        warm_pending = irep >= 0
        done = irep < 0
        kcur = zero
        tb = period if n_periods > 1 else inf  # boundaries at k x period strictly before the horizon
        ci = zero  # the next schedule change (departments on a calendar), at tc
        tc = cs.stf_t[0] if n_changes > 0 else inf
        t = 0.0
        while not done:
            # ------------------------------------------------------------ grow the pools, between events only
            if n_free < room_items:
                II, FF, head, added = _grow_items(II, FF, free, room_items)
                free = head
                n_free += added
            if ht.shape[0] - hn < room_heap + runs:  # a boundary may start every queued run of vacancies
                ht, hk, he = _grow_heap(ht, hk, he, room_heap + runs)
            if fl_nfree < cs.event_items + 1:
                fl_need, fl_next, head, added = _grow_fired(fl_need, fl_next, fl_free, cs.event_items + 1)
                fl_free = head
                fl_nfree += added
            if a_code.shape[0] < room_stack:
                a_code, a_arg = _grow_stack(a_code, a_arg, room_stack)

            while True:
                hn = _hsettle(ht, hk, he, hn, spent)  # the last event scheduled none in its place: pop it now
                spent = False
                if n_free < room_items or ht.shape[0] - hn < room_heap + runs or fl_nfree <= cs.event_items:
                    break  # make room first
                th = _bits_time(ht[0]) if hn > 0 else inf
                abandons = _before(ab_t, ab_k, th, hk[0])  # (hk[0] is read but not used when the heap is empty)
                if abandons:
                    th = ab_t
                escalates = es_d >= 0 and _before(es_t, es_k, th, ab_k if abandons else hk[0])
                if escalates:
                    th = es_t
                    abandons = False
                tn = a_min if a_min < th else th  # the next event: an arrival, else the heap's top or an abandonment
                while tp <= tn and ip < n_pf and tp <= tb and tp <= tc:  # profile ticks up to the next change of state
                    ip = split(ip, pf_t, cs.pf_hours, DI[:, DI_BUSY], DI[:, DI_PRESENT], DF[:, DF_IBUSY],
                               DF[:, DF_IAVAIL], DF[:, DF_LAST], snap, row, ro[R_PTIME], ro[R_PBUSY], ro[R_PAVAIL])
                    tp = pf_t[ip] if ip < n_pf else inf
                # -------------------------------------------------------- warm-up end
                if warm_pending and warmup <= tn and warmup <= tb and warmup <= tc:
                    t = warmup
                    for d in range(D):
                        _advance(DI, DF, d, t)
                        DF[d, DF_WBUSY] = DF[d, DF_IBUSY]
                        DF[d, DF_WBLK] = DF[d, DF_IBLK]
                        DF[d, DF_WAVAIL] = DF[d, DF_IAVAIL]
                    staffing.mark_warmup(DI, DF, cs.stf_on, t)
                    for s in range(S):
                        if pop[s] >= 0:
                            row[ro[R_ACTIVE] + s] = pop[s]
                    counting = True
                    warm_pending = False
                    continue
                code = A_NONE
                j = zero - 1
                ended = zero - 1  # segment of an order that ended in this event
                end_done = zero  # 1 completed, 0 abandoned
                end_score = 0.0
                end_soj = 0.0
                end_wait = 0.0
                end_t0 = 0.0
                if tb <= tn and tb <= tc and tb < horizon:  # (tb is inf after the last boundary; so may tn be)
                    t = tb
                    free, n_free2, hn, seq = _boundary(cs, t, kcur, st, II, free, n_free, DI, DF, pdef, per, ht, hk, he,
                                                       hn, seq, pop, arr_t, factor, pay_sum, pay_n, row, svc_n,
                                                       learn)  # fmt: skip
                    runs += n_free - n_free2  # the boundary's only pool items are vacancy runs
                    n_free = n_free2
                    if cs.fb_priority[0] > 0.0:  # shared feedback sets the queue order: external first after a
                        # period below the level (external work stays in queue 0 under fifo and external_first)
                        qoc_int = one if _period_nps(cs, per, kcur) < cs.fb_priority[1] else zero
                    a_min, a_seg = _first(arr_t)
                    kcur += 1
                    tb = (kcur + 1) * period if kcur < n_periods - 1 else inf
                elif tc <= tn and tc < horizon:  # the schedule of a department on a calendar changes (all changes are before the horizon)
                    t = tc
                    d = cs.stf_d[ci]
                    DI[d, DI_SCHED] = cs.stf_v[ci]
                    ci += 1
                    tc = cs.stf_t[ci] if ci < n_changes else inf
                    came = staffing.reconcile(DI, DF, d, t)
                    if came > 0 and staffing.work_queued(DI, d):  # the first takes queued work now, the others one
                        # per event while work is queued (pools grow between events); without work they wait idle
                        code = A_DISPATCH
                        j = d
                        if came > 1:
                            _hpush(ht, hk, he, hn, t, (seq << 4) | EV_ONDUTY, (d << 32) | (came - 1))
                            hn += 1
                            seq += 1
                elif tn >= horizon:
                    done = True
                    break
                else:
                    # ---------------------------------------------------- next event
                    t = tn
                    if a_min < th:
                        typ = -1  # an order arrives
                        ent = a_seg
                        count = zero
                    elif abandons:
                        typ = EV_ABANDON
                        ent = ab_d
                        count = zero
                    elif escalates:
                        typ = EV_ESCALATE
                        ent = es_d
                        count = zero
                    else:
                        key = hk[0]
                        ev = he[0]
                        spent = True  # popped when the next event needs the heap, unless one takes its slot
                        typ = key & 15
                        ent = ev >> 32
                        count = ev & M32

                    if typ == EV_COMPLETE:
                        j = ent
                        v = II[ix(j), I_SVC]
                        d = svc_dept[v]
                        _advance(DI, DF, d, t)
                        DI[d, DI_BUSY] -= 1
                        svc_n[v] += 1.0
                        fl = II[ix(j), I_FLAGS]
                        if counting:
                            row[o_scomp] += 1.0
                            if fl & FL_REDO:
                                row[o_sredo] += 1.0
                            else:
                                row[o_ddone + d] += 1.0
                        if not fl & FL_REDO:
                            per[kcur, q_ddone + d] += 1.0
                        pd = FF[ix(j), F_PDEF]
                        defect = False
                        if pd > 0.0:
                            defect = _uniform(st, src_svc + 4 * v + 2) < pd
                        kind = II[ix(j), I_KIND]
                        if kind == K_ORDER:
                            s = II[ix(j), I_SEG]
                            route = II[ix(j), I_ROUTE]
                            if route == -2:  # first completion of this visit: draw where it goes (redos keep it)
                                step = II[ix(j), I_STEP]
                                route = step_fixed[step]
                                if route == -2:
                                    ur = _uniform(st, 5 * s + 2)
                                    route = -1
                                    for r in range(cs.route_start[step], cs.route_start[step + 1]):
                                        if ur < cs.route_cum[r]:
                                            route = cs.route_step[r]
                                            break
                                II[ix(j), I_ROUTE] = route
                            if route >= 0:  # the next step is the next internal customer
                                caught = False
                                if defect:
                                    if _uniform(st, src_svc + 4 * v + 3) < svc_detect[v]:
                                        caught = True
                                    else:
                                        II[ix(j), I_ESC] += 1
                                if caught:
                                    II[ix(j), I_FLAGS] = fl | FL_REDO
                                    a_code[sp] = A_ENQUEUE
                                    a_arg[sp] = j
                                    sp += 1
                                else:
                                    II[ix(j), I_FLAGS] = fl & ~FL_REDO
                                    II[ix(j), I_ROUTE] = -2
                                    II[ix(j), I_STEP] = route
                                    nv = step_svc[route]
                                    II[ix(j), I_SVC] = nv
                                    if h_code != NONE and svc_dept[nv] != d:
                                        t_h = t + draw_inline(st, cs.src_handoff, h_code, h_p0, h_p1, h_p2)
                                        hn = _hadd(ht, hk, he, hn, spent, t_h, (seq << 4) | EV_HANDOFF, j << 32)
                                        spent = False
                                        seq += 1
                                    else:
                                        a_code[sp] = A_ARRIVE
                                        a_arg[sp] = j
                                        sp += 1
                            else:  # the journey is complete; a defect here escapes
                                if defect:
                                    II[ix(j), I_ESC] += 1
                                if counting:
                                    row[o_esc + s] += II[ix(j), I_ESC]
                                ended = s
                                end_done = 1
                                end_soj = t - FF[ix(j), F_T0]
                                end_wait = FF[ix(j), F_WACC]
                                end_t0 = FF[ix(j), F_T0]
                                end_score = satisfaction(end_soj, cs.seg_expectation[s], cs.seg_sensitivity[s],
                                                         II[ix(j), I_ESC], cs.seg_penalty[s])  # fmt: skip
                                II[ix(j), I_NEXT] = free
                                free = j
                                n_free += 1
                                II[ix(j), I_GEN] += 1
                        else:  # sub-request or invoice: its requester is the next internal customer
                            caught = False
                            if defect:
                                if _uniform(st, src_svc + 4 * v + 3) < svc_detect[v]:
                                    caught = True
                                else:
                                    r = II[ix(j), I_ROOT]
                                    if (r >= 0 and II[ix(r), I_GEN] == II[ix(j), I_RGEN]
                                            and II[ix(r), I_KIND] == K_ORDER):  # fmt: skip
                                        II[ix(r), I_ESC] += 1  # a sub-request's defect marks the order that caused it
                            if caught:
                                II[ix(j), I_FLAGS] = fl | FL_REDO
                                a_code[sp] = A_ENQUEUE
                                a_arg[sp] = j
                                sp += 1
                            elif kind == K_SUB:
                                II[ix(j), I_FLAGS] = fl & ~FL_REDO
                                a_code[sp] = A_FULFIL
                                a_arg[sp] = j
                                sp += 1
                            else:  # the invoice is paid (a recovery step is simply done)
                                if kind == K_INVOICE:
                                    u = II[ix(j), I_SEG]
                                    pay_sum[u] += t - FF[ix(j), F_T0]
                                    pay_n[u] += 1.0
                                    if counting:
                                        row[o_late + u] += max(0.0, t - FF[ix(j), F_T0] - cs.sup_terms[u])
                                II[ix(j), I_NEXT] = free
                                free = j
                                n_free += 1
                                II[ix(j), I_GEN] += 1
                        code = A_DISPATCH  # the freed employee first, then the consequences stacked above
                        j = d

                    elif typ == -1:  # an order of segment ent arrives
                        s = ent
                        if counting:
                            row[o_arr + s] += 1.0
                            if prof:
                                row[ro[R_PARR] + hour_of_week(t, pf_off, pf_per)] += 1.0
                        j = free
                        free = II[ix(j), I_NEXT]
                        n_free -= 1
                        II[ix(j), I_GEN] += 1
                        step = cs.seg_first_step[s]
                        II[ix(j), I_KIND] = K_ORDER
                        II[ix(j), I_SEG] = s
                        II[ix(j), I_STEP] = step
                        II[ix(j), I_SVC] = step_svc[step]
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
                        pc = int(seg_pat[s, 0])
                        if pc == NONE:
                            FF[ix(j), F_PAT] = inf
                        else:
                            FF[ix(j), F_PAT] = draw_inline(st, 5 * s + 1, pc, seg_pat[s, 1], seg_pat[s, 2],
                                                           seg_pat[s, 3])  # fmt: skip
                        rate = seg_rate[s] * (pop[s] if pop[s] >= 0 else 1.0)
                        if dm_start[s] == dm_start[s + 1]:
                            arr_t[s] = t + exponential(st, 5 * s) / rate if rate > 0.0 else inf
                        else:
                            arr_t[s] = next_arrival(st, 5 * s, t, rate, dm_start[s], dm_start[s + 1], dm_bp, dm_rt, dm_cum)
                        a_min, a_seg = _first(arr_t)
                        code = A_ARRIVE

                    elif typ == EV_ABANDON:  # the order with department ent's earliest deadline leaves its queue
                        d = ent
                        j = DI[d, DI_AJ]
                        nx = II[ix(j), I_QN]
                        pv = II[ix(j), I_QP]
                        if pv >= 0:
                            II[ix(pv), I_QN] = nx
                        else:
                            DI[d, DI_QH + qoc_ext] = nx
                        if nx >= 0:
                            II[ix(nx), I_QP] = pv
                        else:
                            DI[d, DI_QT + qoc_ext] = pv
                        _rescan_abandonment(II, FF, DI, DF, d, qoc_ext)
                        ab_t, ab_k, ab_d = _first_abandonment(DI, DF)
                        node = II[ix(j), I_FIRED]  # hold needs never sent
                        while node >= 0:
                            nxt = fl_next[node]
                            fl_next[node] = fl_free
                            fl_free = node
                            fl_nfree += 1
                            node = nxt
                        s = II[ix(j), I_SEG]
                        ended = s
                        end_done = 0
                        end_score = cs.seg_abandon_score[s]
                        end_t0 = FF[ix(j), F_T0]
                        II[ix(j), I_NEXT] = free
                        free = j
                        n_free += 1
                        II[ix(j), I_GEN] += 1

                    elif typ == EV_HANDOFF:
                        j = ent
                        code = A_ARRIVE

                    elif typ == EV_DELIVER:
                        r = ent
                        u = II[ix(r), I_SEG]
                        paid_by = cs.sup_paid_by[u]
                        if paid_by >= 0:  # every delivery raises an invoice that nobody waits for
                            k = free
                            free = II[ix(k), I_NEXT]
                            n_free -= 1
                            II[ix(k), I_GEN] += 1
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
                            a_code[sp] = A_ARRIVE
                            a_arg[sp] = k
                            sp += 1
                        code = A_FULFIL  # the requester first, then the invoice stacked above
                        j = r

                    elif typ == EV_HIRE and cs.stf_on[ent]:  # replacements (or movers: an extra slot) on a calendar:
                        # on duty if it is open
                        came = staffing.hired(DI, DF, ent, t, count)
                        if came > 0 and staffing.work_queued(DI, ent):  # the first takes queued work now, the others
                            # one per event
                            code = A_DISPATCH
                            j = ent
                            if came > 1:
                                hn = _hadd(ht, hk, he, hn, spent, t, (seq << 4) | EV_ONDUTY, (ent << 32) | (came - 1))
                                spent = False
                                seq += 1

                    elif typ == EV_HIRE:  # count: how many start; they start one by one
                        d = ent
                        _advance(DI, DF, d, t)
                        DI[d, DI_PRESENT] += 1
                        if count > 1:
                            hn = _hadd(ht, hk, he, hn, spent, t, (seq << 4) | EV_HIRE, (d << 32) | (count - 1))
                            spent = False
                            seq += 1
                        code = A_DISPATCH
                        j = d

                    elif typ == EV_ONDUTY and staffing.work_queued(DI, ent):  # count came on duty: one takes
                        # queued work, the rest later (none is needed once the queue is empty)
                        if count > 1:
                            hn = _hadd(ht, hk, he, hn, spent, t, (seq << 4) | EV_ONDUTY, (ent << 32) | (count - 1))
                            spent = False
                            seq += 1
                        code = A_DISPATCH
                        j = ent

                    elif typ == EV_ESCALATE:  # department ent's earliest agreement deadline: that request escalates
                        agreements.escalate(II, FF, DI, DF, AQ, ro, po, row, per, kcur, counting, ent, agr_pair, agr_sup)
                        es_t, es_k, es_d = agreements.first(DI, DF)

                # -------------------------------------------------------- an order ended: count, score, churn
                if ended >= 0:
                    s = ended
                    c = nps_class(end_score)
                    if end_done == 1:
                        per[kcur, q_comp + s] += 1.0
                        per[kcur, q_soj + s] += end_soj
                    else:
                        per[kcur, q_aban + s] += 1.0
                    per[kcur, q_score + s] += end_score
                    if c > 0:
                        per[kcur, q_prom + s] += 1.0
                    elif c < 0:
                        per[kcur, q_detr + s] += 1.0
                    if counting:
                        if end_done == 1:
                            row[o_comp + s] += 1.0
                            row[o_wait + s] += end_wait
                            row[o_soj + s] += end_soj
                            row[o_hist + s * HIST_BINS + sojourn_bin(end_soj, scale)] += 1.0
                            row[o_rev + s] += cs.seg_value[s]
                            if end_wait <= sl_target[s]:  # (-1: no target)
                                row[o_slw + s] += 1.0
                        else:
                            row[o_aban + s] += 1.0
                        if prof:
                            hw = hour_of_week(end_t0, pf_off, pf_per)
                            if end_done == 1:
                                row[ro[R_PCOMP] + hw] += 1.0
                                row[ro[R_PWAIT] + hw] += end_wait
                            else:
                                row[ro[R_PABAN] + hw] += 1.0
                        row[o_score + s] += end_score
                        if c > 0:
                            row[o_prom + s] += 1.0
                        elif c < 0:
                            row[o_detr + s] += 1.0
                    if pop[s] > 0:  # one customer leaves with the churn probability
                        u = _uniform(st, 5 * s + 3)
                        won = False
                        if c < 0 and cs.recovery[0] > 0.0:  # a detractor is offered a recovery step: work queued
                            won = _uniform(st, cs.src_recovery + s) < cs.recovery[2]  # at the recovery service
                            if counting:
                                row[ro[R_REC]] += 1.0
                                if won:
                                    row[ro[R_REC] + 1] += 1.0
                            k = free
                            free = II[ix(k), I_NEXT]
                            n_free -= 1
                            II[ix(k), I_GEN] += 1
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
                            a_code[sp] = A_ARRIVE
                            a_arg[sp] = k
                            sp += 1
                        if won:
                            gone = u < recovered_churn_probability(end_score, cs.seg_churn[s, 0], cs.seg_churn[s, 1],
                                                                   cs.seg_churn[s, 2], cs.seg_churn[s, 3],
                                                                   cs.recovery[3], cs.recovery[4] > 0.0)  # fmt: skip
                        else:
                            gone = churns(u, end_score, cs.seg_churn[s, 0], cs.seg_churn[s, 1], cs.seg_churn[s, 2],
                                          cs.seg_churn[s, 3])  # fmt: skip
                        if gone:
                            pop[s] -= 1
                            if counting:
                                row[o_churn + s] += 1.0
                            # the next order is drawn afresh at the new rate
                            arr_t[s] = next_arrival(st, 5 * s, t, seg_rate[s] * pop[s], dm_start[s], dm_start[s + 1],
                                                    dm_bp, dm_rt, dm_cum)  # fmt: skip
                            a_min, a_seg = _first(arr_t)

                # -------------------------------------------------------- the cascade
                # Training's speed factor depends on t alone, fixed during the cascade.  Written inside the
                # cascade, the compiler hoists it here anyway and evaluates its exp on every event, training or
                # not (139,500 exp calls per baseline year, 70 % of all): so it is computed here, only if needed.
                train_f = training_factor(t, train_share, train_effect, train_lag) if train_share > 0.0 else 1.0
                while True:
                    if code == A_NONE:
                        if sp == 0:
                            break
                        sp -= 1
                        code = a_code[sp]
                        j = a_arg[sp]

                    if code == A_ARRIVE:
                        v = II[ix(j), I_SVC]
                        n0 = need_start[v]
                        n1 = need_start[v + 1]
                        code = A_ENQUEUE
                        if n1 > n0:  # each need fires independently
                            head = zero - 1
                            tail = zero - 1
                            nf = zero
                            hold = zero
                            for k in range(n0, n1):
                                pk = need_prob[k]
                                if pk >= 1.0 or (pk > 0.0 and _uniform(st, src_svc + 4 * v + 1) < pk):
                                    node = fl_free
                                    fl_free = fl_next[node]
                                    fl_nfree -= 1
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

                    if code == A_FULFIL:
                        p = II[ix(j), I_PARENT]
                        if counting:
                            idx = II[ix(j), I_REQD] * NT + II[ix(j), I_TARGET]
                            row[o_rsum + idx] += t - FF[ix(j), F_T0]
                            row[o_rcnt + idx] += 1.0
                        II[ix(j), I_NEXT] = free
                        free = j
                        n_free += 1
                        II[ix(j), I_GEN] += 1
                        II[ix(p), I_PENDING] -= 1
                        code = A_NONE
                        if II[ix(p), I_PENDING] == 0:
                            j = p
                            if II[ix(p), I_FLAGS] & FL_BLOCKED:  # the held employee now serves it
                                II[ix(p), I_FLAGS] &= ~FL_BLOCKED
                                d = svc_dept[II[ix(p), I_SVC]]
                                _advance(DI, DF, d, t)
                                DI[d, DI_BLOCKED] -= 1
                                code = A_BEGIN
                            else:
                                code = A_ENQUEUE

                    if code == A_ENQUEUE:
                        d = svc_dept[II[ix(j), I_SVC]]
                        if DI[d, DI_PRESENT] - DI[d, DI_BUSY] > 0:  # a free employee: the queue is empty
                            code = A_START
                        else:
                            kind = II[ix(j), I_KIND]
                            q = qoc_ext if kind == K_ORDER else qoc_int
                            tl = DI[d, DI_QT + q]
                            II[ix(j), I_QN] = -1
                            II[ix(j), I_QP] = tl
                            if tl >= 0:
                                II[ix(tl), I_QN] = j
                            else:
                                DI[d, DI_QH + q] = j
                            DI[d, DI_QT + q] = j
                            II[ix(j), I_FLAGS] |= FL_QUEUED
                            FF[ix(j), F_TENQ] = t
                            if kind == K_ORDER:
                                pat = FF[ix(j), F_PAT]
                                if pat < inf:  # abandons when its total queue wait reaches its patience
                                    on_open = seg_open[II[ix(j), I_SEG]] == 1
                                    rem = pat - FF[ix(j), F_OPEN if on_open else F_WACC]
                                    if rem < 0.0:
                                        rem = 0.0
                                    if on_open:  # ... counted while the department is open: then it is known now
                                        dead = advance(t, rem, oc_start[d], oc_start[d + 1], oc_bp, oc_rt, oc_cum)
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
                                    FF[ix(j), F_DEAD] = inf
                            elif has_agr and kind == K_SUB and not II[ix(j), I_FLAGS] & FL_REDO:
                                a = agr_pair[II[ix(j), I_REQD] * D + d]
                                if a >= 0:  # under a service agreement: escalates at its target if still queued
                                    if agreements.queued(II, FF, DI, DF, AQ, ro, po, row, per, kcur, counting, d, j, a,
                                                         agr_target[a], t, (seq << 4) | EV_ESCALATE):  # fmt: skip
                                        es_t, es_k, es_d = agreements.first(DI, DF)
                                    seq += 1
                            code = A_NONE

                    if code == A_DISPATCH:
                        d = j
                        code = A_NONE
                        if DI[d, DI_PRESENT] - DI[d, DI_BUSY] > 0:
                            if DI[d, DI_VAC] > 0 and cs.stf_on[d]:  # off duty: leaves now, ahead of all work
                                staffing.off_duty(DI, DF, d, t)
                            elif DI[d, DI_VAC] > 0:  # a vacancy queues ahead of all work: this employee leaves
                                hn = _hsettle(ht, hk, he, hn, spent)  # (_leave schedules by _hpush)
                                spent = False
                                free, released, hn, seq = _leave(II, DI, DF, d, one, t, hiring_delay, transfer_delay,
                                                                 free, ht, hk, he, hn, seq)  # fmt: skip
                                n_free += released
                                runs -= released
                            elif DI[d, DI_EH] >= 0:  # escalated requests before all other work (service agreements)
                                j = agreements.pop(II, DI, d)
                                code = A_START
                            else:
                                q = 0 if DI[d, DI_QH] >= 0 else (1 if DI[d, DI_QH + 1] >= 0 else -1)
                                if q >= 0:
                                    j = DI[d, DI_QH + q]
                                    nx = II[ix(j), I_QN]
                                    DI[d, DI_QH + q] = nx
                                    if nx >= 0:
                                        II[ix(nx), I_QP] = -1
                                    else:
                                        DI[d, DI_QT + q] = -1
                                    code = A_START

                    if code == A_START:
                        d = svc_dept[II[ix(j), I_SVC]]
                        fl = II[ix(j), I_FLAGS]
                        wait = 0.0
                        if fl & FL_QUEUED:
                            wait = t - FF[ix(j), F_TENQ]
                            fl &= ~FL_QUEUED
                            if DI[d, DI_AJ] == j:  # it held its department's earliest deadline
                                _rescan_abandonment(II, FF, DI, DF, d, qoc_ext)
                                if ab_d == d:
                                    ab_t, ab_k, ab_d = _first_abandonment(DI, DF)
                        if counting:
                            row[o_dwait + d] += wait
                            row[o_dvis + d] += 1.0
                        if II[ix(j), I_KIND] == K_ORDER:
                            FF[ix(j), F_WACC] += wait
                            if wait > 0.0 and seg_open[II[ix(j), I_SEG]]:
                                FF[ix(j), F_OPEN] += elapsed(FF[ix(j), F_TENQ], t, oc_start[d], oc_start[d + 1], oc_bp,
                                                             oc_rt, oc_cum)  # fmt: skip
                        _advance(DI, DF, d, t)
                        DI[d, DI_BUSY] += 1
                        if fl & FL_HOLD:  # the employee is taken, then blocked until every request is fulfilled
                            fl = (fl & ~FL_HOLD) | FL_BLOCKED
                            DI[d, DI_BLOCKED] += 1
                            code = A_SEND
                        else:
                            code = A_BEGIN
                        II[ix(j), I_FLAGS] = fl
                        if has_agr and II[ix(j), I_KIND] == K_SUB and not fl & FL_REDO:
                            a = agr_pair[II[ix(j), I_REQD] * D + d]
                            if a >= 0 and agreements.started(II, FF, DI, DF, AQ, ro, po, row, per, kcur, counting, d,
                                                             j, a, wait, agr_sup):  # fmt: skip
                                es_t, es_k, es_d = agreements.first(DI, DF)

                    if code == A_SEND:
                        d = svc_dept[II[ix(j), I_SVC]]
                        node = II[ix(j), I_FIRED]
                        II[ix(j), I_FIRED] = -1
                        root = II[ix(j), I_ROOT]
                        rgen = II[ix(j), I_RGEN]
                        n = zero
                        sp0 = sp
                        while node >= 0:
                            k = fl_need[node]
                            nxt = fl_next[node]
                            fl_next[node] = fl_free
                            fl_free = node
                            fl_nfree += 1
                            node = nxt
                            n += 1
                            r = free
                            free = II[ix(r), I_NEXT]
                            n_free -= 1
                            II[ix(r), I_GEN] += 1
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
                                lt = draw(st, cs.src_lead + u, int(cs.sup_lead[u, 0]), cs.sup_lead[u, 1],
                                          cs.sup_lead[u, 2], cs.sup_lead[u, 3]) * factor[u]  # fmt: skip
                                uk = D + u  # the supplier's clock: its lead time counts open time only
                                td = advance(t, lt, oc_start[uk], oc_start[uk + 1], oc_bp, oc_rt, oc_cum)
                                hn = _hadd(ht, hk, he, hn, spent, td, (seq << 4) | EV_DELIVER, r << 32)
                                spent = False
                                seq += 1
                            else:
                                II[ix(r), I_KIND] = K_SUB
                                II[ix(r), I_SVC] = cs.need_index[k]
                                a_code[sp] = A_ARRIVE
                                a_arg[sp] = r
                                sp += 1
                        II[ix(j), I_PENDING] = n
                        lo = sp0  # sub-requests arrive in the order their needs are listed
                        hi = sp - 1
                        while lo < hi:
                            tmp = a_arg[lo]
                            a_arg[lo] = a_arg[hi]
                            a_arg[hi] = tmp
                            lo += 1
                            hi -= 1
                        code = A_NONE

                    if code == A_BEGIN:
                        v = II[ix(j), I_SVC]
                        d = svc_dept[v]
                        dc = int(svc_dist[v, 0])
                        x = draw_inline(st, src_svc + 4 * v, dc, svc_dist[v, 1], svc_dist[v, 2], svc_dist[v, 3])
                        if clarity < 1.0 and II[ix(j), I_KIND] == K_SUB:  # role clarity: less time clarifying
                            x *= clarity
                        FF[ix(j), F_PDEF] = pdef[v]
                        sf = DF[d, DF_SPEED]
                        sf *= train_f
                        hn = _hadd(ht, hk, he, hn, spent, t + x / sf, (seq << 4) | EV_COMPLETE, j << 32)
                        spent = False
                        seq += 1
                        code = A_NONE

        # ---- the horizon: close the last period (no boundary update); employee time over [warmup, horizon]
        t = horizon
        while ip < n_pf:  # the profile ticks left, the horizon last
            ip = split(ip, pf_t, cs.pf_hours, DI[:, DI_BUSY], DI[:, DI_PRESENT], DF[:, DF_IBUSY], DF[:, DF_IAVAIL],
                       DF[:, DF_LAST], snap, row, ro[R_PTIME], ro[R_PBUSY], ro[R_PAVAIL])
        for d in range(D):
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
        for s in range(S):
            per[kcur, po[P_ACTIVE] + s] = pop[s] if pop[s] >= 0 else 0.0
        if cs.learning[0] > 0.0:
            for v in range(V):
                row[ro[R_LEARN] + v] = learn[v]


def run_replication(cs, seed, rep, row, per):
    """One replication (a convenience over ``run_replications``): fill *row* (row_len,) and *per* (n_periods, per_len)."""
    from .rng import states

    run_replications(cs, states(seed, [rep], cs.src_keys), row[None, :], per[None, :, :])
