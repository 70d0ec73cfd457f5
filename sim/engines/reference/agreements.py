"""Internal service agreements in the reference engine: a late request is escalated, and each is counted once.

A request a department sends a supplier department under an agreement waits in the supplier's queue for at most
its target; still waiting then, its staff request takes the priority ``ESCALATED`` (after vacancies, before both
classes of work) and its place among the escalated by the time it escalated: first escalated, first served.  It is
a hit when it starts before escalating, a miss when it escalates.  Rules: README "Model", "Internal service
agreements".
"""

from __future__ import annotations

ESCALATED = -0.5  # request priority of escalated requests: after vacancies (-1), before both work classes (0, 1)


class Agreements:
    """The agreements of one replication, by (customer, supplier) department index, and their raw sums."""

    def __init__(self, env, pairs, departments, warmup: float, period: float, n_periods: int):
        self.env = env
        index = {d.name: d.index for d in departments}
        self.of = {(index[c], index[s]): (a, float(t)) for a, (c, s, t) in enumerate(pairs)}
        n = len(pairs)
        self.warmup, self.period, self.n_periods = warmup, period, n_periods
        # after warm-up, and per period: hits, misses (escalations), queue waits and starts per agreement
        self.sums = {name: [0.0] * n for name in ("hits", "misses", "wait_sum", "started")}
        self.periods = {name: [[0.0] * n for _ in range(n_periods)] for name in self.sums}

    def covering(self, item, dept):
        """(agreement, target) of a request *item* sent by a department to *dept*, or None."""
        requester = getattr(item, "requester", None)
        if requester is None or item.kind != "request":
            return None
        return self.of.get((requester.index, dept.index))

    def _count(self, name: str, a: int, x: float) -> None:
        now = self.env.now
        if now >= self.warmup:
            self.sums[name][a] += x
        self.periods[name][min(int(now / self.period), self.n_periods - 1)][a] += x

    def wait(self, item, dept, req, agreement, tracer):
        """Wait for an employee of *dept* under *agreement*: escalate the request *item* at its target (narrated
        when *tracer* is not None); count it."""
        a, target = agreement
        escalated = False
        if not req.triggered:
            if target > 0.0:
                yield req | self.env.timeout(target)
            if not req.triggered:
                escalated = True
                queue = dept.staff.put_queue
                queue.remove(req)
                req.key = (ESCALATED, self.env.now, req.key[2])
                queue.append(req)  # (ordered by key: after those escalated earlier)
                self._count("misses", a, 1.0)
                if tracer is not None:
                    tracer.escalate(item, dept, req, target)
                yield req
        if not escalated:
            self._count("hits", a, 1.0)

    def started(self, agreement, waited: float) -> None:
        """The request under *agreement* took an employee after waiting *waited*."""
        self._count("wait_sum", agreement[0], waited)
        self._count("started", agreement[0], 1.0)
