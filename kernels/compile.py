"""A validated scenario compiled to flat arrays the jitted event loop reads.

``compile_scenario`` reads the scenario by attribute access only (kernels
import nothing from ``orgsim``), in the index order of
``orgsim.metrics.structure``: segments, departments and suppliers in scenario
order; services department by department; targets are the departments
followed by the suppliers.  Every field of ``CompiledScenario`` is a numpy
array or a Python int/float with a fixed dtype, so every scenario gives the
jitted functions the same type signature: they compile once per process.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import layout, profile
from .rng import NONE, dist_params
from .streams import source_key

PRIORITIES = {"fifo": 0, "external_first": 1, "internal_first": 2}

# work classes and the queue (0 = served first) each goes to under each priority policy
EXTERNAL, INTERNAL = 0, 1
_QUEUE_OF_CLASS = {0: (0, 0), 1: (0, 1), 2: (1, 0)}

ROW_BLOCKS = (
    "seg_arrivals", "seg_completed", "seg_abandoned", "seg_wait_sum", "seg_sojourn_sum", "seg_sojourn_hist",
    "seg_score_sum", "seg_promoters", "seg_detractors", "seg_revenue", "seg_churned", "seg_active_at_warmup",
    "dept_busy", "dept_blocked", "dept_available", "dept_wait_sum", "dept_visits", "dept_morale",
    "resp_sum", "resp_count", "services_completed", "services_redone", "seg_escaped", "sup_late", "seg_within_target",
    "prof_time", "prof_arrivals", "prof_completed", "prof_wait_sum", "prof_abandoned", "prof_busy", "prof_available",
    "dept_overtime", "feedback_lift", "svc_learning", "recovery", "dept_done",
    "agr_hits", "agr_misses", "agr_wait_sum", "agr_started",
)  # fmt: skip
PERIOD_BLOCKS = (
    "seg_completed", "seg_abandoned", "seg_sojourn_sum", "seg_score_sum", "seg_promoters", "seg_detractors",
    "seg_active", "dept_busy", "dept_blocked", "dept_available", "dept_morale", "dept_headcount", "dept_overtime",
    "dept_leavers", "dept_done", "agr_hits", "agr_misses", "agr_wait_sum", "agr_started",
)  # fmt: skip

# per-segment and per-service random sources, in the order of their stream rows
SEGMENT_SOURCES = ("arrivals", "patience", "routing", "churn", "acquisition")
SERVICE_SOURCES = ("service", "needs", "defects", "detection")


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
    queue_of_class: np.ndarray  # (2,) queue index (0 served first) of external and internal work
    handoff: np.ndarray  # (4,) distribution code and parameters; code NONE for no handoff
    # departments
    headcount: np.ndarray  # (D,) int64
    skill: np.ndarray  # (D,)
    # services (department by department)
    svc_dept: np.ndarray  # (V,) int64
    svc_dist: np.ndarray  # (V, 4) code, p0, p1, p2
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
    seg_patience: np.ndarray  # (S, 4) distribution (code NONE: infinitely patient)
    seg_expectation: np.ndarray
    seg_sensitivity: np.ndarray
    seg_penalty: np.ndarray
    seg_value: np.ndarray
    seg_abandon_score: np.ndarray
    seg_churn: np.ndarray  # (S, 4) floor, ceiling, midpoint, steepness
    seg_acquisition: np.ndarray  # (S, 2) rate, word_of_mouth
    seg_first_step: np.ndarray  # (S,) global step index
    seg_sl_target: np.ndarray  # (S,) service-level target: a completed order's total queue wait within it counts; -1 none
    seg_open: np.ndarray  # (S,) int64 1: patience runs on the open clock of the department waited at
    # time-varying rates (kernels/demand.py): segment s owns rows dm_start[s]:dm_start[s + 1], none if constant
    dm_start: np.ndarray  # (S + 1,) int64 CSR
    dm_bp: np.ndarray  # breakpoints, the horizon last
    dm_rt: np.ndarray  # rate on [bp[i], bp[i + 1]) (per customer for a population)
    dm_cum: np.ndarray  # integrated rate up to bp[i]
    # hour-of-week profile (kernels/profile.py): on or off, the clock, and the ticks employee time is split at
    pf_on: int
    pf_offset: float
    pf_per_unit: float
    pf_times: np.ndarray  # (K,) ticks, empty when off
    pf_hours: np.ndarray  # (K - 1,) int64 hour of week of each piece
    # journey steps, all segments concatenated
    step_svc: np.ndarray  # (T,) service index
    step_seg: np.ndarray  # (T,)
    step_fixed: np.ndarray  # (T,) next step when no draw is needed: step >= 0, -1 complete, -2 draw
    route_start: np.ndarray  # (T + 1,) CSR into route arrays
    route_step: np.ndarray  # (R,) target global step
    route_cum: np.ndarray  # (R,) cumulative probability
    # suppliers
    sup_lead: np.ndarray  # (U, 4) lead-time distribution
    sup_paid_by: np.ndarray  # (U,) service index, -1 if invoices are not modelled
    sup_terms: np.ndarray
    sup_sensitivity: np.ndarray
    # morale and the policy's run-time parts
    morale_on: int
    morale: np.ndarray  # (13,) see MORALE_FIELDS
    morale_lift: float  # recognition: lift of every department's morale target
    training: np.ndarray  # (3,) invested share, training_effect, training_lag (share 0: no training)
    feedback: float  # shared feedback: morale target lift at NPS_last 100 (0: not shared)
    recovery: np.ndarray  # (5,) complaint recovery: on (1/0), service index, success probability, churn factor,
    # paradox (1/0)
    src_recovery: int  # first row of the recovery sources (one per segment), when on
    fb_priority: np.ndarray  # (2,) 1 when feedback sets the queue order, and the NPS below which external goes first
    learning: np.ndarray  # (2,) continuous improvement: learning-curve exponent (0: none), scale n0
    review_every: int  # periodic review every this many boundaries (0: none)
    review: np.ndarray  # (3,) threshold, transfer_delay, min_per_department
    agr_pair: np.ndarray  # (D * D,) int64 service agreement of customer c and supplier d at c * D + d (-1: none)
    agr_target: np.ndarray  # (A,) each agreement's target queue wait (empty: no agreements)
    agr_supplier: np.ndarray  # (A,) int64 each agreement's supplier department
    clarity: float  # role clarity's factor on the work time of sub-requests (1: none)
    # random sources: crc32 keys, and the first row of each family
    src_keys: np.ndarray  # (n_sources,) uint64
    src_service: int  # first row of the per-service sources (4 per service)
    src_handoff: int
    src_attrition: int
    src_lead: int
    # departments on a calendar or in shifts (kernels/staffing.py): the scheduled headcount's changes
    stf_on: np.ndarray  # (D,) int64 1 on a calendar
    stf_first: np.ndarray  # (D,) int64 scheduled headcount at t = 0
    stf_min: np.ndarray  # (D,) int64 fewest heads scheduled while open (a periodic review's floor)
    stf_t: np.ndarray  # (C,) times of the changes after t = 0, sorted (department order on ties)
    stf_d: np.ndarray  # (C,) int64 department
    stf_v: np.ndarray  # (C,) int64 new scheduled headcount
    # open clocks (kernels/opentime.py): departments then suppliers, clock k on rows oc_start[k]:oc_start[k + 1],
    # none when always open (a department without a calendar, a supplier without one)
    oc_start: np.ndarray  # (D + U + 1,) int64 CSR
    oc_bp: np.ndarray  # breakpoints, the horizon last
    oc_rt: np.ndarray  # 1.0 open, 0.0 closed on [bp[i], bp[i + 1])
    oc_cum: np.ndarray  # open time up to bp[i]
    # pool sizing: items one event can create at most (2 + twice the largest needs cascade)
    event_items: int
    # accumulator layout
    row_off: np.ndarray  # (len(ROW_BLOCKS),) start of each block in the row
    row_len: int
    per_off: np.ndarray  # (len(PERIOD_BLOCKS),)
    per_len: int


MORALE_FIELDS = (
    "start", "baseline", "adjust_rate", "utilisation_threshold", "load_effect", "blocked_effect",
    "productivity_effect", "defect_effect", "attrition_rate", "attrition_effect", "hiring_delay",
    "newcomer_speed", "ramp_periods",
)  # fmt: skip


def source_names(scenario) -> list[str]:
    """Every random source of a scenario, in stream-row order (names as in the README's "Randomness")."""
    names = [f"{src}/{s}" for s in scenario.segments for src in SEGMENT_SOURCES]
    for d, dept in scenario.departments.items():
        for v in dept.services:
            names += [f"{src}/{d}.{v}" for src in SERVICE_SOURCES]
    names.append("handoff")
    names += [f"attrition/{d}" for d in scenario.departments]
    names += [f"lead_time/{u}" for u in scenario.suppliers]
    if getattr(scenario.policy, "recovery", None) is not None:
        names += [f"recovery/{s}" for s in scenario.segments]
    return names


def _dist(dist) -> list[float]:
    code, p0, p1, p2 = dist_params(dist)
    return [float(code), p0, p1, p2]


def _f(values, shape=None) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    return a.reshape(shape) if shape is not None else a


def _i(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


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


def _schedules(scenario, departments: list[str], heads: dict[str, int]) -> dict:
    """The scheduled headcount of departments on a calendar as one change list, merged in time order, and the
    open clocks of departments and suppliers."""
    on, first, least, changes, clocks = [], [], [], [], []
    for i, d in enumerate(departments):
        spec = scenario.departments[d]
        if spec.shifts is not None and heads[d] != spec.headcount:
            raise ValueError(f"headcount of {d!r} is set by its shifts ({spec.headcount}); it cannot be allocated "
                             f"{heads[d]}")
        sched = scenario.staff_schedule(d, heads[d])
        on.append(0 if sched is None else 1)
        first.append(0 if sched is None else int(sched.heads[0]))
        least.append(0 if sched is None else sched.thinnest())
        if sched is not None:
            changes += [(float(t), i, int(v)) for t, v in zip(sched.breaks[1:], sched.heads[1:])]
        clocks.append(sched.open_clock() if sched is not None else None)
    changes.sort()
    clocks += [scenario.supplier_clock(u) for u in scenario.suppliers]
    used = [c for c in clocks if c is not None]
    return dict(stf_on=_i(on), stf_first=_i(first), stf_min=_i(least), stf_t=_f([c[0] for c in changes]),
                stf_d=_i([c[1] for c in changes]), stf_v=_i([c[2] for c in changes]),
                oc_start=_i(np.cumsum([0] + [len(c.breaks) if c is not None else 0 for c in clocks])),
                oc_bp=_f([x for c in used for x in c.breaks]), oc_rt=_f([x for c in used for x in c.rates]),
                oc_cum=_f([x for c in used for x in c.cumulative]))


def compile_scenario(scenario, headcount: dict[str, int] | None = None) -> CompiledScenario:
    # longer than 150 lines: its array layout is rewritten together with the loop's (branch kernel-split, issue 14)
    """Flatten a validated scenario; *headcount* (department -> employees) overrides the scenario's."""
    departments = list(scenario.departments)
    suppliers = list(scenario.suppliers)
    segments = list(scenario.segments)
    d_index = {d: i for i, d in enumerate(departments)}
    u_index = {u: i for i, u in enumerate(suppliers)}
    n_dept, n_sup, n_seg = len(departments), len(suppliers), len(segments)

    heads = {d: int(dept.headcount) for d, dept in scenario.departments.items()}
    for d, h in (headcount or {}).items():
        if d not in d_index:
            raise ValueError(f"headcount names unknown department {d!r}; departments are {departments}")
        if int(h) != h or h < 0:
            raise ValueError(f"headcount of {d!r} must be a non-negative integer, got {h!r}")
        heads[d] = int(h)

    # services
    refs, svc_dept, svc_dist, svc_defect, svc_detect = [], [], [], [], []
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
                    need_target.append(n_dept + u_index[need.supplier])
                need_prob.append(float(need.probability))
                need_hold.append(1 if need.hold else 0)
            need_start.append(len(need_prob))

    # segments and journeys
    seg_population, seg_rate, seg_patience, seg_first_step = [], [], [], []
    seg_expectation, seg_sensitivity, seg_penalty, seg_value, seg_abandon = [], [], [], [], []
    seg_churn, seg_acquisition = [], []
    step_svc, step_seg, step_fixed, route_start, route_step, route_cum = [], [], [], [0], [], []
    dm_start, dm_parts = [0], []
    for s, (sname, seg) in enumerate(scenario.segments.items()):
        arr = seg.arrivals
        varying = scenario.demand_profile(sname)
        if varying is not None:  # the rate lives in the table; seg_rate scales it (by the population)
            dm_parts.append(varying)
        dm_start.append(dm_start[-1] + (len(varying.breaks) if varying is not None else 0))
        if hasattr(arr, "population"):
            seg_population.append(int(arr.population))
            seg_rate.append(1.0 if varying is not None else float(arr.rate_per_customer))
        else:
            seg_population.append(-1)
            seg_rate.append(1.0 if varying is not None else float(arr.rate))
        seg_patience.append(_dist(seg.patience))
        seg_expectation.append(float(seg.expectation))
        seg_sensitivity.append(float(seg.sensitivity))
        seg_penalty.append(float(seg.defect_penalty))
        seg_value.append(float(seg.value))
        seg_abandon.append(float(seg.abandon_score))
        seg_churn.append([float(seg.churn.floor), float(seg.churn.ceiling), float(seg.churn.midpoint),
                          float(seg.churn.steepness)])  # fmt: skip
        seg_acquisition.append([float(seg.acquisition.rate), float(seg.acquisition.word_of_mouth)])
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

    # suppliers
    sup_lead, sup_paid_by, sup_terms, sup_sens = [], [], [], []
    for sup in scenario.suppliers.values():
        sup_lead.append(_dist(sup.lead_time))
        sup_paid_by.append(v_index[sup.paid_by] if sup.paid_by is not None else -1)
        sup_terms.append(float(sup.payment_terms))
        sup_sens.append(float(sup.payment_sensitivity))

    m = scenario.morale
    start = m.baseline if m.initial is None else m.initial
    morale = [start, m.baseline, m.adjust_rate, m.utilisation_threshold, m.load_effect, m.blocked_effect,
              m.productivity_effect, m.defect_effect, m.attrition_rate, m.attrition_effect, m.hiring_delay,
              m.newcomer_speed, float(m.ramp_periods)]  # fmt: skip

    names = source_names(scenario)
    n_svc = len(refs)
    src_service = 5 * n_seg
    src_handoff = src_service + 4 * n_svc
    src_attrition = src_handoff + 1
    src_lead = src_attrition + n_dept

    horizon, period = float(scenario.horizon), float(scenario.period)
    n_periods = int(math.ceil(horizon / period - 1e-9))
    policy = scenario.policy
    inv = getattr(policy, "investments", None)
    training_share = float(getattr(policy, "training_share", 0.0) or 0.0)
    training = [training_share, float(inv.training_effect), float(inv.training_lag)] if inv is not None else [0.0, 0.0, 1.0]
    review = getattr(policy, "review", None)
    min_per_department = float(getattr(policy, "min_per_department", 1))

    n_targets = n_dept + n_sup
    sl_targets = [seg.service_level_target for seg in scenario.segments.values()]
    clock = scenario.profile_clock()
    feedback = float(getattr(policy, "feedback_weight", 0.0) or 0.0)
    rec = getattr(policy, "recovery", None)
    recovery = ([1.0, float(v_index[rec.service]), float(rec.success_probability), float(rec.churn_factor),
                 1.0 if rec.paradox else 0.0] if rec is not None else [0.0, 0.0, 0.0, 0.0, 0.0])  # fmt: skip
    fb_level = getattr(policy, "feedback_priority", None)
    fb_priority = [0.0, 0.0] if fb_level is None else [1.0, float(fb_level)]
    exponent = float(getattr(policy, "learning_exponent", 0.0) or 0.0)
    learning = [exponent, float(inv.improvement_scale) if inv is not None else 1.0]
    meetings = float(getattr(policy, "meeting_share", 0.0) or 0.0)
    agreed = scenario.agreement_pairs() if hasattr(scenario, "agreement_pairs") else []
    agr_pair = np.full(n_dept * n_dept, -1, dtype=np.int64)
    for a, (c, sup, _) in enumerate(agreed):
        agr_pair[d_index[c] * n_dept + d_index[sup]] = a
    row_table, row_len = layout.offsets(layout.blocks(n_seg, n_dept, n_targets, any(x is not None for x in sl_targets),
                                                      profile.HOURS if clock is not None else 0,
                                                      3 if fb_level is not None else (2 if feedback > 0.0 else 0),
                                                      n_svc if exponent > 0.0 else 0, rec is not None,
                                                      len(agreed)))  # fmt: skip
    pf_offset, pf_per_unit = clock if clock is not None else (0.0, 1.0)
    pf_times, pf_hours = (profile.ticks(float(scenario.warmup), horizon, pf_offset, pf_per_unit) if clock is not None
                          else (np.zeros(0), np.zeros(0, dtype=np.int64)))
    per_table, per_len = layout.offsets(layout.period_blocks(n_seg, n_dept, len(agreed)))
    if tuple(row_table) != ROW_BLOCKS or tuple(per_table) != PERIOD_BLOCKS:
        raise RuntimeError("kernels/layout.py blocks changed: update ROW_BLOCKS/PERIOD_BLOCKS and the event loop")

    cascade = _cascade_sizes(need_start, need_supplier, need_index)
    event_items = 2 + 2 * max(cascade, default=0)
    if rec is not None:  # an order's end may also start a recovery step and its cascade
        event_items += 2 + 2 * cascade[v_index[rec.service]]
    if event_items > 50_000_000:
        raise ValueError(
            f"one arrival can fan out into {event_items // 2 - 1} simultaneous requests through the needs graph; "
            "no engine can hold that many: reduce the needs"
        )
    scale = max((float(seg.expectation) for seg in scenario.segments.values()), default=1.0)
    stf = _schedules(scenario, departments, heads)
    return CompiledScenario(
        n_seg=n_seg,
        n_dept=n_dept,
        n_svc=n_svc,
        n_sup=n_sup,
        n_targets=n_targets,
        n_periods=n_periods,
        horizon=horizon,
        warmup=float(scenario.warmup),
        period=period,
        scale=float(scale),
        queue_of_class=_i(_QUEUE_OF_CLASS[PRIORITIES[scenario.policy.priority]]),
        handoff=_f(_dist(scenario.handoff)),
        headcount=_i([heads[d] for d in departments]),
        skill=_f([float(dept.skill) * (1.0 - meetings) for dept in scenario.departments.values()]),  # meetings
        svc_dept=_i(svc_dept),
        svc_dist=_f(svc_dist, (n_svc, 4)),
        svc_defect=_f(svc_defect),
        svc_detect=_f(svc_detect),
        need_start=_i(need_start),
        need_supplier=_i(need_supplier),
        need_index=_i(need_index),
        need_target=_i(need_target),
        need_prob=_f(need_prob),
        need_hold=_i(need_hold),
        seg_population=_i(seg_population),
        seg_rate=_f(seg_rate),
        seg_patience=_f(seg_patience, (n_seg, 4)),
        seg_expectation=_f(seg_expectation),
        seg_sensitivity=_f(seg_sensitivity),
        seg_penalty=_f(seg_penalty),
        seg_value=_f(seg_value),
        seg_abandon_score=_f(seg_abandon),
        seg_churn=_f(seg_churn, (n_seg, 4)),
        seg_acquisition=_f(seg_acquisition, (n_seg, 2)),
        seg_first_step=_i(seg_first_step),
        seg_sl_target=_f([-1.0 if x is None else float(x) for x in sl_targets]),
        seg_open=_i([1 if seg.patience_clock == "open" else 0 for seg in scenario.segments.values()]),
        pf_on=1 if clock is not None else 0,
        pf_offset=float(pf_offset),
        pf_per_unit=float(pf_per_unit),
        pf_times=_f(pf_times),
        pf_hours=_i(pf_hours),
        dm_start=_i(dm_start),
        dm_bp=_f([x for p in dm_parts for x in p.breaks]),
        dm_rt=_f([x for p in dm_parts for x in p.rates]),
        dm_cum=_f([x for p in dm_parts for x in p.cumulative]),
        step_svc=_i(step_svc),
        step_seg=_i(step_seg),
        step_fixed=_i(step_fixed),
        route_start=_i(route_start),
        route_step=_i(route_step),
        route_cum=_f(route_cum),
        sup_lead=_f(sup_lead, (n_sup, 4)),
        sup_paid_by=_i(sup_paid_by),
        sup_terms=_f(sup_terms),
        sup_sensitivity=_f(sup_sens),
        morale_on=1 if m.enabled else 0,
        morale=_f(morale),
        morale_lift=float(getattr(policy, "morale_lift", 0.0) or 0.0),
        training=_f(training),
        feedback=feedback,
        fb_priority=_f(fb_priority),
        recovery=_f(recovery),
        src_recovery=src_lead + n_sup,
        learning=_f(learning),
        agr_pair=agr_pair,
        agr_target=_f([t for _, _, t in agreed]),
        agr_supplier=_i([d_index[sup] for _, sup, _ in agreed]),
        clarity=float(getattr(policy, "clarity_factor", 1.0)),
        review_every=int(review.every) if review is not None else 0,
        review=_f([float(review.threshold), float(review.transfer_delay), min_per_department] if review is not None
                  else [0.0, 0.0, min_per_department]),  # fmt: skip
        src_keys=np.array([source_key(n) for n in names], dtype=np.uint64),
        src_service=src_service,
        src_handoff=src_handoff,
        src_attrition=src_attrition,
        src_lead=src_lead,
        **stf,
        event_items=int(event_items),
        row_off=_i([row_table[b][0] for b in ROW_BLOCKS]),
        row_len=int(row_len),
        per_off=_i([per_table[b][0] for b in PERIOD_BLOCKS]),
        per_len=int(per_len),
    )


__all__ = ["CompiledScenario", "compile_scenario", "source_names", "NONE"]
