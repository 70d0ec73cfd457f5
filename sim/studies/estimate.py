"""How big a study is before it starts: events, memory and time, from the offered load.

A study that cannot fit in memory is refused before anything is allocated, and its batches are
cut small enough for their engine rows to fit; one that would take more than a few minutes is
announced with its estimate, so nobody waits blind.  The figures are rough (a factor of about
two either way): they come from the traffic equations and from event rates at the slow end of
what ``experiments/benchmark.py`` measures.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from orgsim import metrics
from orgsim.engines.api import AUTO, AUTO_SIMPY_EVENTS
from orgsim.errors import OptionError
from orgsim.scenario.schema import Scenario
from orgsim.scenario.traffic import arrival_rate, solve

EVENTS_PER_SECOND = {"numba": 3e6, "simpy": 2e4}  # per core
MEMORY_SHARE = 0.8  # of the memory available now, what a study may plan to use
IN_FLIGHT = 2  # batches whose engine rows are alive at once per worker (one computed, one being reduced)
LONG = 120.0  # seconds: a study expected to run longer than this is announced


@dataclass(frozen=True)
class Estimate:
    """The expected size of a study: simulated events, peak memory in bytes, and wall time in seconds."""

    events: float
    memory: float
    seconds: float

    @property
    def long(self) -> bool:
        return self.seconds > LONG

    def describe(self) -> str:
        return f"about {self.events:.2g} events, {_bytes(self.memory)} of memory and {_duration(self.seconds)}"


def _bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover - the loop returns


def _duration(s: float) -> str:
    for limit, unit in ((120, "seconds"), (7200, "minutes"), (172_800, "hours"), (2 * 365 * 86_400, "days")):
        if s < limit:
            return f"{s / {'seconds': 1, 'minutes': 60, 'hours': 3600, 'days': 86_400}[unit]:.3g} {unit}"
    return f"{s / (365 * 86_400):.3g} years"


def available_memory() -> int:
    """Bytes of memory available to a new allocation now (MemAvailable; total memory where not known)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def events_per_replication(scenario: Scenario) -> float:
    """Arrivals, service starts and ends, deliveries and payments over one horizon, from the traffic equations."""
    t = solve(scenario)
    per_time = (sum(arrival_rate(s, scenario) for s in scenario.segments.values()) + 2 * sum(t.executions.values())
                + 2 * sum(t.supplier_rates.values()))
    return per_time * scenario.horizon + scenario.n_periods()


def choose_engine(engine: str, scenarios: list[Scenario], replications: int) -> str:
    """*engine*, or for ``auto`` the reference engine when the study is small (``AUTO_SIMPY_EVENTS``), else numba."""
    if engine != AUTO:
        return engine
    events = replications * sum(events_per_replication(sc) for sc in scenarios)
    return "simpy" if events <= AUTO_SIMPY_EVENTS else "numba"


def _row_values(scenario: Scenario) -> tuple[int, int, int]:
    """Values per replication: the engine's accumulator row, its per-period rows, and the metrics kept."""
    st = metrics.structure(scenario)
    row = sum(math.prod(shape) for _, shape in st.blocks())
    period = sum(math.prod(shape) for _, shape in st.period_blocks()) * scenario.n_periods()
    kept = 12 * (len(st.segments) + 1) + 5 * len(st.departments) + len(st.pairs) + 2
    return row, period, kept


def plan(scenarios: list[Scenario], engine: str, replications: int, batch_size: int, workers: int, cores: int,
         keep_series: list[bool]) -> tuple[Estimate, int]:
    """The study's estimate and the batch size to use (at most *batch_size*, smaller when its rows would not fit).

    *workers*: processes that hold batches at once; *cores*: how many replications run in parallel.

    Raises ``OptionError`` when even one replication per batch, or the results kept, cannot fit in memory.
    """
    budget = MEMORY_SHARE * available_memory()
    per_batch_rep = max(8.0 * sum(_row_values(sc)[:2]) for sc in scenarios)  # bytes of engine rows per replication
    kept = sum(8.0 * replications * (2 * _row_values(sc)[2] + (_row_values(sc)[1] if series else 0))
               for sc, series in zip(scenarios, keep_series))
    room = budget - kept
    if room < per_batch_rep * IN_FLIGHT * workers:
        need = kept + per_batch_rep * IN_FLIGHT * workers
        what = ("one replication's per-period rows" if per_batch_rep * IN_FLIGHT * workers > budget
                else f"the results of {replications} replications")
        raise OptionError(
            "replications", f"{replications}: {what} need about {_bytes(need)} of memory, and {_bytes(budget)} "
            "is available; use fewer replications, a longer `period` or a shorter `horizon`"
        )
    size = max(1, min(batch_size, int(room // (per_batch_rep * IN_FLIGHT * workers))))
    events = replications * sum(events_per_replication(sc) for sc in scenarios)
    seconds = events / (EVENTS_PER_SECOND[engine] * max(1, cores))
    memory = kept + per_batch_rep * size * IN_FLIGHT * workers
    return Estimate(events, memory, seconds), size
