"""Fixtures for the distributed tests: a Dask cluster started from the command line, on loopback."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def cli_cluster():
    pytest.importorskip("distributed", reason="the distributed tests need orgsim[distributed]")
    from dist_helpers import CommandLineCluster

    cluster = CommandLineCluster(workers=2)
    try:
        yield cluster
    finally:
        cluster.close()
