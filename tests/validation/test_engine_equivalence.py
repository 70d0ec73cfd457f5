"""The numba engine and the SimPy reference agree on every metric, within statistical error.

For each scenario, each metric's replication means are compared with Welch's
two-sample t-test.  The family-wise false-alarm rate of this whole module is
at most ALPHA = 0.001: every comparison is tested at ALPHA divided by the
total number of comparisons (Bonferroni).  Seeds are fixed, so the test is
deterministic; the two engines use different generators, so their samples
are independent and the test has real power.
"""

import agreement
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import scenarios

import orgsim

ALPHA = 0.001
SHIPPED = {  # scenario -> (replications per engine, horizon override to keep the reference engine quick)
    "baseline": (30, 700),
    "call_centre": (60, 1000),
    "jackson": (60, 1000),
    "classroom": (80, None),
    "hospital": (30, 800),
    "contact_centre": (30, 672),
}
GENERATED = 12
# comparisons in the family: an upper bound on metrics per scenario times scenarios
MAX_METRICS = 120
COMPARISONS = MAX_METRICS * (len(SHIPPED) + GENERATED)


def disagreements(a: orgsim.RunResult, b: orgsim.RunResult) -> list[str]:
    """Metrics whose means differ at the Bonferroni-corrected level, with their numbers."""
    return agreement.disagreements(a, b, ALPHA / COMPARISONS, MAX_METRICS)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_engines_agree_on_shipped_scenarios(name):
    reps, horizon = SHIPPED[name]
    scenario = orgsim.load(name, [f"horizon={horizon}"] if horizon else [])
    ref = orgsim.run(scenario, engine="simpy", replications=reps, seed=11)
    fast = orgsim.run(scenario, engine="numba", replications=reps, seed=12)
    assert not disagreements(ref, fast)


@settings(max_examples=GENERATED, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(scenarios(compact=True))  # an unstable draw is refused by the loader, as it should be, and another drawn
def test_engines_agree_on_random_organisations(scenario):
    """Small firms (2-3 departments of one service, horizon 300): needs with and without hold, defects, patience, routing."""
    ref = orgsim.run(scenario, engine="simpy", replications=40, seed=21)
    fast = orgsim.run(scenario, engine="numba", replications=40, seed=22)
    assert not disagreements(ref, fast)
