"""What every engine returns: raw sums per replication, so the studies, metrics and reports treat engines alike.

An engine is a function
``simulate(scenario, headcount, seed, replications, trace=False) -> EngineOutput``
that runs the listed replication indices of a validated scenario with the
given headcount per department.  Replication *i* must depend only on
(seed, i).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
