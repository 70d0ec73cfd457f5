"""Waits that drift over a log's span: a segment's cases split into periods when their unexplained waits
depend on when they arrived.

A segment has one unexplained-wait law per activity, fitted on all its cases.  In the purchasing
log the ``repeated`` cases that arrived in January waited a median 233 h in all, those that arrived
later 1,900-2,000 h: one law mixes them and fills the gap between.  The rules (the README's "From an
event log", *Waits that drift*), per segment:

* a case's *wait* is the sum of its events' delays that no queue explains (the fitter's ``_waits``);
* the waits drift only when a Kruskal-Wallis test of the cases' waits grouped by their calendar month of
  arrival rejects at ``ALPHA`` (one level for the fitter's tests; ranks, as the waits are heavy-tailed);
* only then, binary segmentation over the months in order: of the month boundaries that leave each
  side at least ``MIN_CASES`` cases, the one whose two sides' waits differ most (the largest
  Kruskal-Wallis statistic of the two sides, the Mann-Whitney test) is a change when that test
  rejects at ``ALPHA``; each side is split again by the same rule;
* each run of months is a *period* of the segment, dated by its first month (the first period from
  the segment's first month).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from orgsim.eventlog.volumes import ALPHA

MIN_CASES = 10  # a period's routing shares rest on its own cases: from 10, a share's standard error is at most 0.16


@dataclass(frozen=True)
class DriftTest:
    """The months (as periods ``YYYY-MM``), the cases and median wait in each, the test's H and p, and the first
    month of each period (one period when the waits do not drift)."""

    months: tuple[str, ...]
    cases: tuple[int, ...]
    medians: tuple[float, ...]
    h: float
    p: float
    starts: tuple[str, ...]


def _kruskal(groups: list[np.ndarray]) -> tuple[float, float]:
    """H and p of a Kruskal-Wallis test of *groups* (0 and 1 when there is nothing to compare)."""
    groups = [g for g in groups if len(g)]
    if len(groups) < 2 or np.unique(np.concatenate(groups)).size < 2:
        return 0.0, 1.0
    h, p = stats.kruskal(*groups)
    return float(h), float(p)


def _split(waits: list[np.ndarray], lo: int, hi: int) -> list[int]:
    """The first months of new periods in the months [lo, hi) by binary segmentation (module rules)."""
    best = None
    for m in range(lo + 1, hi):
        left, right = np.concatenate(waits[lo:m]), np.concatenate(waits[m:hi])
        if min(len(left), len(right)) >= MIN_CASES:
            h, p = _kruskal([left, right])
            if best is None or h > best[0]:
                best = (h, p, m)
    if best is None or best[1] >= ALPHA:
        return []
    at = best[2]
    return _split(waits, lo, at) + [at] + _split(waits, at, hi)


def periods(arrival: pd.Series, wait: pd.Series) -> DriftTest:
    """The periods of one segment's cases from each case's *arrival* time and its *wait* (module rules)."""
    month = arrival.dt.to_period("M")
    grouped = {m: wait[month == m].to_numpy(dtype=float) for m in sorted(month.unique())}
    months, waits = list(grouped), list(grouped.values())
    h, p = _kruskal(waits)
    cuts = _split(waits, 0, len(waits)) if p < ALPHA else []
    return DriftTest(tuple(str(m) for m in months), tuple(len(w) for w in waits),
                     tuple(float(np.median(w)) for w in waits), h, p, tuple(str(months[i]) for i in [0, *cuts]))


def period_of(arrival: pd.Series, starts: tuple[str, ...]) -> pd.Series:
    """Per case: the first month of its period (of *starts*, in order), from its arrival time."""
    month = arrival.dt.to_period("M").astype(str)
    index = np.searchsorted(np.array(starts), month.to_numpy(), side="right") - 1
    return pd.Series(np.array(starts)[np.maximum(index, 0)], index=arrival.index)
