"""Cases that wait long at every visit: a group's cases split into classes by their whole unexplained wait.

The fitter draws a group's unexplained waits (``fitting._waits``) afresh before every activity, from one law
per activity fitted on all the group's cases.  That is right when a case's waits are independent of each
other.  In the purchasing log they are not: of the cases that loop fewer times, most wait a few hundred
hours in all and 18 of 258 about 1,900 h, the long wait spread over several visits.  One law per activity
mixes the two, and independent draws rarely give a case long waits at several visits: the simulated cases
of that size are too few.  The rules (the README's "From an event log", *Cases that wait long at every
visit*), per group of cases (variant group and period):

* a case's *total* is the sum of its delays that no queue explains, except those before the activities that
  start a case or are parallel work (they are needs of their service, the same for every group);
* the waits are not independent when the spread of the totals, the variance of log(1 + total), differs
  from its spread when each activity's delays are shuffled among the group's events of that activity
  (which keeps every activity's delays and every case's route, and makes a case's delays independent):
  ``PERMUTATIONS`` seeded shuffles, two-sided p below ``ALPHA``;
* only then, the group's cases fall in *classes* by total: of the cuts of log(1 + total) that leave at least
  ``MIN_CASES`` cases on each side, the one with the smallest within-side variance is kept when the
  two-part mixture (each part the best family fitted to its side's totals, weighted by its share of the
  cases) has a lower BIC than the best single family; each side is split again by the same rule;
* each class is a group of its own: its own routing and unexplained-wait laws from its own cases (as a
  variant group's), and its share of the group's arrivals (Poisson thinning of the group's table).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orgsim.eventlog.families import Fit, fit_all
from orgsim.eventlog.volumes import ALPHA
from orgsim.eventlog.wait_periods import MIN_CASES

PERMUTATIONS = 4999  # the smallest two-sided p is 2/5000 = 0.0004: below ALPHA, so the test can reject
SEED = 0  # the shuffles are seeded: the same log fits to the same scenario


@dataclass(frozen=True)
class ClassTest:
    """The group's cases, the observed spread of log(1 + total), its median over the shuffles, the two-sided p,
    and, when the waits are not independent, the classes' upper bounds of total (hours; the last is infinite)."""

    cases: int
    spread: float
    shuffled: float
    p: float
    bounds: tuple[float, ...] = ()

    @property
    def dependent(self) -> bool:
        return self.p < ALPHA


def _spread(totals: np.ndarray) -> float:
    return float(np.var(np.log1p(totals)))


def independence(case: np.ndarray, activity: np.ndarray, delay: np.ndarray, n: int) -> tuple[float, float, float]:
    """The spread of the *n* cases' totals (*case*: each event's code, 0..n-1), its median over shuffles of each
    activity's delays among its events, and the two-sided permutation p (``PERMUTATIONS`` shuffles, seeded)."""
    observed = _spread(np.bincount(case, weights=delay, minlength=n))
    rng = np.random.default_rng(SEED)
    order = np.argsort(activity, kind="stable")
    block = activity[order]
    shuffled = np.empty(PERMUTATIONS)
    for i in range(PERMUTATIONS):
        within = order[np.lexsort((rng.random(len(order)), block))]  # a random order inside each activity's block
        moved = np.empty_like(delay)
        moved[order] = delay[within]
        shuffled[i] = _spread(np.bincount(case, weights=moved, minlength=n))
    middle = float(np.median(shuffled))
    upper = (1 + np.count_nonzero(shuffled >= observed)) / (PERMUTATIONS + 1)
    lower = (1 + np.count_nonzero(shuffled <= observed)) / (PERMUTATIONS + 1)
    return observed, middle, min(1.0, 2 * min(upper, lower))


def _density(fits: list[Fit]) -> Fit | None:
    """The best fit that has a density (a deterministic law has none)."""
    return next((f for f in fits if math.isfinite(f.aic)), None)


def _bic(fit: Fit, n: int) -> float:
    parameters = (fit.aic + 2 * fit.loglik) / 2
    return parameters * math.log(n) - 2 * fit.loglik


def _cut(totals: np.ndarray) -> int | None:
    """Where the sorted *totals* split in two (the first index of the upper side), or None: the cut of
    log(1 + total) with the smallest within-side variance, at least ``MIN_CASES`` a side, kept when the
    two-part mixture's BIC is below the best single family's."""
    x = np.sort(totals)
    n = len(x)
    if n < 2 * MIN_CASES:
        return None
    logs = np.log1p(x)
    cuts = range(MIN_CASES, n - MIN_CASES + 1)
    within = [np.var(logs[:k]) * k + np.var(logs[k:]) * (n - k) for k in cuts]
    k = cuts[int(np.argmin(within))]
    one = _density(fit_all(x))
    low, high = _density(fit_all(x[:k])), _density(fit_all(x[k:]))
    if one is None or low is None or high is None:
        return None
    floored = np.maximum(x, 1.0 / 3600.0)
    with np.errstate(divide="ignore"):
        mixed = np.log(k / n * low.law.pdf(floored) + (n - k) / n * high.law.pdf(floored)).sum()
    parameters = (low.aic + 2 * low.loglik + high.aic + 2 * high.loglik) / 2 + 1
    return k if parameters * math.log(n) - 2 * mixed < _bic(one, n) else None


def classes(totals: np.ndarray) -> tuple[float, ...]:
    """The classes' upper bounds of total (the last infinite), splitting each side again while ``_cut`` keeps a cut."""
    x = np.sort(np.asarray(totals, dtype=float))
    k = _cut(x)
    if k is None:
        return (math.inf,)
    bound = float((x[k - 1] + x[k]) / 2)
    return (*(b for b in classes(x[:k]) if b < bound), bound, *classes(x[k:]))


def test(totals: pd.Series, case: np.ndarray, activity: np.ndarray, delay: np.ndarray) -> ClassTest:
    """The rules (module docstring) for one group: *totals* by case, *case* codes into it and *activity* codes per
    event, *delay* per event (hours)."""
    spread, shuffled, p = independence(case, activity, delay, len(totals))
    found = ClassTest(len(totals), spread, shuffled, p)
    if not found.dependent:
        return found
    return ClassTest(len(totals), spread, shuffled, p, classes(totals.to_numpy()))


def class_of(totals: pd.Series, bounds: tuple[float, ...]) -> pd.Series:
    """Each case's class: the index of the first bound at or above its total."""
    return pd.Series(np.searchsorted(np.asarray(bounds), totals.to_numpy(), side="left"), index=totals.index)
