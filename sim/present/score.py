"""The terminal table of `orgsim score`: each KPI of the real log beside the simulation's, then the distances."""

from __future__ import annotations

import math

from orgsim.studies.score import Score


def _fmt(x) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}" if abs(x) < 1 else f"{x:.2f}"


def score_table(result: Score) -> str:
    """KPIs (log, simulated mean and 95 % CI, and whether the log's value is inside it), then the distances."""
    rows = [("kpi", "log", "sim", "95 % CI", "log inside")]
    for name, k in result.kpis.items():
        ci = "-" if not math.isfinite(k["ci_low"]) else f"[{_fmt(k['ci_low'])}, {_fmt(k['ci_high'])}]"
        inside = "-" if "-" in (ci, _fmt(k["log"])) else ("yes" if k["ci_low"] <= k["log"] <= k["ci_high"] else "no")
        rows.append((name, _fmt(k["log"]), _fmt(k["sim"]), ci, inside))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [f"scenario {result.scenario} against log {result.log}, {result.replications} replications of the reference "
             "engine (cycle times, waits and processing in hours)"]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.append("distances (mean over replications; log-distance-measures definitions):")
    lines += [f"  {name}: {_fmt(value)}" for name, value in result.distances.items()]
    return "\n".join(lines)
