"""What a comparison runs: what-if variants of a scenario, each arm's plan and cost, and which arms share one plan.

An *arm* of a comparison is the scenario under one policy (``orgsim.studies.compare.PolicySpec``) or one
what-if variant (``VariantSpec``: fields changed as ``--set`` would).  Its *plan* is everything the engines
read once the allocation is resolved: the headcount, the investments, the queue order, the periodic review
and the rest of the scenario.  Arms with one plan give identical runs on common random numbers, so a
comparison runs and shows each plan once, with all its names (``group``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orgsim.errors import OptionError, ScenarioError, one_line
from orgsim.policies import budget_of, effective_scenario
from orgsim.scenario.edit import override_text, with_overrides
from orgsim.scenario.schema import Scenario
from orgsim.studies.simulate import Variant
from orgsim.studies.slots import shift_plan

# policy fields that only choose the headcount: once it is resolved, the engines never read them
ALLOCATION_ONLY = ("allocation", "beta", "target_utilisation", "objective")


@dataclass
class VariantSpec:
    """A what-if: its label and the ``PATH=VALUE`` changes it makes to the scenario as written."""

    label: str
    overrides: list[str]


def parse_variant(text: str) -> VariantSpec:
    """``LABEL=PATH=VALUE[,PATH=VALUE...]``; a value may hold commas (``[1,2]``): a piece without ``=`` joins the one before."""
    label, sep, rest = text.partition("=")
    label = label.strip()
    if not sep or not label or "=" not in rest:
        raise OptionError("variant", f"{one_line(text)}: expected LABEL=PATH=VALUE[,PATH=VALUE...], "
                          "e.g. it4=departments.it.headcount=4,departments.operations.headcount=18")
    overrides: list[str] = []
    for piece in rest.split(","):
        if "=" in piece or not overrides:
            overrides.append(piece.strip())
        else:
            overrides[-1] += "," + piece
    return VariantSpec(one_line(label), overrides)


def variant_specs(variants: Sequence[VariantSpec] | Mapping[str, Mapping[str, object]] | None) -> list[VariantSpec]:
    """Variants as given to ``orgsim.compare``: specs, or a mapping label -> {field path: value}."""
    if variants is None:
        return []
    if isinstance(variants, Mapping):
        return [VariantSpec(str(label), [override_text(p, v) for p, v in changes.items()])
                for label, changes in variants.items()]
    return list(variants)


def apply_variant(scenario: Scenario, spec: VariantSpec) -> Scenario:
    """The scenario with the variant's fields changed, validated like ``--set`` (each problem names the variant)."""
    name = f"--variant {spec.label}"
    try:
        return with_overrides(scenario, spec.overrides, name)
    except ScenarioError as exc:
        raise ScenarioError([_named(p, name) for p in exc.problems]) from None


def _named(problem: str, name: str) -> str:
    """A ``--set`` problem told of a variant: ``--set PATH: PATH: message`` -> ``NAME: PATH: message``."""
    if not problem.startswith("--set "):
        return problem  # a problem of the whole variant already starts with its name
    item, _, rest = problem.removeprefix("--set ").partition(": ")
    return f"{name}: {rest}" if rest.startswith(f"{item}: ") else f"{name}: {item}: {rest}"


def plan_key(variant: Variant) -> str:
    """SHA-256 of what the engines read of an arm: equal keys give identical runs on common random numbers."""
    raw = effective_scenario(variant.scenario).model_dump(mode="json")
    raw.pop("name")
    for d, dept in raw["departments"].items():
        dept["headcount"] = int(variant.headcount[d])
    policy = raw["policy"]
    for key in ALLOCATION_ONLY:
        policy.pop(key)
    if policy["review"] is None:
        policy.pop("min_per_department")  # read only by the periodic review
    if variant.scenario.policy.investments.total == 0:
        policy.pop("budget")  # read only as the base of the invested share
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def heads_text(spent: dict) -> str:
    """A plan's heads for a table: ``front_line 11 (early 7, late 4), back_office 6``."""
    shifts = spent.get("shifts", {})
    return ", ".join(f"{d} {h}" + (f" ({', '.join(f'{k} {n}' for k, n in shifts[d].items())})" if d in shifts else "")
                     for d, h in spent["allocation"].items())


def group(variants: Sequence[Variant]) -> list[list[Variant]]:
    """Arms sharing one plan, together, in the order each plan first appears (the first arm names the group)."""
    groups: dict[str, list[Variant]] = {}
    for v in variants:
        groups.setdefault(plan_key(v), []).append(v)
    return list(groups.values())


def cost(scenario: Scenario, headcount: Mapping[str, int]) -> dict:
    """An arm's spending: heads, investments (headcount-equivalents), their sum and the budget it had."""
    inv = scenario.policy.investments
    heads = int(sum(headcount.values()))
    shifts = shift_plan(scenario)
    return {
        "allocation": {d: int(h) for d, h in headcount.items()},
        **({"shifts": shifts} if shifts else {}),
        "investments": {"training": inv.training, "recognition": inv.recognition, "tooling": inv.tooling,
                        **{k: getattr(inv, k) for k in ("communication", "feedback", "improvement", "recovery", "role_clarity")
                           if getattr(inv, k)}},
        "heads": heads,
        "cost": heads + inv.total,
        "budget": budget_of(scenario),
    }
