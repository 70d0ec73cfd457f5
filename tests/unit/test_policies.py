"""Allocation policies: each spends at most the budget and keeps every department stable, or says it cannot."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import orgsim
from orgsim.errors import BudgetError, ScenarioError
from orgsim.policies import allocate
from orgsim.scenario.edit import with_policy
from orgsim.scenario.loader import validate_mapping
from orgsim.scenario.traffic import solve

RULES = ["front_line_first", "proportional_load", "sqrt_staffing", "utilisation_target"]


def firm(loads: list[float], budget: int, front: int = 1) -> orgsim.Scenario:
    """Departments d0..dn with the given offered loads; the first *front* meet customers, the rest serve d0."""
    departments = {}
    for i, load in enumerate(loads):
        # headcount 0: the written (fixed) allocation fits any budget, so only the rule under test can be refused
        departments[f"d{i}"] = {"headcount": 0, "services": {"work": {"time": {"dist": "exponential", "mean": load}}}}
    journey = [f"d{i}.work" for i in range(front)]
    # back-office departments are internal suppliers of d0, fired with probability 1: rate 1 per order
    needs = [{"service": f"d{i}.work"} for i in range(front, len(loads))]
    departments["d0"]["services"]["work"]["needs"] = needs
    raw = {
        "departments": departments,
        "segments": {"c": {"arrivals": {"rate": 1.0}, "journey": journey, "expectation": 1.0}},
        "policy": {"budget": budget},
        "allow_unstable": True,
    }
    return validate_mapping(raw, "firm.yaml")


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=40, deadline=None)
@given(loads=st.lists(st.floats(0.1, 6.0), min_size=2, max_size=6), slack=st.integers(-3, 12))
def test_allocation_spends_the_budget_and_is_stable_or_refuses(rule, loads, slack):
    least = sum(math.floor(x) + 1 for x in loads)
    budget = max(1, least + slack)
    base = firm(loads, budget, front=1)
    try:
        scenario = with_policy(base, allocation=rule)  # validation runs the rule: a budget it cannot meet is refused here
    except ScenarioError as exc:
        assert "policy.budget" in str(exc)
        # the rule itself refuses the same scenario (built here without validation)
        with pytest.raises(BudgetError):
            allocate(base.model_copy(update={"policy": base.policy.model_copy(update={"allocation": rule})}))
        # only proportional_load (rounding) and utilisation_target (its target) may need more than the least
        assert slack < 0 or rule in ("proportional_load", "utilisation_target"), f"refused although {budget} >= {least}: {exc}"
        assert str(budget) in str(exc)
        return
    load = solve(scenario).load
    heads = allocate(scenario)
    assert sum(heads.values()) <= budget
    assert all(load[d] < h for d, h in heads.items()), (heads, load)
    if rule != "utilisation_target" or slack >= 0:
        assert sum(heads.values()) == budget


def test_front_line_first_starves_the_back_office_to_its_stable_minimum():
    scenario = with_policy(firm([2.5, 1.5, 0.4], 12, front=1), allocation="front_line_first")
    heads = allocate(scenario)
    assert heads == {"d0": 12 - 2 - 1, "d1": 2, "d2": 1}


def test_proportional_load_equalises_utilisation():
    scenario = with_policy(firm([3.0, 1.5, 1.5], 12), allocation="proportional_load")
    assert allocate(scenario) == {"d0": 6, "d1": 3, "d2": 3}


def test_sqrt_staffing_follows_load_plus_beta_root_load():
    # loads 16 and 4, budget 26: beta solves 16 + 4b + 4 + 2b = 26, b = 1 -> 20 and 6
    scenario = with_policy(firm([16.0, 4.0], 26), allocation="sqrt_staffing")
    assert allocate(scenario) == {"d0": 20, "d1": 6}


def test_utilisation_target_staffs_to_the_target_then_tops_up_the_busiest():
    # target 0.8: ceil(3/0.8)=4, ceil(1/0.8)=2; spare heads go to the most utilised each time:
    # d0 3/4=0.75 > d1 0.5 -> d0 5; d0 3/5=0.6 > 0.5 -> d0 6; d0 0.5 = d1 0.5 and the tie goes to d0 (first)
    scenario = with_policy(firm([3.0, 1.0], 8), allocation="utilisation_target", target_utilisation=0.8)
    assert allocate(scenario) == {"d0": 6, "d1": 2}
    scenario = with_policy(firm([3.0, 1.0], 9), allocation="utilisation_target", target_utilisation=0.8)
    assert allocate(scenario) == {"d0": 7, "d1": 2}


def test_fixed_keeps_the_written_headcount():
    scenario = orgsim.load("baseline")
    assert allocate(scenario) == {d: dept.headcount for d, dept in scenario.departments.items()}


def test_fixed_spreads_a_larger_budget_in_proportion_to_the_written_headcount():
    # written 6 + 3 + 1 = 10 heads; budget 16 less 1 invested leaves 5: shares 3, 1.5, 0.5 -> 3 + 1 + 0, and the
    # one head left by rounding goes to the largest remainder (d1 and d2 tie at 0.5; the larger department wins)
    raw = firm([1.0, 1.0, 0.5], 16).model_dump(mode="json")
    for d, h in (("d0", 6), ("d1", 3), ("d2", 1)):
        raw["departments"][d]["headcount"] = h
    raw["policy"].update(allocation="fixed", investments={"training": 1})
    heads = allocate(validate_mapping(raw))
    assert heads == {"d0": 9, "d1": 5, "d2": 1}
    assert sum(heads.values()) == 16 - 1  # every rule spends the same budget
    raw["policy"]["budget"] = None  # no budget: the written headcount is the plan
    assert allocate(validate_mapping(raw)) == {"d0": 6, "d1": 3, "d2": 1}


def test_a_budget_too_small_is_refused_with_the_need():
    base = firm([2.5, 1.5], 4)
    with pytest.raises(ScenarioError, match="policy.budget: sqrt_staffing: .*needs at least 5"):
        with_policy(base, allocation="sqrt_staffing")  # by validation, before any run (issue 15)
    unchecked = base.model_copy(update={"policy": base.policy.model_copy(update={"allocation": "sqrt_staffing"})})
    with pytest.raises(BudgetError, match="needs at least 5"):
        allocate(unchecked)
