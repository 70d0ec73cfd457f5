"""Variants of a validated scenario: dump it, change the mapping, validate the result like a file.

The one way a study, a policy or an experiment derives a scenario from another, so every variant
is checked by the same rules as a scenario the user wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import yaml

from orgsim.scenario.loader import apply_overrides, validate_mapping
from orgsim.scenario.schema import Scenario


def edited(scenario: Scenario, change: Callable[[dict], None], label: str) -> Scenario:
    """*scenario* with *change* applied to its mapping (in place), validated under the name *label*."""
    raw = scenario.model_dump(mode="json")
    change(raw)
    return validate_mapping(raw, label)


def with_policy(scenario: Scenario, label: str | None = None, **changes) -> Scenario:
    """A copy of *scenario* whose policy block has *changes* applied (validated)."""
    return edited(scenario, lambda raw: raw["policy"].update(changes), label or f"{scenario.name} (policy {changes})")


def with_overrides(scenario: Scenario, overrides: Iterable[str], label: str) -> Scenario:
    """A copy of *scenario* with ``PATH=VALUE`` overrides applied, validated as ``load(..., overrides)`` would."""
    raw, touched = apply_overrides(scenario.model_dump(mode="json"), overrides)
    return validate_mapping(raw, label, None, touched)


def override_text(path: str, value) -> str:
    """``PATH=VALUE`` for a value given in Python, written so ``--set`` reads back the same value."""
    if isinstance(value, str):
        return f"{path}={value}"
    text = yaml.safe_dump(value, default_flow_style=True, width=1_000_000).strip().removesuffix("...").strip()
    return f"{path}={text}"
