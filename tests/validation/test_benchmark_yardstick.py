"""The benchmark's minimal numba M/M/c is a correct M/M/c, so the engine's speed is compared with like work.

``experiments/benchmark.py`` reports the engine's M/M/c speed against a
minimal hand-written numba loop.  That ratio means something only if the
loop simulates the same queue: its mean wait must match Erlang C.  30
independent seeds give a t-interval; false-alarm rate 0.001.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
from scipy.special import stdtrit

from orgsim.theory import mmc

ROOT = Path(__file__).resolve().parents[2]
ALPHA = 0.001


def load_benchmark():
    spec = importlib.util.spec_from_file_location("orgsim_benchmark", ROOT / "experiments" / "benchmark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_minimal_numba_mmc_matches_erlang_c():
    bench = load_benchmark()
    rate, mean, servers, horizon = 6.0, 1.0, 10, 20_000.0
    waits, throughputs = [], []
    for seed in range(30):
        done, wait = bench._bare_numba_mmc(rate, mean, servers, horizon, seed)
        waits.append(wait / done)
        throughputs.append(done / horizon)
    theory = mmc(rate, 1.0 / mean, servers)
    n = len(waits)
    t = stdtrit(n - 1, 1 - ALPHA / 4)  # two metrics, two-sided
    for name, values, expected in (("mean wait", waits, theory["wait_mean"]), ("throughput", throughputs, rate)):
        m, half = np.mean(values), t * np.std(values, ddof=1) / math.sqrt(n)
        assert abs(m - expected) <= half, f"{name}: {m:.5f} +- {half:.5f}, theory {expected:.5f}"
