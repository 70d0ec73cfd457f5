"""The loop's names: event and action codes, accumulator blocks, compile options.

Every part of the loop indexes its arrays through these names (the item
columns are ``kernels/items.py``'s, the department columns
``kernels/staffing.py``'s, the accumulator offsets
``cs.row_off``/``cs.per_off`` by the block numbers below).
"""

from typing import NamedTuple

import numpy as np

FAST = dict(cache=True, nogil=True, error_model="numpy")
INNER = dict(FAST, no_cpython_wrapper=True, no_cfunc_wrapper=True, forceinline=False)  # called from jitted code only
# a hot part (an event kind, an action, a pool or heap step): inlined by numba where it is called, before typing, so
# the loop compiles and runs as one function and the part is never compiled on its own.  (Compiled alone and inlined
# by LLVM, forceinline, each part was optimised and turned into machine code once alone and again in the loop: cold
# compile 72-90 s CPU against 57-63 s now and main's 57-63 s.)
HOT = dict(INNER, inline="always")

# ix(i): index i, known to be >= 0.  Numba adds a negative-index wraparound to every access with a signed index;
# with an unsigned one it does not.  Pool rows (II, FF) and heap slots are indexed this way (the baseline kernel
# ran 3-4 % faster).
ix = np.uint64
M32 = 0xFFFFFFFF

# (a work item's kinds, fields and flags: kernels/items.py)

# ---- events (heap key = sequence << 4 | type; payload = entity << 32 | count).  Two kinds live outside the heap,
# compared with its top: orders arrive from per-segment timers (each segment's next arrival), and abandonments
# from per-department timers (the earliest deadline among orders in its queue).  Nearly every order starts service
# before its patience runs out; in the heap, its abandonment would stay as a stale entry until then.
EV_ARRIVAL = -1  # (a segment's timer)
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


class Offsets(NamedTuple):
    """Where the blocks the events write start, read once per call (``offsets``): held in registers, not reloaded
    from ``cs.row_off`` around every store to the row."""

    arr: int
    comp: int
    aban: int
    wait: int
    soj: int
    hist: int
    score: int
    prom: int
    detr: int
    rev: int
    churn: int
    dwait: int
    dvis: int
    rsum: int
    rcnt: int
    scomp: int
    sredo: int
    esc: int
    late: int
    slw: int
    ddone: int
    parr: int
    pcomp: int
    pwait: int
    paban: int
    rec: int
    p_comp: int
    p_ddone: int
    p_aban: int
    p_soj: int
    p_score: int
    p_prom: int
    p_detr: int
