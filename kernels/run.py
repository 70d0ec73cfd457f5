"""Run replications of a scenario on the numba engine, in parallel.

``simulate`` returns every replication's rows at once; ``simulate_batches``
yields them a batch at a time so that a caller can reduce and discard them
(memory does not grow with the number of replications).  Replication *i*
depends only on (seed, i): its random streams are seeded from them alone and
it writes only its own output row, so thread count and batch split never
change a number.

Parallelism: a batch is cut into contiguous chunks that worker threads pass
to the jitted loop, which releases the GIL (``nogil``).  This, rather than
``numba.prange``, because a ``parallel=True`` caller makes numba link the
whole event loop into the parallel wrapper and optimise it a second time
(measured: +20 s of cold compile); threads cost nothing to compile.  The
thread count defaults to numba's (``NUMBA_NUM_THREADS``).
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from .compile import CompiledScenario, compile_scenario
from .loop import run_replications
from .rng import run_entropy, states

BATCH_BYTES = 128 * 2**20  # default batch: about this much output per batch
CHUNKS_PER_THREAD = 16  # many small chunks: threads that finish early take more, so a batch ends nearly together


def replication_indices(replications: int | Iterable[int]) -> np.ndarray:
    """Replication indices: ``range(n)`` for an int, else the listed (non-negative) indices."""
    if isinstance(replications, (int, np.integer)) and not isinstance(replications, bool):
        if replications < 0:
            raise ValueError(f"replications must be >= 0, got {replications}")
        return np.arange(int(replications), dtype=np.int64)
    reps = np.asarray(list(replications), dtype=np.int64).reshape(-1)
    if reps.size and reps.min() < 0:
        raise ValueError("replication indices must be >= 0")
    return reps


def _bytes_per_replication(cs: CompiledScenario) -> int:
    return 8 * (cs.row_len + cs.n_periods * cs.per_len)


def _threads(threads: int | None) -> int:
    if threads is None:
        return numba.get_num_threads()
    if isinstance(threads, bool) or int(threads) != threads or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    return int(threads)


def block_interrupts_in_this_thread() -> None:
    """A worker thread's initializer: Ctrl-C (SIGINT) then always goes to the main thread.

    A signal sent to the process may land on any thread that does not block
    it; when it lands on a worker, the main thread, asleep waiting for that
    worker, does not wake up to raise KeyboardInterrupt.  Threads started by
    this one inherit the mask.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _run(cs: CompiledScenario, seed: int, reps: np.ndarray, threads: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and period rows of replications *reps*, computed on *threads* threads."""
    rows = np.empty((reps.size, cs.row_len), dtype=np.float64)
    periods = np.empty((reps.size, cs.n_periods, cs.per_len), dtype=np.float64)
    n = reps.size
    if n == 0:
        return rows, periods
    st = states(seed, reps, cs.src_keys)
    if threads == 1 or n == 1:
        run_replications(cs, st, rows, periods)
        return rows, periods
    n_chunks = min(n, threads * CHUNKS_PER_THREAD)
    cuts = np.linspace(0, n, n_chunks + 1).astype(np.int64)
    with ThreadPoolExecutor(max_workers=threads, initializer=block_interrupts_in_this_thread) as pool:
        jobs = [
            pool.submit(run_replications, cs, st[a:b], rows[a:b], periods[a:b])
            for a, b in zip(cuts[:-1], cuts[1:])
            if b > a
        ]
        for job in jobs:
            job.result()
    return rows, periods


def simulate_batches(
    scenario,
    headcount: dict[str, int] | None = None,
    seed: int = 0,
    replications: int | Iterable[int] = 1,
    threads: int | None = None,
    batch_size: int | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield ``(replication indices, rows, periods)`` batch by batch.

    rows: (batch, row length) accumulator rows (``layout.blocks``);
    periods: (batch, n_periods, period row length) (``layout.period_blocks``).
    Arrays are fresh for each batch; the scenario is compiled once.
    """
    cs = compile_scenario(scenario, headcount)
    run_entropy(seed)  # validates the seed
    yield from _batches(cs, seed, replication_indices(replications), _threads(threads), batch_size)


def _batches(cs: CompiledScenario, seed: int, reps: np.ndarray, width: int, batch_size: int | None):
    if batch_size is None:
        batch_size = max(width, min(4096, BATCH_BYTES // max(1, _bytes_per_replication(cs))))
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    batch_size = int(batch_size)
    for a in range(0, reps.size, batch_size):
        chunk = reps[a : a + batch_size]
        rows, periods = _run(cs, seed, chunk, width)
        yield chunk, rows, periods


def simulate(
    scenario,
    headcount: dict[str, int] | None = None,
    seed: int = 0,
    replications: int | Iterable[int] = 1,
    threads: int | None = None,
    batch_size: int | None = None,
    trace: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the listed replications (``range(n)`` for an int) and return ``(rows, periods)``.

    *headcount* overrides the scenario's headcount per department; *seed* is
    a non-negative integer; *threads* worker threads (default: numba's thread
    count, ``NUMBA_NUM_THREADS``); *batch_size* runs the replications in
    batches of that many (the result is the same).  The numba engine keeps
    no event trace (*trace* must be False).

    Returns
    -------
    rows : (replications, row length) accumulator rows (``layout.blocks``)
    periods : (replications, n_periods, period row length) (``layout.period_blocks``)
    """
    if trace:
        raise ValueError("the numba engine does not record a trace; use the reference (simpy) engine")
    cs = compile_scenario(scenario, headcount)
    run_entropy(seed)  # validates the seed
    reps = replication_indices(replications)
    width = _threads(threads)
    if batch_size is None:
        return _run(cs, seed, reps, width)
    rows = np.empty((reps.size, cs.row_len), dtype=np.float64)
    periods = np.empty((reps.size, cs.n_periods, cs.per_len), dtype=np.float64)
    pos = 0
    for chunk, r, p in _batches(cs, seed, reps, width, batch_size):
        rows[pos : pos + chunk.size] = r
        periods[pos : pos + chunk.size] = p
        pos += chunk.size
    return rows, periods
