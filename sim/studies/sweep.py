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
``ci_reliable`` (as ``orgsim.metrics.aggregate``), then the paired difference against a reference cell
(the first, or the one named): ``minus_reference`` with its 95 % CI, from the per-replication differences
(the cells share their replications, so the pairing removes the common demand).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orgsim import metrics
from orgsim.errors import BudgetError, OptionError, ScenarioError
from orgsim.execution import groups
from orgsim.execution.atomic import atomic_path, check_writable_dir
from orgsim.execution.checkpoint import FolderLock, scenario_hash
from orgsim.scenario.edit import override_text, with_overrides
from orgsim.scenario.schema import Scenario
from orgsim.studies.allocation import resolve
from orgsim.studies.compare import PolicySpec, apply_policy, check_labels
from orgsim.studies.estimate import choose_engine
from orgsim.studies.results import SUMMARY_COLUMNS
from orgsim.studies.simulate import AS_SCENARIO, Variant, simulate

SWEEP_MANIFEST = "sweep.json"
COLUMNS = ["policy", "metric", *SUMMARY_COLUMNS, "minus_reference", "minus_reference_ci_low", "minus_reference_ci_high"]


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
    """Every cell's per-replication metrics; ``summary()`` (or ``table()``) is the tidy table, ``to_json()`` the JSON.

    ``reference`` is the index of the cell every other is compared with, replication by replication.
    """

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
    reference: int = 0
    changes: dict[str, dict] = field(default_factory=dict)  # policy label -> the policy fields it sets

    def table(self) -> pd.DataFrame:
        """One row per cell and metric, grid values as columns, with the paired difference against the reference cell."""
        paths = [p for p, _ in self.grid]
        ref = self.values[self.reference]
        rows = []
        for cell in self.cells:
            for name, v in self.values[cell.index].items():
                d = _paired(v, ref[name], name) if cell.index != self.reference else {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0}
                rows.append({**{p: cell.point[p] for p in paths}, "policy": cell.policy, "metric": name,
                             **metrics.aggregate(v, name), "minus_reference": d["mean"],
                             "minus_reference_ci_low": d["ci_low"], "minus_reference_ci_high": d["ci_high"]})
        return pd.DataFrame(rows, columns=paths + COLUMNS)

    def summary(self) -> pd.DataFrame:
        """The tidy table (``table()``), as ``RunResult.summary()`` and ``Comparison.summary()`` give theirs."""
        return self.table()

    def reference_cell(self) -> dict:
        """The reference cell as grid path -> value, and its policy."""
        cell = self.cells[self.reference]
        return {**cell.point, "policy": cell.policy}

    def to_json(self) -> dict:
        """The `orgsim sweep --format json` object: the table's rows and what reruns the sweep."""
        table = self.table()
        records = [
            metrics.json_safe({k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()})
            for r in table.to_dict(orient="records")
        ]
        return {
            "scenario": self.scenario.name,
            "scenario_definition": self.scenario.model_dump(mode="json"),
            "engine": self.engine,
            "replications": int(self.replications),
            "seed": int(self.seed),
            "grid": {p: list(v) for p, v in self.grid},
            "policies": list(self.policies),
            "policy_changes": {label: self.changes.get(label, {}) for label in self.policies},
            "reference": self.reference_cell(),
            "rows": records,
        }


def _paired(values: np.ndarray, reference: np.ndarray, metric: str) -> dict:
    """Mean and 95 % CI of a cell minus the reference, over the replications where both are defined."""
    both = ~(np.isnan(values) | np.isnan(reference))
    return metrics.aggregate(values[both] - reference[both], metric, difference=True)


def find_reference(cells: list[Cell], grid: list[tuple[str, list]], wanted: dict | None) -> int:
    """The index of the one cell whose grid values (and ``policy``) are those in *wanted*; the first cell if None."""
    if not wanted:
        return 0
    paths = [p for p, _ in grid]
    unknown = [k for k in wanted if k not in paths and k != "policy"]
    if unknown:
        raise OptionError("reference", f"{', '.join(map(str, unknown))} is not swept; name a cell by "
                          f"{', '.join([*paths, 'policy'])}")
    match = [c for c in cells if all((c.policy if k == "policy" else c.point[k]) == v for k, v in wanted.items())]
    if len(match) == 1:
        return match[0].index
    shown = ",".join(f"{k}={v}" for k, v in wanted.items())
    if not match:
        choices = "; ".join(f"{p}: {', '.join(map(str, vs))}" for p, vs in grid)
        labels = sorted({c.policy for c in cells})
        raise OptionError("reference", f"{shown} names no cell (values: {choices}; policy: {', '.join(labels)})")
    free = [p for p in [*paths, "policy"] if p not in wanted]
    raise OptionError("reference", f"{shown} names {len(match)} cells; add a value for {', '.join(free)}")


def plan(scenario: Scenario, grid: list[tuple[str, list]], policies: list[PolicySpec] | None) -> list[Cell]:
    """The cells of the sweep, grid points in the order of the --grid flags (last varies fastest), policies within."""
    check_labels(policies or [])
    cells, problems = [], []
    for combo in itertools.product(*[values for _, values in grid]):
        point = {path: value for (path, _), value in zip(grid, combo)}
        overrides = [override_text(path, value) for path, value in point.items()]
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
                variant, heads = resolve(variant)
            except BudgetError as exc:
                problems.append(f"{name} --policy {label}: {exc}")
                continue
            cells.append(Cell(len(cells), point, label, variant, heads))
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    return cells


def sweep(
    scenario: Scenario,
    grid: list[tuple[str, list]],
    policies: list[PolicySpec] | None = None,
    replications: int = 100,
    seed: int = 0,
    engine: str = "auto",
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
    reference: dict | None = None,
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
    engine : {"auto", "simpy", "numba"}
        ``auto``: the reference engine when the whole sweep is small, numba otherwise
        (``orgsim.studies.estimate.choose_engine``).
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
    reference : dict, optional
        The cell every other is compared with, replication by replication: grid path -> value, and
        ``"policy"`` -> label when there are policies (``{"departments.it.headcount": 3, "policy": "fixed"}``);
        default: the first cell.

    Returns
    -------
    SweepResult
        ``summary()`` gives one row per cell and metric, with the paired difference against the reference.
    """
    cells = plan(scenario, grid, policies)
    ref = find_reference(cells, grid, reference)
    engine = choose_engine(engine, [c.scenario for c in cells], replications)
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
            checkpoints=None if folder is None else [groups.run_folder(folder, "cells", c.index) for c in cells],
        )
        result = SweepResult(
            scenario=scenario, engine=engine, seed=seed, replications=replications, grid=grid,
            policies=[c.policy for c in cells[: len(policies or [None])]], cells=cells,
            values={cell.index: res.values for cell, res in zip(cells, results)},
            wall_time=time.perf_counter() - start, extra=dict(results[0].extra) if results else {},
            reference=ref, changes={p.label: p.changes for p in policies or []},
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
        groups.prepare(out, "cells", SWEEP_MANIFEST, identity, resume, "sweep")
        return run_cells(out)


def write_table(result: SweepResult, out: str | Path) -> list[Path]:
    """sweep.csv and sweep.parquet in *out*, each written atomically."""
    out = Path(out)
    table = result.table()
    with atomic_path(out / "sweep.csv") as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(out / "sweep.parquet") as tmp:
        table.to_parquet(tmp, index=False)
    return [out / "sweep.csv", out / "sweep.parquet"]
