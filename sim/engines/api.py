"""Which engines there are, and how to get one's simulate function (each returns an ``EngineOutput``)."""

from __future__ import annotations

from collections.abc import Callable

from orgsim.engines.output import EngineOutput
from orgsim.errors import OptionError

ENGINES = ("simpy", "numba")
AUTO = "auto"  # a study's default: the engine is chosen from its size (``orgsim.studies.estimate.choose_engine``)
# auto: a study of at most this many simulated events runs on the reference engine.  That is about 2 s there,
# less than the compiled engine needs only to start (1 s from its cache, 15-60 s to compile); the rule counts
# events, not seconds on this machine, so the same command picks the same engine anywhere.
AUTO_SIMPY_EVENTS = 40_000


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
    raise OptionError("engine", f"unknown engine {name!r}; choose one of {', '.join((AUTO, *ENGINES))}")
