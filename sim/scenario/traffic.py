"""Traffic equations: the long-run rate of work at every service and the offered load of every department.

Solved exactly from the scenario, without simulating: journeys are Markov
chains over their steps; every demand at a service fires its needs once;
deliveries from a supplier raise invoices at its `paid_by` service; caught
defects are redone.  The stability check, the allocation policies and the
summaries read these numbers.

Orders of a segment with patience can leave a queue, so a department they
overload still has a steady state (Erlang A); internal work and orders
without patience cannot.  Their part of each load is kept apart (``captive``)
for the stability check, counted as if no order abandoned (an upper bound).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orgsim.scenario.calendar import long_run_rate
from orgsim.scenario.schema import Scenario, mean_of


@dataclass(frozen=True)
class Traffic:
    """Rates per time unit; loads in employees (erlangs)."""

    demand: dict[str, float]  # arrivals of work at each service (needs fire once per demand)
    executions: dict[str, float]  # services performed, rework included
    load: dict[str, float]  # offered load per department: busy time plus a lower bound of blocked time
    supplier_rates: dict[str, float]  # delivery requests per supplier
    captive: dict[str, float]  # the part of `load` that cannot leave: internal work, orders without patience

    def utilisation(self, headcount: dict[str, int], captive: bool = False) -> dict[str, float]:
        """Offered load (or its *captive* part) per employee for an allocation (inf when a loaded department
        has nobody)."""
        load = self.captive if captive else self.load
        return {d: (load[d] / h if h > 0 else (np.inf if load[d] > 0 else 0.0)) for d, h in headcount.items()}


def arrival_rate(segment, scenario: Scenario) -> float:
    """Orders per time unit at t=0: the open rate, or population x rate per customer; a rate that varies in time
    counts by its long-run average (``calendar.long_run_rate``: the week's, times seasonality's over the horizon;
    with dated changes, the average over the horizon)."""
    arr = segment.arrivals
    rate = arr.per_order_rate
    if arr.varies:
        start = scenario.clock.start if scenario.clock else None
        rate = long_run_rate(rate, scenario.time_unit, scenario.horizon, start, arr.seasonality, arr.dated())
    return rate if hasattr(arr, "rate") else arr.population * rate


DENSE_SIZE = 200  # journeys and service sets up to this size are solved densely (the results every golden file pins)


def routing_matrix(segment) -> tuple[list[str], np.ndarray]:
    """The journey's steps and its routing matrix Q (Q[i, j]: chance of moving from step i to step j)."""
    steps = [s.service for s in segment.journey]
    n = len(steps)
    q = np.zeros((n, n))
    for k, step in enumerate(segment.journey):
        if step.next is None:
            if k + 1 < n:
                q[k, k + 1] = 1.0
        else:
            for target, p in step.next.items():
                q[k, steps.index(target)] += p
    return steps, q


def journey_visits(segment) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Expected visits per order to each step, and the probability of moving on after it.

    The journey is a Markov chain over its steps: visits = e0 (I - Q)^-1.
    """
    if len(segment.journey) > DENSE_SIZE:
        return _sparse_visits(segment)
    steps, q = routing_matrix(segment)
    e0 = np.zeros(len(steps))
    e0[0] = 1.0
    visits = np.linalg.solve((np.eye(len(steps)) - q).T, e0)
    return steps, visits, q.sum(axis=1)


def _sparse_visits(segment) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``journey_visits`` for a long journey: the routing matrix has a few entries per step, so a sparse solve
    takes time and memory linear in the steps (a dense one grows with their square and cube)."""
    from scipy.sparse import csc_matrix, identity
    from scipy.sparse.linalg import spsolve

    steps = [s.service for s in segment.journey]
    n = len(steps)
    first: dict[str, int] = {}
    for k, ref in enumerate(steps):
        first.setdefault(ref, k)
    rows, cols, probs = [], [], []
    for k, step in enumerate(segment.journey):
        if step.next is None:
            if k + 1 < n:
                rows.append(k), cols.append(k + 1), probs.append(1.0)
        else:
            for target, p in step.next.items():
                rows.append(k), cols.append(first[target]), probs.append(p)
    q = csc_matrix((probs, (rows, cols)), shape=(n, n))  # repeated (row, col) entries are summed, as `+=` does
    e0 = np.zeros(n)
    e0[0] = 1.0
    visits = np.atleast_1d(spsolve((identity(n, format="csc") - q).T.tocsc(), e0))
    return steps, visits, np.asarray(q.sum(axis=1)).ravel()


def morale_speed(scenario: Scenario) -> float:
    """Productivity factor at the initial morale (1 when morale is off)."""
    m = scenario.morale
    if not m.enabled:
        return 1.0
    return max(0.1, 1.0 + m.productivity_effect * (m.start - m.baseline))


def meeting_share(scenario: Scenario) -> float:
    """Share of working time communication puts into meetings, from the budget the scenario will run with."""
    policy = scenario.policy
    if policy.investments.communication == 0:
        return 0.0
    budget = policy.budget
    if budget is None:  # (as orgsim.scenario.budget.budget_of, which imports this module)
        budget = sum(d.headcount for d in scenario.departments.values()) + policy.investments.total
    return policy.model_copy(update={"budget": budget}).meeting_share


def clarity_factor(scenario: Scenario) -> float:
    """Role clarity's factor on the work time of sub-requests, from the budget the scenario will run with."""
    policy = scenario.policy
    if policy.investments.role_clarity == 0:
        return 1.0
    budget = policy.budget
    if budget is None:
        budget = sum(d.headcount for d in scenario.departments.values()) + policy.investments.total
    return policy.model_copy(update={"budget": budget}).clarity_factor


def solve(scenario: Scenario, rates: dict[str, float] | None = None) -> Traffic:
    """Solve the traffic equations of a validated scenario (needs and invoices must form a DAG).

    *rates* (segment -> orders per time unit, every segment) replaces the segments' own long-run rates: the
    equations are linear in them, so one segment at rate 1 gives its load per unit of demand.
    """
    refs = scenario.service_refs()
    index = {r: i for i, r in enumerate(refs)}
    n = len(refs)
    journey_demand, journey_exec = np.zeros(n), np.zeros(n)
    captive_demand, captive_exec = np.zeros(n), np.zeros(n)  # the part from segments without patience
    for name, seg in scenario.segments.items():
        rate = arrival_rate(seg, scenario) if rates is None else rates[name]
        steps, visits, cont = journey_visits(seg)
        for ref, v, c in zip(steps, visits, cont):
            svc = scenario.service(ref)
            caught = svc.defect_rate * svc.detection
            # a defect is caught only when the item moves on to another internal customer
            demand, execs = rate * v, rate * v * (c / (1.0 - caught) + (1.0 - c))
            journey_demand[index[ref]] += demand
            journey_exec[index[ref]] += execs
            if seg.patience is None:
                captive_demand[index[ref]] += demand
                captive_exec[index[ref]] += execs

    # demand = journey + M demand, M[target, source] = probability of the need (invoices included)
    rows, cols, probs = [], [], []
    invoices = []  # (paid_by service, requesting service, probability): the invoice part of internal demand
    supplier_of = np.zeros((len(scenario.suppliers), n))
    suppliers = list(scenario.suppliers)
    for ref in refs:
        for need in scenario.service(ref).needs:
            if need.service is not None:
                rows.append(index[need.service]), cols.append(index[ref]), probs.append(need.probability)
            else:
                supplier_of[suppliers.index(need.supplier), index[ref]] += need.probability
                paid_by = scenario.suppliers[need.supplier].paid_by
                if paid_by is not None:
                    rows.append(index[paid_by]), cols.append(index[ref]), probs.append(need.probability)
                    invoices.append((index[paid_by], index[ref], need.probability))
    if n <= DENSE_SIZE:
        m = np.zeros((n, n))
        for r, c, p in zip(rows, cols, probs):
            m[r, c] += p
        demand = np.linalg.solve(np.eye(n) - m, journey_demand)
    else:  # many services: a sparse solve, linear in services and needs
        from scipy.sparse import csc_matrix, identity
        from scipy.sparse.linalg import spsolve

        m = csc_matrix((probs, (rows, cols)), shape=(n, n))
        demand = np.atleast_1d(spsolve((identity(n, format="csc") - m).tocsc(), journey_demand))
    internal = demand - journey_demand
    internal_exec = np.zeros(n)
    for ref, i in index.items():
        svc = scenario.service(ref)
        internal_exec[i] = internal[i] / (1.0 - svc.defect_rate * svc.detection)
    executions = journey_exec + internal_exec
    internal_work = internal_exec  # role clarity shortens the work of sub-requests (internal demand not invoices)
    clarity = clarity_factor(scenario)
    if clarity < 1.0:
        invoiced = np.zeros(n)
        for r, c, p in invoices:
            invoiced[r] += p * demand[c]
        internal_work = internal_exec * (invoiced + clarity * (internal - invoiced)) / np.where(internal > 0.0,
                                                                                               internal, 1.0)

    speed = morale_speed(scenario) * (1.0 - meeting_share(scenario))  # meetings take that share of working time
    load = {d: 0.0 for d in scenario.departments}
    captive = dict(load)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # an overflowing load is inf: reported as unstable
        _add_loads(scenario, index, journey_exec + internal_work, demand, speed, load)
        _add_loads(scenario, index, captive_exec + internal_work, captive_demand + internal, speed, captive)
    return Traffic(
        demand={r: float(demand[i]) for r, i in index.items()},
        executions={r: float(executions[i]) for r, i in index.items()},
        load=load,
        supplier_rates={s: float(x) for s, x in zip(suppliers, supplier_of @ demand)},
        captive=captive,
    )


def _add_loads(scenario: Scenario, index: dict, executions: np.ndarray, demand: np.ndarray, speed: float, load: dict) -> None:
    """Add each service's offered load (work, and blocked time of held needs) to its department's."""
    for ref, i in index.items():
        dname = ref.split(".")[0]
        svc = scenario.service(ref)
        load[dname] += float(executions[i] * mean_of(svc.time) / (scenario.departments[dname].skill * speed))
        held = [need for need in svc.needs if need.hold]
        if held:
            # blocked time is at least the longest expected response among held needs, queueing not counted
            load[dname] += demand[i] * max(need.probability * _response_floor(scenario, need) for need in held)


def _response_floor(scenario: Scenario, need) -> float:
    """Least expected response to a need: the supplier's lead time, or the service's own work time."""
    if need.supplier is not None:
        return mean_of(scenario.suppliers[need.supplier].lead_time)
    dname = need.service.split(".")[0]
    return mean_of(scenario.service(need.service).time) / scenario.departments[dname].skill
