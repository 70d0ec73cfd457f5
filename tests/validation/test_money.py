"""The firm's money (`costs:`): both engines count the same causes, and each cause is priced as the Model says.

Labour is exact (employee time present times pay); escaped defects of a
one-step journey are a binomial count of completed orders, checked against the
defect rate; the engines agree on every cost of the baseline firm (Welch's
test, Bonferroni over the money metrics); profit is revenue less cost in every
replication.
"""

import numpy as np
import pytest
from scipy import stats

import orgsim

ENGINES = ("simpy", "numba")
ALPHA = 0.001  # family-wise false-alarm rate of each statistical check here

DESKS = """
name: two desks
horizon: 300
warmup: 50
period: 50
departments:
  front:
    headcount: 3
    services:
      serve: {time: {dist: exponential, mean: 0.5}, defect_rate: 0.2}
  back:
    headcount: 2
    services:
      file: {time: {dist: exponential, mean: 0.2}}
segments:
  walkins:
    arrivals: {rate: 4}
    journey: [front.serve]
    expectation: 1.0
    value: 50
"""


def _desks(tmp_path, costs: str) -> orgsim.Scenario:
    path = tmp_path / "desks.yaml"
    path.write_text(DESKS + costs)
    return orgsim.load(str(path))


@pytest.mark.parametrize("engine", ENGINES)
def test_labour_is_pay_times_time_present(tmp_path, engine):
    """No morale, so nobody leaves: every employee is present from warm-up to horizon."""
    scenario = _desks(tmp_path, "costs: {labour: {front: 7.5, back: 20}}\n")
    result = orgsim.run(scenario, engine=engine, replications=3, seed=4)
    np.testing.assert_allclose(result.values["firm.labour_cost"], (3 * 7.5 + 2 * 20) * (300 - 50), rtol=1e-9)
    np.testing.assert_allclose(result.values["firm.cost"], result.values["firm.labour_cost"], rtol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_escaped_defects_are_the_defect_rate_of_completed_orders(tmp_path, engine):
    """After a journey's last step no internal customer is left to catch a defect: each completion escapes
    with the defect rate (0.2), so the escaped count of all replications is binomial(completed, 0.2)."""
    scenario = _desks(tmp_path, "costs: {escaped_defect: 1}\n")
    result = orgsim.run(scenario, engine=engine, replications=20, seed=5)
    completed = result.values["external.completed"].sum()
    escaped = result.values["firm.defect_cost"].sum()
    z = (escaped - 0.2 * completed) / np.sqrt(completed * 0.2 * 0.8)
    assert abs(z) < stats.norm.isf(ALPHA / 2 / len(ENGINES)), (escaped, completed)


@pytest.mark.parametrize("engine", ENGINES)
def test_profit_is_revenue_less_cost(tmp_path, engine):
    scenario = _desks(tmp_path, "costs: {labour: 3, escaped_defect: 10}\n")
    v = orgsim.run(scenario, engine=engine, replications=4, seed=6).values
    np.testing.assert_allclose(v["firm.profit"], v["external.revenue"] - v["firm.cost"], rtol=1e-12)
    parts = ("labour", "rework", "defect", "late_payment", "churn")
    np.testing.assert_allclose(v["firm.cost"], sum(v[f"firm.{p}_cost"] for p in parts), rtol=1e-12)


def test_engines_agree_on_the_baseline_firms_money():
    """Every cause has a price and happens on baseline (invoices paid past 2-hour terms, churn, rework)."""
    sets = ["horizon=700", "suppliers.parts.payment_terms=2", "costs.labour=30", "costs.rework=12",
            "costs.escaped_defect=80", "costs.late_payment=2", "costs.churn=400"]
    scenario = orgsim.load("baseline", sets)
    ref = orgsim.run(scenario, engine="simpy", replications=30, seed=11).values
    fast = orgsim.run(scenario, engine="numba", replications=30, seed=12).values
    money = [m for m in ref if m.startswith("firm.")]
    assert len(money) == 7
    for m in money:
        assert ref[m].mean() > 0 or m == "firm.profit", f"{m} is never paid on baseline: the check has no power"
        p = stats.ttest_ind(ref[m], fast[m], equal_var=False).pvalue
        assert p >= ALPHA / len(money), f"{m}: simpy {ref[m].mean():.6g} vs numba {fast[m].mean():.6g} (p={p:.2g})"


def test_no_costs_no_money_metrics():
    result = orgsim.run(orgsim.load("jackson", ["horizon=300"]), engine="numba", replications=2, seed=1)
    assert not [m for m in result.values if m.startswith("firm.")]


def test_a_cost_ceiling_stops_the_search_where_the_money_ends(tmp_path):
    """Labour alone is priced (10 per head-hour over 250 counted hours: 2,500 a head), so a ceiling of 7 heads'
    pay leaves 7 of a 10-head budget spent, and the search says why it stopped."""
    scenario = _desks(tmp_path, "costs: {labour: 10}\n")
    capped = orgsim.optimise(scenario, budget=10, cost_ceiling=7 * 2500 + 1, replications=4, final_replications=4,
                             engine="numba", seed=3)
    assert sum(capped.allocation.values()) == 7
    assert capped.path[-1]["step"].startswith("stop: cost ceiling")
    free = orgsim.optimise(scenario, budget=10, replications=4, final_replications=4, engine="numba", seed=3)
    assert sum(free.allocation.values()) == 10


def test_a_cost_ceiling_needs_prices(tmp_path):
    with pytest.raises(orgsim.OptionError, match="cost_ceiling.*costs"):
        orgsim.optimise(_desks(tmp_path, ""), budget=6, cost_ceiling=100.0, replications=2, engine="numba")


@pytest.mark.parametrize("engine", ENGINES)
def test_an_invested_head_costs_a_heads_pay_unless_priced(tmp_path, engine):
    """A budget of 6 with 1 head's worth of training leaves the 5 written heads; by default the invested one is paid
    the heads' average pay, (3 × 7.5 + 2 × 20) / 5 = 12.5, over the 250 counted time units; `investment` sets it."""
    base = "costs: {labour: {front: 7.5, back: 20}%s}\npolicy: {budget: 6, investments: {training: 1}}\n"
    v = orgsim.run(_desks(tmp_path, base % ""), engine=engine, replications=2, seed=7).values
    np.testing.assert_allclose(v["firm.investment_cost"], 12.5 * (300 - 50), rtol=1e-12)
    np.testing.assert_allclose(v["firm.labour_cost"], (3 * 7.5 + 2 * 20) * (300 - 50), rtol=1e-9)
    parts = ("labour", "rework", "defect", "late_payment", "churn", "investment")
    np.testing.assert_allclose(v["firm.cost"], sum(v[f"firm.{p}_cost"] for p in parts), rtol=1e-12)
    priced = orgsim.run(_desks(tmp_path, base % ", investment: 40"), engine=engine, replications=2, seed=7).values
    np.testing.assert_allclose(priced["firm.investment_cost"], 40 * (300 - 50), rtol=1e-12)
    none = orgsim.run(_desks(tmp_path, "costs: {labour: 3}\n"), engine=engine, replications=2, seed=7).values
    assert "firm.investment_cost" not in none  # nothing invested: the money metrics are as before
