"""`orgsim demo` asks, at equal cost, which allocation rule or internal-customer strategy raises NPS and profit most
(issue 16, items 2 and 9; issue 19, item 6)."""

from __future__ import annotations

import json
import re

import numpy as np
from terminal import with_terminal_stderr

import orgsim
from orgsim.studies import demo
from orgsim.studies.compare import compare, staffed
from orgsim.studies.plans import cost, plan_key


def test_every_arm_spends_the_same_budget_and_every_rule_places_it_differently():
    scenario = demo.scenario()
    arms = {spec.label: staffed(scenario, spec) for spec in demo.policies()}
    assert len(arms) == len(demo.RULES) + len(demo.STRATEGIES)
    spent = {label: cost(arm.scenario, arm.headcount) for label, arm in arms.items()}
    assert {c["cost"] for c in spent.values()} == {scenario.policy.budget} == {49}, spent
    for label, _ in demo.STRATEGIES:  # a strategy trades LEVER_HEADS heads for its lever, the rest as heads
        assert spent[label]["heads"] == 49 - demo.LEVER_HEADS, spent[label]
        assert sum(spent[label]["investments"].values()) == demo.LEVER_HEADS
    assert len({plan_key(arms[r]) for r in demo.RULES}) == len(demo.RULES), {r: arms[r].headcount for r in demo.RULES}
    assert len({plan_key(a) for a in arms.values()}) == len(arms)  # no two arms run the same plan


def test_equal_budget_is_equal_money_an_invested_head_costs_a_head():
    """Labour is 30 per head-hour for everyone, so with the investment priced as a head every arm pays
    49 × 30 × 1,800 h for what its budget buys, less the pay of posts left vacant by leavers."""
    scenario = demo.scenario()
    spec = next(s for s in demo.policies() if s.label == "training")
    res = orgsim.run(staffed(scenario, spec).scenario, engine="numba", replications=2, seed=1)
    counted = scenario.horizon - scenario.warmup
    np.testing.assert_allclose(res.values["firm.investment_cost"], demo.LEVER_HEADS * 30 * counted, rtol=1e-12)
    assert (res.values["firm.labour_cost"] <= (49 - demo.LEVER_HEADS) * 30 * counted + 1e-6).all()


def test_the_strategies_differ_in_nps_and_profit_on_paired_differences():
    """At 60 replications (the demo's default) the strategies' paired NPS intervals against the reference were
    at most ±0.5 points wide for effects of 0.3 to 4.4 points, and profit ones ±6,000 for effects up to 35,000;
    at 20 replications they widen by about √3, still far from the largest effects, so some interval of each
    metric must exclude 0 here (a demo whose strategies all tied would fail)."""
    scenario = demo.scenario()
    specs = [s for s in demo.policies() if s.label == demo.REFERENCE or s.label in dict(demo.STRATEGIES)]
    nps = compare(scenario, specs, metric="external.nps", replications=20, seed=demo.SEED, engine="numba",
                  reference=demo.REFERENCE)
    for comp in (nps, nps.for_metric("firm.profit")):
        against = comp.stats["against_reference"]
        apart = [k for k, d in against.items() if k != demo.REFERENCE and (d["ci_low"] > 0 or d["ci_high"] < 0)]
        assert apart, (comp.metric, against)
        assert against[demo.REFERENCE]["mean"] == 0.0
    means = {k: p["mean"] for k, p in nps.stats["policies"].items()}
    assert max(means.values()) - min(means.values()) > 1.0, means  # they differ by more than a point of NPS


def test_demo_reports_nps_and_profit_in_its_table_json_and_report(tmp_path):
    code, out, err = with_terminal_stderr("demo", "-r", "2", "--out", tmp_path / "demo", timeout=600)
    assert code == 0, err
    assert "replications:" in err and "rep/s" in err
    labels = sorted([*demo.RULES, *(label for label, _ in demo.STRATEGIES)])
    rows = re.findall(r"^\d+\s+(\S+)\s+\d", out, flags=re.M)
    assert sorted(rows) == labels, out
    assert "external.nps [95 % CI]" in out and "firm.profit [95 % CI]" in out and f"minus {demo.REFERENCE}" in out
    answer = [line for line in out.splitlines() if line.startswith("At equal cost")]
    assert len(answer) == 1 and "external.nps" in answer[0] and "firm.profit" in answer[0]
    html = (tmp_path / "demo" / "report.html").read_text()
    assert 'id="ranking-firm-profit"' in html and 'id="against-reference"' in html
    assert all((tmp_path / "demo" / label / "summary.csv").exists() for label in labels)
    code, out, err = with_terminal_stderr("demo", "-r", "2", "--out", tmp_path / "again", "--format", "json",
                                          "--no-progress", timeout=600)
    assert code == 0, err
    got = json.loads(out)
    assert sorted(got["arms"]) == labels and got["reference"] == demo.REFERENCE
    for arm in got["arms"].values():
        assert arm["cost"] == 49
        for metric in demo.METRICS:
            assert {"mean", "ci_low", "ci_high", "p_best", "minus_reference"} <= set(arm[metric])
    assert sorted(got["ranking"]["firm.profit"]) == labels and got["answer"].startswith("At equal cost")
