"""Sweeps: every combination of parameter values and policies, on common random numbers, in one tidy table.

``orgsim sweep SCENARIO --grid PATH=V1,V2 [--grid ...] --policy NAME [...]``
runs the Cartesian product of the grid points and the policies.  Every cell
runs the same replication indices with the same seed, so differences between
cells are paired (common random numbers).  The batches of all cells go to the
backend together, so a cluster stays busy across cells; results are placed by
cell and replication index, so the table is identical on any backend, with
any number of workers.  With ``out`` every finished batch is checkpointed
under ``out/cells/NNN/`` and ``resume`` redoes only what is missing.

The table has one row per cell and metric: one column per grid path (its
value), ``policy``, ``metric``, ``mean``, ``ci_low``, ``ci_high``, ``std``, ``n``, ``ci_method``,
``ci_reliable`` (as ``orgsim.metrics.aggregate``).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from orgsim import metrics
from orgsim.errors import BudgetError, CheckpointError, OptionError, ScenarioError
from orgsim.execution.atomic import atomic_path, check_writable_dir, write_text
from orgsim.execution.checkpoint import (
    Checkpoint,
    FolderLock,
    describe_mismatch,
    foreign_files,
    read_manifest,
    refuse_foreign,
    scenario_hash,
)
from orgsim.scenario.edit import with_overrides
from orgsim.scenario.schema import Scenario
from orgsim.studies.allocation import headcount
from orgsim.studies.compare import PolicySpec, apply_policy, check_labels
from orgsim.studies.results import SUMMARY_COLUMNS
from orgsim.studies.simulate import AS_SCENARIO, Variant, simulate

SWEEP_MANIFEST = "sweep.json"
COLUMNS = ["policy", "metric", *SUMMARY_COLUMNS]


@dataclass
class Cell:
    """One grid point under one policy."""

    index: int
    point: dict  # grid path -> value
    policy: str
    scenario: Scenario
    headcount: dict


@dataclass
class SweepResult:
    scenario: Scenario
    engine: str
    seed: int
    replications: int
    grid: list[tuple[str, list]]
    policies: list[str]
    cells: list[Cell]
    values: dict[int, dict[str, np.ndarray]]  # cell index -> metric -> per-replication values
    wall_time: float
    extra: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per cell and metric, grid values as columns."""
        paths = [p for p, _ in self.grid]
        rows = []
        for cell in self.cells:
            for name, v in self.values[cell.index].items():
                rows.append({**{p: cell.point[p] for p in paths}, "policy": cell.policy, "metric": name, **metrics.aggregate(v, name)})
        return pd.DataFrame(rows, columns=paths + COLUMNS)

    def to_json(self) -> dict:
        table = self.table()
        records = [
            metrics.json_safe({k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()})
            for r in table.to_dict(orient="records")
        ]
        return {
            "scenario": self.scenario.name,
            "engine": self.engine,
            "replications": int(self.replications),
            "seed": int(self.seed),
            "grid": {p: list(v) for p, v in self.grid},
            "policies": list(self.policies),
            "rows": records,
        }


def plan(scenario: Scenario, grid: list[tuple[str, list]], policies: list[PolicySpec] | None) -> list[Cell]:
    """The cells of the sweep, grid points in the order of the --grid flags (last varies fastest), policies within."""
    check_labels(policies or [])
    cells, problems = [], []
    for combo in itertools.product(*[values for _, values in grid]):
        point = {path: value for (path, _), value in zip(grid, combo)}
        overrides = [f"{path}={_yaml_scalar(value)}" for path, value in point.items()]
        name = "--grid " + " ".join(overrides) if overrides else "scenario"
        try:
            sc = with_overrides(scenario, overrides, name)
        except ScenarioError as exc:
            problems.extend(p.replace("--set ", "--grid ") for p in exc.problems)
            continue
        for spec in policies or [None]:
            variant = apply_policy(sc, spec) if spec is not None else sc
            label = spec.label if spec is not None else AS_SCENARIO
            try:
                heads = headcount(variant)
            except BudgetError as exc:
                problems.append(f"{name} --policy {label}: {exc}")
                continue
            cells.append(Cell(len(cells), point, label, variant, heads))
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    return cells


def _yaml_scalar(value) -> str:
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def sweep(
    scenario: Scenario,
    grid: list[tuple[str, list]],
    policies: list[PolicySpec] | None = None,
    replications: int = 100,
    seed: int = 0,
    engine: str = "numba",
    *,
    backend=None,
    out: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    on_batch=None,
    on_restore=None,
    on_plan=None,
    on_note=None,
    on_estimate=None,
) -> SweepResult:
    """Run every cell (grid point x policy) on the same replications, in one tidy table.

    Parameters
    ----------
    scenario : Scenario
        The base scenario every cell varies.
    grid : list of (path, values)
        Scenario fields (``departments.it.headcount``) and the values to sweep each over;
        the cells are their Cartesian product (the last path varies fastest).
    policies : list of PolicySpec, optional
        Policies applied within every grid point; default: the scenario's own.
    replications : int
        Replications per cell, the same indices in every cell (common random numbers).
    seed : int
    engine : {"numba", "simpy"}
    backend : {"local", "dask"} or backend object, optional
    out : path, optional
        A folder: every finished batch is checkpointed under ``out/cells/NNN/`` and the table
        written as ``sweep.csv`` and ``sweep.parquet``.
    resume : bool
        Redo only what is missing in *out* (``CheckpointError`` if it holds another sweep).
    batch_size : int, optional
    on_batch, on_restore, on_plan, on_estimate : callable, optional
        Progress callbacks: replications computed, replications taken back, number of cells, and the
        sweep's ``Estimate`` before anything runs.
    on_note : callable, optional
        Told (one line) of every checkpointed batch that is damaged or of another run, and so
        computed again; default: a ``RuntimeWarning``.

    Returns
    -------
    SweepResult
        ``table()`` gives one row per cell and metric.
    """
    cells = plan(scenario, grid, policies)
    if on_plan is not None:
        on_plan(len(cells))
    identity = {
        "kind": "sweep",
        "scenario": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "grid": [[p, list(v)] for p, v in grid],
        "policies": [[p.label, p.changes] for p in policies or []],
        "engine": engine,
        "seed": int(seed),
        "replications": int(replications),
    }

    def run_cells(folder: Path | None) -> SweepResult:
        start = time.perf_counter()
        results = simulate(
            [Variant(c.policy, c.scenario, c.headcount) for c in cells], engine, replications, seed, mode="none",
            backend=backend, batch_size=batch_size, resume=resume, on_batch=on_batch, on_restore=on_restore,
            on_note=on_note, on_estimate=on_estimate, lock_checkpoints=False,
            checkpoints=None if folder is None else [folder / "cells" / f"{c.index:03d}" for c in cells],
        )
        result = SweepResult(
            scenario=scenario, engine=engine, seed=seed, replications=replications, grid=grid,
            policies=[c.policy for c in cells[: len(policies or [None])]], cells=cells,
            values={cell.index: res.values for cell, res in zip(cells, results)},
            wall_time=time.perf_counter() - start, extra=dict(results[0].extra) if results else {},
        )
        if folder is not None:
            write_table(result, folder)
        return result

    if out is None:
        return run_cells(None)
    out = Path(out)
    problem = check_writable_dir(out)
    if problem:
        raise OptionError("out", problem)
    with FolderLock(out):  # one process at a time on a sweep folder
        _prepare(out, identity, resume)
        return run_cells(out)


_CELL = re.compile(r"^\d{3,}$")


def _prepare(out: Path, identity: dict, resume: bool) -> None:
    """Check the sweep recorded in *out* (with *resume*) or clear orgsim's own cells of an earlier one."""
    cells_dir = out / "cells"
    if cells_dir.exists() and not cells_dir.is_dir():
        raise CheckpointError(f"{cells_dir}: is a file, not a folder; move it away or give another --out folder")
    found = sorted(cells_dir.iterdir()) if cells_dir.is_dir() else []
    refuse_foreign(cells_dir, [f.name for f in found if not (f.is_dir() and _CELL.match(f.name))])
    for d in found:
        refuse_foreign(d, foreign_files(d))
    recorded = None
    if resume:
        recorded = read_manifest(out / SWEEP_MANIFEST, list(identity),
                                 f"it cannot tell which sweep the batches in {cells_dir} belong to; drop --resume "
                                 f"to start afresh (its batches are then deleted) or give another --out folder")
    if recorded is not None:
        problem = describe_mismatch(out, recorded, identity)
        if problem:
            raise CheckpointError(problem)
        return
    for d in found:  # only orgsim's own files: the foreign ones were refused above
        Checkpoint(d, lock=False).clear()
    if cells_dir.is_dir() and not any(cells_dir.iterdir()):
        cells_dir.rmdir()
    write_text(out / SWEEP_MANIFEST, json.dumps(identity, indent=2, default=str))


def write_table(result: SweepResult, out: str | Path) -> list[Path]:
    """sweep.csv and sweep.parquet in *out*, each written atomically."""
    out = Path(out)
    table = result.table()
    with atomic_path(out / "sweep.csv") as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(out / "sweep.parquet") as tmp:
        table.to_parquet(tmp, index=False)
    return [out / "sweep.csv", out / "sweep.parquet"]
