"""Department state, and staff on duty by a calendar or in shifts.

Each department's state is a row of ``DI`` (counts) and ``DF`` (times and
integrals), the columns below; the event loop owns the arrays.  A department on
a calendar or in shifts (``cs.stf_on[d]``) follows its scheduled headcount
(``orgsim.scenario.shifts``, compiled to the change list ``stf_t``/``stf_d``/
``stf_v``).  Its on-duty target is the scheduled headcount less its vacant
slots (leavers gone and not yet replaced, slots a periodic review moved out,
less extra slots it moved in), never below 0, and 0 while closed.
When the target drops, idle employees leave at once and the rest are *off-duty
departures* (``DI_VAC``: the vacancy count, no queue items, since leavers of
such a department free their slot at once instead); an employee freed takes
one before any work and goes.  When it rises, pending departures are cancelled
first (they stay on), then employees arrive and the loop dispatches them, one per event.  The
time-integral of pending departures is the department's overtime.  Rules:
README "Model", "Working time".
"""

from numba import njit

# ---- department state: integer columns of DI, float columns of DF
DI_PRESENT = 0  # employees present (leavers gone, vacancies excluded)
DI_BUSY = 1  # employees busy, blocked included
DI_BLOCKED = 2
DI_VAC = 3  # vacancies queued (leavers and movers not gone yet); on a calendar: off-duty departures pending
DI_QH = 4  # queue heads 4, 5, 6: work queues 0 (served first) and 1, vacancies
DI_QT = 7  # queue tails 7, 8, 9
DI_AKEY = 10  # the earliest abandonment among orders queued here: its key and order (-1: none)
DI_AJ = 11
DI_SCHED = 12  # on a calendar: the scheduled headcount now
DI_GAP = 13  # on a calendar: vacant slots (leavers gone, replacements not started; review moves: out +1, in -1)
DI_EH = 14  # service agreements (kernels/agreements.py): head and tail of the escalated queue, served before 0 and 1
DI_ET = 15
DI_EKEY = 16  # ... the earliest escalation among agreement requests queued here: its key and request (-1: none)
DI_EJ = 17
NDI = 18
DF_LAST = 0  # time employee time was last integrated
DF_IBUSY = 1  # employee time since t = 0: busy (blocked included), blocked, present
DF_IBLK = 2
DF_IAVAIL = 3
DF_WBUSY = 4  # ... at warm-up end
DF_WBLK = 5
DF_WAVAIL = 6
DF_PBUSY = 7  # ... at the last period boundary
DF_PBLK = 8
DF_PAVAIL = 9
DF_MORALE = 10
DF_SPEED = 11  # skill x speed factor at the current morale
DF_ADEAD = 12  # ... and its deadline (inf: none)
DF_IOT = 13  # on a calendar: overtime (employee time of pending off-duty departures) since t = 0
DF_OTLAST = 14  # ... integrated up to this time
DF_WOT = 15  # ... at warm-up end
DF_POT = 16  # ... at the last period boundary
DF_EDEAD = 17  # service agreements: the earliest escalation's deadline (inf: none)
NDF = 18

_INNER = dict(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True, forceinline=False)


@njit(**_INNER)
def _advance(DI, DF, d, t):
    """Integrate department d's employee time up to t."""
    dt = t - DF[d, DF_LAST]
    if dt > 0.0:
        DF[d, DF_IBUSY] += DI[d, DI_BUSY] * dt
        DF[d, DF_IBLK] += DI[d, DI_BLOCKED] * dt
        DF[d, DF_IAVAIL] += DI[d, DI_PRESENT] * dt
        DF[d, DF_LAST] = t


@njit(**_INNER)
def _overtime_upto(DI, DF, d, t):
    """Integrate department d's overtime (pending off-duty departures) up to t."""
    DF[d, DF_IOT] += DI[d, DI_VAC] * (t - DF[d, DF_OTLAST])
    DF[d, DF_OTLAST] = t


@njit(**_INNER)
def start(DI, d, heads):
    """Department d on a calendar at t = 0: *heads* scheduled and on duty, no vacant slot."""
    DI[d, DI_SCHED] = heads
    DI[d, DI_GAP] = 0
    DI[d, DI_PRESENT] = heads


@njit(**_INNER)
def reconcile(DI, DF, d, t):
    """Bring department d's staff to its on-duty target at t; returns how many arrived (to be dispatched)."""
    s = DI[d, DI_SCHED]
    want = max(0, s - DI[d, DI_GAP]) if s > 0 else 0
    staying = DI[d, DI_PRESENT] - DI[d, DI_VAC]
    if want == staying:
        return 0
    _overtime_upto(DI, DF, d, t)
    _advance(DI, DF, d, t)
    if want < staying:
        DI[d, DI_VAC] += staying - want
        idle = min(DI[d, DI_PRESENT] - DI[d, DI_BUSY], DI[d, DI_VAC])  # idle employees leave at once
        DI[d, DI_PRESENT] -= idle
        DI[d, DI_VAC] -= idle
        return 0
    rise = want - staying
    stay = min(rise, DI[d, DI_VAC])  # pending departures are cancelled first: they stay on
    DI[d, DI_VAC] -= stay
    DI[d, DI_PRESENT] += rise - stay
    return rise - stay


@njit(**_INNER)
def off_duty(DI, DF, d, t):
    """A freed employee of department d takes a pending off-duty departure: goes now."""
    _overtime_upto(DI, DF, d, t)
    _advance(DI, DF, d, t)
    DI[d, DI_PRESENT] -= 1
    DI[d, DI_VAC] -= 1


@njit(**_INNER)
def vacate(DI, DF, d, t, leavers):
    """*leavers* of department d (drawn from its filled slots, or one a review moves) go: their slots are vacant."""
    DI[d, DI_GAP] += leavers
    reconcile(DI, DF, d, t)


@njit(**_INNER)
def hired(DI, DF, d, t, count):
    """*count* replacements (or movers: extra slots) fill slots of department d; returns how many came on duty."""
    DI[d, DI_GAP] -= count
    return reconcile(DI, DF, d, t)


@njit(**_INNER)
def mark_warmup(DI, DF, on, t):
    """Overtime so far, at warm-up end, for every department on a calendar."""
    for d in range(DI.shape[0]):
        if on[d]:
            _overtime_upto(DI, DF, d, t)
            DF[d, DF_WOT] = DF[d, DF_IOT]


@njit(**_INNER)
def period_overtime(DI, DF, d, t):
    """Department d's overtime since the last period boundary (t: this one)."""
    _overtime_upto(DI, DF, d, t)
    x = DF[d, DF_IOT] - DF[d, DF_POT]
    DF[d, DF_POT] = DF[d, DF_IOT]
    return x


@njit(**_INNER)
def work_queued(DI, d):
    """Whether department d has work queued (an employee coming on duty then takes it)."""
    return DI[d, DI_QH] >= 0 or DI[d, DI_QH + 1] >= 0 or DI[d, DI_EH] >= 0
