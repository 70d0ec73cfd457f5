"""``dept.<d>.staffed``: the time-average headcount present, per run and per period (issue 16, item 3)."""

import pytest

import orgsim


@pytest.mark.parametrize("engine", ["simpy", "numba"])
def test_without_attrition_every_period_is_staffed_as_written_even_a_short_last_one(engine):
    # morale off: nobody leaves, so present = written headcount at every instant, in periods 40, 40 and 10 long
    scenario = orgsim.load("call_centre", ["horizon=90", "period=40", "warmup=5"])
    result = orgsim.run(scenario, engine=engine, replications=2, seed=3)
    series = result.timeseries()
    staffed = series[series.metric == "dept.agents.staffed"]
    assert len(staffed) == 2 * 3
    assert staffed.value.tolist() == pytest.approx([10.0] * 6)
    assert result.summary().set_index("metric").loc["dept.agents.staffed", "mean"] == pytest.approx(10.0)


def test_attrition_shows_in_staffed_and_not_in_the_written_heads():
    # hr loses people at every boundary (high attrition, long hiring delay): present falls below the 2 written
    scenario = orgsim.load("baseline", ["morale.attrition_rate=3", "morale.hiring_delay=400"])
    result = orgsim.run(scenario, engine="numba", replications=4, seed=5)
    staffed = result.summary().set_index("metric").loc["dept.hr.staffed"]
    assert result.headcount["hr"] == 2
    assert staffed["ci_high"] < 2.0
