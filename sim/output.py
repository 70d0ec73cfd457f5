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
        return f"{x:.2f}"
    return f"{x:.3f}"


def _ci(row) -> str:
    if not np.isfinite(row["ci_low"]):
        return _fmt(row["mean"])
    return f"{_fmt(row['mean'])}  [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"


def _columns(rows: list[list[str]], right: tuple[int, ...] = ()) -> list[str]:
    """Lines of cells, each column as wide as its widest cell (numbers in *right* columns aligned right)."""
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return [
        "  ".join(c.rjust(w) if k in right else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))).rstrip()
        for r in rows
    ]


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
    def cell(metric: str, ci: bool = True) -> str:
        if metric not in summ.index:
            return "-"
        return _ci(summ.loc[metric]) if ci else _fmt(summ.loc[metric, "mean"])

    lines.append("")
    lines += _columns(
        [["Departments", "heads", "utilisation", "wait_mean", "blocked_share", "morale"]]
        + [
            [f"  {d}", str(result.headcount[d]), cell(f"dept.{d}.utilisation"), cell(f"dept.{d}.wait_mean"),
             cell(f"dept.{d}.blocked_share", ci=False), cell(f"dept.{d}.morale", ci=False)]
            for d in sc.departments
        ],
        right=(1,),
    )
    internal = [m for m in summ.index if m.startswith("internal.") and m.endswith(".response_mean")]
    rows = [[f"  {m.split('.')[1]} waits on {m.split('.')[2]}", _ci(summ.loc[m])] for m in internal]
    if "internal.rework_rate" in summ.index:
        rows.append(["  rework rate", _ci(summ.loc["internal.rework_rate"])])
    if rows:
        lines += ["", f"Internal suppliers (mean response, {sc.time_unit}s)"] + _columns(rows)
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
