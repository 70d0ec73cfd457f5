"""A cost ceiling: the most the firm may pay (mean ``firm.cost``), for the studies that rank or search plans.

``optimise`` searches only plans within it and ``compare`` ranks only arms within it; both price plans with
the scenario's ``costs`` block, so both refuse a ceiling without one in the same words.
"""

from __future__ import annotations

import numpy as np

from orgsim.errors import OptionError
from orgsim.scenario.schema import Scenario

COST = "firm.cost"


def _unpriced() -> OptionError:
    return OptionError("cost_ceiling", "needs money: the scenario has no `costs` block to price its plans")


def require_prices(scenario: Scenario, ceiling: float | None) -> None:
    """Refuse a ceiling on a scenario that prices nothing: without ``costs`` there is no ``firm.cost``."""
    if ceiling is not None and scenario.costs is None:
        raise _unpriced()


def mean_cost(values: dict[str, np.ndarray]) -> float:
    """A plan's mean ``firm.cost`` over its replications (refused, as above, for a plan a variant left unpriced)."""
    if COST not in values:
        raise _unpriced()
    return float(np.nanmean(values[COST]))


def within(values: dict[str, np.ndarray], ceiling: float | None) -> bool:
    """Does a plan's mean cost stay within the ceiling (always, without one)?"""
    return ceiling is None or mean_cost(values) <= ceiling


def money(x: float) -> str:
    """A ceiling as people write it: ``2,300,000``, not ``2.3e+06``."""
    return f"{x:,.15g}"
