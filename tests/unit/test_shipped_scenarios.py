"""Every scenario shipped in scenarios/ validates, and the promised ones are there."""

from __future__ import annotations

from pathlib import Path

import pytest

import orgsim
from orgsim.scenario.loader import shipped_scenarios

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
PROMISED = {"baseline", "call_centre", "jackson", "classroom", "hospital", "contact_centre"}


def test_promised_scenarios_are_shipped():
    assert PROMISED <= {p.stem for p in SHIPPED}, sorted(PROMISED - {p.stem for p in SHIPPED})


def test_installed_package_data_matches_the_folder():
    assert set(shipped_scenarios()) == {p.stem for p in SHIPPED}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_loads(path):
    scenario = orgsim.load(path)
    assert isinstance(scenario, orgsim.Scenario)
    assert scenario.segments, f"{path.name} has no external customers"
    assert orgsim.load(path.stem) == scenario  # also loadable by its short name


@pytest.mark.parametrize("name", sorted(PROMISED))
def test_promised_scenario_loads_by_name(name):
    assert isinstance(orgsim.load(name), orgsim.Scenario)
