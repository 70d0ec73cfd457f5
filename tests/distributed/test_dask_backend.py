"""The dask backend gives the very numbers of the local backend: LocalCluster, a command-line cluster, a killed worker."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest

pytest.importorskip("distributed", reason="the distributed tests need orgsim[distributed]")

from dist_helpers import SCENARIO, assert_identical, cli, small_scenario

from orgsim.execution.backends import DaskBackend  # noqa: E402
from orgsim.studies import simulate as runner  # noqa: E402
from orgsim.studies.compare import PolicySpec, compare
from orgsim.studies.run import run


def test_local_cluster_of_two_processes_matches_local(monkeypatch):
    sc = small_scenario()
    ref = run(sc, engine="numba", replications=48, seed=5)
    with DaskBackend(workers=2) as be:
        assert be.workers == 2
        assert be.cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert be.cluster.dashboard_link is None or be.cluster.dashboard_link.startswith("http://127.0.0.1:")
        # each worker is its own single-threaded process
        assert set(be.client.run(lambda: __import__("numba").config.NUMBA_NUM_THREADS).values()) == {1}
        assert len(set(be.client.run(os.getpid).values())) == 2
        a = run(sc, engine="numba", replications=48, seed=5, backend=be)
        b = run(sc, engine="numba", replications=48, seed=5, backend=be, batch_size=7)
        assert a.extra["batch_size"] != 48 and "dask" in a.extra["backend"]
        assert_identical(ref, a)
        assert_identical(ref, b)
        # long runs keep per-period sums only: those too are identical, whatever the batch split and offset
        monkeypatch.setattr(runner, "KEEP_SERIES_VALUES", 0)
        ref_sums = run(sc, engine="numba", replications=45, seed=5, first=3, batch_size=45)
        c = run(sc, engine="numba", replications=45, seed=5, first=3, backend=be, batch_size=4)
        assert c.series is None and c.period_sums
        assert_identical(ref_sums, c)
        assert ref_sums.timeseries_summary().equals(c.timeseries_summary())
        # compare passes the backend through: same statistics
        specs = [PolicySpec("fifo", {"priority": "fifo"}), PolicySpec("ext", {"priority": "external_first"})]
        local = compare(sc, specs, metric="external.wait_mean", replications=16, seed=2, engine="numba")
        remote = compare(sc, specs, metric="external.wait_mean", replications=16, seed=2, engine="numba", backend=be)
        assert local.to_json() == remote.to_json()


def test_command_line_cluster_run_and_sweep_match_local(cli_cluster, tmp_path, capsys):
    addr = cli_cluster.address
    common = [SCENARIO, "--engine", "numba", "-r", "40", "--seed", "3", "--no-progress"]
    code, _, err = cli(capsys, "run", *common, "--out", tmp_path / "local")
    assert code == 0, err
    code, _, err = cli(capsys, "run", *common, "--backend", "dask", "--scheduler", addr, "--out", tmp_path / "dask")
    assert code == 0, err
    assert (tmp_path / "local/summary.csv").read_bytes() == (tmp_path / "dask/summary.csv").read_bytes()
    for name in ("replications.parquet", "timeseries.parquet"):
        assert pd.read_parquet(tmp_path / "local" / name).equals(pd.read_parquet(tmp_path / "dask" / name)), name

    grid = ["--grid", "departments.front_desk.headcount=3,4", "--policy", "fifo", "--policy", "external_first"]
    sw = ["sweep", SCENARIO, *grid, "-r", "12", "--seed", "1", "--engine", "numba", "--no-progress"]
    code, _, err = cli(capsys, *sw, "--out", tmp_path / "sw-local")
    assert code == 0, err
    code, out, err = cli(capsys, *sw, "--out", tmp_path / "sw-dask", "--backend", "dask", "--scheduler", addr)
    assert code == 0, err
    assert "2 workers" in out
    assert (tmp_path / "sw-local/sweep.csv").read_bytes() == (tmp_path / "sw-dask/sweep.csv").read_bytes()
    table = pd.read_parquet(tmp_path / "sw-dask/sweep.parquet")
    assert table.equals(pd.read_parquet(tmp_path / "sw-local/sweep.parquet"))
    assert len(table.groupby(["departments.front_desk.headcount", "policy"])) == 4


def test_worker_killed_mid_run_is_survived(cli_cluster):
    sc = small_scenario()
    ref = run(sc, engine="numba", replications=60, seed=9)
    before = cli_cluster.worker_pids()
    assert len(before) == 2
    victim = sorted(before.values())[0]
    killed = []

    def kill_one(n):  # after the first batch is back, batches are in flight on both workers
        if not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    with DaskBackend(scheduler=cli_cluster.address) as be:
        res = run(sc, engine="numba", replications=60, seed=9, backend=be, batch_size=2, on_batch=kill_one)
    assert killed == [victim]
    assert_identical(ref, res)
    cli_cluster.client.wait_for_workers(2, timeout=120)  # the nanny started a replacement
    assert victim not in cli_cluster.worker_pids().values()
