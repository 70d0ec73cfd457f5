"""The organisation of one replication: departments, desks, segments, suppliers, and management.

``Organisation`` builds the runtime objects from a validated scenario and a
headcount allocation, each random source on its own stream; ``run`` starts
the arrival processes and the ``management`` process and runs SimPy to the
horizon.  Management takes the warm-up snapshot and, at every period
boundary ``t = period, 2 period, ...`` before the horizon, does the README's
steps in order: per department (1) close the period's utilisation and blocked
share, (2) move morale (recognition and shared feedback lifting the target),
(3) draw leavers; then continuous improvement's defect rates; then the
periodic review of staffing, if any; then per supplier (4) update
the lead-time factor; then per population segment (5) acquire customers.  The
last period is closed at the horizon without a boundary update: nothing
happens at or after the horizon.
"""

from __future__ import annotations

import numpy as np
import simpy

from orgsim import metrics
from orgsim.kernels import layout, model

from . import ledger
from .agreements import Agreements
from .customers import Segment, Step, open_arrivals, population_arrivals, scripted_arrivals
from .departments import Department, Desk, Need, classes
from .draws import Streams
from .events import EventRecorder
from .hours import HourProfile, ticker
from .narrate import Narrator
from .suppliers import Supplier
from .work import journey, reassign, rehire, request_internal, roster, transfer, vacancy


class Organisation:
    """Everything that runs in one replication, and its raw sums.

    *headcount* maps every department to its employees (the policy's
    allocation); *replication* selects the random streams.
    """

    def __init__(
        self, scenario, headcount: dict[str, int], seed: int, replication: int, trace: bool = False, events: bool = False
    ):
        self.scenario = scenario
        self.structure = metrics.structure(scenario)
        self.env = env = simpy.Environment()
        streams = Streams(seed, replication)
        self.streams = streams
        self.warmup = scenario.warmup
        self.period = scenario.period
        self.n_periods = scenario.n_periods()
        self.scale = self.structure.scale
        self.external, self.internal = classes(scenario.policy.priority)
        self.morale = scenario.morale
        policy = scenario.policy
        self.morale_lift = policy.morale_lift  # recognition: lifts every morale target
        self.training_share = policy.training_share  # training: speed grows over time
        self.training_effect = policy.investments.training_effect
        self.training_lag = policy.investments.training_lag
        self.feedback_weight = policy.feedback_weight  # shared feedback: lift at NPS_last 100
        self.feedback_sum = 0.0  # its lifts at boundaries from warm-up on, and their count
        self.feedback_count = 0
        self.feedback_first = 0  # of them, boundaries after which external work went first (feedback_priority)
        self.learning_exponent = policy.learning_exponent  # continuous improvement (0: none)
        self.learning_scale = policy.investments.improvement_scale
        self.recovery = policy.recovery  # complaint recovery's step, or None
        self.clarity = policy.clarity_factor  # role clarity: factor on the work time of sub-requests (1: none)
        skill_share = 1.0 - policy.meeting_share  # communication: meetings take this share of working time
        self.review = policy.review
        self.min_per_department = policy.min_per_department
        self.orders = 0  # orders numbered from 1, all segments together
        self.requests = 0  # internal work numbered from 1
        self.services_completed = 0
        self.services_redone = 0
        self.closed = 0  # periods closed so far
        self.tracer = Narrator(env, self, scenario.time_unit) if trace else None
        self.events = EventRecorder() if events else None  # the simulated event log, when asked for

        missing = [d for d in self.structure.departments if d not in headcount]
        if missing:
            raise ValueError(f"headcount is missing department(s): {', '.join(missing)}")
        self.departments = [
            Department(
                env, d, i, int(headcount[d]), scenario.departments[d].skill * skill_share, self.warmup, scenario.morale,
                self.n_periods,
                scenario.staff_schedule(d, int(headcount[d])),
            )
            for i, d in enumerate(self.structure.departments)
        ]
        by_name = {dept.name: dept for dept in self.departments}
        self.desks = {
            ref: Desk(ref, by_name[ref.split(".")[0]], scenario.service(ref), streams) for ref in scenario.service_refs()
        }
        n_depts = len(self.departments)
        self.suppliers = [
            Supplier(name, n_depts + k, spec, streams, self.desks, scenario.supplier_clock(name))
            for k, (name, spec) in enumerate(scenario.suppliers.items())
        ]
        self._link_needs()
        for dept in self.departments:
            dept.set_morale(dept.morale)  # defect chances (and speed) at the starting morale
        self.segments = [Segment(self, name, k, spec, streams) for k, (name, spec) in enumerate(scenario.segments.items())]
        for segment in self.segments:
            segment.first = self._journey_steps(segment)
        self.handoff = streams.of("handoff", scenario.handoff) if scenario.handoff is not None else None
        pairs = self.structure.agreements
        self.agreements = (Agreements(env, pairs, self.departments, self.warmup, self.period, self.n_periods)
                           if pairs else None)  # internal service agreements
        n_targets = len(self.structure.targets)
        self.resp_sum = [[0.0] * n_targets for _ in range(n_depts)]
        self.resp_count = [[0] * n_targets for _ in range(n_depts)]
        self.end = None
        self.hours: HourProfile | None = None  # the hour-of-week profile, made by run() when the scenario keeps one

    def _link_needs(self) -> None:
        """Point every desk's needs at their targets: another desk, or an external supplier."""
        targets = self.structure.targets
        supplier_of = {s.name: s for s in self.suppliers}
        for ref, desk in self.desks.items():
            for need in self.scenario.service(ref).needs:
                if need.service is not None:
                    target, to_desk, to_supplier = need.service.split(".")[0], self.desks[need.service], None
                else:
                    target, to_desk, to_supplier = need.supplier, None, supplier_of[need.supplier]
                desk.needs.append(Need(need.probability, need.hold, to_desk, to_supplier, targets.index(target), target))

    def _journey_steps(self, segment: Segment) -> Step:
        """Link a segment's steps: the following step, or the `next` routing on the segment's stream."""
        spec = segment.spec.journey
        steps = [Step(self.desks[s.service]) for s in spec]
        by_ref = {s.service: step for s, step in zip(spec, steps)}
        for k, (s, step) in enumerate(zip(spec, steps)):
            if s.next is None:
                step.follow = steps[k + 1] if k + 1 < len(steps) else None
            else:
                cumulative, routes = 0.0, []
                for ref, p in s.next.items():
                    cumulative += p
                    routes.append((cumulative, by_ref[ref]))
                step.routes = routes
                step.draws = segment.routing
        return steps[0]

    # ---------------------------------------------------------------- running

    def start_journey(self, segment: Segment) -> None:
        """An order arrives and sets out on its journey."""
        order = segment.arrive()
        if self.tracer is not None:
            self.tracer.arrive(order)
        if self.events is not None:
            self.events.arrive(order, self.env.now)
        self.env.process(journey(self.env, self, order))

    def script(self, segment: str, times) -> None:
        """Orders of *segment* also arrive at the given *times* (call before ``run``): a designed arrival pattern."""
        seg = next(s for s in self.segments if s.name == segment)
        self.env.process(scripted_arrivals(self.env, self, seg, times))

    def responded(self, requester: Department, target: int, sent: float) -> None:
        """A request of *requester* to *target* was fulfilled: its response time counts after warm-up."""
        now = self.env.now
        if now >= self.warmup:
            self.resp_sum[requester.index][target] += now - sent
            self.resp_count[requester.index][target] += 1

    def run(self, until: float | None = None) -> Organisation:
        """Simulate to the horizon (or to *until*, if earlier) and close the books."""
        env = self.env
        end = self.scenario.horizon if until is None else min(float(until), self.scenario.horizon)
        self.end = end
        for segment in self.segments:
            arrivals = population_arrivals if segment.population else open_arrivals
            segment.process = env.process(arrivals(env, self, segment))
        env.process(management(env, self, end))
        clock = self.scenario.profile_clock()
        if clock is not None and end > self.warmup:
            self.hours = HourProfile(env, self.departments, clock, self.warmup, end, *layout.offsets(self.structure.blocks()))
            env.process(ticker(env, self.hours))
        for dept in self.departments:
            if dept.schedule is not None:
                env.process(roster(env, self, dept))
        env.run(until=end)
        if self.hours is not None:
            self.hours.flush()
        self._close_last()
        return self

    def books(self):
        """The raw sums as layout rows: (row, periods x period row); see ``orgsim.kernels.layout``."""
        table, length = layout.offsets(self.structure.blocks())
        period_table, period_length = layout.offsets(self.structure.period_blocks())
        row = np.zeros(length)
        periods = np.zeros((self.n_periods, period_length))
        ledger.fill(self, row, periods, table, period_table)
        return row, periods

    # ---------------------------------------------------------------- management

    def close_warmup(self) -> None:
        """Statistics start: snapshot employee time and the active population."""
        for dept in self.departments:
            dept.warm = dept.areas()
            dept.ot_warm = dept.overtime()
        for segment in self.segments:
            segment.active_at_warmup = segment.active

    def close_period(self, p: int) -> None:
        """The boundary at the end of period *p* (0-based), in the README's order."""
        tracer = self.tracer
        m = self.morale
        utilisation = {}
        shared = self.feedback_weight > 0.0 or self.scenario.policy.feedback_priority is not None
        lift = self.morale_lift + self.feedback(p) if shared else self.morale_lift
        for dept in self.departments:
            busy, blocked, available = self._record_period(dept, p)
            u = busy / available if available > 0.0 else 0.0
            b = blocked / available if available > 0.0 else 0.0
            if available > 0.0:
                utilisation[dept] = u
            before, leavers = dept.morale, 0
            if m.enabled:
                # recognition lifts the target: the formula's baseline argument, not the effects' neutral point
                dept.set_morale(
                    model.morale_next.py_func(
                        before, u, b, m.baseline + lift, m.utilisation_threshold,
                        m.load_effect, m.blocked_effect, m.adjust_rate,
                    )
                )
                leavers = self.attrition(dept)
            dept.p_morale[p] = dept.morale
            dept.p_leavers[p] = leavers
            if m.enabled and m.ramp_periods > 0:  # turnover costs speed: recent leavers' posts work slower
                recent = sum(dept.p_leavers[max(0, p - m.ramp_periods + 1):p + 1])
                dept.speed *= model.ramp_factor.py_func(recent, dept.headcount, m.newcomer_speed)
            if tracer is not None:
                tracer.period(p, dept, u, b, before, leavers)
        if self.learning_exponent > 0.0:
            self.improve()
        if self.review is not None and (p + 1) % self.review.every == 0:
            self.review_staffing(utilisation)
        for supplier in self.suppliers:
            before = supplier.factor
            mean = supplier.close_period()
            if tracer is not None and mean is not None:
                tracer.lead_time(supplier, mean, before)
        for segment in self.segments:
            segment.period_active[p] = segment.active
            if segment.population:
                joined = segment.acquire(p)
                if tracer is not None and joined:
                    tracer.acquire(segment, joined, segment.last_nps(p))
        self.closed = p + 1

    def feedback(self, p: int) -> float:
        """Shared feedback's lift of every morale target at the end of period *p*, from that period's NPS over
        every segment's ended orders (0 if none), and, with ``feedback_priority``, the queue order until the next
        boundary: external first below that NPS, else fifo.  Counted for the metrics from warm-up on."""
        rows = [segment.periods[p] for segment in self.segments]
        ended = sum(r[0] + r[1] for r in rows)
        nps = 100.0 * sum(r[4] - r[5] for r in rows) / ended if ended > 0 else 0.0
        lift = model.feedback_lift.py_func(self.feedback_weight, nps)
        level = self.scenario.policy.feedback_priority
        if level is not None:
            self.internal = 1 if nps < level else 0
        if self.env.now >= self.warmup:
            self.feedback_sum += lift
            self.feedback_count += 1
            self.feedback_first += level is not None and nps < level
        return lift

    def improve(self) -> None:
        """Continuous improvement: each service's defect rate follows its learning curve in the services
        completed so far; defect chances are recomputed at the department's morale."""
        for desk in self.desks.values():
            desk.learning = model.learning_factor.py_func(desk.completed, self.learning_scale, self.learning_exponent)
            dept = desk.dept
            desk.p_defect = model.defect_probability.py_func(desk.defect_rate * desk.learning, dept.morale,
                                                             dept.baseline, dept.defect_effect)

    def recover(self) -> None:
        """A recovery step for a detractor: internal work at the recovery desk that nobody waits for."""
        self.env.process(request_internal(self.env, self, self.desks[self.recovery.service], None, None, "recovery"))

    def queue_priority(self, work_class: int) -> int:
        """The request priority of external (0) or internal (1) work under the queue order now in force."""
        return self.internal if work_class else self.external

    def attrition(self, dept: Department) -> int:
        """Each present employee not already leaving leaves with the model's probability (a binomial draw)."""
        m = self.morale
        staying = dept.present - dept.departing
        p = model.attrition_probability.py_func(dept.morale, m.baseline, m.attrition_rate, m.attrition_effect)
        if p <= 0.0 or (staying <= 0 and dept.schedule is None):
            return 0
        if dept.schedule is not None:  # on a calendar: drawn from the filled slots, each vacated at once
            staying = dept.headcount - dept.gap
            if staying <= 0:
                return 0
        if dept.attrition is None:
            dept.attrition = self.streams.rng(f"attrition/{dept.name}")
        leavers = int(dept.attrition.binomial(staying, p))
        if dept.schedule is not None:
            if leavers:
                dept.gap += leavers
                dept.reconcile()
                self.env.process(rehire(self.env, dept, leavers, m.hiring_delay))
            return leavers
        for _ in range(leavers):
            dept.departing += 1
            self.env.process(vacancy(self.env, self, dept, m.hiring_delay))
        return leavers

    def review_staffing(self, utilisation: dict[Department, float]) -> None:
        """Periodic review: one employee moves from the least to the most utilised department of the period
        (the first in order on ties; departments nobody was present in are left out) when the gap exceeds
        the threshold and the donor keeps at least ``min_per_department`` employees (README "Policies")."""
        if len(utilisation) < 2:
            return
        donor = min(utilisation, key=utilisation.get)
        receiver = max(utilisation, key=utilisation.get)
        gap = utilisation[receiver] - utilisation[donor]
        if donor is receiver or gap <= self.review.threshold:
            return
        rostered = donor.schedule is not None  # the floor: its fewest scheduled while open, less vacant slots
        staying = donor.schedule.thinnest() - donor.gap if rostered else donor.present - donor.departing
        if staying - 1 < self.min_per_department:
            return
        if rostered:  # a permanent vacant slot now: one short whenever open, whoever goes off when next free
            donor.gap += 1
            donor.reconcile()
            self.env.process(reassign(self.env, self, donor, receiver, self.review.transfer_delay))
        else:
            donor.departing += 1
            self.env.process(transfer(self.env, self, donor, receiver, self.review.transfer_delay))
        if self.tracer is not None:
            self.tracer.review(donor, receiver, utilisation[donor], utilisation[receiver])

    def _record_period(self, dept: Department, p: int) -> tuple[float, float, float]:
        """Employee time of period *p* (up to now) into the period rows; returns busy, blocked, available."""
        areas = dept.areas()
        busy, blocked, available = (a - b for a, b in zip(areas, dept.mark))
        dept.mark = areas
        dept.p_busy[p] = busy
        dept.p_blocked[p] = blocked
        dept.p_available[p] = available
        dept.p_headcount[p] = dept.present
        overtime = dept.overtime()
        dept.p_overtime[p] = overtime - dept.ot_mark
        dept.ot_mark = overtime
        return busy, blocked, available

    def _close_last(self) -> None:
        """Close the period that holds the horizon (or *until*): no boundary update happens there."""
        p = min(self.closed, self.n_periods - 1)
        for dept in self.departments:
            self._record_period(dept, p)
            dept.p_morale[p] = dept.morale
        for segment in self.segments:
            segment.period_active[p] = segment.active


def management(env, org: Organisation, end: float):
    """The warm-up snapshot and the period boundaries before *end*, in time order (warm-up first on a tie)."""
    marks = []
    if 0.0 < org.warmup < end:
        marks.append((org.warmup, 0, -1))
    for k in range(1, org.n_periods):
        t = k * org.period
        if t < end:
            marks.append((t, 1, k - 1))
    marks.sort()
    for t, kind, p in marks:
        if t > env.now:
            yield env.timeout(t - env.now)
        if kind == 0:
            org.close_warmup()
        else:
            org.close_period(p)
