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
value), ``policy``, ``metric``, ``mean``, ``ci_low``, ``ci_high``, ``std``, ``n``.
"""

from __future__ import annotations

import itertools
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import metrics
from .atomic import atomic_path, write_text
from .compare import PolicySpec, apply_policy
from .loader import ScenarioError, apply_overrides, validate_mapping
from .policies import PolicyError, allocate, effective_scenario
from .scenario import Scenario

SWEEP_MANIFEST = "sweep.json"
COLUMNS = ["policy", "metric", "mean", "ci_low", "ci_high", "std", "n"]
AS_SCENARIO = "as_scenario"


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
                rows.append({**{p: cell.point[p] for p in paths}, "policy": cell.policy, "metric": name, **metrics.aggregate(v)})
        return pd.DataFrame(rows, columns=paths + COLUMNS)

    def to_json(self) -> dict:
        table = self.table()
        records = [
            {k: (None if isinstance(v, float) and not np.isfinite(v) else (v.item() if hasattr(v, "item") else v)) for k, v in r.items()}
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


def parse_grid(texts: list[str]) -> list[tuple[str, list]]:
    """``PATH=V1,V2,...`` -> (path, [values]); each value read as YAML, numbers of one path made one type."""
    grid, problems, seen = [], [], set()
    for text in texts:
        if "=" not in text:
            problems.append(f"--grid {text}: expected PATH=V1,V2,..., e.g. departments.it.headcount=2,3,4")
            continue
        path, rest = (s.strip() for s in text.split("=", 1))
        raw = [v.strip() for v in rest.split(",")]
        if not path or not all(raw):
            problems.append(f"--grid {text}: expected PATH=V1,V2,... with no empty path or value")
            continue
        if path in seen:
            problems.append(f"--grid {text}: {path} is already swept by another --grid")
            continue
        seen.add(path)
        try:
            values = [yaml.safe_load(v) for v in raw]
        except yaml.YAMLError:
            problems.append(f"--grid {text}: a value is not valid YAML")
            continue
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            if any(isinstance(v, float) for v in values):
                values = [float(v) for v in values]
        elif not all(isinstance(v, str) for v in values) and not all(isinstance(v, bool) for v in values):
            values = [str(v) for v in raw]
        if len(set(map(repr, values))) != len(values):
            problems.append(f"--grid {text}: a value is repeated")
            continue
        grid.append((path, values))
    if problems:
        raise ScenarioError(problems)
    return grid


def plan(scenario: Scenario, grid: list[tuple[str, list]], policies: list[PolicySpec] | None) -> list[Cell]:
    """The cells of the sweep, grid points in the order of the --grid flags (last varies fastest), policies within."""
    labels = [p.label for p in policies or []]
    if len(set(labels)) != len(labels):
        raise ScenarioError([f"--policy: labels must differ (got {', '.join(labels)})"])
    raw = scenario.model_dump(mode="json")
    cells, problems = [], []
    for combo in itertools.product(*[values for _, values in grid]):
        point = {path: value for (path, _), value in zip(grid, combo)}
        overrides = [f"{path}={_yaml_scalar(value)}" for path, value in point.items()]
        name = "--grid " + " ".join(overrides) if overrides else "scenario"
        try:
            changed, touched = apply_overrides(raw, overrides)
            sc = validate_mapping(changed, name, None, touched)
        except ScenarioError as exc:
            problems.extend(p.replace("--set ", "--grid ") for p in exc.problems)
            continue
        for spec in policies or [None]:
            variant = apply_policy(sc, spec) if spec is not None else sc
            label = spec.label if spec is not None else AS_SCENARIO
            try:
                heads = allocate(variant)
            except PolicyError as exc:
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
) -> SweepResult:
    """Run every cell (grid point x policy) on the same replications; with *out*, checkpoint and write the table."""
    from .backends import backend_context
    from .batches import Job, execute
    from .checkpoint import Checkpoint, CheckpointMismatch, describe_mismatch, scenario_hash
    from .runner import engine_function

    if replications < 1:
        raise ValueError("replications must be at least 1")
    engine_function(engine)
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
    out = Path(out) if out is not None else None
    if out is not None:
        recorded = None
        if resume:
            try:
                recorded = json.loads((out / SWEEP_MANIFEST).read_text(encoding="utf-8"))
            except (FileNotFoundError, json.JSONDecodeError):
                recorded = None
        if recorded is not None:
            problem = describe_mismatch(out, recorded, identity)
            if problem:
                raise CheckpointMismatch(problem)
        else:
            if (out / "cells").is_dir():
                shutil.rmtree(out / "cells")
            write_text(out / SWEEP_MANIFEST, json.dumps(identity, indent=2, default=str))
    with backend_context(backend) as be:
        start = time.perf_counter()
        size = batch_size or be.batch_size(engine, replications)
        jobs, restored_total = [], 0
        for cell in cells:
            st = metrics.structure(cell.scenario)
            ck, restored, cell_size = None, [], size
            if out is not None:
                ck = Checkpoint(out / "cells" / f"{cell.index:03d}")
                cell_identity = {
                    "scenario": cell.scenario.name,
                    "scenario_hash": scenario_hash(cell.scenario),
                    "engine": engine,
                    "seed": int(seed),
                    "replications": int(replications),
                    "first": 0,
                    "headcount": {k: int(v) for k, v in cell.headcount.items()},
                    "mode": "none",
                }
                cell_size, restored = ck.start(cell_identity, size, resume)
            job = Job(engine, effective_scenario(cell.scenario), cell.headcount, seed, 0, replications, cell_size,
                      "none", st, checkpoint=ck, key=cell.index)
            restored_total += job.restore(restored)
            jobs.append(job)
        if on_restore is not None and restored_total:
            on_restore(restored_total)
        execute(jobs, be, on_batch)
        where = be.describe()
    result = SweepResult(
        scenario=scenario,
        engine=engine,
        seed=seed,
        replications=replications,
        grid=grid,
        policies=[c.policy for c in cells[: len(policies or [None])]],
        cells=cells,
        values={job.key: job.collector.value_arrays() for job in jobs},
        wall_time=time.perf_counter() - start,
        extra={"backend": where, "batch_size": int(size), "resumed_replications": int(restored_total)},
    )
    if out is not None:
        write_table(result, out)
    return result


def write_table(result: SweepResult, out: str | Path) -> list[Path]:
    """sweep.csv and sweep.parquet in *out*, each written atomically."""
    out = Path(out)
    table = result.table()
    with atomic_path(out / "sweep.csv") as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(out / "sweep.parquet") as tmp:
        table.to_parquet(tmp, index=False)
    return [out / "sweep.csv", out / "sweep.parquet"]
