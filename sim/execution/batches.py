"""Batches of replications: the unit of work every backend runs, and how their results come together.

A run is split into batches of consecutive replication indices.  Wherever a
batch runs (in this process or on a Dask worker) it is simulated and reduced
at once to a small ``BatchResult``:

* ``values``: the per-replication metrics (batch x metrics);
* ``series``: the per-replication, per-period metrics, only when the run keeps
  them (runs small enough for ``RunResult.timeseries()``);
* per-period sums (n, sum, sum of squares) over the aligned *blocks* of
  ``BLOCK`` replications that the batch holds whole, plus the per-period rows
  of the replications of blocks it holds only in part.

The ``Collector`` places values by replication index and folds the per-period
sums in a fixed order (replications in index order inside a block, blocks in
index order), so every float of the final result comes from the same
operations in the same order, whatever the batch size, the order in which
batches arrive, or the number of workers: the numbers are identical, bit for
bit, to a local run with the same seed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from orgsim import metrics, profiles
from orgsim.engines.api import engine_function
from orgsim.kernels.profile import HOURS

BLOCK = 32  # replications per block of per-period sums (absolute index // BLOCK)
MODES = ("series", "sums", "none")  # what a batch returns besides per-replication values


@dataclass
class Task:
    """Everything a worker needs to simulate and reduce one batch (small; pickled to the worker)."""

    engine: str
    scenario: object  # the engine scenario (policies.effective_scenario)
    headcount: dict
    seed: int
    lo: int  # replications lo .. hi-1
    hi: int
    run_lo: int  # the whole run: run_lo .. run_hi-1 (to know which blocks the batch holds whole)
    run_hi: int
    mode: str
    structure: metrics.Structure
    threads: int | None = None  # numba threads on the worker (None: leave numba's setting)


@dataclass
class BatchResult:
    """What comes back from one batch: per-replication metrics and per-period sums, no raw engine rows."""

    lo: int
    hi: int
    value_names: list[str]
    values: np.ndarray  # (hi-lo, len(value_names))
    period_names: list[str]
    n_periods: int
    series: np.ndarray | None = None  # (hi-lo, len(period_names) * n_periods), mode "series"
    block_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    block_sums: np.ndarray | None = None  # (blocks, 3, K): n, sum, sum of squares
    edge_idx: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    edge_rows: np.ndarray | None = None  # (edges, K) per-period rows of replications in partial blocks
    profile_names: list[str] = field(default_factory=list)  # hour-of-week profiles, when the scenario keeps them
    profile: np.ndarray | None = None  # (hi-lo, len(profile_names) * 168)
    seconds: float = 0.0
    worker: str = ""

    @property
    def count(self) -> int:
        return self.hi - self.lo

    def arrays(self) -> dict[str, np.ndarray]:
        """Every field as a named array (what ``save`` writes and ``from_arrays`` reads back)."""
        arrays = {
            "lo": np.int64(self.lo),
            "hi": np.int64(self.hi),
            "value_names": np.array(self.value_names, dtype=str),
            "values": self.values,
            "period_names": np.array(self.period_names, dtype=str),
            "n_periods": np.int64(self.n_periods),
            "block_ids": self.block_ids,
            "edge_idx": self.edge_idx,
        }
        if self.series is not None:
            arrays["series"] = self.series
        if self.block_sums is not None:
            arrays["block_sums"] = self.block_sums
        if self.edge_rows is not None:
            arrays["edge_rows"] = self.edge_rows
        if self.profile is not None:
            arrays["profile_names"] = np.array(self.profile_names, dtype=str)
            arrays["profile"] = self.profile
        return arrays

    @classmethod
    def from_arrays(cls, z) -> BatchResult:
        """The batch held in *z* (a mapping of names to arrays, as ``arrays`` gives)."""
        get = lambda k: np.asarray(z[k]) if k in z else None  # noqa: E731
        return cls(
            lo=int(z["lo"]),
            hi=int(z["hi"]),
            value_names=[str(s) for s in z["value_names"]],
            values=np.asarray(z["values"]),
            period_names=[str(s) for s in z["period_names"]],
            n_periods=int(z["n_periods"]),
            series=get("series"),
            block_ids=np.asarray(z["block_ids"]),
            block_sums=get("block_sums"),
            edge_idx=np.asarray(z["edge_idx"]),
            edge_rows=get("edge_rows"),
            profile_names=[str(s) for s in z["profile_names"]] if "profile_names" in z else [],
            profile=get("profile"),
        )

    def problem(self) -> str | None:
        """What is inconsistent in this batch (rows that do not match its replications, ...), or None."""
        n, k = self.count, len(self.period_names) * self.n_periods
        if n < 1:
            return f"it holds replications {self.lo}-{self.hi - 1}, an empty range"
        if self.values.ndim != 2 or self.values.shape != (n, len(self.value_names)):
            return f"its values have shape {self.values.shape}, not ({n}, {len(self.value_names)}) for {n} replications"
        if self.series is not None and self.series.shape != (n, k):
            return f"its series have shape {self.series.shape}, not ({n}, {k})"
        if self.block_sums is not None and self.block_sums.shape != (len(self.block_ids), 3, k):
            return f"its per-period sums have shape {self.block_sums.shape}, not ({len(self.block_ids)}, 3, {k})"
        if self.edge_rows is not None and self.edge_rows.shape != (len(self.edge_idx), k):
            return f"its edge rows have shape {self.edge_rows.shape}, not ({len(self.edge_idx)}, {k})"
        if self.profile is not None and self.profile.shape != (n, len(self.profile_names) * HOURS):
            return f"its profile has shape {self.profile.shape}, not ({n}, {len(self.profile_names) * HOURS})"
        if self.edge_idx.size and not ((self.edge_idx >= self.lo) & (self.edge_idx < self.hi)).all():
            return "its edge replications lie outside the batch"
        return None

    def save(self, path) -> None:
        """Write as an uncompressed .npz to *path* (a path or an open binary file)."""
        np.savez(path, **self.arrays())

    @classmethod
    def load(cls, path) -> BatchResult:
        with np.load(path, allow_pickle=False) as z:
            return cls.from_arrays({k: z[k] for k in z.files})


def block_range(b: int, run_lo: int, run_hi: int) -> tuple[int, int]:
    """The replications of block *b* that belong to the run."""
    return max(b * BLOCK, run_lo), min((b + 1) * BLOCK, run_hi)


def block_sum(rows: np.ndarray) -> np.ndarray:
    """(3, K): count of non-NaN values, their sum and sum of squares, added one replication at a time."""
    rows = np.asarray(rows, dtype=float)
    ok = ~np.isnan(rows)
    v = np.where(ok, rows, 0.0)
    out = np.zeros((3, rows.shape[1]))
    for i in range(rows.shape[0]):  # a fixed, sequential order: never depends on how rows were batched
        out[0] += ok[i]
        out[1] += v[i]
        out[2] += v[i] * v[i]
    return out


def compute_batch(task: Task) -> BatchResult:
    """Simulate replications task.lo .. task.hi-1 and reduce them (runs on whichever worker gets it)."""
    start = time.perf_counter()
    if task.threads is not None and task.engine == "numba":
        import numba

        numba.set_num_threads(max(1, min(int(task.threads), numba.config.NUMBA_NUM_THREADS)))
    simulate = engine_function(task.engine)
    idx = np.arange(task.lo, task.hi, dtype=np.int64)
    out = simulate(task.scenario, task.headcount, task.seed, idx)
    answers = metrics.survey_answers(out.periods, task.structure, task.seed, idx)
    vals = metrics.replication_metrics(out.rows, task.structure, out.periods, answers)
    value_names = list(vals)
    values = (
        np.column_stack([np.asarray(vals[k], dtype=float).reshape(-1) for k in value_names])
        if value_names
        else np.zeros((idx.size, 0))
    )
    res = BatchResult(task.lo, task.hi, value_names, values, [], 0)
    if task.structure.profile_hours:
        prof = profiles.replication_profiles(out.rows, task.structure)
        res.profile_names = list(prof)
        res.profile = np.concatenate([prof[k] for k in res.profile_names], axis=1)
    if task.mode != "none":
        per = metrics.period_metrics(out.periods, task.structure, answers)
        res.period_names = list(per)
        res.n_periods = int(next(iter(per.values())).shape[1]) if per else 0
        rows = (
            np.concatenate([np.asarray(per[k], dtype=float).reshape(idx.size, -1) for k in res.period_names], axis=1)
            if per
            else np.zeros((idx.size, 0))
        )
        if task.mode == "series":
            res.series = rows
        else:
            ids, sums, edges = [], [], []
            for b in range(task.lo // BLOCK, (task.hi - 1) // BLOCK + 1):
                a, z = block_range(b, task.run_lo, task.run_hi)
                if task.lo <= a and z <= task.hi:
                    ids.append(b)
                    sums.append(block_sum(rows[a - task.lo : z - task.lo]))
                else:
                    edges.extend(range(max(a, task.lo), min(z, task.hi)))
            k = rows.shape[1]
            res.block_ids = np.array(ids, dtype=np.int64)
            res.block_sums = np.stack(sums) if sums else np.zeros((0, 3, k))
            res.edge_idx = np.array(edges, dtype=np.int64)
            res.edge_rows = rows[res.edge_idx - task.lo] if edges else np.zeros((0, k))
    res.seconds = time.perf_counter() - start
    res.worker = f"{os.uname().nodename}:{os.getpid()}"
    return res


class Collector:
    """Assembles the batch results of one run, in whatever order they arrive."""

    def __init__(self, lo: int, hi: int, mode: str):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.lo, self.hi, self.mode = lo, hi, mode
        self.n = hi - lo
        self.value_names: list[str] | None = None
        self.values: np.ndarray | None = None
        self.filled = np.zeros(self.n, dtype=bool)
        self.period_names: list[str] = []
        self.n_periods = 0
        self.series: np.ndarray | None = None
        self.ready: dict[int, np.ndarray] = {}  # block -> (3, K), waiting for its turn in the fold
        self.edges: dict[int, dict[int, np.ndarray]] = {}  # block -> {replication: row}
        self.next_block = lo // BLOCK
        self.last_block = (hi - 1) // BLOCK
        self.acc: np.ndarray | None = None
        self.batches: set[tuple[int, int]] = set()
        self.profile_names: list[str] = []
        self.profile: np.ndarray | None = None  # (replications, profile metrics x 168)

    @property
    def done(self) -> int:
        return int(self.filled.sum())

    def has(self, lo: int, hi: int) -> bool:
        return bool(self.filled[lo - self.lo : hi - self.lo].all())

    def add(self, res: BatchResult) -> None:
        if (res.lo, res.hi) in self.batches or self.has(res.lo, res.hi):
            return  # a batch computed twice (e.g. a worker's result arrived after it was presumed lost)
        if not (self.lo <= res.lo < res.hi <= self.hi) or self.filled[res.lo - self.lo : res.hi - self.lo].any():
            raise ValueError(f"batch {res.lo}-{res.hi - 1} overlaps what is already collected or lies outside the run")
        if res.problem():  # never broadcast a batch whose rows do not match its replications
            raise ValueError(f"batch {res.lo}-{res.hi - 1}: {res.problem()}")
        if self.value_names is None:
            self.value_names = list(res.value_names)
            self.values = np.full((self.n, len(self.value_names)), np.nan)
        elif list(res.value_names) != self.value_names:
            raise ValueError("batches disagree on the metrics they hold")
        if self.mode != "none" and self.acc is None:
            self.period_names, self.n_periods = list(res.period_names), res.n_periods
            k = len(self.period_names) * self.n_periods
            self.acc = np.zeros((3, k))
            if self.mode == "series":
                self.series = np.full((self.n, k), np.nan)
        a, z = res.lo - self.lo, res.hi - self.lo
        self.values[a:z] = res.values
        if res.profile is not None:
            if self.profile is None:
                self.profile_names = list(res.profile_names)
                self.profile = np.full((self.n, res.profile.shape[1]), np.nan)
            self.profile[a:z] = res.profile
        self.filled[a:z] = True
        self.batches.add((res.lo, res.hi))
        if self.mode == "series":
            self.series[a:z] = res.series
            for b in range(res.lo // BLOCK, (res.hi - 1) // BLOCK + 1):
                ba, bz = block_range(b, self.lo, self.hi)
                if self.filled[ba - self.lo : bz - self.lo].all():
                    self.ready[b] = block_sum(self.series[ba - self.lo : bz - self.lo])
        elif self.mode == "sums":
            for b, s in zip(res.block_ids.tolist(), res.block_sums):
                self.ready[b] = s
            for i, row in zip(res.edge_idx.tolist(), res.edge_rows):
                self.edges.setdefault(i // BLOCK, {})[i] = row
            for b in {i // BLOCK for i in res.edge_idx.tolist()}:
                ba, bz = block_range(b, self.lo, self.hi)
                got = self.edges[b]
                if len(got) == bz - ba:
                    self.ready[b] = block_sum(np.stack([got[i] for i in range(ba, bz)]))
                    del self.edges[b]
        if self.mode != "none":
            while self.next_block in self.ready:
                s = self.ready.pop(self.next_block)
                self.acc[0] += s[0]
                self.acc[1] += s[1]
                self.acc[2] += s[2]
                self.next_block += 1

    def complete(self) -> bool:
        return bool(self.filled.all())

    def value_arrays(self) -> dict[str, np.ndarray]:
        return {k: np.ascontiguousarray(self.values[:, j]) for j, k in enumerate(self.value_names or [])}

    def period_sums(self) -> dict[str, np.ndarray]:
        if self.mode == "none" or self.acc is None:
            return {}
        if self.next_block <= self.last_block:
            raise RuntimeError("per-period sums are incomplete")
        p = self.n_periods
        return {k: self.acc[:, j * p : (j + 1) * p].copy() for j, k in enumerate(self.period_names)}

    def profile_arrays(self) -> dict[str, np.ndarray] | None:
        """Per profile metric, (replications, 168); None when the run keeps no profile."""
        if self.profile is None:
            return None
        return {k: np.ascontiguousarray(self.profile[:, j * HOURS : (j + 1) * HOURS]) for j, k in enumerate(self.profile_names)}

    def series_arrays(self) -> dict[str, np.ndarray] | None:
        if self.mode != "series" or self.series is None:
            return None
        p = self.n_periods
        return {k: np.ascontiguousarray(self.series[:, j * p : (j + 1) * p]) for j, k in enumerate(self.period_names)}


def plan_batches(lo: int, hi: int, size: int) -> list[tuple[int, int]]:
    """Consecutive batches of *size* replications covering lo .. hi-1."""
    size = max(1, int(size))
    return [(a, min(a + size, hi)) for a in range(lo, hi, size)]


class Job:
    """One run (one scenario, headcount, seed and range of replications) cut into batches."""

    def __init__(self, engine: str, scenario, headcount: dict, seed: int, lo: int, hi: int, batch_size: int,
                 mode: str, structure: metrics.Structure, checkpoint=None, key=None):
        self.engine, self.scenario, self.headcount, self.seed = engine, scenario, dict(headcount), int(seed)
        self.lo, self.hi, self.mode, self.structure = lo, hi, mode, structure
        self.batch_size = int(batch_size)
        self.batches = plan_batches(lo, hi, batch_size)
        self.collector = Collector(lo, hi, mode)
        self.checkpoint = checkpoint
        self.key = key

    def restore(self, results: list[BatchResult]) -> int:
        """Take back batches done earlier (from a checkpoint); returns how many replications that gave."""
        planned = set(self.batches)
        before = self.collector.done
        for res in results:
            if (res.lo, res.hi) in planned:
                self.collector.add(res)
            elif self.checkpoint is not None:
                self.checkpoint.discard(res)
        return self.collector.done - before

    def todo(self) -> list[tuple[int, int]]:
        return [(a, z) for a, z in self.batches if not self.collector.has(a, z)]

    def task(self, lo: int, hi: int, threads: int | None) -> Task:
        return Task(self.engine, self.scenario, self.headcount, self.seed, lo, hi, self.lo, self.hi,
                    self.mode, self.structure, threads)


def execute(jobs: list[Job], backend, on_batch=None) -> None:
    """Run every batch not yet done of every job on *backend*, checkpointing each one as it arrives."""
    todo = [(job, a, z) for job in jobs for a, z in job.todo()]
    tasks = ((i, job.task(a, z, backend.threads)) for i, (job, a, z) in enumerate(todo))
    for i, res in backend.map(tasks):
        job = todo[i][0]
        if job.checkpoint is not None:
            job.checkpoint.save(res)
        job.collector.add(res)
        if on_batch is not None:
            on_batch(res.count)
