"""The files a run leaves behind with ``--out DIR``, each written atomically: results, scenario, metadata."""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from pathlib import Path

from orgsim.execution.atomic import atomic_path, write_text
from orgsim.scenario.loader import dump
from orgsim.studies.results import RunResult


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
    chain = result.unit_runs
    return {
        "scenario": result.scenario.name,
        "engine": result.engine,
        "seed": int(result.seed),
        "replications": int(len(result.replications) if chain is None else len(chain.runs[0].replications)),
        "first_replication": int(result.replications[0]),
        **({} if chain is None else {"units": len(chain.runs), "unit_seeds": [int(x) for x in chain.seeds]}),
        "headcount": result.headcount,
        "command": argv if argv is not None else sys.argv,
        "wall_time_seconds": round(result.wall_time, 3),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def write_run(result: RunResult, out: str | Path, argv: list[str] | None = None) -> list[Path]:
    """Write summary.csv, replications.parquet, timeseries.parquet, scenario.yaml and run.json into *out*;
    for a chain of units also units.csv (one row per unit and metric) and correlations.csv (across units)."""
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
    if result.unit_runs is not None:  # a chain of units: each unit's results and the correlations across units
        for name, frame in (("units.csv", result.units()), ("correlations.csv", result.unit_runs.correlations())):
            with atomic_path(out / name) as tmp:
                frame.to_csv(tmp, index=False)
            written.append(out / name)
    write_text(out / "scenario.yaml", dump(result.scenario))
    written.append(out / "scenario.yaml")
    write_text(out / "run.json", json.dumps(run_metadata(result, argv), indent=2))
    written.append(out / "run.json")
    return written
