"""Every index both engines share, defined once: accumulator blocks, random-stream rows, compiled parameter columns.

An engine adds raw sums (counts, waits, busy time...) into named blocks of
one flat float64 row per replication (and one row per period); the named
metrics of ``orgsim.metrics`` are derived from these blocks in one place.
Every quantity is counted after warm-up only (see the README's "Model"
section for which event time decides).

Names are index constants: ``ROW.seg_arrivals`` is the block's position in
the row's block list, ``MORALE.baseline`` a column of the compiled morale
array.  They are namedtuples of ints, which jitted code reads as constants.
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit


def fields(kind: str, names) -> tuple:
    """Index constants for named columns, in order: ``fields("M", ["a", "b"]).b == 1``."""
    names = tuple(names)
    return namedtuple(kind, names)(*range(len(names)))


# --------------------------------------------------------------------------- accumulator rows

HIST_BINS = 1600  # sojourn histogram: 8 decades around the scale, about 1.2 % per bin
HIST_LOW_DECADE = -4.0
HIST_DECADES = 8.0
_BINS_PER_E_FOLD = HIST_BINS / (HIST_DECADES * math.log(10.0))

# (block, axes): s segments, d departments, t targets (the departments, then the external suppliers), h histogram
# bins; no axes: one value
_ROW_BLOCKS = (
    ("seg_arrivals", "s"),  # external orders arrived
    ("seg_completed", "s"),  # orders completed
    ("seg_abandoned", "s"),  # orders abandoned
    ("seg_wait_sum", "s"),  # total queue wait of completed orders
    ("seg_sojourn_sum", "s"),  # sojourn of completed orders
    ("seg_sojourn_hist", "sh"),  # sojourn histogram of completed orders
    ("seg_score_sum", "s"),  # satisfaction of ended orders
    ("seg_promoters", "s"),
    ("seg_detractors", "s"),
    ("seg_revenue", "s"),
    ("seg_churned", "s"),  # customers lost (population segments)
    ("seg_active_at_warmup", "s"),  # population at warm-up end
    ("dept_busy", "d"),  # employee time busy, blocked included
    ("dept_blocked", "d"),  # employee time held while waiting on needs
    ("dept_available", "d"),  # employee time present (vacancies excluded)
    ("dept_wait_sum", "d"),  # queue wait of visits that started service
    ("dept_visits", "d"),
    ("dept_morale", "d"),  # morale at the horizon
    ("resp_sum", "dt"),  # response time of sub-requests, requester x target
    ("resp_count", "dt"),
    ("services_completed", ""),
    ("services_redone", ""),
)
# one period's row of the time series (all periods, warm-up included)
_PERIOD_BLOCKS = (
    ("seg_completed", "s"),
    ("seg_abandoned", "s"),
    ("seg_sojourn_sum", "s"),
    ("seg_score_sum", "s"),
    ("seg_promoters", "s"),
    ("seg_detractors", "s"),
    ("seg_active", "s"),  # population at the period's end
    ("dept_busy", "d"),
    ("dept_blocked", "d"),
    ("dept_available", "d"),
    ("dept_morale", "d"),  # after the boundary update
    ("dept_headcount", "d"),  # employees present at the period's end
)
ROW = fields("Row", (name for name, _ in _ROW_BLOCKS))
PERIOD = fields("Period", (name for name, _ in _PERIOD_BLOCKS))


def _shapes(spec, sizes: dict[str, int]) -> list[tuple[str, tuple[int, ...]]]:
    return [(name, tuple(sizes[a] for a in axes) or (1,)) for name, axes in spec]


def blocks(n_segments: int, n_departments: int, n_targets: int) -> list[tuple[str, tuple[int, ...]]]:
    """Block names and shapes of the per-replication accumulator row, in ``ROW`` order."""
    return _shapes(_ROW_BLOCKS, {"s": n_segments, "d": n_departments, "t": n_targets, "h": HIST_BINS})


def period_blocks(n_segments: int, n_departments: int) -> list[tuple[str, tuple[int, ...]]]:
    """Block names and shapes of one period's row, in ``PERIOD`` order."""
    return _shapes(_PERIOD_BLOCKS, {"s": n_segments, "d": n_departments})


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


@njit(cache=True)
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


# --------------------------------------------------------------------------- random-stream rows

# A replication's stream rows: per segment SEGMENT_SOURCES, per service SERVICE_SOURCES, then handoff, then
# attrition per department, then lead_time per supplier (names as in the README's "Randomness").
SEGMENT_SOURCES = fields("SegmentSources", ("arrivals", "patience", "routing", "churn", "acquisition"))
SERVICE_SOURCES = fields("ServiceSources", ("service", "needs", "defects", "detection"))


def source_names(segments, services, departments, suppliers) -> list[str]:
    """Every random source, in stream-row order; *services* as ``dept.service``."""
    names = [f"{src}/{s}" for s in segments for src in SEGMENT_SOURCES._fields]
    names += [f"{src}/{v}" for v in services for src in SERVICE_SOURCES._fields]
    names.append("handoff")
    names += [f"attrition/{d}" for d in departments]
    names += [f"lead_time/{u}" for u in suppliers]
    return names


def stream_starts(n_segments: int, n_services: int, n_departments: int) -> dict[str, int]:
    """The first row of each family after the segments': service, handoff, attrition, lead."""
    service = len(SEGMENT_SOURCES) * n_segments
    handoff = service + len(SERVICE_SOURCES) * n_services
    return {"service": service, "handoff": handoff, "attrition": handoff + 1, "lead": handoff + 1 + n_departments}


@njit(cache=True, inline="always")
def segment_stream(s, source):
    """The stream row of segment s's *source* (a ``SEGMENT_SOURCES`` index)."""
    return len(SEGMENT_SOURCES) * s + source


@njit(cache=True, inline="always")
def service_stream(first, v, source):
    """The stream row of service v's *source* (a ``SERVICE_SOURCES`` index); *first*: the service family's start."""
    return first + len(SERVICE_SOURCES) * v + source


# --------------------------------------------------------------------------- columns of compiled parameters

DIST = fields("Dist", ("code", "p0", "p1", "p2"))  # a distribution: rng code and parameters (rng.dist_params)
WORK_CLASS = fields("WorkClass", ("external", "internal"))  # columns of the queue each class of work joins
MORALE = fields("Morale", (
    "start", "baseline", "adjust_rate", "utilisation_threshold", "load_effect", "blocked_effect",
    "productivity_effect", "defect_effect", "attrition_rate", "attrition_effect", "hiring_delay",
))  # fmt: skip
TRAINING = fields("Training", ("share", "effect", "lag"))  # share 0: no training
REVIEW = fields("Review", ("threshold", "transfer_delay", "min_per_department"))
CHURN = fields("Churn", ("floor", "ceiling", "midpoint", "steepness"))
ACQUISITION = fields("Acquisition", ("rate", "word_of_mouth"))
