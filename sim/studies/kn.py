"""Selecting the best of k systems with a stated guarantee: Kim & Nelson's fully sequential procedure KN.

The arithmetic only, on arrays of observations, so it can be validated on planted problems without
simulating anything (``orgsim.studies.select`` feeds it replications of policies).

KN (Kim & Nelson 2001, "A fully sequential procedure for indifference-zone selection in simulation",
ACM TOMACS 11(3)) takes ``n0`` observations of every system, estimates the variance of every pairwise
difference from them, then adds one observation at a time to the systems still in contention and
eliminates a system as soon as its running mean falls far enough below another's.  The guarantee:
with normally distributed observations (here, per-replication values of a metric: averages over many
customers), if the best system's mean is at least ``delta`` better than every other's, the procedure
selects it with probability at least ``1 - alpha``.  Observations may be correlated across systems
(common random numbers): only the variances of paired differences enter.

``bonferroni_n`` is the fixed equal allocation that gives the same guarantee from the same first stage
(a two-stage paired-t procedure with a Bonferroni split of ``alpha``), the yardstick KN saves against.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import stdtrit


def eta(k: int, alpha: float, n0: int) -> float:
    """KN's constant: ½ [(2α / (k−1))^(−2 / (n0−1)) − 1]."""
    return 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)


def pair_variances(first: np.ndarray) -> np.ndarray:
    """S²_il: the sample variance of X_i − X_l over the first-stage rows (k x k, zero diagonal)."""
    d = first[:, :, None] - first[:, None, :]
    return d.var(axis=0, ddof=1)


def bonferroni_n(first: np.ndarray, alpha: float, delta: float) -> int:
    """Replications per system a fixed equal allocation needs for the same guarantee from this first stage.

    Each system against the best is a paired-t comparison at level α/(k−1): N = max(n0, ⌈(t S_il / δ)²⌉)
    over every pair, with t the 1 − α/(k−1) quantile of Student's t on n0 − 1 degrees of freedom.
    """
    n0, k = first.shape
    t = float(stdtrit(n0 - 1, 1.0 - alpha / (k - 1)))
    return max(n0, math.ceil(float((t * t * pair_variances(first) / delta**2).max())))


class KN:
    """The state of one run of KN: observations so far, systems still in contention, who left when.

    *first*: the first-stage observations, ``n0`` rows by ``k`` systems, oriented so that larger is better.
    Feed further rows with ``add`` (values of eliminated systems are ignored, and may be NaN) until ``done``.
    """

    def __init__(self, first: np.ndarray, alpha: float, delta: float):
        first = np.asarray(first, dtype=float)
        n0, k = first.shape
        if n0 < 2 or k < 2:
            raise ValueError(f"KN needs at least 2 systems and 2 first-stage observations (got {k} and {n0})")
        if not np.isfinite(first).all():
            raise ValueError("first-stage observations must be finite")
        self.k, self.n0, self.alpha, self.delta = k, n0, alpha, delta
        self.h2 = 2.0 * eta(k, alpha, n0) * (n0 - 1)
        self.s2 = pair_variances(first)
        self.sums = first.sum(axis=0)
        self.r = n0
        self.alive = np.ones(k, dtype=bool)
        self.eliminated: list[tuple[int, int]] = []  # (system, observations it had), in the order they left
        self.tied: set[int] = set()  # systems that left only because they tied exactly with the one selected
        self.used = np.full(k, n0)
        # once r reaches h² S²_il / δ² the pair's continuation region is closed (W_il = 0): no pair needs more
        self.bound = max(n0, math.ceil(float((self.h2 * self.s2 / delta**2).max())))
        self._screen()

    @property
    def done(self) -> bool:
        return int(self.alive.sum()) == 1

    @property
    def selected(self) -> int:
        """The system KN selects (only once ``done``)."""
        if not self.done:
            raise RuntimeError("KN has not finished")
        return int(np.flatnonzero(self.alive)[0])

    def means(self) -> np.ndarray:
        """Each system's mean over the observations KN used of it."""
        return self.sums / self.used

    def add(self, rows: np.ndarray) -> int:
        """Take further observations, one row (all systems) at a time; returns how many rows were used."""
        rows = np.atleast_2d(np.asarray(rows, dtype=float))
        taken = 0
        for row in rows:
            if self.done:
                break
            if not np.isfinite(row[self.alive]).all():
                raise ValueError(f"observation {self.r + 1} of a system still in contention is not finite")
            self.r += 1
            self.sums[self.alive] += row[self.alive]
            self.used[self.alive] = self.r
            taken += 1
            self._screen()
        return taken

    def _screen(self) -> None:
        """KN's screening: keep i if its mean is at least every rival's minus W_il(r); close exact ties at the bound."""
        r = self.r
        idx = np.flatnonzero(self.alive)
        mean = self.sums[idx] / r
        w = np.maximum(0.0, self.delta / (2.0 * r) * (self.h2 * self.s2[np.ix_(idx, idx)] / self.delta**2 - r))
        beaten = (mean[:, None] < mean[None, :] - w).any(axis=1)  # never all: the largest mean is not beaten
        out = idx[beaten]
        if r >= self.bound and (~beaten).sum() > 1:
            # every W is 0: the survivors tie exactly (identical systems); the first listed is as good as any
            keep = idx[~beaten]
            out = np.concatenate([out, keep[1:]])
            self.tied.update(keep[1:].tolist())
        for i in out.tolist():
            self.alive[i] = False
            self.eliminated.append((i, r))


def trials(draw, k: int, n0: int, alpha: float, delta: float, macro: int) -> tuple[int, int, int, bool]:
    """KN run *macro* times on a problem whose best is the last of *k* systems; ``draw(n)`` gives n rows.

    Returns the correct selections, the replications KN used and those a fixed equal allocation with the
    same guarantee would use (both summed over the runs), and whether no system ever exceeded KN's bound.
    The validation test and the benchmark both measure the procedure this way.
    """
    hits, used, fixed, bounded = 0, 0, 0, True
    for _ in range(macro):
        first = draw(n0)
        kn = KN(first, alpha, delta)
        while not kn.done:
            kn.add(draw(max(1, kn.r // 5)))
        hits += kn.selected == k - 1
        used += int(kn.used.sum())
        fixed += k * bonferroni_n(first, alpha, delta)
        bounded &= bool(kn.used.max() <= kn.bound)
    return hits, used, fixed, bounded
