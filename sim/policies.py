"""Policies: how headcount is allocated before a run (engine-agnostic; both engines take the result).

``fixed`` keeps each department's `headcount` from the scenario.  Queue
priority (`policy.priority`) is applied by the engines themselves.
"""

from __future__ import annotations

from .scenario import Scenario


def allocate(scenario: Scenario) -> dict[str, int]:
    """Headcount per department under the scenario's allocation policy."""
    if scenario.policy.allocation == "fixed":
        return {d: dept.headcount for d, dept in scenario.departments.items()}
    raise ValueError(f"unknown allocation policy {scenario.policy.allocation!r}")
