"""Traffic equations: the long-run rate of work at every service and the offered load of every department.

Solved exactly from the scenario, without simulating: journeys are Markov
chains over their steps; every demand at a service fires its needs once;
deliveries from a supplier raise invoices at its `paid_by` service; caught
defects are redone.  The stability check, the allocation policies and the
summaries read these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orgsim.scenario.schema import Scenario, mean_of


@dataclass(frozen=True)
class Traffic:
    """Rates per time unit; loads in employees (erlangs)."""

    demand: dict[str, float]  # arrivals of work at each service (needs fire once per demand)
    executions: dict[str, float]  # services performed, rework included
    load: dict[str, float]  # offered load per department: busy time plus a lower bound of blocked time
    supplier_rates: dict[str, float]  # delivery requests per supplier

    def utilisation(self, headcount: dict[str, int]) -> dict[str, float]:
        """Offered load per employee for a given allocation (inf when a loaded department has nobody)."""
        return {
            d: (self.load[d] / h if h > 0 else (np.inf if self.load[d] > 0 else 0.0))
            for d, h in headcount.items()
        }


def arrival_rate(segment) -> float:
    """Orders per time unit at t=0: the open rate, or population x rate per customer."""
    arr = segment.arrivals
    return arr.rate if hasattr(arr, "rate") else arr.population * arr.rate_per_customer


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
    steps, q = routing_matrix(segment)
    e0 = np.zeros(len(steps))
    e0[0] = 1.0
    visits = np.linalg.solve((np.eye(len(steps)) - q).T, e0)
    return steps, visits, q.sum(axis=1)


def morale_speed(scenario: Scenario) -> float:
    """Productivity factor at the initial morale (1 when morale is off)."""
    m = scenario.morale
    if not m.enabled:
        return 1.0
    return max(0.1, 1.0 + m.productivity_effect * (m.start - m.baseline))


def solve(scenario: Scenario) -> Traffic:
    """Solve the traffic equations of a validated scenario (needs and invoices must form a DAG)."""
    refs = scenario.service_refs()
    index = {r: i for i, r in enumerate(refs)}
    n = len(refs)
    journey_demand = np.zeros(n)
    journey_exec = np.zeros(n)
    for seg in scenario.segments.values():
        rate = arrival_rate(seg)
        steps, visits, cont = journey_visits(seg)
        for ref, v, c in zip(steps, visits, cont):
            svc = scenario.service(ref)
            caught = svc.defect_rate * svc.detection
            journey_demand[index[ref]] += rate * v
            # a defect is caught only when the item moves on to another internal customer
            journey_exec[index[ref]] += rate * v * (c / (1.0 - caught) + (1.0 - c))

    # demand = journey + M demand, M[target, source] = probability of the need (invoices included)
    m = np.zeros((n, n))
    supplier_of = np.zeros((len(scenario.suppliers), n))
    suppliers = list(scenario.suppliers)
    for ref in refs:
        for need in scenario.service(ref).needs:
            if need.service is not None:
                m[index[need.service], index[ref]] += need.probability
            else:
                supplier_of[suppliers.index(need.supplier), index[ref]] += need.probability
                paid_by = scenario.suppliers[need.supplier].paid_by
                if paid_by is not None:
                    m[index[paid_by], index[ref]] += need.probability
    demand = np.linalg.solve(np.eye(n) - m, journey_demand)
    internal = demand - journey_demand
    executions = journey_exec.copy()
    for ref, i in index.items():
        svc = scenario.service(ref)
        executions[i] += internal[i] / (1.0 - svc.defect_rate * svc.detection)

    speed = morale_speed(scenario)
    load = {d: 0.0 for d in scenario.departments}
    for ref, i in index.items():
        dname = ref.split(".")[0]
        svc = scenario.service(ref)
        load[dname] += float(executions[i] * mean_of(svc.time) / (scenario.departments[dname].skill * speed))
        held = [need for need in svc.needs if need.hold]
        if held:
            # blocked time is at least the longest expected response among held needs, queueing not counted
            load[dname] += demand[i] * max(need.probability * _response_floor(scenario, need) for need in held)
    return Traffic(
        demand={r: float(demand[i]) for r, i in index.items()},
        executions={r: float(executions[i]) for r, i in index.items()},
        load=load,
        supplier_rates={s: float(x) for s, x in zip(suppliers, supplier_of @ demand)},
    )


def _response_floor(scenario: Scenario, need) -> float:
    """Least expected response to a need: the supplier's lead time, or the service's own work time."""
    if need.supplier is not None:
        return mean_of(scenario.suppliers[need.supplier].lead_time)
    dname = need.service.split(".")[0]
    return mean_of(scenario.service(need.service).time) / scenario.departments[dname].skill
