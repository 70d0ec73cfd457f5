"""The main job `orgsim demo` shows: a strategist's growth question on the shipped baseline, asked of every allocation rule.

The firm has 40 people and money for 9 more (budget 49): where should they go?  At the baseline's own
budget of 40, three rules (fixed, front_line_first, utilisation_target) give the written headcount and
``optimised`` finds sqrt_staffing's plan, so a ranking of six names would rank three plans.  At 49 every
rule places the new heads differently (a test checks it), so the demo compares six plans that differ.
"""

from __future__ import annotations

from orgsim.scenario.loader import load
from orgsim.scenario.schema import ALLOCATIONS, Scenario
from orgsim.studies.compare import PolicySpec

SCENARIO = "baseline"
OVERRIDES = ("policy.budget=49",)
METRIC = "external.nps"
SEED = 1


def scenario() -> Scenario:
    """The baseline with the demo's budget."""
    return load(SCENARIO, list(OVERRIDES))


def policies() -> list[PolicySpec]:
    """Every allocation rule, by name."""
    return [PolicySpec(name, {"allocation": name}) for name in ALLOCATIONS]
