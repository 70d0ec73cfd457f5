"""Cases that wait long at every visit: a group's cases split into classes by their whole unexplained wait, and
each class's waits drawn toward their means when independent draws would spread its totals too wide.

The fitter draws a group's unexplained waits (``fitting._waits``) afresh before every activity, from one law
per activity fitted on all the group's cases.  That is right when a case's waits are independent of each
other.  In the purchasing log they are not: of the cases that loop fewer times, most wait a few hundred
hours in all and 18 of 258 about 1,900 h, the long wait spread over several visits.  One law per activity
mixes the two, and independent draws rarely give a case long waits at several visits: the simulated cases
of that size are too few.  The rules (the README's "From an event log", *Cases that wait long at every
visit*), per group of cases (variant group and period):

* a case's *total* is the sum of its delays that no queue explains, except those before the activities that
  start a case or are parallel work (they are needs of their service, the same for every group);
* the waits are not independent when the totals' distribution differs from the one independent waits give:
  shuffling each activity's delays among the group's events of that activity keeps every activity's delays
  and every case's route and makes a case's delays independent; the Cramer-von Mises distance of the
  observed totals from the pooled totals (the observed and all the shuffles') is compared with each shuffle's
  own distance from them
  (``PERMUTATIONS`` seeded shuffles; p = the share at least as far, below ``ALPHA``).  It sees cases slow at
  every visit (too many long totals) and a total shared out over the visits (too few short and long ones);
* only then, the group's cases fall in *classes* by total.  Two cuts are candidates, each leaving at least
  ``MIN_CASES`` cases a side and falling between two different totals: the one with the smallest
  within-side variance of the totals and the one with the smallest within-side variance of log(1 + total).
  Of the two, the one whose two-part mixture (each part the family of lowest AIC fitted to its side's
  totals, weighted by its share of the cases) has the lower BIC is kept when that is below the lowest-AIC
  single family's; each side is split again by the same rule;
* each class is a group of its own: its own routing and unexplained-wait laws from its own cases (as a
  variant group's), and its share of the group's arrivals (Poisson thinning of the table of the group's cases
  with the same first activity);
* a class's waits may still hang together: the purchasing log's long cases wait about 1,900 h in all
  however the wait falls over their visits, and independent draws spread that total over 1,000-3,000 h.
  So before its laws are fitted, each activity's positive delays in the class are drawn toward their mean
  by one factor s in [0, 1] (``shrink``), the largest that lets independent draws along the class's own
  routes give its totals no more than their observed variance; each activity's mean and share that waits
  are kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orgsim.eventlog.families import FLOOR, Fit, fit_all
from orgsim.eventlog.volumes import ALPHA
from orgsim.eventlog.wait_periods import MIN_CASES

PERMUTATIONS = 1999  # the smallest p is 1/2000: below ALPHA
SEED = 0  # the shuffles are seeded: the same log fits to the same scenario


@dataclass(frozen=True)
class ClassTest:
    """The group's cases, the Cramer-von Mises distance of their totals from the shuffled totals, its median over the
    shuffles, the p, and, when the waits are not independent, the classes' upper bounds of total (hours; the last is
    infinite)."""

    cases: int
    distance: float
    shuffled: float
    p: float
    bounds: tuple[float, ...] = ()

    @property
    def dependent(self) -> bool:
        return bool(self.p < ALPHA)


def _cramer_von_mises(samples: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each row of *samples*' Cramer-von Mises distance from the sorted *reference*: sum over its sorted values of
    (F_ref(x_i) - (2i - 1) / 2n)^2, plus 1 / 12n."""
    n = samples.shape[1]
    at = np.searchsorted(reference, np.sort(samples, axis=1), side="right") / len(reference)
    return ((at - (2 * np.arange(1, n + 1) - 1) / (2 * n)) ** 2).sum(axis=1) + 1 / (12 * n)


def independence(case: np.ndarray, activity: np.ndarray, delay: np.ndarray, n: int) -> tuple[float, float, float]:
    """The Cramer-von Mises distance of the *n* cases' totals (*case*: each event's code, 0..n-1) from their totals
    under shuffles of each activity's delays among its events, its median over the shuffles, and the p
    (``PERMUTATIONS`` shuffles, seeded)."""
    observed = np.bincount(case, weights=delay, minlength=n)
    rng = np.random.default_rng(SEED)
    order = np.argsort(activity, kind="stable")
    block = activity[order]
    shuffled = np.empty((PERMUTATIONS, n))
    for i in range(PERMUTATIONS):
        within = order[np.lexsort((rng.random(len(order)), block))]  # a random order inside each activity's block
        moved = np.empty_like(delay)
        moved[order] = delay[within]
        shuffled[i] = np.bincount(case, weights=moved, minlength=n)
    reference = np.sort(np.concatenate([observed, shuffled.ravel()]))  # the observed totals and the shuffles' alike
    distance = float(_cramer_von_mises(observed[None, :], reference)[0])
    null = _cramer_von_mises(shuffled, reference)
    return distance, float(np.median(null)), (1 + np.count_nonzero(null >= distance)) / (PERMUTATIONS + 1)


def _density(fits: list[Fit]) -> Fit | None:
    """The fit with a density (a deterministic law has none) of the lowest AIC; ``fit_all`` ranks a sample with an
    atom by KS instead."""
    return min((f for f in fits if math.isfinite(f.aic)), key=lambda f: f.aic, default=None)


def _bic(fit: Fit, n: int) -> float:
    parameters = (fit.aic + 2 * fit.loglik) / 2
    return parameters * math.log(n) - 2 * fit.loglik


def _least_within(values: np.ndarray) -> int | None:
    """The cut of the sorted *values* (first index of the upper side) with the smallest within-side sum of squares,
    at least ``MIN_CASES`` a side and between two different values (a class bound must not split equal totals);
    None when there is no such cut."""
    n = len(values)
    k = np.arange(MIN_CASES, n - MIN_CASES + 1)
    k = k[values[k - 1] < values[k]] if len(k) else k
    if not len(k):
        return None
    total, square = np.concatenate([[0.0], np.cumsum(values)]), np.concatenate([[0.0], np.cumsum(values**2)])
    low = square[k] - total[k] ** 2 / k
    high = (square[n] - square[k]) - (total[n] - total[k]) ** 2 / (n - k)
    return int(k[np.argmin(low + high)])


def _mixture_bic(x: np.ndarray, k: int) -> float:
    """The BIC of the two-part mixture of sorted *x* cut at *k*: each part the best family with a density fitted to
    its side, weighted by its side's share (inf when a side has no density)."""
    n = len(x)
    low, high = _density(fit_all(x[:k])), _density(fit_all(x[k:]))
    if low is None or high is None:
        return math.inf
    floored = np.maximum(x, FLOOR)
    with np.errstate(divide="ignore"):
        mixed = np.logaddexp(math.log(k / n) + low.law.logpdf(floored), math.log((n - k) / n) + high.law.logpdf(floored)).sum()
    parameters = (low.aic + 2 * low.loglik + high.aic + 2 * high.loglik) / 2 + 1
    return parameters * math.log(n) - 2 * mixed


def _cut(x: np.ndarray) -> int | None:
    """Where the sorted totals *x* split in two (the first index of the upper side), or None.  The candidates are
    the cuts with the smallest within-side variance of the totals and of log(1 + total) (hours: a long tail and a
    spike of short totals each mislead one of them), at least ``MIN_CASES`` a side; the one whose two-part mixture
    has the lower BIC is kept when that is below the best single family's."""
    n = len(x)
    candidates = sorted({k for k in (_least_within(x), _least_within(np.log1p(x))) if k is not None}) if n >= 2 * MIN_CASES else []
    one = _density(fit_all(x)) if candidates else None
    if one is None:
        return None
    k, bic = min(((k, _mixture_bic(x, k)) for k in candidates), key=lambda kb: kb[1])
    return k if bic < _bic(one, n) else None


def classes(totals: np.ndarray) -> tuple[float, ...]:
    """The classes' upper bounds of total (the last infinite), splitting each side again while ``_cut`` keeps a cut."""
    x = np.sort(np.asarray(totals, dtype=float))
    k = _cut(x)
    if k is None:
        return (math.inf,)
    bound = float((x[k - 1] + x[k]) / 2)
    return (*(b for b in classes(x[:k]) if b < bound), bound, *classes(x[k:]))


def classify(totals: pd.Series, case: np.ndarray, activity: np.ndarray, delay: np.ndarray) -> ClassTest:
    """The rules (module docstring) for one group: *totals* by case, *case* codes into it and *activity* codes per
    event, *delay* per event (hours)."""
    distance, shuffled, p = independence(case, activity, delay, len(totals))
    found = ClassTest(len(totals), distance, shuffled, p)
    if not found.dependent:
        return found
    return ClassTest(len(totals), distance, shuffled, p, classes(totals.to_numpy()))


def class_of(totals: pd.Series, bounds: tuple[float, ...]) -> pd.Series:
    """Each case's class: the index of the first bound at or above its total."""
    return pd.Series(np.searchsorted(np.asarray(bounds), totals.to_numpy(), side="left"), index=totals.index)


def _positive_moment(activity: np.ndarray, delay: np.ndarray, positive: np.ndarray, acts: int, power: int) -> np.ndarray:
    """Per activity code, the mean of its *positive* delays to the *power* (0 for an activity without one)."""
    many = np.bincount(activity[positive], minlength=acts)
    return np.divide(np.bincount(activity[positive], weights=delay[positive] ** power, minlength=acts), many,
                     out=np.zeros(acts), where=many > 0)


def shrink(case: np.ndarray, activity: np.ndarray, delay: np.ndarray, n: int, floor: float) -> float:
    """The factor s in [0, 1] by which each activity's delays over *floor* are drawn toward their mean, so that
    independent draws along the *n* cases' own routes give their totals the observed variance (1: the draws are
    not too wide).  A delay is a draw that is positive with the activity's share p of its events, and then has its
    positives' mean m and variance v: a case's total has the variance of sum(n_a p m) over the cases plus the mean
    of sum(n_a (p (1 - p) m^2 + s^2 p v)), n_a its events of activity a; s^2 solves that equal to the observed."""
    acts = int(activity.max()) + 1
    counts = np.bincount(case.astype(np.int64) * acts + activity, minlength=n * acts).reshape(n, acts).astype(float)
    positive = delay > floor
    events = np.bincount(activity, minlength=acts)
    share = np.divide(np.bincount(activity, weights=positive, minlength=acts), events, out=np.zeros(acts), where=events > 0)
    mean, square = _positive_moment(activity, delay, positive, acts, 1), _positive_moment(activity, delay, positive, acts, 2)
    fixed = np.var(counts @ (share * mean)) + np.mean(counts @ (share * (1 - share) * mean**2))
    spread = np.mean(counts @ (share * (square - mean**2)))
    observed = np.var(np.bincount(case, weights=delay, minlength=n))
    return 1.0 if spread <= 0 else round(math.sqrt(min(1.0, max(0.0, (observed - fixed) / spread))), 6)  # float dust


def shrunk(activity: np.ndarray, delay: np.ndarray, floor: float, s: float) -> np.ndarray:
    """*delay* with each activity's delays over *floor* drawn toward their mean by *s* (``shrink``)."""
    positive = delay > floor
    mean = _positive_moment(activity, delay, positive, int(activity.max()) + 1, 1)
    return np.where(positive, mean[activity] + s * (delay - mean[activity]), delay)
