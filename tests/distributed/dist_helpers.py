"""Helpers for the distributed tests: real Dask clusters on loopback, and the orgsim command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BIN = Path(sys.executable).parent
WORKER_ENV = {**os.environ, "NUMBA_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}

SCENARIO = "classroom"  # small and quick: one department, horizon 400


def orgsim(*args, timeout=240, **kw) -> subprocess.CompletedProcess:
    """Run the orgsim command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "orgsim.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kw)


def cli(capsys, *args) -> tuple[int, str, str]:
    """Run the orgsim command line in this process (capsys captures its output): (exit status, stdout, stderr)."""
    from orgsim.cli import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def orgsim_popen(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "orgsim.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def dask_command(*args) -> list[str]:
    exe = BIN / "dask"
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "dask", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def small_scenario():
    import orgsim

    return orgsim.load(SCENARIO)


def assert_identical(a, b) -> None:
    """Two RunResults hold the same numbers, bit for bit."""
    assert list(a.values) == list(b.values)
    for k in a.values:
        assert np.array_equal(a.values[k], b.values[k], equal_nan=True), k
        assert a.values[k].tobytes() == b.values[k].tobytes(), k
    assert list(a.period_sums) == list(b.period_sums)
    for k in a.period_sums:
        assert a.period_sums[k].tobytes() == b.period_sums[k].tobytes(), k
    assert (a.series is None) == (b.series is None)
    if a.series is not None:
        for k in a.series:
            assert a.series[k].tobytes() == b.series[k].tobytes(), k
    assert a.summary().equals(b.summary())


class CommandLineCluster:
    """`dask scheduler` and `dask worker` processes on 127.0.0.1, as an operator would start them."""

    def __init__(self, workers: int = 2):
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.procs.append(self._start(dask_command("scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                                   "--no-dashboard", "--dashboard-address", "127.0.0.1:0")))
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or self.procs[0].poll() is not None:
                    self.close()
                    raise RuntimeError("the dask scheduler did not start") from None
                time.sleep(0.2)
        for i in range(workers):
            self.add_worker(f"w{i}")
        from distributed import Client

        self.client = Client(self.address, timeout=30)
        self.client.wait_for_workers(workers, timeout=120)

    def _start(self, cmd) -> subprocess.Popen:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=WORKER_ENV,
                                start_new_session=True)

    def add_worker(self, name: str) -> None:
        self.procs.append(self._start(dask_command("worker", self.address, "--nthreads", "1", "--nworkers", "1",
                                                   "--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                                                   "--name", name)))

    def worker_pids(self) -> dict[str, int]:
        return self.client.run(os.getpid)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        for p in reversed(self.procs):  # workers first, then the scheduler; only the processes started here
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
