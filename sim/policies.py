"""Allocation policies: how a headcount budget is split across departments before a run.

Engine-agnostic: a policy reads the offered load of each department from the
traffic equations (``orgsim.scenario.traffic``) and returns whole heads; both engines
take the result.  Queue priority (`policy.priority`) is applied by the
engines themselves.  A policy that cannot keep every department stable
within the budget says so (``BudgetError``) rather than return a plan that
would explode.

* ``fixed`` — each department keeps the `headcount` written in the scenario; a
  `budget` (less investments) beyond the written total is spread in proportion
  to it (largest remainder): the same shape, every head of the budget spent.
* ``front_line_first`` — the back office gets the least that keeps it stable;
  everything else goes to the departments external customers meet, in
  proportion to their load.  The "customer-facing first" instinct that the
  service-profit chain warns about when internal service is starved
  (Heskett et al. 1994; Ehrhart et al. 2011).
* ``proportional_load`` — heads in proportion to offered load (internal
  sub-requests and rework included): equal utilisation everywhere, the
  textbook-suboptimal rule (Kleinrock 1964).
* ``sqrt_staffing`` — load + beta·√load, with one common beta chosen to
  spend the budget (Halfin & Whitt 1981; Borst et al. 2004): square-root
  safety staffing, near-optimal for waiting in many-server queues.
* ``utilisation_target`` — the least heads that keep every department at or
  below `target_utilisation`; any budget left goes, one head at a time, to
  the most utilised department.
* ``optimised`` — searched by simulation (``orgsim.studies.optimise``).

With departments on a calendar or in shifts every rule but ``optimised`` allocates per shift
(``orgsim.scenario.shift_rules``): ``effective_scenario`` writes the heads of each shift into the
scenario the engines run.
"""

from __future__ import annotations

from orgsim.errors import BudgetError
from orgsim.kernels.model import investment_scale
from orgsim.scenario.budget import allocate, budget_of, head_budget, investment_problem, least_stable, shift_heads
from orgsim.scenario.edit import edited
from orgsim.scenario.schema import Scenario

__all__ = ["allocate", "budget_of", "effective_scenario", "head_budget", "least_stable", "scaled", "with_shift_heads"]


def effective_scenario(scenario: Scenario) -> Scenario:
    """The scenario the engines run: budget made explicit, heads per shift by the rule, tooling and
    communication applied to handoffs, defect rates and (communication) missed detections.

    Training, recognition, communication's meeting time, shared feedback and
    continuous improvement act during the run; the engines read them from
    ``policy.training_share``, ``morale_lift``, ``meeting_share``,
    ``feedback_weight`` and ``learning_exponent``.  An ``optimised`` plan's shifts are
    searched, so they are taken as written (``with_shift_heads`` writes them).
    """
    inv = scenario.policy.investments
    budget = budget_of(scenario)
    problem = investment_problem(scenario)
    if problem:
        raise BudgetError(problem)
    if scenario.policy.allocation != "optimised" and any(d.shifts for d in scenario.departments.values()):
        scenario = with_shift_heads(scenario, shift_heads(scenario))
    if scenario.policy.budget == budget and inv.tooling == 0 and inv.communication == 0:
        return scenario

    def apply(raw: dict) -> None:
        raw["policy"]["budget"] = budget
        # tooling, then communication (whose meeting time acts in the engines: skill x (1 - meeting share))
        for spent, effect, misses in ((inv.tooling, inv.tooling_effect, False),
                                      (inv.communication, inv.communication_effect, True)):
            if not spent:
                continue
            f = investment_scale(spent / budget, effect)
            if raw.get("handoff"):
                raw["handoff"] = scaled(raw["handoff"], f)
            for dept in raw["departments"].values():
                for svc in dept["services"].values():
                    svc["defect_rate"] = svc["defect_rate"] * f
                    if misses:
                        svc["detection"] = 1.0 - (1.0 - svc["detection"]) * f

    return edited(scenario, apply, f"{scenario.name} (investments applied)")


def with_shift_heads(scenario: Scenario, heads: dict[str, tuple[int, ...]]) -> Scenario:
    """The scenario with these heads per shift for the departments named (the same scenario if none changes)."""
    changed = {d: h for d, h in heads.items() if tuple(s.headcount for s in scenario.departments[d].shifts) != tuple(h)}
    if not changed:
        return scenario

    def apply(raw: dict) -> None:
        for d, h in changed.items():
            for shift, n in zip(raw["departments"][d]["shifts"], h):
                shift["headcount"] = int(n)

    return edited(scenario, apply, scenario.name)


def scaled(dist: dict, factor: float) -> dict:
    """A distribution (as a mapping) with every time multiplied by *factor*."""
    out = dict(dist)
    for key in ("mean", "value", "low", "mode", "high"):
        if key in out:
            out[key] = out[key] * factor
    return out
