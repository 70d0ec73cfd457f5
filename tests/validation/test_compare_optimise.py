"""Policy comparison and the optimiser: A/A finds nothing, a planted winner wins, CRN pays, greedy is exact on Jackson."""

import itertools
import json

import numpy as np

from orgsim import theory
from orgsim.policies import least_stable
from orgsim.scenario.loader import validate_mapping
from orgsim.scenario.traffic import solve
from orgsim.studies.compare import PolicySpec, compare, staffed
from orgsim.studies.optimise import optimise
from orgsim.studies.simulate import simulate


def two_desks(front_heads: int, back_heads: int) -> dict:
    """Front needs back half the time (hold): a back office with too few heads hurts every order."""
    return {
        "horizon": 600,
        "warmup": 100,
        "period": 50,
        "departments": {
            "front": {"headcount": front_heads, "services": {"serve": {
                "time": {"dist": "exponential", "mean": 0.5},
                "needs": [{"service": "back.check", "probability": 0.5, "hold": True}]}}},
            "back": {"headcount": back_heads, "services": {"check": {"time": {"dist": "exponential", "mean": 1.0}}}},
        },
        "segments": {"c": {"arrivals": {"rate": 3.0}, "journey": ["front.serve"], "expectation": 1.5}},
        "policy": {"budget": front_heads + back_heads},
    }


def test_a_policy_against_itself_is_one_plan_and_its_runs_are_identical():
    scenario = validate_mapping(two_desks(4, 3))
    comp = compare(scenario, [PolicySpec("a", {"priority": "fifo"}), PolicySpec("b", {"priority": "fifo"})],
                   replications=30, seed=4, engine="numba")
    assert comp.labels == ["a"] and comp.names["a"] == ["a", "b"]  # one plan: run once, shown once with both names
    assert comp.stats["ranking"] == ["a"] and comp.stats["policies"]["a"]["p_best"] == 1.0
    variant = staffed(scenario, PolicySpec("a", {"priority": "fifo"}))
    twice = simulate([variant, variant], "numba", 30, 4)  # common random numbers: the very same runs
    assert np.array_equal(twice[0].values["external.nps"], twice[1].values["external.nps"])
    assert np.array_equal(twice[0].values["external.nps"], comp.values("a"))


def test_a_planted_winner_is_ranked_first_and_told_apart():
    # fixed keeps the back office at 2 heads for load 1.5 (utilisation 0.75, long holds);
    # sqrt_staffing of the same 9 heads gives the back office more
    scenario = validate_mapping(two_desks(7, 2))
    comp = compare(scenario, [PolicySpec("fixed", {"allocation": "fixed"}),
                              PolicySpec("sqrt_staffing", {"allocation": "sqrt_staffing"})],
                   metric="external.sojourn_mean", replications=40, seed=5, engine="numba")
    assert comp.allocations["sqrt_staffing"]["back"] > 2
    assert comp.stats["ranking"][0] == "sqrt_staffing"
    assert not comp.stats["tied_with_best"]
    assert comp.stats["differences"]["fixed"]["ci_low"] > 0  # fixed is slower, surely


def test_common_random_numbers_reduce_the_variance_of_differences():
    # the written 6 + 2 against sqrt_staffing's 5 + 3 (at 5 + 3 written the two were one plan: a 100 % "reduction")
    scenario = validate_mapping(two_desks(6, 2))
    comp = compare(scenario, [PolicySpec("fifo", {"priority": "fifo"}),
                              PolicySpec("ext", {"allocation": "sqrt_staffing"})],
                   metric="external.sojourn_mean", replications=60, seed=6, engine="numba")
    reduction = list(comp.stats["variance_reduction"].values())[0]
    assert reduction > 0.15  # 0.23 to 0.37 over seeds 6 to 11: pairing removes a quarter to a third of the variance


def jackson(heads: tuple[int, int, int], budget: int) -> dict:
    """Three single-class exponential stations in series with feedback from the last to the first."""
    means = (0.3, 0.5, 0.2)
    return {
        "horizon": 3000,
        "warmup": 300,
        "period": 300,
        "departments": {f"s{i}": {"headcount": h, "services": {"w": {"time": {"dist": "exponential", "mean": m}}}}
                        for i, (h, m) in enumerate(zip(heads, means))},
        "segments": {"jobs": {"arrivals": {"rate": 5.0},
                              "journey": ["s0.w", "s1.w", {"service": "s2.w", "next": {"s0.w": 0.2}}],
                              "expectation": 5.0}},
        "policy": {"budget": budget, "min_per_department": 1},
        "allow_unstable": True,  # the optimiser, not the written headcount, makes it stable
    }


def exact_best(budget: int) -> tuple[int, ...]:
    """Exhaustive search over allocations with the exact Jackson mean queue wait of an order."""
    routing = np.array([[0, 1, 0], [0, 0, 1], [0.2, 0, 0]], dtype=float)
    rates = 1 / np.array([0.3, 0.5, 0.2])
    load = solve(validate_mapping(jackson((9, 9, 9), 27))).load
    least = [least_stable(load[f"s{i}"], 1) for i in range(3)]
    best, best_wait = None, np.inf
    for heads in itertools.product(*(range(lo, budget + 1) for lo in least)):
        if sum(heads) != budget:
            continue
        th = theory.jackson_network([5.0, 0, 0], routing, rates, list(heads))
        wait = float((th["arrival_rates"] * th["wait_mean"]).sum() / 5.0)  # queue wait per order (Little)
        if wait < best_wait:
            best, best_wait = heads, wait
    return best


def test_optimiser_finds_the_exact_optimum_of_a_jackson_network():
    # loads: 1.25 visits per order -> 1.875, 3.125, 1.25; the least stable allocation is (2, 4, 2) = 8 heads
    for budget in (10, 12):
        scenario = validate_mapping(jackson((2, 4, 2), budget))
        found = optimise(scenario, objective="external.wait_mean", replications=40, final_replications=20,
                         seed=9, engine="numba")
        assert tuple(found.allocation[f"s{i}"] for i in range(3)) == exact_best(budget)
        assert sum(found.allocation.values()) == budget


def test_the_optimum_has_summary_frames_and_its_json_reruns_the_search():
    scenario = validate_mapping(jackson((2, 4, 2), 10))
    found = optimise(scenario, objective="external.wait_mean", replications=6, final_replications=8, seed=3,
                     engine="numba", max_moves=2)
    summary = found.summary().set_index("metric")
    assert summary.loc["external.wait_mean", "mean"] == found.mean and summary.loc["external.wait_mean", "n"] == 8
    path = found.path_frame()
    assert list(path.columns) == ["step", "external.wait_mean", "s0", "s1", "s2"]
    assert path.iloc[-1][["s0", "s1", "s2"]].to_dict() == found.allocation
    doc = json.loads(json.dumps(found.to_json(), allow_nan=False))
    again = optimise(validate_mapping(doc["scenario_definition"]), budget=doc["budget"], objective=doc["objective"],
                     min_per_department=doc["min_per_department"], replications=doc["replications"],
                     final_replications=doc["final_replications"], seed=doc["seed"], engine=doc["engine"],
                     max_moves=doc["max_moves"])
    assert (again.allocation, again.mean) == (found.allocation, found.mean)
