"""`compare` under a cost ceiling: arms whose mean firm.cost exceeds it are shown, not ranked (issue 19, item 2).

The firm prices labour only and nobody leaves (morale off), so an arm's cost is known by hand: every head is
paid 10 per time unit from warm-up (50) to horizon (300), 2,500 a head.  Its first desk is the bottleneck, so
each head moved there lowers the wait: the dearest arm is the fastest, and a ceiling below its cost must
hand the answer to the next.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import orgsim

DESKS = """
name: two desks
horizon: 300
warmup: 50
period: 50
departments:
  front:
    headcount: 3
    services:
      serve: {time: {dist: exponential, mean: 0.5}}
  back:
    headcount: 2
    services:
      file: {time: {dist: exponential, mean: 0.2}}
segments:
  walkins:
    arrivals: {rate: 5}
    journey: [front.serve]
    expectation: 1.0
    value: 50
"""
PER_HEAD = 10 * (300 - 50)
VARIANTS = {"front4": {"departments.front.headcount": 4}, "front5": {"departments.front.headcount": 5}}
HEADS = {"as_scenario": 5, "front4": 6, "front5": 7}


@pytest.fixture
def desks(tmp_path):
    path = tmp_path / "desks.yaml"
    path.write_text(DESKS + "costs: {labour: 10}\n")
    return path


def _compare(path, ceiling, metric="external.wait_mean"):
    return orgsim.compare(orgsim.load(str(path)), metric=metric, replications=8, seed=2, engine="numba",
                          variants=VARIANTS, cost_ceiling=ceiling)


def test_arms_over_the_ceiling_are_shown_but_not_ranked(desks):
    comp = _compare(desks, 6 * PER_HEAD)  # the 7-head arm costs 17,500, over a 15,000 ceiling
    s = comp.stats
    assert s["firm_cost"] == pytest.approx({k: h * PER_HEAD for k, h in HEADS.items()}, rel=1e-9)
    assert s["over_ceiling"] == ["front5"]
    assert s["ranking"] == ["front4", "as_scenario"] and s["best"] == "front4"
    assert s["policies"]["front5"]["p_best"] == 0.0
    assert comp.answer().startswith("Within the cost ceiling of 15,000, front4 gives the lowest external.wait_mean")
    assert "front5 costs more than the ceiling and is not ranked" in comp.answer()
    free = _compare(desks, None)
    assert free.stats["best"] == "front5" and "over_ceiling" not in free.stats  # the ceiling, not chance, moved it
    rows = comp.summary()
    assert rows["over_ceiling"].tolist() == [False, False, True] and rows["rank"].isna().tolist() == [False, False, True]


def test_a_ceiling_above_every_arm_ranks_all_and_one_below_every_arm_is_refused(desks):
    assert _compare(desks, 7 * PER_HEAD + 1).stats["over_ceiling"] == []
    with pytest.raises(orgsim.OptionError, match=r"cost_ceiling 12,499 is below every arm's mean firm.cost .*12,500"):
        _compare(desks, 5 * PER_HEAD - 1)


def test_a_ceiling_needs_prices_in_the_words_optimise_uses(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text(DESKS)
    with pytest.raises(orgsim.OptionError) as compared:
        _compare(path, 1000.0)
    with pytest.raises(orgsim.OptionError) as optimised:
        orgsim.optimise(orgsim.load(str(path)), budget=6, cost_ceiling=1000.0, replications=2, engine="numba")
    assert str(compared.value) == str(optimised.value)
    assert "no `costs` block" in str(compared.value)


def _cli(*args, cwd):
    proc = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True, cwd=cwd)
    assert "Traceback" not in proc.stderr
    return proc


def test_the_command_line_reports_the_ceiling_and_refuses_it_without_costs_or_with_select(desks, tmp_path):
    variants = ["--variant", "front4=departments.front.headcount=4", "--variant", "front5=departments.front.headcount=5"]
    ok = _cli("compare", str(desks), *variants, "--metric", "external.wait_mean", "--cost-ceiling", "15000", "-r", "6",
              "--engine", "numba", "--format", "json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert out["cost_ceiling"] == 15000 and out["over_ceiling"] == ["front5"] and "front5" not in out["ranking"]
    assert out["policies"]["front5"]["firm_cost"] == pytest.approx(7 * PER_HEAD, rel=1e-9)
    table = _cli("compare", str(desks), *variants, "--metric", "external.wait_mean", "--cost-ceiling", "15000", "-r", "6",
                 "--engine", "numba", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "- over the cost ceiling of 15,000 (mean firm.cost), not ranked: front5 17,500" in table.stdout
    plain = tmp_path / "plain.yaml"
    plain.write_text(DESKS)
    refused = _cli("compare", str(plain), *variants, "--cost-ceiling", "15000", "-r", "2", cwd=tmp_path)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "--cost-ceiling" in refused.stderr and "costs" in refused.stderr
    select = _cli("compare", str(desks), "--policy", "fixed", "--policy", "sqrt_staffing", "--select", "--delta", "1",
                  "--cost-ceiling", "15000", cwd=tmp_path)
    assert select.returncode == 2 and "--cost-ceiling" in select.stderr and "--select" in select.stderr


def test_a_variant_that_drops_the_prices_is_refused_in_the_same_words(desks):
    with pytest.raises(orgsim.OptionError, match="no `costs` block"):
        orgsim.compare(orgsim.load(str(desks)), replications=2, seed=1, engine="numba", cost_ceiling=20_000,
                       variants={"unpriced": {"costs": None}})
