"""The headcount a scenario runs with: its policy's rule, or, for ``optimised``, a search by simulation.

The rules themselves are pure (``orgsim.policies``); only the studies layer may simulate, so the
``optimised`` allocation is resolved here.
"""

from __future__ import annotations

from orgsim.policies import allocate
from orgsim.scenario.schema import Scenario
from orgsim.studies.optimise import optimise

OPTIMISED_SEED = 10_000  # the search runs on its own seed, so a comparison is not judged on its search runs


def resolve(scenario: Scenario, on_batch=None, on_plan=None) -> tuple[Scenario, dict[str, int]]:
    """The scenario to run and its heads per department under its allocation policy and budget (``BudgetError``
    if none fits).  For ``optimised`` with departments in shifts, the scenario has the searched heads per shift
    written in; the other rules' heads per shift are written by ``orgsim.policies.effective_scenario``.

    *on_batch*, *on_plan*: progress of the search for ``optimised`` (see ``orgsim.studies.optimise``).
    """
    if scenario.policy.allocation == "optimised":
        best = optimise(scenario, replications=20, final_replications=40, seed=OPTIMISED_SEED,
                        on_batch=on_batch, on_plan=on_plan)
        return best.scenario, best.allocation
    return scenario, allocate(scenario)


def headcount(scenario: Scenario, on_batch=None, on_plan=None) -> dict[str, int]:
    """Heads per department under the scenario's allocation policy and budget (see ``resolve``)."""
    return resolve(scenario, on_batch, on_plan)[1]
