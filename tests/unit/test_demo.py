"""`orgsim demo` compares allocation rules that differ on its scenario, and shows its progress (issue 16, items 2 and 9)."""

from __future__ import annotations

import re

from terminal import with_terminal_stderr

from orgsim.studies import demo
from orgsim.studies.compare import staffed
from orgsim.studies.plans import plan_key


def test_the_rule_based_policies_of_the_demo_resolve_to_distinct_plans():
    scenario = demo.scenario()
    arms = [staffed(scenario, spec) for spec in demo.policies() if spec.label != "optimised"]
    assert len(arms) == 5
    assert len({plan_key(a) for a in arms}) == 5, {a.label: a.headcount for a in arms}
    assert all(sum(a.headcount.values()) == scenario.policy.budget for a in arms)  # every rule spends the budget


def test_demo_shows_progress_and_ranks_six_different_plans(tmp_path):
    """One run of the demo (its `optimised` search is the slow part) checks the search's plan differs too."""
    code, out, err = with_terminal_stderr("demo", "-r", "2", "--out", tmp_path / "demo", timeout=600)
    assert code == 0, err
    assert "searching:" in err  # the optimised policy's search
    assert "replications:" in err and "rep/s" in err
    rows = re.findall(r"^\d\s+(.*)$", out, flags=re.M)
    assert sorted(r.split()[0] for r in rows) == sorted(s.label for s in demo.policies()), out
    assert not any(" = " in r for r in rows), out  # six rows, no name joined to another
    html = (tmp_path / "demo" / "report.html").read_text()
    assert 'id="shared"' not in html and 'id="spending"' not in html
