"""Arrival volumes that change over a log's span: a segment's monthly case counts against one constant level.

An hour-of-week rate table fitted over the whole span is one level all year; a log whose cases
come three times as fast in its first month as on average (the purchasing log: 190 cases in
January 2011, 10 in October) needs the level to change.  The rules (the README's "From an event
log", *Arrival volumes*):

* the period is the calendar month (a change is dated by its first day): a week of a sparse log
  holds a case or two, too few to tell a level from chance; the first and last months may be part
  months, which the expected counts allow for;
* a month's *expected* count at one level is the segment's rate table summed over the month's hours
  in the span (holidays out), so the months' expected counts add up to the segment's cases;
* the counts c are consistent with one level unless the likelihood-ratio statistic of a Poisson
  level per month against one level, G = 2 sum c ln(c / E), exceeds the chi-squared quantile
  1 - ``ALPHA`` with (months - 1) degrees of freedom;
* only then, binary segmentation: in a run of months, the month boundary whose split most raises the
  Poisson log-likelihood (one level on each side) is a change when twice the gain exceeds the
  chi-squared quantile 1 - ``ALPHA`` with one degree of freedom (the penalty of a change); each side
  is split again by the same rule, down to runs of one month;
* a run's level is its cases over its expected count (the maximum-likelihood factor on the week's
  shape), so the rate table of the run is the span's table times that factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.001


@dataclass(frozen=True)
class Level:
    """A run of months [first, last] (indices) with its cases, its expected count at the span's level and its factor."""

    first: int
    last: int
    cases: int
    expected: float

    @property
    def factor(self) -> float:
        return self.cases / self.expected if self.expected > 0 else 0.0


@dataclass(frozen=True)
class LevelTest:
    """The one-level test: G, its degrees of freedom and p-value, and the levels (one when the counts are consistent)."""

    g: float
    df: int
    p: float
    levels: tuple[Level, ...]


def _loglik(c: np.ndarray, e: np.ndarray) -> float:
    """Poisson log-likelihood of counts *c* at one level on expected counts *e* (terms constant in the level dropped)."""
    total, exposure = c.sum(), e.sum()
    return float(total * np.log(total / exposure)) - float(total) if total > 0 else 0.0


def _split(c: np.ndarray, e: np.ndarray, lo: int, hi: int, penalty: float) -> list[int]:
    """The change months in [lo, hi) by binary segmentation (the first month of each new level)."""
    whole = _loglik(c[lo:hi], e[lo:hi])
    best, at = 0.0, None
    for m in range(lo + 1, hi):
        gain = _loglik(c[lo:m], e[lo:m]) + _loglik(c[m:hi], e[m:hi]) - whole
        if gain > best:
            best, at = gain, m
    if at is None or 2.0 * best <= penalty:
        return []
    return _split(c, e, lo, at, penalty) + [at] + _split(c, e, at, hi, penalty)


def monthly_levels(counts, expected) -> LevelTest:
    """The months' levels by the module rules, from each month's *counts* and *expected* counts at one level."""
    c, e = np.asarray(counts, dtype=float), np.asarray(expected, dtype=float)
    keep = e > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(c > 0, c * np.log(c / np.where(keep, e, 1.0)), 0.0)
    g = float(2.0 * terms[keep].sum() - 2.0 * (c[keep].sum() - e[keep].sum()))
    df = int(keep.sum()) - 1
    p = float(stats.chi2.sf(g, df)) if df > 0 else 1.0
    cuts = _split(c, e, 0, len(c), float(stats.chi2.isf(ALPHA, 1))) if p < ALPHA else []
    bounds = [0, *cuts, len(c)]
    levels = tuple(Level(a, b - 1, int(c[a:b].sum()), float(e[a:b].sum())) for a, b in zip(bounds, bounds[1:]))
    return LevelTest(g, df, p, levels)
