"""A narrated event trace for teaching: one plain-English record per event.

Each record is a dict with keys ``time``, ``event``, ``item``, ``segment``,
``department``, ``service`` and ``text``, the text reading like
``t=3.20  order #17 (consumers) waits for it.fix_account: IT is support's
internal supplier; 2 ahead in queue``.  Only the reference engine narrates,
and only when asked: the engine calls these hooks behind ``tracer is not
None`` tests, so a run without a trace formats nothing.
"""

from __future__ import annotations

from orgsim.scenario.calendar import clock_text

UNITS = {"hour": "h", "hours": "h", "minute": "min", "minutes": "min", "day": "d", "days": "d", "second": "s"}


def display(name: str) -> str:
    """A department's name as people say it: short names are acronyms (it -> IT, hr -> HR)."""
    return name.upper() if len(name) <= 3 and name.isalpha() else name


def _class(score: float) -> str:
    r = int(score + 0.5)
    return "promoter" if r >= 9 else ("detractor" if r <= 6 else "passive")


class Narrator:
    """Collects trace records of one replication."""

    def __init__(self, env, org, time_unit: str):
        self.env = env
        self.org = org
        self.unit = UNITS.get(time_unit, time_unit)
        self.records: list[dict] = []

    # ---------------------------------------------------------------- helpers

    def _emit(self, event: str, text: str, item=None, segment=None, department=None, service=None) -> None:
        now = self.env.now
        self.records.append(
            {
                "time": now,
                "event": event,
                "item": item,
                "segment": segment,
                "department": department,
                "service": service,
                "text": f"t={now:.2f}  {text}",
            }
        )

    def _h(self, t: float) -> str:
        return f"{t:.2f} {self.unit}"

    @staticmethod
    def _segment(item):
        root = item.root
        return root.segment.name if root is not None else None

    @staticmethod
    def _who(item) -> str:
        """'order #17 (consumers)' or 'request #4 from support for order #17'."""
        if item.root is item:
            return f"order #{item.id} ({item.segment.name})"
        whose = f" from {item.requester.name}" if item.requester is not None else ""
        cause = f" for order #{item.root.id}" if item.root is not None else ""
        return f"{item.kind} #{item.id}{whose}{cause}"

    # ---------------------------------------------------------------- journeys

    def arrive(self, order) -> None:
        first = order.segment.first.desk
        limit = f"; will wait at most {self._h(order.patience)} in queues" if order.patience is not None else ""
        self._emit(
            "arrive",
            f"{self._who(order)} arrives, first stop {first.ref}{limit}",
            order.label,
            order.segment.name,
            first.dept.name,
            first.ref,
        )

    def queue(self, item, dept, req) -> None:
        if req.triggered:
            return  # an employee was free: the start record says it
        ahead = dept.ahead(req)
        self._emit(
            "queue",
            f"{self._who(item)} queues at {dept.name}; {ahead} ahead in queue, "
            f"{dept.busy} of {dept.present} employees busy",
            item.label,
            self._segment(item),
            dept.name,
        )

    def escalate(self, item, dept, req, target: float) -> None:
        """A request under a service agreement is still queued at its target: it moves ahead of other work."""
        self._emit(
            "escalate",
            f"{self._who(item)} escalated at {dept.name}: still queued {self._h(target)} after joining (its "
            f"agreement's target); {dept.ahead(req)} ahead in queue now",
            item.label,
            self._segment(item),
            dept.name,
        )

    def start(self, item, desk, duration: float, redone: bool) -> None:
        verb = "redoes" if redone else "starts"
        self._emit(
            "start",
            f"{desk.dept.name} {verb} {desk.name} for {self._who(item)} ({self._h(duration)} of work)",
            item.label,
            self._segment(item),
            desk.dept.name,
            desk.ref,
        )

    def finish(self, item, desk, outcome: str, by) -> None:
        """*by* is the next internal customer: the next step's desk, the requesting department, or None."""
        head = f"{desk.dept.name} finishes {desk.name} for {self._who(item)}"
        by_name = None if by is None else getattr(by, "dept", by).name
        if outcome == "caught":
            text = f"{head} — defect caught by {by_name}, redone"
        elif outcome == "escaped":
            if item.root is item and by is None:
                text = f"{head} — defect escapes: no internal customer is left to catch it"
            elif item.root is item:
                text = f"{head} — defect missed by {by_name}; it escapes to the customer"
            else:
                text = f"{head} — defect missed; it marks order #{item.root.id}" if item.root is not None else f"{head} — defect missed"
        elif item.root is item:
            text = f"{head}; next {by.ref}" if by is not None else f"{head}; journey complete"
        else:
            text = head
        self._emit("finish" if outcome == "ok" else "defect", text, item.label, self._segment(item), desk.dept.name, desk.ref)

    def handoff(self, order, source, destination, delay: float) -> None:
        self._emit(
            "handoff",
            f"{self._who(order)} handed off from {source.name} to {destination.name} ({self._h(delay)})",
            order.label,
            order.segment.name,
            destination.name,
        )

    def abandon(self, order, dept) -> None:
        self._emit(
            "abandon",
            f"{self._who(order)} abandons after waiting {self._h(order.waited)} in queues"
            f"{f' ({self._h(order.opened)} while open)' if order.segment.open_clock else ''}, the last in {dept.name}'s",
            order.label,
            order.segment.name,
            dept.name,
        )

    def complete(self, order, score: float) -> None:
        sojourn = self.env.now - order.arrived
        defects = f", {order.escaped} escaped defect(s)" if order.escaped else ""
        self._emit(
            "complete",
            f"{self._who(order)} completes after {self._h(sojourn)} (waited {self._h(order.waited)}{defects}); "
            f"scores {score:.1f}, a {_class(score)}",
            order.label,
            order.segment.name,
        )

    def churn(self, segment, score: float) -> None:
        self._emit(
            "churn",
            f"customer of {segment.name} churns after scoring {score:.1f}; {segment.active} customers left",
            None,
            segment.name,
        )

    # ---------------------------------------------------------------- internal customers

    def block(self, item, dept, n: int) -> None:
        self._emit(
            "block",
            f"{dept.name}'s employee is blocked holding {self._who(item)} until its {n} request(s) are fulfilled",
            item.label,
            self._segment(item),
            dept.name,
        )

    def request(self, item, dept, need) -> None:
        if need.desk is not None:
            target = need.desk.dept
            ahead = sum(1 for r in target.staff.queue if r.key[0] <= self.org.internal)
            text = (
                f"{self._who(item)} waits for {need.desk.ref}: {display(target.name)} is {dept.name}'s "
                f"internal supplier; {ahead} ahead in queue"
            )
            service = need.desk.ref
        else:
            text = (
                f"{self._who(item)} waits for a delivery from {need.supplier.name}, {dept.name}'s external "
                f"supplier (lead time x{need.supplier.factor:.2f})"
            )
            service = None
        self._emit("request", text, item.label, self._segment(item), dept.name, service)

    def fulfilled(self, item, ref: str, requester, sent: float) -> None:
        cause = f" (order #{item.root.id})" if item.root is not None else ""
        self._emit(
            "fulfil",
            f"{ref} fulfils {requester.name}'s {item.label} after {self._h(self.env.now - sent)}{cause}",
            item.label,
            self._segment(item),
            requester.name,
            ref,
        )

    def delivered(self, supplier, requester, root, sent: float) -> None:
        cause = f" for order #{root.id}" if root is not None else ""
        invoice = f"; invoice to {supplier.paid_by.ref}" if supplier.paid_by is not None else ""
        self._emit(
            "deliver",
            f"{supplier.name} delivers to {requester.name}{cause} after {self._h(self.env.now - sent)}{invoice}",
            None,
            root.segment.name if root is not None else None,
            requester.name,
        )

    def paid(self, supplier, delay: float) -> None:
        self._emit(
            "paid",
            f"{supplier.paid_by.dept.name} pays {supplier.name}'s invoice {self._h(delay)} after it was raised",
            None,
            None,
            supplier.paid_by.dept.name,
            supplier.paid_by.ref,
        )

    # ---------------------------------------------------------------- management

    def period(self, p: int, dept, utilisation: float, blocked: float, before: float, leavers: int) -> None:
        text = f"period {p + 1} ends: {dept.name} utilisation {utilisation:.2f}"
        if blocked > 0:
            text += f", blocked {blocked:.2f}"
        if dept.morale_on:
            text += f", morale {before:.2f} → {dept.morale:.2f}"
            text += f"; {leavers} employee{'s' if leavers != 1 else ''} leave{'s' if leavers == 1 else ''}" if leavers else ""
        self._emit("period", text, None, None, dept.name)

    def shift(self, dept, was: int, arrived: int) -> None:
        """A department's scheduled headcount changed: it opens, closes, or changes shift."""
        sc = self.org.scenario
        when = clock_text(self.env.now, sc.time_unit, sc.clock.start if sc.clock else None)
        finishing = len(dept.off)
        tail = f"; {finishing} finishing a job" if finishing else ""
        if dept.sched == 0:
            text = f"{when} {dept.name} closes{tail or '; nobody on duty'}"
        elif was == 0:
            text = f"{when} {dept.name} opens, {dept.present} on duty"
        else:
            text = f"{when} {dept.name} changes shift: {dept.sched} scheduled, {dept.present - finishing} on duty{tail}"
        self._emit("shift", text, None, None, dept.name)

    def lead_time(self, supplier, mean_payment: float, before: float) -> None:
        self._emit(
            "supplier",
            f"{supplier.name} was paid in {self._h(mean_payment)} on average (terms {self._h(supplier.terms)}): "
            f"lead-time factor {before:.2f} → {supplier.factor:.2f}",
        )

    def acquire(self, segment, joined: int, nps: float) -> None:
        self._emit(
            "acquire",
            f"{segment.name} gains {joined} customer{'s' if joined != 1 else ''} by word of mouth "
            f"(last period's NPS {nps:.0f}); {segment.active} active",
            None,
            segment.name,
        )

    def review(self, donor, receiver, low: float, high: float) -> None:
        self._emit(
            "review",
            f"staffing review: one employee of {donor.name} (utilisation {low:.2f}) will move to "
            f"{receiver.name} ({high:.2f}) when next free",
            None,
            None,
            donor.name,
        )

    def transfer(self, donor, receiver, delay: float) -> None:
        if donor.schedule is None:
            text = f"an employee leaves {donor.name} for {receiver.name}, starting there in {self._h(delay)}; "
            text += f"{donor.present} present in {donor.name}"
        else:  # on a calendar the slot is vacant at once (README "Policies")
            text = (f"a slot of {donor.name} is vacant from now: an employee moves to {receiver.name}, starting "
                    f"there in {self._h(delay)}; {donor.present - len(donor.off)} on duty in {donor.name}")
        self._emit(
            "transfer",
            text,
            None,
            None,
            donor.name,
        )

    def joined(self, receiver, donor) -> None:
        self._emit(
            "join",
            f"an employee from {donor.name} starts in {receiver.name}; {receiver.present} "
            f"{'present' if receiver.schedule is None else 'on duty'}",
            None,
            None,
            receiver.name,
        )

    def leave(self, dept, hiring_delay: float) -> None:
        self._emit(
            "leave",
            f"an employee of {dept.name} leaves; the post stays vacant for {self._h(hiring_delay)}",
            None,
            None,
            dept.name,
        )

    def hire(self, dept) -> None:
        self._emit("hire", f"a new employee joins {dept.name}; {dept.present} present", None, None, dept.name)
