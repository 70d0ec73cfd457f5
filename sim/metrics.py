"""Every metric users see, defined once, from the accumulator blocks both engines fill.

Per replication, a metric is a ratio or a count of the raw sums in
``orgsim.kernels.layout``; over replications it is reported as mean, std, a
95 % confidence interval and n (replications where it is defined).  A ratio
with nothing to divide (no completed orders, say) is NaN for that replication
and is left out of n.

Each metric has a direction and a range (``KINDS``).  Its interval never
leaves the range: a Student t interval for the mean on the logit scale (range
bounded on both sides) or the log scale (bounded below), by the delta method,
mapped back (``interval``).  Fewer than ``MIN_RELIABLE`` replications give an
interval flagged unreliable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit, stdtrit  # (scipy.stats would add a second to start-up)

from orgsim import measures
from orgsim.kernels import layout, profile
from orgsim.ratio import ratio as _ratio
from orgsim.scenario.schema import Costs, Measures, Scenario
from orgsim.scenario.traffic import meeting_share

INF = float("inf")
MIN_RELIABLE = 10  # fewer replications than this: the interval is reported as unreliable
UNRELIABLE = f"fewer than {MIN_RELIABLE} replications: unreliable"  # how outputs say so


@dataclass(frozen=True)
class Kind:
    """What a metric's last name part means for comparisons and intervals."""

    direction: int  # +1 higher is better, -1 lower is better, 0 neither (comparisons and the optimiser)
    low: float  # the least value the metric can take
    high: float  # the largest (INF: no upper bound)


KINDS = {
    "arrivals": Kind(0, 0.0, INF),
    "completed": Kind(1, 0.0, INF),
    "abandoned": Kind(-1, 0.0, INF),
    "abandon_rate": Kind(-1, 0.0, 1.0),
    "service_level": Kind(1, 0.0, 1.0),  # ended orders served within the segment's target wait
    "wait_mean": Kind(-1, 0.0, INF),
    "sojourn_mean": Kind(-1, 0.0, INF),
    "sojourn_p90": Kind(-1, 0.0, INF),
    "csat": Kind(1, 0.0, 10.0),
    "nps": Kind(1, -100.0, 100.0),
    "churn_rate": Kind(-1, 0.0, INF),  # churned over customers active at warm-up: later customers churn too, so > 1 can be
    "revenue": Kind(1, 0.0, INF),
    "utilisation": Kind(0, 0.0, 1.0),
    "staffed": Kind(0, 0.0, INF),  # employees present, time-average
    "overtime": Kind(-1, 0.0, INF),  # employee time past the schedule, per period (departments on a calendar)
    "blocked_share": Kind(-1, 0.0, 1.0),
    "morale": Kind(1, 0.0, 1.0),
    "response_mean": Kind(-1, 0.0, INF),
    "rework_rate": Kind(-1, 0.0, 1.0),
    "active": Kind(0, 0.0, INF),  # per period: customers of a population segment
    "headcount": Kind(0, 0.0, INF),  # per period: employees present
    "cost": Kind(-1, 0.0, INF),  # firm.*: money, when the scenario sets `costs`
    "labour_cost": Kind(-1, 0.0, INF),
    "rework_cost": Kind(-1, 0.0, INF),
    "defect_cost": Kind(-1, 0.0, INF),
    "late_payment_cost": Kind(-1, 0.0, INF),
    "churn_cost": Kind(-1, 0.0, INF),
    "investment_cost": Kind(-1, 0.0, INF),
    "profit": Kind(1, -INF, INF),
    "meeting_share": Kind(0, 0.0, 1.0),  # employee time in communication's meetings / available
    "feedback_lift": Kind(0, 0.0, INF),  # morale target lift from shared external feedback
    "learning_factor": Kind(0, 0.0, 1.0),  # defect-rate factor of continuous improvement
    "recovery_offers": Kind(0, 0.0, INF),  # complaint recovery steps offered to detractors
    "recovered_share": Kind(1, 0.0, 1.0),  # of them, the share that won the customer back
    "external_first_share": Kind(0, 0.0, 1.0),  # boundaries after which shared feedback put external work first
    "engagement": Kind(1, 0.0, 1.0),  # firm.*: headcount-weighted morale (scenarios with `measures`)
    "engagement_survey": Kind(1, 0.0, 1.0),
    "survey_responses": Kind(0, 0.0, INF),
    "turnover": Kind(-1, 0.0, INF),  # leavers per employee-year
    "vacancy_time": Kind(-1, 0.0, INF),  # vacant posts, time-average
    "productivity": Kind(1, 0.0, INF),  # work completed per paid employee per time unit
    "sla_attainment": Kind(1, 0.0, 1.0),  # internal requests under service agreements that started within target
    "attainment": Kind(1, 0.0, 1.0),  # ... of one agreement's pair
}
DIRECTION = {name: kind.direction for name, kind in KINDS.items()}

# What each metric is, by name (<d> a department, <c> the department that asks, <s> a segment), in the words
# of the README's Metrics table; the documentation's metric reference is written from this and KINDS.
MEANINGS = {
    "external.arrivals": "orders that arrived (count)",
    "external.completed": "orders completed (count)",
    "external.abandoned": "orders abandoned: their queue waits outlasted their patience (count)",
    "external.abandon_rate": "abandoned / ended orders",
    "external.wait_mean": "mean total queue wait of completed orders",
    "external.sojourn_mean": "mean time from arrival to completion of completed orders",
    "external.sojourn_p90": "90th percentile of arrival to completion (from a log-binned histogram, ~1 % resolution)",
    "external.csat": "mean satisfaction score of ended orders",
    "external.nps": "100 × (promoters − detractors) / ended orders",
    "external.churn_rate": "churned / customers active at warm-up end (population segments; customers who joined "
    "later churn too, so it can pass 1)",
    "external.revenue": "value of completed orders",
    "external.service_level": "completed orders whose total queue wait is within their segment's "
    "service_level_target, over ended orders of the segments that set one (abandoned orders are misses)",
    "firm.cost": "what the firm paid from warm-up to horizon (scenarios with costs): the sum of its parts",
    "firm.labour_cost": "pay per employee per time unit present",
    "firm.rework_cost": "price of each service redone after a caught defect",
    "firm.defect_cost": "price of each defect that reached the customer of a completed order",
    "firm.late_payment_cost": "penalty per time unit an invoice was paid past its supplier's payment terms",
    "firm.churn_cost": "value lost with each customer who churned",
    "firm.investment_cost": "headcount-equivalents invested × their price per time unit × (horizon − warm-up)",
    "firm.profit": "external.revenue − firm.cost",
    "dept.<d>.utilisation": "busy (blocked included) employee time / available employee time",
    "dept.<d>.staffed": "employees present, time-average (leavers gone, vacancies unfilled)",
    "dept.<d>.wait_mean": "mean queue wait per visit",
    "dept.<d>.blocked_share": "share of employee time held while blocked on a need",
    "dept.<d>.morale": "morale at the horizon (when morale is on); per period, at the period's end",
    "dept.<d>.headcount": "employees present at the period's end (time series only)",
    "dept.<d>.overtime": "departments on a calendar or in shifts: employee time past the schedule (finishing a job "
    "after the shift ends), per period",
    "internal.<c>.<d>.response_mean": "mean time department c waits on supplier d (a department or an external supplier)",
    "internal.rework_rate": "redone services / completed services",
    "dept.<d>.meeting_share": "with communication: employee time spent in its meetings (the meeting share of the "
    "time spent serving) / available employee time; counted in utilisation",
    "firm.feedback_lift": "with shared feedback: the morale target lift it gave, mean over the period boundaries "
    "from warm-up on",
    "external.recovery_offers": "with complaint recovery: recovery steps offered to detractors of population "
    "segments whose orders ended after warm-up (count)",
    "external.recovered_share": "with complaint recovery: the share of those steps that won the customer back",
    "firm.external_first_share": "with shared feedback setting the queue order (feedback_priority): the share of "
    "period boundaries from warm-up on after which external work went first",
    "internal.learning_factor": "with continuous improvement: the factor its learning curve puts on defect rates at "
    "the horizon, mean over services",
    "segment.<s>.*": "each external metric for one segment (when there are several)",
    "segment.<s>.active": "customers of a population segment at the period's end (time series only)",
    "firm.engagement": "headcount-weighted morale: over the period ends after warm-up, the sum of each department's "
    "morale times its employees present over the sum of employees present (scenarios with measures.engagement)",
    "firm.engagement_survey": "mean answer of the engagement surveys after warm-up: each present employee answers "
    "with probability response_rate, reading their department's morale plus normal noise, clipped to 0-1",
    "firm.survey_responses": "answers per engagement survey after warm-up",
    "dept.<d>.turnover": "leavers per employee-year: leavers drawn after warm-up times the time units in a year, over "
    "employee time present (on a calendar or in shifts: the filled slots' time, on duty or not, without a periodic "
    "review; scenarios with measures.turnover)",
    "dept.<d>.vacancy_time": "vacant posts, time-average: the department's heads less the employees present (on a "
    "calendar or in shifts: its vacant slots); without a periodic review",
    "dept.<d>.productivity": "services completed for the first time (redos left out) per paid employee per time unit "
    "(per employee-hour when time_unit is hour)",
    "firm.productivity": "external orders completed per paid employee per time unit, all departments' time",
    "internal.sla_attainment": "with service agreements: requests decided after warm-up that started service within "
    "their target (hits) over hits and escalations (requests still queued at their target)",
    "agreement.<c>.<d>.attainment": "with service agreements: the same for the requests department c sends supplier "
    "department d",
    "agreement.<c>.<d>.wait_mean": "with service agreements: mean queue wait at d (joining d's queue to the start of "
    "service) of c's requests that started after warm-up",
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
    costs: Costs | None = None  # prices of labour, rework, escaped defects, late payment and churn
    service_level: tuple[bool, ...] = ()  # per segment: does it set a service-level target?
    profile_hours: float = 0.0  # hours per time unit when hour-of-week profiles are kept, else 0
    rostered: tuple[bool, ...] = ()  # per department: on a calendar or in shifts (it reports overtime)
    meetings: float = 0.0  # communication's meeting share of working time (0: no communication)
    feedback: int = 0  # shared feedback's block: 2 (lift sum, boundaries), 3 (and external-first ones), 0 none
    learning: int = 0  # services whose defect rates learn (continuous improvement), else 0
    recovery: bool = False  # complaint recovery?
    measures: Measures | None = None  # which people and output measures to report (orgsim.measures)
    year: float | None = None  # time units in a year (turnover)
    heads: tuple[int, ...] = ()  # per department: the heads the run gives it (vacancies)
    review: bool = False  # does a periodic review move heads between departments?
    hiring_delay: float = 0.0  # time a leaver's slot stays vacant (vacancies on a calendar)
    invested: int = 0  # headcount-equivalents invested (priced by costs.investment)
    agreements: tuple[tuple[str, str, float], ...] = ()  # service agreements: (customer, supplier, target)

    @property
    def targets(self) -> tuple[str, ...]:
        return self.departments + self.suppliers

    def blocks(self):
        return layout.blocks(len(self.segments), len(self.departments), len(self.targets), any(self.service_level),
                             profile.HOURS if self.profile_hours else 0, self.feedback, self.learning, self.recovery,
                             len(self.agreements))

    def period_blocks(self):
        return layout.period_blocks(len(self.segments), len(self.departments), len(self.agreements))


def structure(scenario: Scenario, headcount: dict[str, int] | None = None) -> Structure:
    """Index order of segments, departments and targets for a scenario; *headcount*: the heads a run gives
    each department (default: as written)."""
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
        costs=scenario.costs,
        service_level=tuple(seg.service_level_target is not None for seg in scenario.segments.values()),
        profile_hours=scenario.profile_clock()[1] if scenario.profile else 0.0,
        rostered=tuple(dept.rostered for dept in scenario.departments.values()),
        meetings=meeting_share(scenario),
        feedback=feedback_block(scenario),
        learning=len(scenario.service_refs()) if learning_on(scenario) else 0,
        recovery=scenario.policy.recovery is not None,
        measures=scenario.measures,
        year=scenario.year(),
        heads=tuple(int((headcount or {}).get(d, dept.headcount or 0)) for d, dept in scenario.departments.items()),
        review=scenario.policy.review is not None,
        hiring_delay=scenario.morale.hiring_delay,
        invested=scenario.policy.investments.total,
        agreements=tuple(scenario.agreement_pairs()),
    )


def feedback_block(scenario: Scenario) -> int:
    """Size of shared feedback's accumulator block: 3 when it sets the queue order, 2 when it only lifts morale."""
    inv = scenario.policy.investments
    if inv.feedback_priority is not None:
        return 3
    return 2 if inv.feedback > 0 and inv.feedback_effect > 0 else 0


def learning_on(scenario: Scenario) -> bool:
    """Does continuous improvement put a learning curve on the defect rates?"""
    inv = scenario.policy.investments
    return inv.improvement > 0 and inv.improvement_effect > 0


def period_lengths(st: Structure, n_periods: int) -> np.ndarray:
    """Length of each period: ``period``, the last one cut at the horizon."""
    starts = np.arange(n_periods) * st.period
    return np.minimum(starts + st.period, st.horizon) - starts


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


def _service_level(b: dict[str, np.ndarray], segments) -> np.ndarray:
    """Completed orders whose total queue wait is within their segment's target, over all ended orders
    (abandoned ones are misses) of the given *segments*: the usual contact-centre service level."""
    within = b["seg_within_target"][:, segments].sum(axis=-1)
    ended = (b["seg_completed"][:, segments] + b["seg_abandoned"][:, segments]).sum(axis=-1)
    return _ratio(within, ended)


ROUNDING = 1e-9  # relative: how far past its range a metric can land by rounding alone


def _settled(out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each metric put back on its range where rounding alone took it past (a fully busy period's utilisation
    is a ratio of two time sums and can come out 1 + 1e-15); anything further is left as it is, for tests to see."""
    for name, x in out.items():
        low, high = bounds(name)
        x = np.asarray(x, dtype=float)
        x = np.where((x > high) & (x <= high + ROUNDING * max(1.0, abs(high))), high, x)
        out[name] = np.where((x < low) & (x >= low - ROUNDING * max(1.0, abs(low))), low, x)
    return out


def survey_answers(periods: np.ndarray | None, st: Structure, seed: int, replications) -> tuple | None:
    """The engagement survey's answers (``orgsim.measures.survey``) when the scenario asks for one, else None."""
    if st.measures is None or st.measures.survey is None or periods is None:
        return None
    return measures.survey(layout.unpack(periods, st.period_blocks()), st.measures.survey, st.departments, seed,
                           replications)


def replication_metrics(rows: np.ndarray, st: Structure, periods: np.ndarray | None = None,
                        answers: tuple | None = None) -> dict[str, np.ndarray]:
    """Named metrics per replication from accumulator rows (shape: replications x row length); the measures
    (scenarios with ``measures``) also need the *periods* rows and the survey's *answers*."""
    b = layout.unpack(np.atleast_2d(rows), st.blocks())
    out = _external("external", b, slice(None), [p for p in st.population] if any(st.population) else None, st.scale)
    if any(st.service_level):
        out["external.service_level"] = _service_level(b, np.flatnonzero(st.service_level))
    for i, d in enumerate(st.departments):
        out[f"dept.{d}.utilisation"] = _ratio(b["dept_busy"][:, i], b["dept_available"][:, i])
        out[f"dept.{d}.staffed"] = _ratio(b["dept_available"][:, i], st.counted)
        out[f"dept.{d}.wait_mean"] = _ratio(b["dept_wait_sum"][:, i], b["dept_visits"][:, i])
        out[f"dept.{d}.blocked_share"] = _ratio(b["dept_blocked"][:, i], b["dept_available"][:, i])
        if st.morale:
            out[f"dept.{d}.morale"] = b["dept_morale"][:, i]
        if st.rostered and st.rostered[i]:  # mean per period: overtime after warm-up over the periods it spans
            out[f"dept.{d}.overtime"] = b["dept_overtime"][:, i] * (st.period / st.counted)
        if st.meetings:  # meetings are that share of the time spent serving (busy less blocked)
            out[f"dept.{d}.meeting_share"] = st.meetings * _ratio(b["dept_busy"][:, i] - b["dept_blocked"][:, i],
                                                                  b["dept_available"][:, i])
    for c, t in st.pairs:
        out[f"internal.{st.departments[c]}.{st.targets[t]}.response_mean"] = _ratio(
            b["resp_sum"][:, c, t], b["resp_count"][:, c, t]
        )
    out["internal.rework_rate"] = _ratio(b["services_redone"][:, 0], b["services_completed"][:, 0])
    if st.feedback:
        out["firm.feedback_lift"] = _ratio(b["feedback_lift"][:, 0], b["feedback_lift"][:, 1])
    if st.feedback == 3:
        out["firm.external_first_share"] = _ratio(b["feedback_lift"][:, 2], b["feedback_lift"][:, 1])
    if st.recovery:
        out["external.recovery_offers"] = b["recovery"][:, 0]
        out["external.recovered_share"] = _ratio(b["recovery"][:, 1], b["recovery"][:, 0])
    if st.learning:
        out["internal.learning_factor"] = b["svc_learning"].mean(axis=-1)
    if st.agreements:
        out.update(_agreements(b, st))
    if len(st.segments) > 1:
        for k, s in enumerate(st.segments):
            out.update(_external(f"segment.{s}", b, k, st.population[k] or None, st.scale))
            if st.service_level[k]:
                out[f"segment.{s}.service_level"] = _service_level(b, [k])
    if st.costs is not None:
        out.update(_money(b, st, out["external.revenue"]))
    if st.measures is not None and periods is not None:
        out.update(measures.summary(b, layout.unpack(periods, st.period_blocks()), st, answers))
    return _settled(out)


def _agreements(b: dict[str, np.ndarray], st: Structure) -> dict[str, np.ndarray]:
    """Attainment of all service agreements and of each pair (hits over decided requests), and each pair's mean
    queue wait."""
    hits, misses = b["agr_hits"], b["agr_misses"]
    out = {"internal.sla_attainment": _ratio(hits.sum(-1), hits.sum(-1) + misses.sum(-1))}
    for a, (c, d, _) in enumerate(st.agreements):
        out[f"agreement.{c}.{d}.attainment"] = _ratio(hits[..., a], hits[..., a] + misses[..., a])
        out[f"agreement.{c}.{d}.wait_mean"] = _ratio(b["agr_wait_sum"][..., a], b["agr_started"][..., a])
    return out


def _money(b: dict[str, np.ndarray], st: Structure, revenue: np.ndarray) -> dict[str, np.ndarray]:
    """What the firm paid after warm-up, by cause, and what it kept: ``firm.profit`` = revenue - ``firm.cost``."""
    c = st.costs
    wages = np.array([c.labour_rate(d) for d in st.departments])
    parts = {
        "firm.labour_cost": b["dept_available"] @ wages,
        "firm.rework_cost": c.rework * b["services_redone"][:, 0],
        "firm.defect_cost": c.escaped_defect * b["seg_escaped"].sum(-1),
        "firm.late_payment_cost": c.late_payment * b["sup_late"].sum(-1),
        "firm.churn_cost": c.churn * b["seg_churned"].sum(-1),
    }
    if st.invested:
        parts["firm.investment_cost"] = np.full(len(revenue), st.invested * _investment_price(st, wages) * st.counted)
    cost = sum(parts.values())
    return {"firm.cost": cost, "firm.profit": revenue - cost, **parts}


def _investment_price(st: Structure, wages: np.ndarray) -> float:
    """What a headcount-equivalent invested costs per time unit: ``costs.investment``, else a head of the plan's
    average pay (labour weighted by the heads the run gives each department), so trading a head for a lever
    leaves the money spent unchanged."""
    if st.costs.investment is not None:
        return float(st.costs.investment)
    heads = np.array(st.heads, dtype=float)
    return float(heads @ wages / heads.sum()) if heads.sum() > 0 else float(wages.mean())


def period_metrics(rows: np.ndarray, st: Structure, answers: tuple | None = None) -> dict[str, np.ndarray]:
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
        if st.rostered and st.rostered[i]:
            out[f"dept.{d}.overtime"] = b["dept_overtime"][..., i]
    if st.measures is not None:
        out.update(measures.per_period(b, st, lengths, answers))
    if st.agreements:
        out.update(_agreements(b, st))
    return _settled(out)


def bounds(metric: str, difference: bool = False) -> tuple[float, float]:
    """The range of a metric (by its last name part), or of a difference of two of its values."""
    kind = KINDS.get(metric.rsplit(".", 1)[-1])
    if kind is None:
        return -INF, INF
    if difference:
        width = kind.high - kind.low
        return -width, width
    return kind.low, kind.high


def ci_method(low: float, high: float) -> str:
    """The name of the interval method for a range: logit-t, log-t or t (see ``interval``)."""
    if np.isfinite(low) and np.isfinite(high):
        return "logit-t"
    return "log-t" if np.isfinite(low) else "t"


def interval(mean, std, n, low: float, high: float, confidence: float = 0.95):
    """Confidence interval for a mean over *n* replications that never leaves [low, high].

    The Student t interval is built for g(mean) and mapped back: g = logit((x - low)/(high - low)) when both
    bounds are finite, g = log(x - low) when only the lower one is, g = identity (plain t) otherwise, with
    se(g(mean)) = g'(mean) * std / sqrt(n) (delta method).  As n grows it becomes the t interval; it needs only
    (mean, std, n), so per-period sums use it too.  std = 0 gives [mean, mean]; n < 2 gives NaN.
    Works element-wise on arrays.
    """
    mean, std, n = (np.asarray(v, dtype=float) for v in (mean, std, n))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2)
        se = t * std / np.sqrt(n)
        method = ci_method(low, high)
        if method == "t":
            lo, hi = mean - se, mean + se
        elif method == "log-t":
            z = mean - low
            h = np.where(z > 0, se / z, INF)  # a mean on the bound with spread (rounding) gets the widest interval
            lo = np.where(z > 0, low + z * np.exp(-h), low)
            hi = np.where(z > 0, low + z * np.exp(h), INF)
        else:
            width = high - low
            p = (mean - low) / width
            inside = (p > 0) & (p < 1)
            h = np.where(inside, se / (width * p * (1 - p)), INF)
            g = logit(np.clip(p, 0.0, 1.0))
            lo = np.where(inside, low + width * expit(g - h), low)
            hi = np.where(inside, low + width * expit(g + h), high)
        # a spread of a few rounding steps can map back a rounding step beside the mean: keep the mean inside
        lo = np.where(std > 0, np.minimum(lo, mean), mean)
        hi = np.where(std > 0, np.maximum(hi, mean), mean)
    undefined = ~(n >= 2) | np.isnan(std)
    return np.where(undefined, np.nan, lo), np.where(undefined, np.nan, hi)


def aggregate(values: np.ndarray, metric: str, difference: bool = False, confidence: float = 0.95) -> dict:
    """Mean, confidence interval within the metric's range, std, n (NaNs left out), the interval's method and
    whether it is reliable (n >= MIN_RELIABLE).  *difference*: the values are differences of the metric."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    low, high = bounds(metric, difference)
    mean = float(x.mean()) if n else float("nan")
    std = float(x.std(ddof=1)) if n > 1 else float("nan")
    lo, hi = interval(mean, std, n, low, high, confidence)
    return {"mean": mean, "ci_low": float(lo), "ci_high": float(hi), "std": std, "n": n,
            "ci_method": ci_method(low, high), "ci_reliable": n >= MIN_RELIABLE}


def period_interval(sums: np.ndarray, metric: str, confidence: float = 0.95):
    """Per period: mean and interval (as ``interval``) from replication count, sum and sum of squares."""
    n, s, ss = (np.asarray(v, dtype=float) for v in sums)
    mean = np.divide(s, n, out=np.full_like(s, np.nan), where=n > 0)
    var = np.divide(ss - n * mean**2, n - 1, out=np.full_like(s, np.nan), where=n > 1)
    lo, hi = interval(mean, np.sqrt(np.maximum(var, 0)), n, *bounds(metric), confidence)
    return mean, lo, hi


def direction(metric: str) -> int:
    """+1 if higher is better, -1 if lower is better, 0 if neither (by the metric's last name part)."""
    kind = KINDS.get(metric.rsplit(".", 1)[-1])
    return kind.direction if kind else 0


def json_safe(stats: dict) -> dict:
    """A dict of statistics with every NaN or infinity as None: JSON has no such numbers."""
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in stats.items()}
