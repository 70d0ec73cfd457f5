"""A chain of units on a Dask cluster gives the numbers of the local backend, unit by unit."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed", reason="the distributed tests need orgsim[distributed]")

from orgsim.execution.backends import DaskBackend  # noqa: E402
from orgsim.scenario.loader import validate_mapping  # noqa: E402
from orgsim.studies.run import run  # noqa: E402

CHAIN = {
    "name": "chain", "time_unit": "hour", "horizon": 400, "warmup": 80, "period": 40,
    "departments": {"desk": {"headcount": 4, "services": {"serve": {"time": {"dist": "exponential", "mean": 1.0}}}}},
    "segments": {"walkins": {"arrivals": {"rate": 2.0}, "journey": ["desk.serve"], "expectation": 2.0}},
    "morale": {"enabled": True},
    "measures": {"engagement": True, "turnover": True, "productivity": True,
                 "survey": {"response_rate": 0.5, "noise_sd": 0.1, "every": 2}},
    "units": {"count": 5, "vary": {"segments.*.arrivals.rate": {"multiply": {"dist": "lognormal", "mean": 1, "cv": 0.2}},
                                   "morale.load_effect": {"dist": "uniform", "low": 1, "high": 4}},
              "correlate": [["firm.engagement", "external.nps"]]},
}


def test_units_on_a_cluster_match_local():
    sc = validate_mapping(CHAIN, "chain")
    local = run(sc, engine="numba", replications=6, seed=3)
    with DaskBackend(workers=2) as be:
        remote = run(sc, engine="numba", replications=6, seed=3, backend=be, batch_size=2)
    assert remote.to_json()["units"] == local.to_json()["units"]
    assert remote.to_json()["metrics"] == local.to_json()["metrics"]
