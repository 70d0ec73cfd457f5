"""Service agreements and role clarity in the scenario format: which pairs an entry covers, what is refused and
how, and that a scenario without them dumps and compiles as before."""

import math

import pytest
from refusals import problems

import orgsim
from orgsim.kernels.compile import compile_scenario
from orgsim.present.summary import describe
from orgsim.present.tables import table as run_table
from orgsim.scenario.loader import validate_mapping


def firm(agreements=None, **extra) -> dict:
    """sales and support both send it requests; it sends nobody requests; parts is an external supplier."""
    exp = {"dist": "exponential", "mean": 0.2}
    need_it = {"time": exp, "needs": [{"service": "it.fix", "probability": 0.2}]}
    raw = {"departments": {"sales": {"headcount": 2, "services": {"sell": need_it}},
                           "support": {"headcount": 2, "services": {"help": need_it}},
                           "it": {"headcount": 2, "services": {"fix": {"time": exp}}}},
           "suppliers": {"parts": {"lead_time": {"dist": "exponential", "mean": 1.0}}},
           "segments": {"c": {"arrivals": {"rate": 1.0}, "journey": ["sales.sell", "support.help"], "expectation": 1.0}},
           **extra}
    if agreements is not None:
        raw["agreements"] = agreements
    return raw


def test_an_entry_without_customer_covers_every_customer_and_a_named_pair_keeps_its_target():
    scenario = validate_mapping(firm([{"supplier": "it", "target": 2.0}, {"customer": "support", "supplier": "it",
                                                                          "target": 0.5}]))
    assert scenario.agreement_pairs() == [("sales", "it", 2.0), ("support", "it", 0.5)]
    cs = compile_scenario(scenario)
    d = cs.n_dept  # departments sales 0, support 1, it 2: agreement of customer c and supplier s at c * D + s
    assert cs.agr_pair[0 * d + 2] == 0 and cs.agr_pair[1 * d + 2] == 1
    assert sorted(cs.agr_pair.tolist()) == [-1] * (d * d - 2) + [0, 1]
    assert cs.agr_target.tolist() == [2.0, 0.5]


def test_without_agreements_or_role_clarity_nothing_changes():
    scenario = validate_mapping(firm())
    assert "agreements" not in scenario.model_dump() and "role_clarity" not in scenario.model_dump()["policy"]["investments"]
    cs = compile_scenario(scenario)
    assert cs.agr_target.size == 0 and cs.clarity == 1.0 and (cs.agr_pair == -1).all()


def test_role_clarity_factor_is_exp_of_minus_effect_times_share():
    scenario = validate_mapping(firm(policy={"budget": 10, "investments": {"role_clarity": 2,
                                                                           "role_clarity_effect": 1.5}}))
    assert scenario.policy.clarity_factor == math.exp(-1.5 * 2 / 10)
    assert compile_scenario(scenario, {"sales": 2, "support": 2, "it": 4}).clarity == math.exp(-0.3)
    assert scenario.policy.investments.total == 2  # its heads' worth comes out of the budget like the others


@pytest.mark.parametrize("entry,message", [
    ({"supplier": "itt", "target": 1}, "agreements.0.supplier: unknown department `itt`; did you mean `it`?"),
    ({"supplier": "it", "customer": "sale", "target": 1},
     "agreements.0.customer: unknown department `sale`; did you mean `sales`?"),
    ({"supplier": "parts", "target": 1},
     "agreements.0.supplier: `parts` is an external supplier; agreements are between departments"),
    ({"supplier": "sales", "customer": "it", "target": 1},
     "agreements.0.customer: `it` sends `sales` no requests (no need of a `it` service names a `sales` service); "
     "`sales`'s customers: none"),
    ({"supplier": "support", "target": 1}, "agreements.0.supplier: no department sends `support` requests (no need "
                                           "names a `support` service): the agreement would cover nothing"),
    ({"supplier": "it", "target": -1}, "agreements.0.target: must be >= 0.0 (got -1)"),
    ({"suplier": "it", "target": 1}, "agreements.0.suplier: unknown field `suplier`; did you mean `supplier`?"),
])
def test_a_bad_agreement_is_one_line_naming_its_field(entry, message):
    found = problems(firm([entry]))
    assert any(m.startswith(f"f.yaml: {message}") for m in found), found


def test_the_same_pair_twice_is_refused():
    (msg,) = problems(firm([{"supplier": "it", "customer": "sales", "target": 1},
                            {"supplier": "it", "customer": "sales", "target": 2}]))
    assert msg == "f.yaml: agreements.1: a second agreement for `sales` to `it` (entry 0 is the first); keep one"


def test_a_misspelt_role_clarity_gets_did_you_mean():
    (msg,) = problems(firm(policy={"investments": {"role_clarty": 1}}))
    assert msg.startswith("f.yaml: policy.investments.role_clarty: unknown field `role_clarty`; did you mean "
                          "`role_clarity`?")


def test_the_summary_and_the_run_table_name_each_pair_with_its_target():
    scenario = validate_mapping(firm([{"supplier": "it", "target": 2.0}, {"customer": "support", "supplier": "it",
                                                                          "target": 0.5}], horizon=60))
    assert "  agreements: sales -> it within 2 hours, support -> it within 0.5 hours" in describe(scenario).splitlines()
    table = run_table(orgsim.run(scenario, engine="simpy", replications=2, seed=1))
    assert "support -> it within 0.5" in table and "all agreements" in table
