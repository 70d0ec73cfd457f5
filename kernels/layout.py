"""The accumulator layout both engines fill, one flat float64 row per replication.

An engine adds raw sums (counts, waits, busy time...) into named blocks; the
named metrics of ``orgsim.metrics`` are derived from these blocks in one
place.  Every quantity is counted after warm-up only (see the README's
"Model" section for which event time decides).
"""

import math

import numpy as np
from numba import njit

HIST_BINS = 1600  # sojourn histogram: 8 decades around the scale, about 1.2 % per bin
HIST_LOW_DECADE = -4.0
HIST_DECADES = 8.0
_BINS_PER_E_FOLD = HIST_BINS / (HIST_DECADES * math.log(10.0))


def blocks(n_segments: int, n_departments: int, n_targets: int, service_level: bool = False,
           hours: int = 0, feedback: int = 0, learning: int = 0, recovery: bool = False,
           agreements: int = 0) -> list[tuple[str, tuple[int, ...]]]:
    """Block names and shapes of the per-replication accumulator row.

    Targets are the departments followed by the external suppliers.  The
    service-level count (*service_level*), the hour-of-week profile
    (*hours* = 168, ``kernels/profile.py``), shared feedback's lift
    (*feedback* = 2, or 3 when it also sets the queue order), continuous
    improvement's factors (*learning* = the number of services) and
    complaint recovery's counts (*recovery*) and the service agreements'
    counts (*agreements* = their number) are empty blocks when unused, so
    a scenario without them has the row it always had.
    """
    s, d, t, h = n_segments, n_departments, n_targets, hours
    return [
        ("seg_arrivals", (s,)),  # external orders arrived
        ("seg_completed", (s,)),  # orders completed
        ("seg_abandoned", (s,)),  # orders abandoned
        ("seg_wait_sum", (s,)),  # total queue wait of completed orders
        ("seg_sojourn_sum", (s,)),  # sojourn of completed orders
        ("seg_sojourn_hist", (s, HIST_BINS)),  # sojourn histogram of completed orders
        ("seg_score_sum", (s,)),  # satisfaction of ended orders
        ("seg_promoters", (s,)),
        ("seg_detractors", (s,)),
        ("seg_revenue", (s,)),
        ("seg_churned", (s,)),  # customers lost (population segments)
        ("seg_active_at_warmup", (s,)),  # population at warm-up end
        ("dept_busy", (d,)),  # employee time busy, blocked included
        ("dept_blocked", (d,)),  # employee time held while waiting on needs
        ("dept_available", (d,)),  # employee time present (vacancies excluded)
        ("dept_wait_sum", (d,)),  # queue wait of visits that started service
        ("dept_visits", (d,)),
        ("dept_morale", (d,)),  # morale at the horizon
        ("resp_sum", (d, t)),  # response time of sub-requests, requester x target
        ("resp_count", (d, t)),
        ("services_completed", (1,)),
        ("services_redone", (1,)),
        ("seg_escaped", (s,)),  # escaped defects of completed orders (a cost, when the scenario prices them)
        ("sup_late", (t - d,)),  # invoice time past each supplier's payment terms, over invoices paid
        ("seg_within_target", (s if service_level else 0,)),  # completed orders whose total queue wait <= target
        ("prof_time", (h,)),  # counted time in each hour of the week
        ("prof_arrivals", (h,)),  # external orders arrived, by arrival hour
        ("prof_completed", (h,)),  # external orders completed, by arrival hour
        ("prof_wait_sum", (h,)),  # their total queue wait, by arrival hour
        ("prof_abandoned", (h,)),  # external orders abandoned, by arrival hour
        ("prof_busy", (d, h)),  # employee time busy, split at hour boundaries
        ("prof_available", (d, h)),  # employee time present, split at hour boundaries
        ("dept_overtime", (d,)),  # employee time past the schedule (departments on a calendar; 0 otherwise)
        ("feedback_lift", (feedback,)),  # shared feedback's morale target lift summed over boundaries at or after
        # warm-up, their count, and (when it sets the queue order) how many of them put external work first
        ("svc_learning", (learning,)),  # continuous improvement: each service's defect-rate factor at the horizon
        ("recovery", (2 if recovery else 0,)),  # complaint recovery: steps offered, and won, at orders ended after
        # warm-up
        ("dept_done", (d,)),  # services completed for the first time (redos left out): the department's output
        *_agreement_blocks(agreements),
    ]


def _agreement_blocks(a: int) -> list[tuple[str, tuple[int, ...]]]:
    """Per service agreement: requests decided in time (hits), escalated (misses), their queue waits and starts."""
    return [("agr_hits", (a,)), ("agr_misses", (a,)), ("agr_wait_sum", (a,)), ("agr_started", (a,))]


def period_blocks(n_segments: int, n_departments: int, agreements: int = 0) -> list[tuple[str, tuple[int, ...]]]:
    """Block names and shapes of one period's row of the time series (all periods, warm-up included)."""
    s, d = n_segments, n_departments
    return [
        ("seg_completed", (s,)),
        ("seg_abandoned", (s,)),
        ("seg_sojourn_sum", (s,)),
        ("seg_score_sum", (s,)),
        ("seg_promoters", (s,)),
        ("seg_detractors", (s,)),
        ("seg_active", (s,)),  # population at the period's end
        ("dept_busy", (d,)),
        ("dept_blocked", (d,)),
        ("dept_available", (d,)),
        ("dept_morale", (d,)),  # after the boundary update
        ("dept_headcount", (d,)),  # employees present at the period's end
        ("dept_overtime", (d,)),
        ("dept_leavers", (d,)),  # leavers drawn at the period's closing boundary
        ("dept_done", (d,)),  # services completed for the first time in the period
        *_agreement_blocks(agreements),
    ]


def offsets(spec: list[tuple[str, tuple[int, ...]]]) -> tuple[dict[str, tuple[int, tuple[int, ...]]], int]:
    """Start offset and shape of every block, and the row length."""
    out, pos = {}, 0
    for name, shape in spec:
        out[name] = (pos, shape)
        pos += int(np.prod(shape))
    return out, pos


def unpack(rows: np.ndarray, spec: list[tuple[str, tuple[int, ...]]]) -> dict[str, np.ndarray]:
    """Views of each block over the leading axes of *rows* (replications, or replications x periods)."""
    table, _ = offsets(spec)
    lead = rows.shape[:-1]
    return {name: rows[..., a : a + int(np.prod(shape))].reshape(lead + shape) for name, (a, shape) in table.items()}


@njit(cache=True, forceinline=False)
def sojourn_bin(sojourn, scale):
    """Histogram bin of a sojourn time; bins are log-spaced over 8 decades around *scale*."""
    if sojourn <= 0.0:
        return 0
    x = math.log(sojourn / scale) * _BINS_PER_E_FOLD - HIST_LOW_DECADE * (HIST_BINS / HIST_DECADES)  # (log: no log10 call)
    if x < 0.0:
        return 0
    if x >= HIST_BINS:
        return HIST_BINS - 1
    return int(x)


def bin_edges(scale: float) -> np.ndarray:
    """The HIST_BINS + 1 edges of the sojourn histogram."""
    return scale * 10.0 ** np.linspace(HIST_LOW_DECADE, HIST_LOW_DECADE + HIST_DECADES, HIST_BINS + 1)
