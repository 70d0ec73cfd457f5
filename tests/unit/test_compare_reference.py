"""`compare(..., reference=)`: every arm's paired difference against a named policy (the demo's reference arm)."""

from __future__ import annotations

import numpy as np
import pytest

import orgsim
from orgsim.studies.compare import PolicySpec, compare

POLICIES = [PolicySpec("fifo", {"priority": "fifo"}), PolicySpec("external_first", {"priority": "external_first"}),
            PolicySpec("internal_first", {"priority": "internal_first"})]


def _classroom():
    return orgsim.load("classroom", ["horizon=200", "warmup=40"])


def test_differences_against_the_named_policy_are_the_mean_of_per_replication_differences():
    comp = compare(_classroom(), POLICIES, replications=6, seed=3, engine="numba", reference="internal_first")
    ref = comp.values("internal_first")
    for label in comp.labels:
        d = comp.stats["against_reference"][label]
        assert d["mean"] == pytest.approx(np.mean(comp.values(label) - ref), abs=1e-12)
        assert d["ci_low"] <= d["mean"] <= d["ci_high"]
    assert comp.to_json()["reference"] == "internal_first"


def test_an_unknown_reference_or_one_beside_variants_is_refused():
    with pytest.raises(orgsim.OptionError, match="reference internal_frist is not a policy compared; did you mean `"
                                                 "internal_first`"):
        compare(_classroom(), POLICIES, replications=2, engine="numba", reference="internal_frist")
    with pytest.raises(orgsim.OptionError, match="reference cannot be named with variants"):
        compare(_classroom(), POLICIES[:1], replications=2, engine="numba", reference="fifo",
                variants={"more": {"policy.budget": 10}})
