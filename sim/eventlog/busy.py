"""When a whole department was busy: the part of a wait its pooled queue explains.

orgsim gives a department one queue: an order waits only while *every* employee is busy.  In a
log a case may wait for one particular person while colleagues are free; that part of the wait is
no queue the scenario can reproduce, so the fitter takes it as a delay.  Times are hours on one
origin (floats), intervals half-open.
"""

from __future__ import annotations

import numpy as np


def _merged(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The union of intervals as sorted disjoint intervals."""
    order = np.argsort(starts, kind="stable")
    out_s, out_e = [], []
    for s, e in zip(starts[order], ends[order]):
        if out_e and s <= out_e[-1]:
            out_e[-1] = max(out_e[-1], e)
        else:
            out_s.append(s)
            out_e.append(e)
    return np.array(out_s), np.array(out_e)


class AllBusy:
    """Periods in which each of *heads* resources is busy; ``before(t)`` is their total length up to each t."""

    def __init__(self, starts: np.ndarray, ends: np.ndarray, who: np.ndarray, heads: int):
        points, steps = [], []
        for person in np.unique(who):  # one person's overlapping events count once
            s, e = _merged(starts[who == person], ends[who == person])
            points += [s, e]
            steps += [np.ones(len(s)), -np.ones(len(e))]
        t = np.concatenate(points) if points else np.zeros(0)
        d = np.concatenate(steps) if steps else np.zeros(0)
        order = np.lexsort((d, t))  # at one instant, ends (-1) before starts (+1): touching jobs leave no gap
        t, level = t[order], np.cumsum(d[order])
        full = level >= heads
        self.starts = t[:-1][full[:-1]] if len(t) else t
        self.ends = t[1:][full[:-1]] if len(t) else t
        self.cum = np.concatenate([[0.0], np.cumsum(self.ends - self.starts)])

    def before(self, times: np.ndarray) -> np.ndarray:
        """Total all-busy time before each of *times*."""
        i = np.searchsorted(self.starts, times, side="right") - 1
        inside = np.where(i >= 0, np.minimum(times, self.ends[np.maximum(i, 0)] if len(self.ends) else 0.0)
                          - (self.starts[np.maximum(i, 0)] if len(self.starts) else 0.0), 0.0)
        return np.where(i >= 0, self.cum[np.maximum(i, 0)] + np.maximum(inside, 0.0), 0.0)
