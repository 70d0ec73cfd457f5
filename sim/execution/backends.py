"""Where batches of replications run: in this process (``local``) or on a Dask cluster (``dask``).

A backend maps ``orgsim.execution.batches.compute_batch`` over tasks and yields
``(key, BatchResult)`` pairs as batches finish, in any order; the caller
places them by replication index, so the numbers never depend on the
backend.  The Dask backend uses an existing scheduler (``scheduler=ADDRESS``)
or starts a ``LocalCluster`` of single-threaded worker processes on this
machine, bound to 127.0.0.1 with the dashboard off.  Each worker runs its
batch single-threaded (numba set to one thread), so a machine's cores are
shared by processes, not by threads.  A worker that dies has its batches
rerun elsewhere by the scheduler.

Dask is optional: ``pip install 'orgsim[distributed]'``.
"""

from __future__ import annotations

import logging
import math
import os
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace

from orgsim.errors import BackendError
from orgsim.execution.batches import Task, compute_batch

BACKENDS = ("local", "dask")
INSTALL_HINT = "the dask backend needs Dask: install orgsim[distributed]  (pip install 'orgsim[distributed]')"
WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}



def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _numba_threads(task: Task | None = None) -> int:
    """The numba threads a batch uses: the task's own setting, else this thread's (``NUMBA_NUM_THREADS``)."""
    if task is not None and task.threads is not None:
        return int(task.threads)
    import numba

    return numba.get_num_threads()


class LocalBackend:
    """Batches run in this process; numba uses all its threads inside a batch and keeps one batch ahead."""

    name = "local"
    threads = None

    @property
    def workers(self) -> int:
        return 1

    def batch_size(self, engine: str, replications: int) -> int:
        # small enough for a lively progress bar and a prompt Ctrl-C, large enough to keep numba's threads busy
        if engine == "numba":
            width = _numba_threads()
            return int(min(max(math.ceil(replications / 50), 8 * width), max(256, 32 * width)))
        return int(min(max(math.ceil(replications / 50), 1), 25))

    def map(self, tasks: Iterable[tuple[object, Task]]) -> Iterator[tuple[object, object]]:
        """Results in task order.  Numba batches run on worker threads, SimPy batches on this one.

        The jitted kernel releases the GIL, so while one batch is reduced and
        collected, or is finishing its last replications on one thread, the
        next one already keeps the other cores busy: with several numba
        threads two batches run at once, one ahead of the one handed back.
        With one numba thread they run one after another (one core means one
        core), still off the main thread so that Ctrl-C is heard at once.
        SimPy batches are Python and hear Ctrl-C on the main thread.
        """
        tasks = iter(tasks)
        for key, task in tasks:
            if task.engine != "numba":
                yield key, compute_batch(task)
                continue
            yield from self._map_compiled(key, task, tasks)

    @staticmethod
    def _map_compiled(key: object, task: Task, tasks: Iterator[tuple[object, Task]]) -> Iterator[tuple[object, object]]:
        from orgsim.kernels.run import block_interrupts_in_this_thread

        width = _numba_threads(task)
        pool = ThreadPoolExecutor(max_workers=2 if width >= 2 else 1, initializer=block_interrupts_in_this_thread)

        def start(t: Task):  # numba threads are per thread: the pool's threads get the caller's width
            return pool.submit(compute_batch, replace(t, threads=width))

        pending = deque([(key, start(task))])
        try:
            for key2, task2 in tasks:
                pending.append((key2, start(task2)))
                while len(pending) >= 2:
                    done_key, future = pending.popleft()
                    yield done_key, future.result()
            while pending:
                done_key, future = pending.popleft()
                yield done_key, future.result()
        except BaseException:
            # stopped early (Ctrl-C, an error): start nothing more, and do not wait for a running batch,
            # which cannot be stopped mid-way; the caller decides whether to wait for it
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def describe(self) -> str:
        return "local"


class DaskBackend:
    """Batches run on a Dask cluster: an existing one (*scheduler*) or a LocalCluster of *workers* processes."""

    name = "dask"
    threads = 1

    def __init__(self, scheduler: str | None = None, workers: int | None = None, *, client=None, timeout: float = 10):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise BackendError(INSTALL_HINT) from None
        self.cluster = None
        self.scheduler = scheduler
        self._own_client = client is None
        if client is not None:
            self.client = client
        elif scheduler:
            if workers is not None:
                raise BackendError("--workers starts a local cluster; it cannot be used with --scheduler")
            try:
                self.client = Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise BackendError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({exc})") from None
        else:
            n = workers or cpu_count()
            # env= reaches the worker processes only; the nanny's pre-spawn-environ would also change
            # this process's environment (the nannies of a LocalCluster live here)
            self.cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # loopback only (no dashboard without bokeh)
                silence_logs=logging.ERROR,
                env=dict(WORKER_ENV),
            )
            self.client = Client(self.cluster)
        try:
            self.client.wait_for_workers(1, timeout=max(timeout, 60))
        except Exception:
            self.close()
            raise BackendError(f"--scheduler {scheduler}: no worker joined the cluster within {max(timeout, 60):.0f} s") from None

    @property
    def workers(self) -> int:
        try:
            return max(1, len(self.client.scheduler_info(n_workers=-1)["workers"]))
        except TypeError:  # older distributed: no n_workers argument
            return max(1, len(self.client.scheduler_info()["workers"]))

    def batch_size(self, engine: str, replications: int) -> int:
        # about eight batches per worker: load balance, and little work lost with a worker
        per = math.ceil(replications / (8 * self.workers))
        return int(min(max(per, 1), 256 if engine == "numba" else 25))

    def map(self, tasks: Iterable[tuple[object, Task]]) -> Iterator[tuple[object, object]]:
        """Submit a few batches per worker ahead; yield each result as it completes (any order)."""
        from distributed import as_completed

        it = iter(tasks)
        pending: dict = {}
        done = as_completed()
        window = max(4, 3 * self.workers)
        token = uuid.uuid4().hex[:8]

        def submit() -> bool:
            try:
                key, task = next(it)
            except StopIteration:
                return False
            fut = self.client.submit(
                compute_batch, task, pure=False, key=f"orgsim-batch-{token}-{task.lo}-{task.hi}-{len(pending)}-{uuid.uuid4().hex[:6]}"
            )
            pending[fut] = key
            done.add(fut)
            return True

        for _ in range(window):
            if not submit():
                break
        try:
            for fut in done:
                key = pending.pop(fut)
                result = fut.result()
                fut.release()
                submit()
                yield key, result
        finally:
            if pending:
                try:
                    self.client.cancel(list(pending), force=True)
                except Exception:
                    pass

    def describe(self) -> str:
        where = self.scheduler or "local cluster"
        return f"dask ({where}, {self.workers} workers)"

    def close(self) -> None:
        try:
            if self._own_client:
                self.client.close(timeout=10)
        except Exception:
            pass
        if self.cluster is not None:
            try:
                self.cluster.close(timeout=10)
            except Exception:
                pass
            self.cluster = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextmanager
def backend_context(backend=None, scheduler: str | None = None, workers: int | None = None):
    """A backend from a name ("local", "dask") or an instance; backends made here are closed at the end."""
    if backend is None or backend == "local":
        if scheduler or workers:
            raise BackendError("--scheduler and --workers apply to --backend dask")
        yield LocalBackend()
    elif backend == "dask":
        be = DaskBackend(scheduler=scheduler, workers=workers)
        try:
            yield be
        finally:
            be.close()
    elif isinstance(backend, str):
        raise BackendError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    else:
        yield backend
