"""What every engine returns, and which engines there are, so the studies treat engines alike.

An engine is a function
``simulate(scenario, headcount, seed, replications, trace=False) -> EngineOutput``
that runs the listed replication indices of a validated scenario with the
given headcount per department.  Replication *i* must depend only on
(seed, i).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from orgsim.errors import OptionError


@dataclass
class EngineOutput:
    """Raw sums per replication, in the layouts of ``orgsim.kernels.layout``.

    rows:    (replications, row length) accumulator rows, after warm-up
    periods: (replications, periods, period row length) per-period rows, all periods
    trace:   narrated events (reference engine only, when asked for)
    """

    rows: np.ndarray
    periods: np.ndarray
    trace: list | None = None


ENGINES = ("simpy", "numba")


def engine_function(name: str) -> Callable[..., EngineOutput]:
    """The simulate function of an engine, imported on first use (numba compiles lazily)."""
    if name == "simpy":
        from orgsim.engines.reference import simulate

        return simulate
    if name == "numba":
        from orgsim.kernels.run import simulate as kernel_simulate

        def simulate(scenario, headcount, seed, replications, trace=False):
            rows, periods = kernel_simulate(scenario, headcount, seed, replications)
            return EngineOutput(rows=rows, periods=periods)

        return simulate
    raise OptionError("engine", f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
