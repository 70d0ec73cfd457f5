"""Hour-of-week profiles: which hour of the week a time falls in, and counted employee time split at the hours.

Hour 0 is Monday 00:00-01:00 on the scenario's clock; ``offset`` is the hour of
the week t = 0 falls in (a fraction when t = 0 is not on the hour) and
``per_unit`` the hours in one time unit.  Orders are binned by their arrival
time; employee time is split at ``ticks``: the warm-up end, every hour boundary
inside the counted span, and the horizon.  ``split`` reads each department's
running areas at a tick without touching them, so switching profiles on
leaves every other number of a replication bit for bit as it was.  The
reference engine calls the Python originals on the same ticks.
"""

import math

import numpy as np
from numba import njit

HOURS = 168


@njit(cache=True, nogil=True, error_model="numpy", forceinline=False)
def hour_of_week(t, offset, per_unit):
    """The hour of the week (0..167) that time t falls in."""
    return int(math.floor(offset + t * per_unit)) % HOURS


def ticks(warmup: float, horizon: float, offset: float, per_unit: float) -> tuple[np.ndarray, np.ndarray]:
    """The times employee time is split at, and the hour of the week of each piece between two of them."""
    first = math.floor(offset + warmup * per_unit) + 1
    last = math.ceil(offset + horizon * per_unit) - 1
    inner = (np.arange(first, last + 1, dtype=np.float64) - offset) / per_unit
    inner = inner[(inner > warmup) & (inner < horizon)]
    times = np.concatenate(([float(warmup)], inner, [float(horizon)]))
    middle = (times[:-1] + times[1:]) / 2.0
    hours = np.floor(offset + middle * per_unit).astype(np.int64) % HOURS
    return times, hours


@njit(cache=True, nogil=True, error_model="numpy", forceinline=False)
def split(i, times, hours, busy, present, busy_area, present_area, last, snap, row, o_time, o_busy, o_available):
    """Tick *i*: each department's busy and present employee time since tick i - 1 goes to that piece's hour.

    busy, present: employees per department now; busy_area, present_area:
    their time-integrals up to *last* (per department); snap (D, 2): the
    integrals at tick i - 1, replaced by those at tick i.  Returns i + 1.
    """
    t = times[i]
    h = hours[i - 1] if i > 0 else -1
    for d in range(busy.shape[0]):
        dt = t - last[d]
        b = busy_area[d] + busy[d] * dt
        a = present_area[d] + present[d] * dt
        if h >= 0:
            row[o_busy + d * HOURS + h] += b - snap[d, 0]
            row[o_available + d * HOURS + h] += a - snap[d, 1]
        snap[d, 0] = b
        snap[d, 1] = a
    if h >= 0:
        row[o_time + h] += t - times[i - 1]
    return i + 1
