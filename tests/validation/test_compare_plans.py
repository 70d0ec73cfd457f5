"""Comparisons that cannot mislead (issue 16): one row per plan, equal budgets or a marked difference, paired what-ifs."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

import orgsim
from orgsim import metrics
from orgsim.present.plots import series_over_time
from orgsim.present.tables import comparison_table
from orgsim.studies.compare import PolicySpec, compare, staffed
from orgsim.studies.plans import parse_variant, plan_key
from orgsim.studies.simulate import simulate

SHORT = ["horizon=400", "warmup=80"]


def baseline():
    return orgsim.load("baseline", SHORT)


def test_policies_with_one_plan_run_once_and_are_one_row_with_all_names():
    # at the baseline's budget of 40, fixed, front_line_first and utilisation_target all give the written headcount
    names = ["fixed", "front_line_first", "sqrt_staffing", "utilisation_target"]
    comp = compare(baseline(), [PolicySpec(n, {"allocation": n}) for n in names], replications=6, seed=2, engine="numba")
    assert comp.labels == ["fixed", "sqrt_staffing"]
    assert comp.names["fixed"] == ["fixed", "front_line_first", "utilisation_target"]
    assert comp.title("fixed") == "fixed = front_line_first = utilisation_target"
    assert set(comp.stats["variance_reduction"]) == {comp.stats["ranking"][1]}  # no 100 % for a duplicate
    text = comparison_table(comp)
    assert text.count("front_line_first") == 3  # its row, the CRN line and the plans block: never a row of its own
    fig = series_over_time(comp)
    ax = fig.axes[0]
    assert len(ax.get_lines()) - len([ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fixed = front_line_first = utilisation_target",
                                                                  "sqrt_staffing"]


def test_arms_grouped_as_one_plan_give_identical_runs_and_others_do_not():
    """The plan key is sound: grouped arms simulated apart are identical replication by replication."""
    scenario = baseline()
    fixed = staffed(scenario, PolicySpec("fixed", {"allocation": "fixed"}))
    front = staffed(scenario, PolicySpec("front", {"allocation": "front_line_first", "target_utilisation": 0.7}))
    richer = staffed(scenario, PolicySpec("richer", {"budget": 41, "allocation": "sqrt_staffing"}))
    external = staffed(scenario, PolicySpec("external_first", {"priority": "external_first"}))
    trained = staffed(scenario, PolicySpec("trained", {"budget": 41, "investments": {"training": 1}}))
    assert fixed.headcount == front.headcount == external.headcount == trained.headcount
    assert plan_key(fixed) == plan_key(front)
    assert len({plan_key(v) for v in (fixed, richer, external, trained)}) == 4
    runs = simulate([fixed, front, external, trained], "numba", 4, 3)
    nps = [r.values["external.nps"] for r in runs]
    assert np.array_equal(nps[0], nps[1])
    assert not np.array_equal(nps[0], nps[2]) and not np.array_equal(nps[0], nps[3])


def test_the_json_carries_each_plan_and_what_reruns_it(tmp_path):
    plan = tmp_path / "lean.yaml"
    plan.write_text(yaml.safe_dump({"policy": {"allocation": "sqrt_staffing", "budget": 38}}))
    out = subprocess.run([sys.executable, "-m", "orgsim.cli", "compare", "baseline", *(f"--set={s}" for s in SHORT),
                          "--policy", "fixed", "--policy", str(plan), "-r", "5", "--seed", "4", "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["engine"], doc["seed"], doc["replications"]) == ("numba", 4, 5)
    fixed, lean = doc["policies"]["fixed"], doc["policies"]["lean"]
    assert fixed["allocation"] == {"sales": 7, "operations": 19, "support": 4, "it": 3, "hr": 2, "finance": 3, "legal": 2}
    assert (fixed["heads"], fixed["cost"], fixed["budget"], fixed["n"], fixed["seed"]) == (40, 40, 40, 5, 4)
    assert fixed["investments"] == {"training": 0, "recognition": 0, "tooling": 0}
    assert (lean["cost"], lean["budget"]) == (38, 38) and sum(lean["allocation"].values()) == 38
    assert lean["changes"] == {"lean": {"policy": {"allocation": "sqrt_staffing", "budget": 38}}}
    # the JSON alone reruns the study: the scenario as loaded (with --set), each arm's changes, engine, seed, size
    again = compare(orgsim.load(_written(tmp_path, doc["scenario_definition"])),
                    [PolicySpec(k, v["changes"][k]["policy"]) for k, v in doc["policies"].items()],
                    replications=doc["replications"], seed=doc["seed"], engine=doc["engine"])
    assert again.stats["policies"]["lean"]["mean"] == doc["policies"]["lean"]["mean"]


def _written(folder, mapping) -> str:
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(mapping))
    return str(path)


def test_the_table_marks_a_policy_that_spends_less():
    comp = compare(baseline(), [PolicySpec("fixed", {"allocation": "fixed"}),
                                PolicySpec("lean", {"allocation": "sqrt_staffing", "budget": 38})],
                   replications=4, seed=1, engine="numba")
    text = comparison_table(comp)
    assert "lean (spends 38 of 40)" in text
    assert "spending differs" in text
    assert "fixed (spends" not in text


def test_a_variant_runs_on_the_common_random_numbers_of_the_scenario_as_written():
    scenario = baseline()
    moved = parse_variant("it4=departments.it.headcount=4,departments.operations.headcount=18")
    comp = compare(scenario, variants=[moved], metric="external.nps", replications=12, seed=5, engine="numba")
    assert comp.labels == ["as_scenario", "it4"] and comp.reference == "as_scenario"
    assert comp.allocations["it4"]["it"] == 4 and comp.allocations["as_scenario"]["it"] == 3
    # demand is keyed by stream name: the open segment's orders are the scenario's, replication by replication
    arrivals = [comp.results[k].values["segment.b2b.arrivals"] for k in comp.labels]  # an open stream
    assert np.array_equal(*arrivals)
    # the paired difference is that of two separate runs with the same seed
    alone = [orgsim.run(s, engine="numba", replications=12, seed=5).values["external.nps"]
             for s in (scenario, orgsim.load("baseline", [*SHORT, "departments.it.headcount=4",
                                                          "departments.operations.headcount=18"]))]
    want = metrics.aggregate(alone[1] - alone[0], "external.nps", difference=True)
    got = comp.stats["against_reference"]["it4"]
    assert got["mean"] == pytest.approx(want["mean"], abs=1e-12)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((want["ci_low"], want["ci_high"]), abs=1e-12)
    assert comp.summary().set_index("policy").loc["it4", "minus_reference"] == pytest.approx(want["mean"], abs=1e-12)


def test_variants_from_python_mappings_and_their_errors():
    comp = compare(baseline(), variants={"hire": {"policy.budget": 42}, "same": {"policy.objective": "external.csat"}},
                   replications=3, seed=1, engine="numba")
    assert comp.names["as_scenario"] == ["as_scenario", "same"]  # the objective only steers `optimised`: same plan
    assert comp.cost("hire")["heads"] == 42
    with pytest.raises(orgsim.OptionError, match="as_scenario names the scenario as written"):
        compare(baseline(), variants={"as_scenario": {"horizon": 100}}, replications=2)
    with pytest.raises(orgsim.ScenarioError, match=r"--variant x: policy.budgt: unknown field `budgt`; did you mean `budget`"):
        compare(baseline(), variants={"x": {"policy.budgt": 42}}, replications=2)
    with pytest.raises(orgsim.OptionError, match="LABEL=PATH=VALUE"):
        parse_variant("it4")
    assert parse_variant("a=departments.it.headcount=4,handoff={dist: exponential, mean: 0.1}").overrides == [
        "departments.it.headcount=4", "handoff={dist: exponential, mean: 0.1}"]
