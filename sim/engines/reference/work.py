"""The work itself: SimPy processes, written as generator functions with domain verbs.

``journey`` takes an external order through its steps; at each step the order
``visit``\\ s a desk: its needs fire (``request_all`` sends them, each a
``request_internal`` to another department or an ``order_supply`` from an
external supplier), it ``queue``\\ s for an employee (and may ``abandon``),
is ``serve``\\ d, and defective work caught by the next internal customer is
``redo``\\ ne.  Between departments the order is ``hand_off``\\ ed.  Every
delivery raises an invoice that the supplier's ``paid_by`` desk pays
(``pay_invoice``).  Leavers' slots are ``vacancy`` processes; employees moved
by a periodic review are ``transfer`` processes.

Times are in the scenario's unit.  The tracer is None unless a narrated trace
was asked for, so the plain path pays one ``is not None`` test per hook.
"""

from __future__ import annotations

import math

from orgsim.kernels import model, opentime

from .departments import VACANCY

training_factor = model.training_factor.py_func
advance = opentime.advance.py_func
elapsed = opentime.elapsed.py_func


def open_advance(clock, t: float, x: float) -> float:
    """The moment open time *x* has passed since *t* on *clock* (a Profile; inf: not before the horizon)."""
    return advance(t, x, 0, len(clock.breaks), clock.breaks, clock.rates, clock.cumulative)


def open_elapsed(clock, a: float, b: float) -> float:
    """Open time over [a, b] on *clock* (None: always open)."""
    if clock is None:
        return b - a
    return elapsed(a, b, 0, len(clock.breaks), clock.breaks, clock.rates, clock.cumulative)


class Request:
    """Internal work: a sub-request from a department, or an invoice to pay.  It never abandons."""

    __slots__ = ("id", "kind", "root", "requester", "waited")
    patience = None  # internal customers have no choice

    def __init__(self, id: int, kind: str, root, requester):
        self.id = id
        self.kind = kind  # "request" or "invoice"
        self.root = root  # the external order it is for (marked by its escaped defects); None for invoices
        self.requester = requester  # requesting Department, None for an invoice
        self.waited = 0.0

    @property
    def label(self) -> str:
        return f"{self.kind} #{self.id}"


# ------------------------------------------------------------------------- external orders


# work classes; a request's priority is the class's under the queue order when it queues (shared feedback can
# change the order between boundaries: Organisation.queue_priority)
EXTERNAL, INTERNAL = 0, 1


def journey(env, org, order):
    """An external order's way through its segment's steps, to completion or abandonment."""
    segment = order.segment
    step = segment.first
    prio = EXTERNAL
    while True:
        desk = step.desk
        defective = yield from visit(env, org, order, desk, prio)
        if defective is None:
            return  # abandoned in a queue
        after = step.route()
        while defective:
            # the next step is the next internal customer; after the last one the defect escapes
            if after is not None and desk.caught():
                if org.tracer is not None:
                    org.tracer.finish(order, desk, "caught", after.desk)
                defective = yield from redo(env, org, order, desk, prio)
                if defective is None:
                    return
            else:
                order.escaped += 1
                if org.tracer is not None:
                    org.tracer.finish(order, desk, "escaped", after.desk if after is not None else None)
                break
        else:
            if org.tracer is not None:
                org.tracer.finish(order, desk, "ok", after.desk if after is not None else None)
        if after is None:
            score = segment.complete(order)
            if org.events is not None:
                org.events.complete(order, env.now)
            if org.tracer is not None:
                org.tracer.complete(order, score)
            return
        if org.handoff is not None and after.desk.dept is not desk.dept:
            yield from hand_off(env, org, order, desk.dept, after.desk.dept)
        step = after


def hand_off(env, org, order, source, destination):
    """Work moves to another department: a handoff delay."""
    delay = org.handoff()
    if org.tracer is not None:
        org.tracer.handoff(order, source, destination, delay)
    yield env.timeout(delay)


def abandon(env, org, order, dept, since: float):
    """The order's patience is spent: it leaves the organisation (its request is withdrawn as the
    ``with`` block around it closes: SimPy's ``req.cancel()``)."""
    order.waited += env.now - since
    if order.segment.open_clock:
        order.opened += open_elapsed(dept.clock, since, env.now)
    order.segment.abandon(order)
    if org.tracer is not None:
        org.tracer.abandon(order, dept)


# ------------------------------------------------------------------------- one desk


def visit(env, org, item, desk, prio):
    """*item* at *desk*: fire needs, queue, be served.  Whether the work is defective; None if it abandoned."""
    dept = desk.dept
    enabled = env.now
    if desk.fires is not None:
        fired = desk.fire_needs()
        if fired:
            for need in fired:
                if need.hold:
                    return (yield from serve_holding(env, org, item, desk, prio, fired, enabled))
            # wait (in no queue) for every request, then queue
            yield from request_all(env, org, item, desk, fired)
    with dept.staff.request(priority=org.queue_priority(prio)) as req:
        if not (yield from queue(env, org, item, dept, req)):
            return None
        return (yield from serve(env, org, item, desk, enabled=enabled))


def serve_holding(env, org, item, desk, prio, fired, enabled: float):
    """A held need: take an employee first, keep them blocked while the requests are out, then serve."""
    dept = desk.dept
    with dept.staff.request(priority=org.queue_priority(prio)) as req:
        if not (yield from queue(env, org, item, dept, req)):
            return None
        dept.block()
        if org.tracer is not None:
            org.tracer.block(item, dept, len(fired))
        yield from request_all(env, org, item, desk, fired)
        dept.unblock()
        return (yield from serve(env, org, item, desk, enabled=enabled))


def queue(env, org, item, dept, req, first: bool = True):
    """Wait in the department's queue for an employee; False if the order's patience runs out first.

    A request's *first* visit may be under a service agreement, which escalates it at its target."""
    since = env.now
    if org.tracer is not None:
        org.tracer.queue(item, dept, req)
    patience = item.patience
    on_open = patience is not None and item.segment.open_clock  # patience counts queue time only while open
    clock = dept.clock
    agreement = org.agreements.covering(item, dept) if first and org.agreements is not None else None
    if agreement is not None:
        yield from org.agreements.wait(item, dept, req, agreement, org.tracer)
    elif not req.triggered:
        if patience is None:
            yield req
        else:
            left = max(0.0, patience - (item.opened if on_open else item.waited))
            if on_open and clock is not None:  # the calendar is known: so is the moment patience runs out
                left = open_advance(clock, since, left) - since
            yield (req | env.timeout(left)) if left < math.inf else req
            if not req.triggered:
                abandon(env, org, item, dept, since)
                return False
    waited = env.now - since
    item.waited += waited
    if on_open:
        item.opened += open_elapsed(clock, since, env.now)
    dept.seize(waited)
    if agreement is not None:
        org.agreements.started(agreement, waited)
    return True


def serve(env, org, item, desk, redone: bool = False, enabled: float = 0.0):
    """An employee works on *item*: work time / (skill x speed(morale) x training), all at the start.

    Returns whether the work came out defective (at the morale of the start).  *enabled* is when the
    work reached the desk, for the event log.
    """
    dept = desk.dept
    p_defect = desk.p_defect
    speed = dept.speed
    if org.training_share > 0.0:
        speed *= training_factor(env.now, org.training_share, org.training_effect, org.training_lag)
    work = desk.work()
    if org.clarity < 1.0 and isinstance(item, Request) and item.kind == "request":  # role clarity
        work *= org.clarity
    duration = work / speed
    if org.tracer is not None:
        org.tracer.start(item, desk, duration, redone)
    events = org.events
    if events is not None:
        start, employee = env.now, events.take(dept.name)
    yield env.timeout(duration)
    dept.free()
    if events is not None:
        events.record(item, desk, enabled, start, env.now, employee)
    desk.completed += 1
    if env.now >= org.warmup:
        org.services_completed += 1
        if redone:
            org.services_redone += 1
        else:
            dept.done += 1
    if not redone:
        dept.p_done[min(int(env.now / org.period), org.n_periods - 1)] += 1
    return desk.defective(p_defect)


def redo(env, org, item, desk, prio):
    """Defective work caught downstream queues again at the same desk; needs are not fired again."""
    dept = desk.dept
    enabled = env.now
    with dept.staff.request(priority=org.queue_priority(prio)) as req:
        if not (yield from queue(env, org, item, dept, req, first=False)):
            return None
        return (yield from serve(env, org, item, desk, True, enabled))


# ------------------------------------------------------------------------- internal customers


def request_all(env, org, item, desk, fired):
    """Send every fired need at once and wait until all are fulfilled (fork-join)."""
    dept = desk.dept
    root = item.root
    pending = []
    for need in fired:
        if need.desk is not None:
            pending.append(env.process(request_internal(env, org, need.desk, dept, root)))
        else:
            pending.append(env.process(order_supply(env, org, need.supplier, dept, root)))
        if org.tracer is not None:
            org.tracer.request(item, dept, need)
    yield pending[0] if len(pending) == 1 else env.all_of(pending)


def request_internal(env, org, desk, requester, root, kind: str = "request"):
    """Internal work at *desk*, with needs of its own; the requester catches its defects."""
    sent = env.now
    org.requests += 1
    item = Request(org.requests, kind, root, requester)
    prio = INTERNAL
    defective = yield from visit(env, org, item, desk, prio)
    while defective:
        if desk.caught():
            if org.tracer is not None:
                org.tracer.finish(item, desk, "caught", requester)
            defective = yield from redo(env, org, item, desk, prio)
        else:
            if root is not None:
                root.escaped += 1  # a sub-request's defect marks the order that caused it
            if org.tracer is not None:
                org.tracer.finish(item, desk, "escaped", requester)
            break
    else:
        if org.tracer is not None:
            org.tracer.finish(item, desk, "ok", requester)
    if requester is not None:
        org.responded(requester, desk.dept.index, sent)
        if org.tracer is not None:
            org.tracer.fulfilled(item, desk.ref, requester, sent)


def order_supply(env, org, supplier, requester, root):
    """A delivery from an external supplier after lead time x its current factor; it raises an invoice."""
    sent = env.now
    lead = supplier.lead() * supplier.factor
    if supplier.clock is None:
        yield env.timeout(lead)
    else:  # on a calendar: the lead time counts open time only
        until = open_advance(supplier.clock, sent, lead)
        yield env.timeout(until - sent) if until < math.inf else env.event()
    org.responded(requester, supplier.target, sent)
    if org.tracer is not None:
        org.tracer.delivered(supplier, requester, root, sent)
    if supplier.paid_by is not None:
        env.process(pay_invoice(env, org, supplier))


def pay_invoice(env, org, supplier):
    """An invoice: internal work at the supplier's `paid_by` desk that nobody waits for.

    It is work for no external order, so its escaped defects mark none.
    """
    raised = env.now
    yield from request_internal(env, org, supplier.paid_by, None, None, "invoice")
    supplier.paid(env.now - raised, env.now >= org.warmup)
    if org.tracer is not None:
        org.tracer.paid(supplier, env.now - raised)


# ------------------------------------------------------------------------- staff turnover


def vacancy(env, org, dept, hiring_delay: float):
    """A leaver's slot: taken when an employee is next free (ahead of all work), filled hiring_delay later."""
    with dept.staff.request(priority=VACANCY) as req:
        yield req
        dept.leave()
        if org.tracer is not None:
            org.tracer.leave(dept, hiring_delay)
        yield env.timeout(hiring_delay)
        dept.hire()
        if org.tracer is not None:
            org.tracer.hire(dept)


def transfer(env, org, donor, receiver, delay: float):
    """A review moves one employee: they leave *donor* when next free (the post closes) and start in
    *receiver* *delay* later (a new post there)."""
    req = donor.staff.request(priority=VACANCY)
    yield req
    donor.staff.close_post(req)
    donor.leave()
    yield from reassign(env, org, donor, receiver, delay)


def reassign(env, org, donor, receiver, delay: float):
    """A review's mover, out of *donor* (on a calendar: their slot is vacant from the review, the
    department already sent someone off or will at its next opening; otherwise ``transfer`` has seen them
    leave), starts in *receiver* *delay* later."""
    if org.tracer is not None:
        org.tracer.transfer(donor, receiver, delay)
    yield env.timeout(delay)
    receiver.join()
    if org.tracer is not None:
        org.tracer.joined(receiver, donor)


def roster(env, org, dept):
    """A department on a calendar: its scheduled headcount changes at each breakpoint (README "Working time")."""
    sched = dept.schedule
    for t, heads in zip(sched.breaks[1:], sched.heads[1:]):
        yield env.timeout(float(t) - env.now)
        was = dept.sched
        dept.sched = int(heads)
        now_on = dept.reconcile()
        if org.tracer is not None:
            org.tracer.shift(dept, was, now_on)


def rehire(env, dept, count: int, hiring_delay: float):
    """Replacements for *count* leavers of a department on a calendar fill their slots hiring_delay later."""
    yield env.timeout(hiring_delay)
    dept.gap -= count
    dept.reconcile()
