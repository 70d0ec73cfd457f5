"""Visit-indexed states: repeat visits of an activity as states of their own, when loop counts are not geometric.

One-step Markov routing forgets how often a case has looped, so the number of visits it gives an
activity is geometric.  The purchasing log's ``repeated`` cases do the looping activity at least
four times by definition, yet that routing ends about half of them before the fourth visit.  The rule,
per segment (its cases):

* the *looping activity* is the one with the most repeats (events beyond the first of each case); of
  the cases that do it, the visit counts are tested against the geometric law one-step routing
  implies (return share r = repeats / visits, the maximum-likelihood fit) by the likelihood ratio
  G = 2 sum n_v ln(n_v / (n (1 - r) r^(v-1))) over the counts v = 1..M seen (M the largest; the counts
  past M, none seen, are one more category) on M - 1 degrees of freedom, at ``ALPHA``; only when it is
  rejected are the segment's visits indexed (so every case looping exactly twice is rejected too);
* then every event's state is (activity, its visit number in the case, capped at K): K for an activity
  is the largest k with at least ``MIN_CASES`` cases of the segment reaching visit k, so a state's
  routing shares rest on at least that many cases; visits past K are visit K, which loops as before.
  Visit 1 keeps the activity's name; visit k >= 2 is labelled ``"<activity> visit<k>"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.001  # the level of the arrival-volume test (``volumes``): one level for the fitter's tests
MIN_CASES = 20  # a routing share from 20 cases has a standard error of at most 0.11
MIN_EVENTS = 100  # a repeat visit's own time law: at least this many events, and a KS test rejecting pooling
TIME_ALPHA = 0.01
MIN_WAITS = 30  # a repeat visit's own unexplained-wait law: at least this many positive delays, else all visits'


@dataclass
class VisitTest:
    """The segment's looping activity, its visit counts (count -> cases), G, degrees of freedom, p, and each
    activity's cap K (empty when the counts are geometric)."""

    activity: str
    counts: dict
    g: float
    df: int
    p: float
    caps: dict


def geometric_test(visits: np.ndarray) -> tuple[float, int, float]:
    """G, degrees of freedom and p of the counts *visits* (each >= 1) against their maximum-likelihood geometric."""
    visits = np.asarray(visits, dtype=int)
    n, total = len(visits), int(visits.sum())
    r = (total - n) / total
    values, observed = np.unique(visits, return_counts=True)
    df = int(values.max()) - 1
    if df < 1 or r <= 0:
        return 0.0, 0, 1.0
    expected = n * (1 - r) * r ** (values - 1)
    g = float(2 * np.sum(observed * np.log(observed / expected)))
    return g, df, float(stats.chi2.sf(g, df))


def visit_numbers(frame: pd.DataFrame) -> pd.Series:
    """Per event: its visit number of its activity in its case (1 for the first), in start order."""
    order = frame.sort_values(["case", "start", "end"], kind="stable")
    return (order.groupby(["case", "activity"], sort=False).cumcount() + 1).reindex(frame.index)


def segment_test(frame: pd.DataFrame) -> VisitTest | None:
    """The test of one segment's events (module rules); None when no activity repeats."""
    per = frame.groupby(["case", "activity"]).size()
    repeats = (per - 1).groupby(level="activity").sum()
    if repeats.empty or repeats.max() <= 0:
        return None
    activity = str(repeats.idxmax())
    visits = per.xs(activity, level="activity").to_numpy()
    g, df, p = geometric_test(visits)
    caps = {}
    if p < ALPHA:
        for act, counts in per.groupby(level="activity"):
            reach = np.array([(counts.to_numpy() >= k).sum() for k in range(1, int(counts.max()) + 1)])
            caps[str(act)] = int(np.flatnonzero(reach >= MIN_CASES).max() + 1) if (reach >= MIN_CASES).any() else 1
    shown = dict(sorted(pd.Series(visits).value_counts().items()))
    return VisitTest(activity, {int(k): int(v) for k, v in shown.items()}, g, df, p, caps)


def label(activity: str, visit: int) -> str:
    return activity if visit <= 1 else f"{activity} visit{visit}"


def states(frame: pd.DataFrame, segment_of: pd.Series) -> tuple[pd.Series, dict, dict]:
    """Per event its state's label; each segment's test (by segment key); and each label's (activity, visit).

    *segment_of* maps each case to its segment key."""
    numbers = visit_numbers(frame)
    labels = frame["activity"].copy()
    tests, base = {}, {}
    keys = frame["case"].map(segment_of)
    for key, rows in frame.groupby(keys, sort=False).groups.items():
        test = segment_test(frame.loc[rows])
        tests[key] = test
        if test is None or not test.caps:
            continue
        capped = [min(int(k), test.caps.get(a, 1)) for a, k in zip(frame.loc[rows, "activity"], numbers.loc[rows])]
        labels.loc[rows] = [label(a, k) for a, k in zip(frame.loc[rows, "activity"], capped)]
        for a, k in zip(frame.loc[rows, "activity"], capped):
            if k > 1:
                base[label(a, k)] = (a, k)
    return labels, tests, base


def own_law(own: np.ndarray, others: np.ndarray) -> bool:
    """Whether a repeat visit's working times get a law of their own rather than the activity's pooled one:
    at least ``MIN_EVENTS`` of them, and a two-sample KS test against the activity's other visits rejecting
    at ``TIME_ALPHA``."""
    if len(own) < MIN_EVENTS or len(others) < 2:
        return False
    return bool(stats.ks_2samp(own, others).pvalue < TIME_ALPHA)
