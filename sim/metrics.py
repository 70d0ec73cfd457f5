"""Every metric users see, defined once, from the accumulator blocks both engines fill.

Per replication, a metric is a ratio or a count of the raw sums in
``orgsim.kernels.layout``; over replications it is reported as mean, std,
95 % Student-t confidence interval and n (replications where it is defined).
A ratio with nothing to divide (no completed orders, say) is NaN for that
replication and is left out of n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit  # Student t quantiles (scipy.stats would add a second to start-up)

from orgsim.kernels import layout
from orgsim.scenario.schema import Scenario

# direction: +1 higher is better, -1 lower is better, 0 neither (used by comparisons and the optimiser)
DIRECTION = {
    "arrivals": 0,
    "completed": 1,
    "abandoned": -1,
    "abandon_rate": -1,
    "wait_mean": -1,
    "sojourn_mean": -1,
    "sojourn_p90": -1,
    "csat": 1,
    "nps": 1,
    "churn_rate": -1,
    "revenue": 1,
    "utilisation": 0,
    "staffed": 0,
    "blocked_share": -1,
    "morale": 1,
    "response_mean": -1,
    "rework_rate": -1,
}


@dataclass(frozen=True)
class Structure:
    """The names behind the accumulator indices, in the order both engines use."""

    segments: tuple[str, ...]
    departments: tuple[str, ...]
    suppliers: tuple[str, ...]
    population: tuple[bool, ...]  # per segment: can its customers churn?
    pairs: tuple[tuple[int, int], ...]  # (requester department, target) that some need connects
    morale: bool
    scale: float  # sojourn histogram scale
    counted: float  # time statistics are taken over: horizon - warm-up
    period: float  # period length (the last period ends at the horizon)
    horizon: float

    @property
    def targets(self) -> tuple[str, ...]:
        return self.departments + self.suppliers

    def blocks(self):
        return layout.blocks(len(self.segments), len(self.departments), len(self.targets))

    def period_blocks(self):
        return layout.period_blocks(len(self.segments), len(self.departments))


def structure(scenario: Scenario) -> Structure:
    """Index order of segments, departments and targets for a scenario."""
    departments = tuple(scenario.departments)
    suppliers = tuple(scenario.suppliers)
    targets = departments + suppliers
    pairs = set()
    for c, dept in enumerate(departments):
        for svc in scenario.departments[dept].services.values():
            for need in svc.needs:
                target = need.service.split(".")[0] if need.service else need.supplier
                pairs.add((c, targets.index(target)))
    scale = max((seg.expectation for seg in scenario.segments.values()), default=1.0)
    return Structure(
        segments=tuple(scenario.segments),
        departments=departments,
        suppliers=suppliers,
        population=tuple(hasattr(seg.arrivals, "population") for seg in scenario.segments.values()),
        pairs=tuple(sorted(pairs)),
        morale=scenario.morale.enabled,
        scale=scale,
        counted=scenario.horizon - scenario.warmup,
        period=scenario.period,
        horizon=scenario.horizon,
    )


def period_lengths(st: Structure, n_periods: int) -> np.ndarray:
    """Length of each period: ``period``, the last one cut at the horizon."""
    starts = np.arange(n_periods) * st.period
    return np.minimum(starts + st.period, st.horizon) - starts


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _p90(hist: np.ndarray, scale: float) -> np.ndarray:
    """90th percentile from histograms (last axis = bins), linear within the bin; NaN when empty."""
    edges = layout.bin_edges(scale)
    total = hist.sum(axis=-1)
    cum = np.cumsum(hist, axis=-1)
    target = 0.9 * total
    idx = np.minimum((cum < target[..., None]).sum(axis=-1), layout.HIST_BINS - 1)
    before = np.take_along_axis(cum, idx[..., None], -1)[..., 0] - np.take_along_axis(hist, idx[..., None], -1)[..., 0]
    inbin = np.take_along_axis(hist, idx[..., None], -1)[..., 0]
    frac = _ratio(target - before, inbin)
    value = edges[idx] + np.nan_to_num(frac) * (edges[idx + 1] - edges[idx])
    return np.where(total > 0, value, np.nan)


def _external(prefix: str, b: dict[str, np.ndarray], sel, population, scale) -> dict[str, np.ndarray]:
    """External metrics over the segments selected by *sel* (an index or a slice), summed first."""

    def total(name):
        x = b[name][..., sel]
        return x if x.ndim == b[name].ndim - 1 else x.sum(axis=-1)

    completed, abandoned = total("seg_completed"), total("seg_abandoned")
    ended = completed + abandoned
    hist = b["seg_sojourn_hist"][..., sel, :]
    if hist.ndim == b["seg_sojourn_hist"].ndim:
        hist = hist.sum(axis=-2)
    out = {
        f"{prefix}.arrivals": total("seg_arrivals"),
        f"{prefix}.completed": completed,
        f"{prefix}.abandoned": abandoned,
        f"{prefix}.abandon_rate": _ratio(abandoned, ended),
        f"{prefix}.wait_mean": _ratio(total("seg_wait_sum"), completed),
        f"{prefix}.sojourn_mean": _ratio(total("seg_sojourn_sum"), completed),
        f"{prefix}.sojourn_p90": _p90(hist, scale),
        f"{prefix}.csat": _ratio(total("seg_score_sum"), ended),
        f"{prefix}.nps": 100.0 * _ratio(total("seg_promoters") - total("seg_detractors"), ended),
    }
    if population:
        active = b["seg_active_at_warmup"][..., sel]
        churned = b["seg_churned"][..., sel]
        if active.ndim == b["seg_active_at_warmup"].ndim:
            mask = np.asarray(population)
            active, churned = active[..., mask].sum(axis=-1), churned[..., mask].sum(axis=-1)
        out[f"{prefix}.churn_rate"] = _ratio(churned, active)
    out[f"{prefix}.revenue"] = total("seg_revenue")
    return out


def replication_metrics(rows: np.ndarray, st: Structure) -> dict[str, np.ndarray]:
    """Named metrics per replication from accumulator rows (shape: replications x row length)."""
    b = layout.unpack(np.atleast_2d(rows), st.blocks())
    out = _external("external", b, slice(None), [p for p in st.population] if any(st.population) else None, st.scale)
    for i, d in enumerate(st.departments):
        out[f"dept.{d}.utilisation"] = _ratio(b["dept_busy"][:, i], b["dept_available"][:, i])
        out[f"dept.{d}.staffed"] = _ratio(b["dept_available"][:, i], st.counted)
        out[f"dept.{d}.wait_mean"] = _ratio(b["dept_wait_sum"][:, i], b["dept_visits"][:, i])
        out[f"dept.{d}.blocked_share"] = _ratio(b["dept_blocked"][:, i], b["dept_available"][:, i])
        if st.morale:
            out[f"dept.{d}.morale"] = b["dept_morale"][:, i]
    for c, t in st.pairs:
        out[f"internal.{st.departments[c]}.{st.targets[t]}.response_mean"] = _ratio(
            b["resp_sum"][:, c, t], b["resp_count"][:, c, t]
        )
    out["internal.rework_rate"] = _ratio(b["services_redone"][:, 0], b["services_completed"][:, 0])
    if len(st.segments) > 1:
        for k, s in enumerate(st.segments):
            out.update(_external(f"segment.{s}", b, k, st.population[k] or None, st.scale))
    return out


def period_metrics(rows: np.ndarray, st: Structure) -> dict[str, np.ndarray]:
    """Named metrics per replication and period from period rows (replications x periods x row length)."""
    b = layout.unpack(rows, st.period_blocks())
    lengths = period_lengths(st, rows.shape[-2])
    completed = b["seg_completed"].sum(-1)
    ended = completed + b["seg_abandoned"].sum(-1)
    out = {
        "external.completed": completed,
        "external.abandoned": b["seg_abandoned"].sum(-1),
        "external.sojourn_mean": _ratio(b["seg_sojourn_sum"].sum(-1), completed),
        "external.csat": _ratio(b["seg_score_sum"].sum(-1), ended),
        "external.nps": 100.0 * _ratio(b["seg_promoters"].sum(-1) - b["seg_detractors"].sum(-1), ended),
    }
    for k, s in enumerate(st.segments):
        if st.population[k]:
            out[f"segment.{s}.active"] = b["seg_active"][..., k]
    for i, d in enumerate(st.departments):
        out[f"dept.{d}.utilisation"] = _ratio(b["dept_busy"][..., i], b["dept_available"][..., i])
        out[f"dept.{d}.blocked_share"] = _ratio(b["dept_blocked"][..., i], b["dept_available"][..., i])
        out[f"dept.{d}.staffed"] = _ratio(b["dept_available"][..., i], lengths)
        out[f"dept.{d}.headcount"] = b["dept_headcount"][..., i]
        if st.morale:
            out[f"dept.{d}.morale"] = b["dept_morale"][..., i]
    return out


def aggregate(values: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """Mean, std, Student-t confidence interval and n of one metric over replications (NaNs left out)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return {"mean": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "std": float("nan"), "n": 0}
    mean = float(x.mean())
    if n == 1:
        return {"mean": mean, "ci_low": float("nan"), "ci_high": float("nan"), "std": float("nan"), "n": 1}
    std = float(x.std(ddof=1))
    half = float(stdtrit(n - 1, 0.5 + confidence / 2) * std / np.sqrt(n))
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "std": std, "n": n}


def direction(metric: str) -> int:
    """+1 if higher is better, -1 if lower is better, 0 if neither (by the metric's last name part)."""
    return DIRECTION.get(metric.rsplit(".", 1)[-1], 0)


def json_safe(stats: dict) -> dict:
    """A dict of statistics with every NaN or infinity as None: JSON has no such numbers."""
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in stats.items()}
