"""Departments: identical employees sharing one queue, and the time they spend busy, blocked and present.

A department owns its staff, a SimPy resource with one slot per employee.
Work asks for an employee with ``with dept.staff.request(priority=...) as
req:``; the priority is the work's class under the policy (external journey
work or internal requests), and *vacancies* left by leavers queue ahead of all
work, so a leaver leaves when next free.  Employee time is integrated exactly:
each change of the number of busy, blocked or present employees adds the
area since the previous change, and the organisation reads the running areas
at warm-up, at each period boundary and at the horizon.
"""

from __future__ import annotations

from bisect import insort_right

import simpy

from orgsim.kernels import model

# Request priorities: lower is served first.  Work classes use 0 and 1 (see ``classes``).
VACANCY = -1  # a leaver's (or a moved employee's) slot, taken when an employee is next free


def _key(request):
    return request.key


class StaffQueue(list):
    """Waiting requests, ordered by (priority, request time), first come first served within a priority.

    SimPy's own sorted queue re-sorts the whole list on every arrival; requests
    almost always join at the tail (FIFO, or the lower class arriving), so this
    appends in O(1) then and bisects otherwise.
    """

    maxlen = None

    def append(self, request) -> None:
        if not self or self[-1].key <= request.key:
            list.append(self, request)
        else:
            insort_right(self, request, key=_key)


class Staff(simpy.PriorityResource):
    """The employees of one department as a non-preemptive priority resource, one slot per post.

    Posts can open and close during a run (a periodic review moves employees
    between departments), and a department may have none.
    """

    PutQueue = StaffQueue

    def __init__(self, env, posts: int):
        super().__init__(env, max(1, posts))
        self._capacity = posts

    def open_post(self) -> None:
        """One more employee: waiting work may take them at once."""
        self._capacity += 1
        self._trigger_put(None)

    def close_post(self, request) -> None:
        """The slot held by *request* (a departing employee's vacancy) is gone for good."""
        self.users.remove(request)
        self._capacity -= 1


def classes(priority: str) -> tuple[int, int]:
    """Request priorities of (external, internal) work under a policy's queue order."""
    if priority == "external_first":
        return 0, 1
    if priority == "internal_first":
        return 1, 0
    return 0, 0


class Department:
    """Employees, their queue, their morale and their time accounting.

    *headcount* comes from the policy's allocation; *warmup* is the time from
    which visits are counted.  Time is in the scenario's unit.
    """

    def __init__(
        self, env, name: str, index: int, headcount: int, skill: float, warmup: float, morale, n_periods: int,
        schedule=None,
    ):
        self.env = env
        self.name = name
        self.index = index
        self.headcount = headcount
        self.skill = skill
        self.warmup = warmup
        # on a calendar or in shifts: the scheduled headcount (orgsim.scenario.shifts), vacant slots, and the
        # pending off-duty departures (requests queued ahead of all work)
        self.schedule = schedule
        self.clock = schedule.open_clock() if schedule is not None else None  # open while someone is scheduled
        self.sched = int(schedule.heads[0]) if schedule is not None else headcount
        self.gap = 0
        self.off: list = []
        on_duty = self.sched
        self.staff = Staff(env, on_duty)
        self.desks: list[Desk] = []
        # time accounting: counts of employees, and their areas since t = 0
        self.present = on_duty
        self.ot_area = 0.0  # overtime: pending off-duty departures, integrated
        self.ot_mark = 0.0
        self.ot_warm = 0.0 if warmup <= 0.0 else None
        self.p_overtime = [0.0] * n_periods
        self.busy = 0
        self.blocked = 0
        self.last = 0.0
        self.busy_area = 0.0
        self.blocked_area = 0.0
        self.present_area = 0.0
        self.mark = (0.0, 0.0, 0.0)  # areas at the last period boundary
        self.warm = (0.0, 0.0, 0.0) if warmup <= 0.0 else None  # areas at warm-up (None: not reached yet)
        # statistics after warm-up
        self.wait_sum = 0.0
        self.visits = 0
        # per period, warm-up included (closed by the organisation's management)
        self.p_busy = [0.0] * n_periods
        self.p_blocked = [0.0] * n_periods
        self.p_available = [0.0] * n_periods
        self.p_morale = [0.0] * n_periods
        self.p_headcount = [0.0] * n_periods
        self.p_leavers = [0] * n_periods  # drawn at the period's closing boundary
        self.p_done = [0] * n_periods  # services completed for the first time (redos left out)
        self.done = 0  # the same, after warm-up
        # staff turnover
        self.departing = 0  # leavers and moved employees still here: their vacancy is queued
        self.attrition = None  # the attrition/<dept> generator, made when first needed
        # morale (constant at baseline when switched off)
        self.morale_on = morale.enabled
        self.baseline = morale.baseline
        self.morale = morale.start if morale.enabled else morale.baseline
        self.productivity_effect = morale.productivity_effect
        self.defect_effect = morale.defect_effect
        self.speed = 1.0

    # ---------------------------------------------------------------- time accounting

    def _advance(self) -> None:
        """Add the employee-time areas since the last change."""
        now = self.env.now
        dt = now - self.last
        if dt > 0.0:
            self.busy_area += self.busy * dt
            self.blocked_area += self.blocked * dt
            self.present_area += self.present * dt
            self.ot_area += len(self.off) * dt
            self.last = now

    def areas(self) -> tuple[float, float, float]:
        """Employee time busy (blocked included), blocked and present over [0, now]."""
        self._advance()
        return self.busy_area, self.blocked_area, self.present_area

    def seize(self, waited: float) -> None:
        """An employee takes up work after it waited *waited* in the queue."""
        self._advance()
        self.busy += 1
        if self.env.now >= self.warmup:
            self.wait_sum += waited
            self.visits += 1

    def free(self) -> None:
        """An employee puts work down."""
        self._advance()
        self.busy -= 1

    def block(self) -> None:
        """The employee holding an item now waits on its requests."""
        self._advance()
        self.blocked += 1

    def unblock(self) -> None:
        self._advance()
        self.blocked -= 1

    def leave(self) -> None:
        """A departing employee's vacancy takes their slot as they become free: one employee fewer present."""
        self._advance()
        self.present -= 1
        self.departing -= 1

    def hire(self) -> None:
        """A replacement arrives in the slot its vacancy held (released as the vacancy ends)."""
        self._advance()
        self.present += 1

    def join(self) -> None:
        """An employee moved here by a review starts: a new post, or on a calendar an extra slot (on duty if open)."""
        if self.schedule is not None:
            self.gap -= 1
            self.reconcile()
            return
        self._advance()
        self.present += 1
        self.staff.open_post()

    def overtime(self) -> float:
        """Overtime over [0, now]: employee time of pending off-duty departures."""
        self._advance()
        return self.ot_area

    # ---------------------------------------------------------------- on a calendar (README "Working time")

    def reconcile(self) -> int:
        """Bring the staff on duty to the target: the scheduled headcount less vacant slots (0 while closed).

        A drop sends idle employees off at once and queues an off-duty departure
        (ahead of all work) for each busy one; a rise first cancels pending
        departures, then opens posts for arrivals.  Returns the change in
        employees on duty now (for narration).
        """
        self._advance()
        want = max(0, self.sched - self.gap) if self.sched > 0 else 0
        staying = self.present - len(self.off)
        if want < staying:
            drop = staying - want
            idle = min(drop, self.staff.capacity - len(self.staff.users))
            self.staff._capacity -= idle
            self.present -= idle
            for _ in range(drop - idle):
                req = self.staff.request(priority=VACANCY)
                self.off.append(req)
                req.callbacks.append(self._gone)
            return -idle
        rise = want - staying
        for req in [r for r in reversed(self.off) if not r.triggered][:rise]:  # they stay on
            req.cancel()
            self.off.remove(req)
            rise -= 1
        for _ in range(rise):
            self.present += 1
            self.staff.open_post()
        return rise

    def _gone(self, req) -> None:
        """A busy employee past the schedule finished the job in hand and goes off duty."""
        self._advance()
        self.off.remove(req)
        self.staff.close_post(req)
        self.present -= 1

    def ahead(self, request) -> int:
        """Requests queued ahead of *request* (for narration)."""
        queue = self.staff.queue
        return queue.index(request) if request in queue else 0

    # ---------------------------------------------------------------- morale

    def set_morale(self, m: float) -> None:
        """Move morale to *m* and rescale work speed and defect chances (model formulas)."""
        self.morale = m
        if self.morale_on:
            self.speed = model.speed_factor.py_func(m, self.baseline, self.productivity_effect)
        for desk in self.desks:
            desk.p_defect = model.defect_probability.py_func(desk.defect_rate * desk.learning, m, self.baseline,
                                                             self.defect_effect)


class Desk:
    """One service of a department as it runs: its work-time draws, defects and needs."""

    def __init__(self, ref: str, dept: Department, spec, streams):
        self.ref = ref
        self.name = ref.split(".")[1]
        self.dept = dept
        self.work = streams.of(f"service/{ref}", spec.time, 1.0 / dept.skill)  # work time at skill, before morale
        self.defect_rate = spec.defect_rate
        self.detection = spec.detection
        self.p_defect = 0.0
        self.completed = 0  # services completed from t = 0 (continuous improvement's learning curve)
        self.learning = 1.0  # defect-rate factor of continuous improvement (1: none)
        self.defects = streams.uniform(f"defects/{ref}")
        self.detections = streams.uniform(f"detection/{ref}")
        self.needs: list[Need] = []  # linked by the organisation once every desk exists
        self.fires = streams.uniform(f"needs/{ref}") if spec.needs else None
        dept.desks.append(self)

    def fire_needs(self) -> list[Need]:
        """The needs that fire on this visit, each independently with its probability."""
        u = self.fires
        return [need for need in self.needs if u() < need.probability]

    def defective(self, p_defect: float) -> bool:
        """Whether a completed service is defective."""
        return p_defect > 0.0 and self.defects() < p_defect

    def caught(self) -> bool:
        """Whether the next internal customer catches a defect."""
        return self.detections() < self.detection


class Need:
    """A need of a desk, linked to its target: another desk, or an external supplier."""

    __slots__ = ("probability", "hold", "desk", "supplier", "target", "target_name")

    def __init__(self, probability: float, hold: bool, desk, supplier, target: int, target_name: str):
        self.probability = probability
        self.hold = hold
        self.desk = desk  # Desk, or None for a supplier
        self.supplier = supplier  # runtime Supplier, or None
        self.target = target  # index among the structure's targets
        self.target_name = target_name
