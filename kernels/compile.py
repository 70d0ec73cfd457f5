"""A validated scenario compiled to flat arrays the jitted event loop reads.

``compile_scenario`` reads the scenario by attribute access only (kernels
import nothing from ``orgsim``), in the index order of
``orgsim.metrics.structure``: segments, departments and suppliers in scenario
order; services department by department; targets are the departments
followed by the suppliers.  Columns and stream rows are those of
``layout``.  Every field of ``CompiledScenario`` is a numpy array, a Python
int/float, or a tuple of a fixed length, with a fixed dtype, so every
scenario gives the jitted functions the same type signature: they compile
once per process.  Parameters the event loop reads on every event are
tuples: values the compiler keeps in registers, where an array element
would be loaded again after every store.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import layout
from .layout import ACQUISITION, CHURN, MORALE, REVIEW, TRAINING, WORK_CLASS
from .rng import NONE, dist_params
from .streams import source_key

# the queue (0 = served first) each class of work joins, per priority policy
_QUEUES = {
    "fifo": {"external": 0, "internal": 0},
    "external_first": {"external": 0, "internal": 1},
    "internal_first": {"external": 1, "internal": 0},
}


class CompiledScenario(NamedTuple):
    """The scenario as arrays.  Sizes first, then per-entity tables (CSR where lists vary in length)."""

    # sizes and time settings
    n_seg: int
    n_dept: int
    n_svc: int
    n_sup: int
    n_targets: int
    n_periods: int
    horizon: float
    warmup: float
    period: float
    scale: float  # sojourn histogram scale: the largest expectation, or 1
    queue_of_class: tuple  # (2,) WORK_CLASS columns: queue index (0 served first) of each class of work
    handoff: tuple  # (4,) DIST columns; code NONE for no handoff
    # departments
    headcount: np.ndarray  # (D,) int64
    skill: np.ndarray  # (D,)
    # services (department by department)
    svc_dept: np.ndarray  # (V,) int64
    svc_dist: np.ndarray  # (V, 4) DIST columns
    svc_defect: np.ndarray  # (V,) defect rate at baseline morale
    svc_detect: np.ndarray  # (V,) detection probability
    need_start: np.ndarray  # (V + 1,) CSR into the need arrays
    need_supplier: np.ndarray  # (Nn,) 1 for a supplier need, 0 for a service need
    need_index: np.ndarray  # (Nn,) service index or supplier index
    need_target: np.ndarray  # (Nn,) target index: department of the service, or n_dept + supplier
    need_prob: np.ndarray  # (Nn,)
    need_hold: np.ndarray  # (Nn,) int64 0/1
    # segments
    seg_population: np.ndarray  # (S,) int64 initial population, -1 for an open stream
    seg_rate: np.ndarray  # (S,) open rate, or rate per customer
    seg_patience: np.ndarray  # (S, 4) DIST columns (code NONE: infinitely patient)
    seg_expectation: np.ndarray
    seg_sensitivity: np.ndarray
    seg_penalty: np.ndarray
    seg_value: np.ndarray
    seg_abandon_score: np.ndarray
    seg_churn: np.ndarray  # (S, 4) CHURN columns
    seg_acquisition: np.ndarray  # (S, 2) ACQUISITION columns
    seg_first_step: np.ndarray  # (S,) global step index
    # journey steps, all segments concatenated
    step_svc: np.ndarray  # (T,) service index
    step_seg: np.ndarray  # (T,)
    step_fixed: np.ndarray  # (T,) next step when no draw is needed: step >= 0, -1 complete, -2 draw
    route_start: np.ndarray  # (T + 1,) CSR into route arrays
    route_step: np.ndarray  # (R,) target global step
    route_cum: np.ndarray  # (R,) cumulative probability
    # suppliers
    sup_lead: np.ndarray  # (U, 4) DIST columns of the lead time
    sup_paid_by: np.ndarray  # (U,) service index, -1 if invoices are not modelled
    sup_terms: np.ndarray
    sup_sensitivity: np.ndarray
    # morale and the policy's run-time parts
    morale_on: int
    morale: tuple  # (11,) MORALE columns
    morale_lift: float  # recognition: lift of every department's morale target
    training: tuple  # (3,) TRAINING columns
    review_every: int  # periodic review every this many boundaries (0: none)
    review: tuple  # (3,) REVIEW columns
    # random sources: crc32 keys, and the first row of each family (layout.stream_starts)
    src_keys: np.ndarray  # (n_sources,) uint64
    src_service: int
    src_handoff: int
    src_attrition: int
    src_lead: int
    # pool sizing: items one event can create at most (2 + twice the largest needs cascade)
    event_items: int
    # accumulator layout: start of each block (layout.ROW, layout.PERIOD order) and the row lengths
    row_off: tuple
    row_len: int
    per_off: tuple
    per_len: int


def source_names(scenario) -> list[str]:
    """Every random source of a scenario, in stream-row order (names as in the README's "Randomness")."""
    services = [f"{d}.{v}" for d, dept in scenario.departments.items() for v in dept.services]
    return layout.source_names(scenario.segments, services, scenario.departments, scenario.suppliers)


def _dist(dist) -> list[float]:
    code, p0, p1, p2 = dist_params(dist)
    return [float(code), p0, p1, p2]


def _f(values, shape=None) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    return a.reshape(shape) if shape is not None else a


def _i(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _t(values) -> tuple[float, ...]:
    return tuple(float(x) for x in np.asarray(values, dtype=np.float64))


def _columns(spec, values: dict) -> list:
    """*values* (column name -> value) in the column order of *spec*, a ``layout.fields`` table."""
    if set(values) != set(spec._fields):
        raise KeyError(f"columns {sorted(values)} do not match {spec._fields}")
    return [values[name] for name in spec._fields]


def _cascade_sizes(need_start, need_supplier, need_index) -> list[int]:
    """Per service, the most requests one arrival there can send, directly and through the requests' needs.

    Every need firing: each service need adds its own cascade, each supplier
    need one delivery (its invoice comes in a later event).  The needs graph
    is acyclic (checked on loading).
    """
    n = len(need_start) - 1
    memo: dict[int, int] = {}

    def size(v: int) -> int:
        if v not in memo:
            total = 0
            for k in range(need_start[v], need_start[v + 1]):
                total += 1 if need_supplier[k] else 1 + size(need_index[k])
            memo[v] = total
        return memo[v]

    return [size(v) for v in range(n)]


def _headcount(scenario, headcount: dict[str, int] | None) -> np.ndarray:
    departments = list(scenario.departments)
    heads = {d: int(dept.headcount) for d, dept in scenario.departments.items()}
    for d, h in (headcount or {}).items():
        if d not in heads:
            raise ValueError(f"headcount names unknown department {d!r}; departments are {departments}")
        if int(h) != h or h < 0:
            raise ValueError(f"headcount of {d!r} must be a non-negative integer, got {h!r}")
        heads[d] = int(h)
    return _i([heads[d] for d in departments])


def _services(scenario, refs: list[str]) -> dict:
    """Service and need tables; *refs* (``dept.service``, in index order) is filled in."""
    d_index = {d: i for i, d in enumerate(scenario.departments)}
    u_index = {u: i for i, u in enumerate(scenario.suppliers)}
    svc_dept, svc_dist, svc_defect, svc_detect = [], [], [], []
    for d, dept in scenario.departments.items():
        for v, svc in dept.services.items():
            refs.append(f"{d}.{v}")
            svc_dept.append(d_index[d])
            svc_dist.append(_dist(svc.time))
            svc_defect.append(float(svc.defect_rate))
            svc_detect.append(float(svc.detection))
    v_index = {r: i for i, r in enumerate(refs)}
    need_start, need_supplier, need_index, need_target, need_prob, need_hold = [0], [], [], [], [], []
    for dept in scenario.departments.values():
        for svc in dept.services.values():
            for need in svc.needs:
                if need.service is not None:
                    need_supplier.append(0)
                    need_index.append(v_index[need.service])
                    need_target.append(d_index[need.service.split(".")[0]])
                else:
                    need_supplier.append(1)
                    need_index.append(u_index[need.supplier])
                    need_target.append(len(d_index) + u_index[need.supplier])
                need_prob.append(float(need.probability))
                need_hold.append(1 if need.hold else 0)
            need_start.append(len(need_prob))
    return dict(
        svc_dept=_i(svc_dept), svc_dist=_f(svc_dist, (len(refs), 4)), svc_defect=_f(svc_defect),
        svc_detect=_f(svc_detect), need_start=_i(need_start), need_supplier=_i(need_supplier),
        need_index=_i(need_index), need_target=_i(need_target), need_prob=_f(need_prob), need_hold=_i(need_hold),
    )  # fmt: skip


def _journeys(scenario, v_index: dict[str, int]) -> dict:
    """Journey steps and their routes, all segments concatenated."""
    seg_first_step, step_svc, step_seg, step_fixed, route_start, route_step, route_cum = [], [], [], [], [0], [], []
    for s, seg in enumerate(scenario.segments.values()):
        base = len(step_svc)
        seg_first_step.append(base)
        names = [step.service for step in seg.journey]
        n = len(names)
        for k, step in enumerate(seg.journey):
            step_svc.append(v_index[step.service])
            step_seg.append(s)
            if step.next is None:
                targets = [(base + k + 1, 1.0)] if k + 1 < n else []
            else:
                targets = [(base + names.index(t), float(p)) for t, p in step.next.items() if p > 0.0]
            cum = 0.0
            for g, p in targets:
                cum += p
                route_step.append(g)
                route_cum.append(cum)
            if targets and cum >= 1.0 - 1e-12:
                route_cum[-1] = 2.0  # probabilities summing to 1 up to rounding: nothing completes here
            route_start.append(len(route_step))
            if not targets:
                step_fixed.append(-1)
            elif len(targets) == 1 and targets[0][1] >= 1.0:
                step_fixed.append(targets[0][0])
            else:
                step_fixed.append(-2)
    return dict(
        seg_first_step=_i(seg_first_step), step_svc=_i(step_svc), step_seg=_i(step_seg), step_fixed=_i(step_fixed),
        route_start=_i(route_start), route_step=_i(route_step), route_cum=_f(route_cum),
    )  # fmt: skip


def _segments(scenario) -> dict:
    segs = list(scenario.segments.values())
    n = len(segs)
    population = [int(seg.arrivals.population) if hasattr(seg.arrivals, "population") else -1 for seg in segs]
    rate = [float(seg.arrivals.rate_per_customer if p >= 0 else seg.arrivals.rate) for seg, p in zip(segs, population)]
    return dict(
        seg_population=_i(population),
        seg_rate=_f(rate),
        seg_patience=_f([_dist(seg.patience) for seg in segs], (n, 4)),
        seg_expectation=_f([float(seg.expectation) for seg in segs]),
        seg_sensitivity=_f([float(seg.sensitivity) for seg in segs]),
        seg_penalty=_f([float(seg.defect_penalty) for seg in segs]),
        seg_value=_f([float(seg.value) for seg in segs]),
        seg_abandon_score=_f([float(seg.abandon_score) for seg in segs]),
        seg_churn=_f([[float(getattr(seg.churn, c)) for c in CHURN._fields] for seg in segs], (n, len(CHURN))),
        seg_acquisition=_f([[float(getattr(seg.acquisition, c)) for c in ACQUISITION._fields] for seg in segs],
                           (n, len(ACQUISITION))),  # fmt: skip
    )


def _suppliers(scenario, v_index: dict[str, int]) -> dict:
    sups = list(scenario.suppliers.values())
    return dict(
        sup_lead=_f([_dist(sup.lead_time) for sup in sups], (len(sups), 4)),
        sup_paid_by=_i([v_index[sup.paid_by] if sup.paid_by is not None else -1 for sup in sups]),
        sup_terms=_f([float(sup.payment_terms) for sup in sups]),
        sup_sensitivity=_f([float(sup.payment_sensitivity) for sup in sups]),
    )


def _policy(scenario) -> dict:
    """Morale and the policy's run-time parts: queue priority, recognition, training, periodic review."""
    m = scenario.morale
    morale = {c: getattr(m, c) for c in MORALE._fields if c != "start"}
    morale["start"] = m.baseline if m.initial is None else m.initial
    policy = scenario.policy
    inv = getattr(policy, "investments", None)
    training = {"share": 0.0, "effect": 0.0, "lag": 1.0}
    if inv is not None:
        training = {"share": float(getattr(policy, "training_share", 0.0) or 0.0),
                    "effect": float(inv.training_effect), "lag": float(inv.training_lag)}  # fmt: skip
    review = getattr(policy, "review", None)
    reviewed = {"threshold": 0.0, "transfer_delay": 0.0} if review is None else {
        "threshold": float(review.threshold), "transfer_delay": float(review.transfer_delay)}  # fmt: skip
    reviewed["min_per_department"] = float(getattr(policy, "min_per_department", 1))
    return dict(
        queue_of_class=tuple(int(q) for q in _columns(WORK_CLASS, _QUEUES[policy.priority])),
        handoff=_t(_dist(scenario.handoff)),
        morale_on=1 if m.enabled else 0,
        morale=_t(_columns(MORALE, morale)),
        morale_lift=float(getattr(policy, "morale_lift", 0.0) or 0.0),
        training=_t(_columns(TRAINING, training)),
        review_every=int(review.every) if review is not None else 0,
        review=_t(_columns(REVIEW, reviewed)),
    )


def _accumulators(n_seg: int, n_dept: int, n_targets: int) -> dict:
    row_table, row_len = layout.offsets(layout.blocks(n_seg, n_dept, n_targets))
    per_table, per_len = layout.offsets(layout.period_blocks(n_seg, n_dept))
    return dict(
        row_off=tuple(int(row_table[b][0]) for b in layout.ROW._fields),
        row_len=int(row_len),
        per_off=tuple(int(per_table[b][0]) for b in layout.PERIOD._fields),
        per_len=int(per_len),
    )


def _event_items(need_start, need_supplier, need_index) -> int:
    cascade = _cascade_sizes(need_start, need_supplier, need_index)
    event_items = 2 + 2 * max(cascade, default=0)
    if event_items > 50_000_000:
        raise ValueError(
            f"one arrival can fan out into {event_items // 2 - 1} simultaneous requests through the needs graph; "
            "no engine can hold that many: reduce the needs"
        )
    return int(event_items)


def compile_scenario(scenario, headcount: dict[str, int] | None = None) -> CompiledScenario:
    """Flatten a validated scenario; *headcount* (department -> employees) overrides the scenario's."""
    n_dept, n_sup, n_seg = len(scenario.departments), len(scenario.suppliers), len(scenario.segments)
    refs: list[str] = []
    services = _services(scenario, refs)
    v_index = {r: i for i, r in enumerate(refs)}
    starts = layout.stream_starts(n_seg, len(refs), n_dept)
    horizon, period = float(scenario.horizon), float(scenario.period)
    return CompiledScenario(
        n_seg=n_seg,
        n_dept=n_dept,
        n_svc=len(refs),
        n_sup=n_sup,
        n_targets=n_dept + n_sup,
        n_periods=int(math.ceil(horizon / period - 1e-9)),
        horizon=horizon,
        warmup=float(scenario.warmup),
        period=period,
        scale=float(max((float(seg.expectation) for seg in scenario.segments.values()), default=1.0)),
        headcount=_headcount(scenario, headcount),
        skill=_f([float(dept.skill) for dept in scenario.departments.values()]),
        **services,
        **_segments(scenario),
        **_journeys(scenario, v_index),
        **_suppliers(scenario, v_index),
        **_policy(scenario),
        src_keys=np.array([source_key(n) for n in source_names(scenario)], dtype=np.uint64),
        src_service=starts["service"],
        src_handoff=starts["handoff"],
        src_attrition=starts["attrition"],
        src_lead=starts["lead"],
        event_items=_event_items(services["need_start"], services["need_supplier"], services["need_index"]),
        **_accumulators(n_seg, n_dept, n_dept + n_sup),
    )


__all__ = ["CompiledScenario", "compile_scenario", "source_names", "NONE"]
