"""Which engine answers the page now: the compiled one once it is warm, the reference engine until then.

A cold numba cache takes tens of seconds to compile, too long for a first screen.  ``Warmup`` compiles in a
child process (so the compiler does not hold this process's interpreter lock while the reference engine
answers the first requests), which fills numba's on-disk cache; this process then loads the cached code in
a background thread (about a second) and is ready.  Until then each what-if runs on the reference engine
with ``QUICK_REPLICATIONS`` replications over the warm-up and ``QUICK_PERIODS`` periods (a first look in
a second or two, not the scenario's whole horizon), and the page says so.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from orgsim.scenario.edit import with_overrides
from orgsim.scenario.schema import Scenario

QUICK_REPLICATIONS = 2
QUICK_PERIODS = 5
WARM_CODE = "import orgsim; orgsim.run(orgsim.load({path!r}), engine='numba', replications=1, seed=0)"


class Warmup:
    """Compiles the numba engine in the background; ``ready`` once this process can run it."""

    def __init__(self, scenario_path: str):
        self.path = scenario_path
        self.started = time.perf_counter()
        self.ready_after: float | None = None
        self.failed: str | None = None
        self._ready = threading.Event()
        self._child: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._warm, name="orgsim-numba-warmup", daemon=True)

    def start(self) -> Warmup:
        self._thread.start()
        return self

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def _warm(self) -> None:
        try:
            self._child = subprocess.Popen([sys.executable, "-c", WARM_CODE.format(path=self.path)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._child.wait()  # a failed child (no writable cache) only means this process compiles itself
            import orgsim

            orgsim.run(orgsim.load(self.path), engine="numba", replications=1, seed=0)
            self.ready_after = time.perf_counter() - self.started
            self._ready.set()
        except Exception as exc:  # the reference engine keeps answering; the page shows why
            self.failed = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        """End the compiling child if it still runs (the server is shutting down)."""
        if self._child is not None and self._child.poll() is None:
            self._child.terminate()

    def status(self) -> dict:
        return {"compiled": self.ready, "seconds": round(time.perf_counter() - self.started, 1),
                "ready_after": None if self.ready_after is None else round(self.ready_after, 2), "failed": self.failed}

    def engine(self, replications: int) -> tuple[str, int, bool]:
        """(engine, replications, quick): numba as asked when warm, else the reference engine on a small run."""
        if self.ready:
            return "numba", replications, False
        return "simpy", min(replications, QUICK_REPLICATIONS), True


def first_look(scenario: Scenario) -> Scenario:
    """The scenario cut to its warm-up and ``QUICK_PERIODS`` periods (unchanged when it is that short already)."""
    horizon = scenario.warmup + QUICK_PERIODS * scenario.period
    if horizon >= scenario.horizon:
        return scenario
    return with_overrides(scenario, [f"horizon={horizon!r}"], f"{scenario.name} (first look)")
