"""What validation says of a scenario mapping it refuses: its one-line problems, for tests of error messages."""

import pytest

from orgsim.errors import ScenarioError
from orgsim.scenario.loader import validate_mapping


def problems(raw: dict) -> list[str]:
    """The problems ``validate_mapping`` refuses *raw* with (fails the test when it is accepted)."""
    with pytest.raises(ScenarioError) as exc:
        validate_mapping(raw, "f.yaml")
    return exc.value.problems
