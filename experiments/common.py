"""Plumbing the experiment scripts share: flags, scenario loading, tidy tables, figures, conclusions.

Every script answers one question and leaves the same things in its out
folder: a tidy long table (one row per observation, as CSV and Parquet), PNG
figures and ``conclusion.txt`` (what it printed).  Files are written
atomically, so a reader never sees half a table.  The scripts run as
``python experiments/<name>.py`` and import this module as a sibling.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import orgsim
from orgsim import metrics
from orgsim.execution.atomic import atomic_path

TIDY_COLUMNS = ["scenario", "policy", "replication", "metric", "value"]
# --small: a tiny size for tests, a few simulated weeks instead of a year
SMALL_OVERRIDES = ("horizon=400", "warmup=80")
_UMASK = os.umask(0)
os.umask(_UMASK)


def _readable(tmp: Path) -> None:
    """Give a temporary file the mode a plain open() would (mkstemp makes it owner-only)."""
    os.chmod(tmp, 0o666 & ~_UMASK)


def parser(script: str, doc: str | None, replications: int) -> argparse.ArgumentParser:
    """The flags every script takes; a script adds its own before calling ``parse``."""
    p = argparse.ArgumentParser(
        prog=f"python experiments/{script}.py",
        description=(doc or "").strip().splitlines()[0] if doc else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", type=Path, default=None, help=f"output folder (default results/{script})")
    p.add_argument("--replications", "-r", type=int, default=None,
                   help=f"replications per policy (default {replications}; 3 with --small)")
    p.add_argument("--seed", type=int, default=1, help="seed shared by every policy (common random numbers)")
    p.add_argument("--engine", choices=("numba", "simpy"), default="numba", help="simulation engine")
    p.add_argument("--small", action="store_true",
                   help=f"tiny run for tests: {' '.join(SMALL_OVERRIDES)}, 3 replications")
    p.set_defaults(_script=script, _replications=replications)
    return p


def parse(p: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse flags, fill the defaults that depend on --small, check the engine can be imported."""
    args = p.parse_args(argv)
    if args.replications is None:
        args.replications = 3 if args.small else args._replications
    if args.replications < 2:
        p.error("--replications: at least 2 (confidence intervals need two)")
    if args.out is None:
        args.out = Path("results") / args._script
    if args.engine == "numba":
        try:
            import orgsim.kernels.run  # noqa: F401
        except ImportError as exc:
            p.exit(2, f"{p.prog}: --engine numba: the numba engine cannot be imported ({exc}); "
                      "try --engine simpy\n")
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def load(name: str, args: argparse.Namespace, overrides=()) -> orgsim.Scenario:
    """A scenario by name or path, shortened under --small, with extra ``PATH=VALUE`` overrides."""
    small = list(SMALL_OVERRIDES) if args.small else []
    return orgsim.load(name, [*small, *overrides])


def tidy(result, policy: str, scenario: str | None = None, names=None) -> pd.DataFrame:
    """Long table of a RunResult's per-replication metrics: scenario, policy, replication, metric, value."""
    frames = []
    for name, v in result.values.items():
        if names is not None and name not in names:
            continue
        frames.append(pd.DataFrame({"replication": result.replications, "metric": name, "value": np.asarray(v, float)}))
    df = pd.concat(frames, ignore_index=True)
    df.insert(0, "policy", policy)
    df.insert(0, "scenario", scenario or result.scenario.name)
    return df[TIDY_COLUMNS]


def series_tidy(result, policy: str, names, scenario: str | None = None) -> pd.DataFrame:
    """Long table of per-period series: scenario, policy, replication, period, time, metric, value."""
    if result.series is None:
        return pd.DataFrame(columns=["scenario", "policy", "replication", "period", "time", "metric", "value"])
    frames = []
    for name in names:
        arr = result.series.get(name)
        if arr is None:
            continue
        r, p = arr.shape
        frames.append(pd.DataFrame({
            "replication": np.repeat(result.replications, p),
            "period": np.tile(np.arange(p), r),
            "time": np.tile((np.arange(p) + 1) * result.scenario.period, r),
            "metric": name,
            "value": arr.reshape(-1),
        }))
    df = pd.concat(frames, ignore_index=True)
    df.insert(0, "policy", policy)
    df.insert(0, "scenario", scenario or result.scenario.name)
    return df


def write_table(df: pd.DataFrame, out: Path, name: str, columns=None) -> None:
    """Write *df* as ``name.csv`` and ``name.parquet`` in *out*, atomically; refuse an untidy table."""
    columns = list(columns or df.columns)
    missing = [c for c in columns if c not in df.columns]
    if missing or df.empty:
        raise ValueError(f"table {name}: {'missing columns ' + ', '.join(missing) if missing else 'no rows'}")
    df = df[columns].reset_index(drop=True)
    with atomic_path(out / f"{name}.csv") as tmp:
        df.to_csv(tmp, index=False)
        _readable(tmp)
    with atomic_path(out / f"{name}.parquet") as tmp:
        df.to_parquet(tmp, index=False)
        _readable(tmp)


def save_figure(fig, out: Path, name: str) -> None:
    """Save a matplotlib figure as ``name.png`` in *out*, atomically, and close it."""
    from orgsim.present.plots import to_png

    data = to_png(fig)
    with atomic_path(out / f"{name}.png") as tmp:
        tmp.write_bytes(data)
        _readable(tmp)


def finish(out: Path, lines: list[str]) -> None:
    """Print the conclusion and keep it as ``conclusion.txt``."""
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with atomic_path(out / "conclusion.txt") as tmp:
        tmp.write_text(text, encoding="utf-8")
        _readable(tmp)


def unit(metric: str, time_unit: str = "hour") -> str:
    """The unit of a metric, for axis labels."""
    last = metric.rsplit(".", 1)[-1]
    if last == "nps":
        return "NPS points, -100 to 100"
    if last == "csat":
        return "score 0-10"
    if last.endswith("_mean") or last.endswith("_p90"):
        return f"{time_unit}s"
    if last in ("utilisation", "morale") or last.endswith("_rate") or last.endswith("_share"):
        return "share 0-1"
    if last == "revenue":
        return "currency units"
    return "count"


def ci(values, metric: str, difference: bool = False) -> dict:
    """Mean, 95 % CI within the metric's range, std and n over replications of *metric* (NaNs left out);
    *difference*: the values are paired differences of the metric."""
    return metrics.aggregate(np.asarray(values, float), metric, difference)


def fmt(values, metric: str, difference: bool = False, digits: int = 3) -> str:
    """'mean [ci_low, ci_high]' of per-replication values of *metric* (or of its differences)."""
    a = ci(values, metric, difference)
    if not np.isfinite(a["ci_low"]):
        return f"{a['mean']:.{digits}g}"
    return f"{a['mean']:.{digits}g} [{a['ci_low']:.{digits}g}, {a['ci_high']:.{digits}g}]"


def identical(a, b) -> bool:
    """True when two runs gave exactly the same numbers (same streams and nothing changed)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def relabel(fig, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None):
    """Set the title and axis labels (with units) of a figure's first axes."""
    ax = fig.axes[0]
    if title:
        ax.set_title(title, fontsize=10)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return fig

