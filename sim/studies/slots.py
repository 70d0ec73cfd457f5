"""The units the optimiser moves heads between: departments, or (department, shift) when a department has shifts.

A head of the early shift is not a head of the late one, so ``orgsim.studies.optimise`` searches the
heads of every shift.  A *slot* is a department around the clock, a department on a calendar (its one
calendar) or one shift of a department in shifts; it is named ``department`` or ``department.calendar``.
A plan (heads per slot) is kept stable department by department: its heads on duty on average over
the week must exceed the department's long-run load (around the clock: its heads), with at least the
policy floor in all.  ``staffed`` turns a plan into what the engines run.
"""

from __future__ import annotations

import numpy as np

from orgsim.policies import budget_of, effective_scenario, least_stable, with_shift_heads
from orgsim.scenario.edit import with_policy
from orgsim.scenario.schema import Scenario
from orgsim.scenario.shift_rules import least_plan, week
from orgsim.scenario.traffic import solve


def shift_names(spec) -> list[str]:
    """A department's shifts by calendar (a calendar named twice: ``early.1``, ``early.2``); [] without shifts."""
    cals = [s.calendar for s in spec.shifts or ()]
    return [cal + (f".{k + 1}" if cals.count(cal) > 1 else "") for k, cal in enumerate(cals)]


def shift_plan(scenario: Scenario) -> dict[str, dict[str, int]]:
    """Heads per shift, by ``shift_names``, of every department in shifts of the scenario as the engines run it."""
    run = effective_scenario(scenario)
    return {d: dict(zip(shift_names(spec), (s.headcount for s in spec.shifts)))
            for d, spec in run.departments.items() if spec.shifts}


class Slots:
    """The slots of a scenario, the least stable plan, and the scenario and headcount a plan runs with."""

    def __init__(self, scenario: Scenario, floor: int):
        self.scenario, self.floor = scenario, floor
        self.shifted = any(d.shifts for d in scenario.departments.values())
        self._wk = week(scenario) if any(d.rostered for d in scenario.departments.values()) else None
        self.load = solve(scenario).load if self._wk is None else self._wk.long_run
        self.names: list[str] = []
        self.dept: list[str] = []
        for d, spec in scenario.departments.items():
            for name in shift_names(spec) or [None]:
                self.names.append(d if name is None else f"{d}.{name}")
                self.dept.append(d)
        # the optimiser runs a shift plan as written, and its budget stays the one the scenario had
        self._base = scenario if not self.shifted else with_policy(
            scenario, scenario.name, allocation="optimised", budget=budget_of(scenario))

    def _of(self, plan: dict[str, int], d: str) -> np.ndarray:
        return np.array([plan[n] for n, dd in zip(self.names, self.dept) if dd == d], dtype=float)

    def start(self) -> dict[str, int]:
        """The least stable plan: per department the fewest heads that keep it stable (``shift_rules.cover``
        with no requirement: among equals, the least time on duty)."""
        if self._wk is None:
            return {d: least_stable(self.load[d], self.floor) for d in self.scenario.departments}
        least = least_plan(self.scenario, self.floor, self._wk)
        return dict(zip(self.names, (h for d in self.scenario.departments for h in least[d])))

    def stable(self, plan: dict[str, int], d: str) -> bool:
        """Whether department *d* keeps at least the floor and more heads on duty on average than its load."""
        x = self._of(plan, d)
        if self._wk is None:
            return x[0] >= least_stable(self.load[d], self.floor)
        return x.sum() >= self.floor and (self.load[d] <= 0 or float(self._wk.duty(d) @ x) > self.load[d])

    def headcount(self, plan: dict[str, int]) -> dict[str, int]:
        """Heads per department: the sum of its slots."""
        return {d: int(self._of(plan, d).sum()) for d in self.scenario.departments}

    def shifts(self, plan: dict[str, int]) -> dict[str, dict[str, int]]:
        """Heads per shift of each department in shifts, by slot name without the department."""
        return {d: {n.split(".", 1)[1]: int(plan[n]) for n, dd in zip(self.names, self.dept) if dd == d}
                for d, spec in self.scenario.departments.items() if spec.shifts}

    def staffed(self, plan: dict[str, int]) -> Scenario:
        """The scenario a plan runs: its heads per shift written in, as an ``optimised`` plan of the same budget."""
        if not self.shifted:
            return self.scenario
        heads = {d: tuple(int(h) for h in self._of(plan, d)) for d, spec in self.scenario.departments.items()
                 if spec.shifts}
        return with_shift_heads(self._base, heads)
