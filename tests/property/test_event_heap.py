"""The numba engine's event heap hands out events in (time, key) order, as ``heapq`` does.

The loop leaves a handled top in place and lets the next event scheduled
take its slot (``heap.add`` with *spent*); a mistake there would reorder events
only now and then, which statistical tests could miss.  Hypothesis drives
the heap through random schedules of adds and takes, with many equal
times (ties go by key), against ``heapq`` on (time, key) pairs.
"""

import heapq

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from orgsim.kernels.loop import heap


@njit  # (not cached: a cache would not see a change to kernels/loop/heap.py)
def _drive(adds, times, taken):
    """Run the schedule: adds[i] True adds an event at times[i] (key i, payload -i), False takes the top (its key and
    payload go to *taken*); returns how many were taken."""
    n_ops = adds.shape[0]
    ht = np.empty(n_ops + 2, dtype=np.int64)
    hk = np.empty(n_ops + 2, dtype=np.int64)
    he = np.empty(n_ops + 2, dtype=np.int64)
    hn = 0
    spent = False
    m = 0
    for i in range(n_ops):
        if adds[i]:
            hn = heap.add(ht, hk, he, hn, spent, times[i], np.int64(i), np.int64(-i))
            spent = False
        else:
            hn = heap.settle(ht, hk, he, hn, spent)  # as at the loop's top: nothing took the handled top's slot
            spent = False
            if hn == 0:
                continue
            taken[m, 0] = hk[0]
            taken[m, 1] = he[0]
            m += 1
            spent = True
    return m


@settings(max_examples=300, deadline=None)  # (the first example compiles the driver)
@given(st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=300))
def test_events_come_out_in_time_then_key_order(schedule):
    adds = np.array([x is not None for x in schedule], dtype=np.bool_)
    times = np.array([0.0 if x is None else x * 0.25 for x in schedule])  # few distinct times: many ties
    taken = np.empty((len(schedule), 2), dtype=np.int64)
    m = _drive(adds, times, taken)

    heap, expected = [], []
    for i, x in enumerate(schedule):
        if x is not None:
            heapq.heappush(heap, (times[i], i))
        elif heap:
            expected.append(heapq.heappop(heap)[1])
    assert taken[:m, 0].tolist() == expected
    assert (taken[:m, 1] == -taken[:m, 0]).all()  # each payload travels with its key
