"""Drift hidden behind one mean: where each per-period series settles (MSER-5), and whether it still moves after the warm-up.

A run reports one mean per metric over [warm-up, horizon].  If the metric is still moving over that
window (a staff reallocation that keeps shifting people, morale that keeps sinking), the mean
describes no period of the run.  Two diagnostics on the per-period series of every metric that has one:

* **MSER-5** (White 1997; White, Cobb and Spratt 2000): the series averaged over replications is cut
  into batches of 5 periods; the truncation d (in batches, over the first half) that minimises
  Σ_{j>d} (Z_j − Z̄_d)² / (m − d)² is the suggested warm-up: deleting more would cost more precision
  than the bias it removes.
* **A drift test after the warm-up**: each replication's periods wholly after the warm-up are cut
  into up to ``PARTS`` consecutive parts and averaged over each; every later part's mean minus the
  first part's is a difference over replications, which are independent, so its t-interval is exact
  whatever the autocorrelation between periods (a steady trend, a dip that recovers or a step all
  show as a part that moved).  A metric is flagged when some move's interval, at level ``ALPHA``
  split over the parts and every metric tested (Bonferroni, so a run of a stationary system is
  flagged with probability at most ``ALPHA``), excludes 0 and the move is larger than the half-width
  of the 95 % CI of the metric's mean level: a drift bigger than the mean's own uncertainty.

Both need per-replication series (kept for runs up to ``KEEP_SERIES_VALUES`` values); the partial last
period of a horizon that is not a whole number of periods is left out (its counts are not comparable).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit

ALPHA = 0.05  # chance that a run of a system with no drift shows any warning
BATCH = 5  # MSER-5
PARTS = 5  # the window after the warm-up is cut into this many parts (fewer when it is short)


def mser5(series: np.ndarray) -> int | None:
    """Periods to delete at the start of *series* (a mean per period), by MSER-5; None below 4 batches."""
    m = len(series) // BATCH
    if m < 4:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a batch with no value at all is NaN, and refused below
        z = np.nanmean(np.asarray(series[: m * BATCH], dtype=float).reshape(m, BATCH), axis=1)
    if np.isnan(z).any():
        return None
    stat = [((z[d:] - z[d:].mean()) ** 2).sum() / (m - d) ** 2 for d in range(m // 2)]
    return BATCH * int(np.argmin(stat))


def mser5_limit(n: int) -> int:
    """The longest warm-up MSER-5 can suggest for *n* periods; a suggestion this long means the run is too short to tell."""
    return BATCH * (n // BATCH // 2 - 1)


@dataclass(frozen=True)
class Shift:
    """The drift test of one metric over a window: each part's mean level, and the largest move from the first part."""

    bounds: list[tuple[int, int]]  # periods [a, b) of each part, counted from the window's start
    means: list[float]  # mean over replications of each part's per-period mean
    part: int  # the part reported: the largest flagged move, or else the one nearest to significance
    change: float  # its mean move from the first part
    change_half: float  # half-width of the move's CI at the test's level (per part compared)
    level_half: float  # half-width of the 95 % CI of the mean level over the whole window
    replications: int
    trending: bool  # some part moved from the first, significantly and by more than the mean's uncertainty


def shift(values: np.ndarray, alpha: float = ALPHA) -> Shift | None:
    """Test replications x periods *values* for a level that moves across the window, at level *alpha*.

    Each replication's per-period values are averaged over up to ``PARTS`` consecutive parts of the
    window; the move of each later part from the first is a paired difference over replications,
    tested with a t-interval at level alpha / (parts - 1).  Replications are independent, so this holds
    whatever the autocorrelation between periods.  None under 4 periods or 2 replications with a value in every part.
    """
    y = np.asarray(values, dtype=float)
    parts = min(PARTS, y.shape[1] // 2)
    if parts < 2:
        return None
    cuts = np.array_split(np.arange(y.shape[1]), parts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a replication with no value in a part is left out
        levels = np.column_stack([np.nanmean(y[:, c], axis=1) for c in cuts])  # replications x parts
        whole = np.nanmean(y, axis=1)
    keep = ~np.isnan(levels).any(axis=1)
    r = int(keep.sum())
    if r < 2:
        return None
    levels, whole = levels[keep], whole[keep]
    moves = levels[:, 1:] - levels[:, :1]
    q = float(stdtrit(r - 1, 1 - alpha / (2 * (parts - 1))))
    mean, half = moves.mean(axis=0), q * moves.std(axis=0, ddof=1) / np.sqrt(r)
    level_half = float(stdtrit(r - 1, 0.975)) * float(whole.std(ddof=1)) / np.sqrt(r)
    flagged = (np.abs(mean) > half) & (np.abs(mean) > level_half)
    # report the largest flagged move, or else the one nearest to significance
    score = np.where(flagged, np.abs(mean), -np.inf) if flagged.any() else np.abs(mean) - half
    j = int(np.argmax(score))
    return Shift(
        bounds=[(int(c[0]), int(c[-1]) + 1) for c in cuts],
        means=[float(v) for v in levels.mean(axis=0)],
        part=j + 1,
        change=float(mean[j]),
        change_half=float(half[j]),
        level_half=level_half,
        replications=r,
        trending=bool(flagged.any()),
    )


@dataclass(frozen=True)
class Drift:
    """The diagnostics of one metric: MSER-5's warm-up, and the drift test on the periods after the scenario's warm-up."""

    metric: str
    mser5_warmup: float | None  # in time units
    mser5_at_limit: bool  # the longest MSER-5 can suggest: the true warm-up may be longer still
    start: float  # the window tested: the periods wholly in [start, end]
    period: float
    test: Shift | None

    def _part(self, k: int) -> tuple[float, float]:
        a, b = self.test.bounds[k]
        return self.start + a * self.period, self.start + b * self.period

    def edges(self) -> list[float]:
        """The times where the window's parts begin and end (the test's)."""
        return [self._part(0)[0]] + [self._part(k)[1] for k in range(len(self.test.means))]

    def to_json(self) -> dict:
        """MSER-5's warm-up; the window's parts (edges in time, mean of each); the tested move and whether it is a drift."""
        t = self.test
        out: dict = {"mser5_warmup": self.mser5_warmup, "mser5_at_limit": self.mser5_at_limit}
        if t is not None:
            out.update(part_edges=self.edges(), part_means=t.means,
                       change_part=t.part, change=t.change, change_ci_low=t.change - t.change_half,
                       change_ci_high=t.change + t.change_half, level_ci_half_width=t.level_half)
        out["trend"] = bool(t and t.trending)
        return _finite(out)

    def warning(self, unit: str) -> str | None:
        t = self.test
        if t is None or not t.trending:
            return None
        (a0, b0), (a1, b1) = self._part(0), self._part(t.part)
        return (f"{self.metric} still moves after the warm-up: its per-period mean goes from {t.means[0]:.3g} "
                f"({a0:g}-{b0:g} {unit}s) to {t.means[t.part]:.3g} ({a1:g}-{b1:g}), a change of {t.change:+.3g} "
                f"(CI {t.change - t.change_half:+.3g} to {t.change + t.change_half:+.3g}) larger than the 95 % CI "
                f"half-width of its mean ({t.level_half:.3g}): one mean hides this")


def _finite(obj):
    """NaN and infinities as None, all the way down: JSON has no such numbers."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return None if isinstance(obj, float) and not np.isfinite(obj) else obj


def diagnose(series: dict[str, np.ndarray], names, period: float, warmup: float, horizon: float) -> dict[str, Drift]:
    """Drift of every metric in *names* that has a per-period series (replications x periods)."""
    tested = [m for m in names if m in series]
    whole = int(np.floor(horizon / period + 1e-9))  # periods wholly inside the horizon
    first = int(np.ceil(warmup / period - 1e-9))  # the first period wholly after the warm-up
    out = {}
    for name in tested:
        y = series[name][:, :whole]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a period with no value in any replication is NaN
            cut = mser5(np.nanmean(y, axis=0)) if y.shape[0] else None
        test = shift(y[:, first:], ALPHA / len(tested))
        out[name] = Drift(name, None if cut is None else cut * period, cut is not None and cut == mser5_limit(whole),
                          first * period, period, test)
    return out
