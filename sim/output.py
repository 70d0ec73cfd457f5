"""Present a run: a readable terminal table, and the files `--out DIR` writes atomically."""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

from . import metrics
from .atomic import atomic_path, write_text
from .loader import dump
from .runner import RunResult


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.3g}" if a < 10 else f"{x:.2f}"
    return f"{x:.3f}"


def _ci(row) -> str:
    if not np.isfinite(row["ci_low"]):
        return _fmt(row["mean"])
    return f"{_fmt(row['mean'])}  [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"


def table(result: RunResult) -> str:
    """External metrics, then one line per department, then internal response times."""
    sc = result.scenario
    summ = result.summary().set_index("metric")
    n = len(result.replications)
    lines = [
        f"{sc.name}: {result.engine} engine, {n} replication{'s' if n != 1 else ''}, seed {result.seed}, "
        f"horizon {sc.horizon:g} {sc.time_unit}s (warm-up {sc.warmup:g}); mean and 95 % CI",
        "",
        "External customers",
    ]
    for name in summ.index:
        if name.startswith("external."):
            lines.append(f"  {name[9:]:<16}{_ci(summ.loc[name])}")
    segs = sorted({m.split(".")[1] for m in summ.index if m.startswith("segment.")})
    for s in segs:
        parts = []
        for key in ("nps", "csat", "sojourn_mean", "abandon_rate", "churn_rate", "revenue"):
            m = f"segment.{s}.{key}"
            if m in summ.index:
                parts.append(f"{key} {_fmt(summ.loc[m, 'mean'])}")
        lines.append(f"  segment {s}: " + ", ".join(parts))
    lines += ["", "Departments          heads  utilisation      wait_mean        blocked_share  morale"]
    for d in sc.departments:
        def cell(key, width):
            m = f"dept.{d}.{key}"
            return (_ci(summ.loc[m]) if m in summ.index else "-").ljust(width)

        lines.append(
            f"  {d:<18}{result.headcount[d]:>6}  {cell('utilisation', 16)} {cell('wait_mean', 16)} "
            f"{_fmt(summ.loc[f'dept.{d}.blocked_share', 'mean']) if f'dept.{d}.blocked_share' in summ.index else '-':<14} "
            f"{_fmt(summ.loc[f'dept.{d}.morale', 'mean']) if f'dept.{d}.morale' in summ.index else '-'}"
        )
    internal = [m for m in summ.index if m.startswith("internal.") and m.endswith(".response_mean")]
    if internal:
        lines += ["", f"Internal suppliers (mean response, {sc.time_unit}s)"]
        for m in internal:
            _, c, d, _ = m.split(".")
            lines.append(f"  {c} waits on {d:<14}{_ci(summ.loc[m])}")
    if "internal.rework_rate" in summ.index:
        lines.append(f"  rework rate       {_ci(summ.loc['internal.rework_rate'])}")
    lines.append("")
    lines.append(f"wall time {result.wall_time:.2f} s")
    return "\n".join(lines)


def json_text(result: RunResult) -> str:
    return json.dumps(result.to_json(), indent=2, allow_nan=False)


def run_metadata(result: RunResult, argv: list[str] | None = None) -> dict:
    """Versions, seed, command line and wall time: enough to reproduce and to trust a result."""
    versions = {}
    for pkg in ("orgsim", "numpy", "simpy", "numba", "pydantic", "pandas", "pyarrow", "scipy"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "scenario": result.scenario.name,
        "engine": result.engine,
        "seed": int(result.seed),
        "replications": int(len(result.replications)),
        "first_replication": int(result.replications[0]),
        "headcount": result.headcount,
        "command": argv if argv is not None else sys.argv,
        "wall_time_seconds": round(result.wall_time, 3),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def write_run(result: RunResult, out: str | Path, argv: list[str] | None = None) -> list[Path]:
    """Write summary.csv, replications.parquet, timeseries.parquet, scenario.yaml and run.json into *out*."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with atomic_path(out / "summary.csv") as tmp:
        result.summary().to_csv(tmp, index=False)
    written.append(out / "summary.csv")
    with atomic_path(out / "replications.parquet") as tmp:
        result.replications_frame().to_parquet(tmp, index=False)
    written.append(out / "replications.parquet")
    with atomic_path(out / "timeseries.parquet") as tmp:
        frame = result.timeseries() if result.series is not None else result.timeseries_summary()
        frame.to_parquet(tmp, index=False)
    written.append(out / "timeseries.parquet")
    write_text(out / "scenario.yaml", dump(result.scenario))
    written.append(out / "scenario.yaml")
    write_text(out / "run.json", json.dumps(run_metadata(result, argv), indent=2))
    written.append(out / "run.json")
    return written


__all__ = ["table", "json_text", "write_run", "run_metadata", "metrics"]
