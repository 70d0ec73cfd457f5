"""The HTML report of one run: every per-period series as a plot, the warm-up diagnostic and the drift warnings.

One self-contained file (figures embedded, no network), like the comparison's report.  A run's table
gives one mean per metric; this shows what each metric did period by period, so a mean that hides a
drift is seen as one.
"""

from __future__ import annotations

import html
from pathlib import Path

from orgsim import metrics
from orgsim.execution.atomic import write_text
from orgsim.present import plots, units_report
from orgsim.present.html_parts import STYLE, figure, number
from orgsim.studies.drift import ALPHA
from orgsim.studies.results import RunResult

CAPTION = ("Dotted line: the scenario's warm-up. Dashed: MSER-5's suggested warm-up where it differs. Bars: the mean of "
           "each part of the run after the warm-up, which the drift test compares (red and solid where the mean still moves).")


def _groups(result: RunResult) -> list[tuple[str, str, list[str]]]:
    """(figure id, title, metrics) for every group of per-period series the run has."""
    names = list(result.period_sums)
    sc = result.scenario
    groups = [("fig-external", "External customers",
               [m for m in ("external.nps", "external.csat", "external.sojourn_mean", "external.completed",
                            "external.abandoned") if m in names])]
    for key, title in (("utilisation", "Department utilisation"), ("morale", "Department morale"),
                       ("headcount", "Employees present"), ("blocked_share", "Share of employee time blocked")):
        found = [f"dept.{d}.{key}" for d in sc.departments if f"dept.{d}.{key}" in names]
        if key == "blocked_share" and not any(result.period_sums[m][1].any() for m in found):
            continue  # nobody is ever blocked: a page of flat zeros says nothing
        groups.append((f"fig-{key}", title, found))
    groups.append(("fig-active", "Active customers", [m for m in names if m.startswith("segment.") and m.endswith(".active")]))
    return [g for g in groups if g[2]]


def _rows(result: RunResult) -> str:
    drift = result.drift or {}
    rows = []
    for name, values in result.values.items():
        agg = metrics.aggregate(values, name)
        d = drift.get(name)
        cut, move, flag = "–", "–", ""
        if d is not None:
            cut = ("≥ " if d.mser5_at_limit else "") + number(d.mser5_warmup)
            if d.test is not None:
                t = d.test
                move = f"{number(t.change)} [{number(t.change - t.change_half)}, {number(t.change + t.change_half)}]"
                flag = ' class="moves"' if t.trending else ""
        rows.append(f"<tr{flag}><td>{html.escape(name)}</td><td>{number(agg['mean'])}</td>"
                    f"<td>{number(agg['ci_low'])} – {number(agg['ci_high'])}</td><td>{cut}</td><td>{move}</td></tr>")
    return "".join(rows)


def _week(result: RunResult) -> str:
    """The hour-of-week profile, when the run kept one: a table of each metric's peak and trough, and the heatmaps."""
    if result.profiles is None:
        return ""
    frame = result.profile()
    names = list(result.profiles)
    rows = []
    for name in names:
        part = frame[(frame.metric == name) & frame["mean"].notna()]
        if part.empty:
            rows.append(f"<tr><td>{html.escape(name)}</td><td>–</td><td>–</td></tr>")
            continue
        hi, lo = part.loc[part["mean"].idxmax()], part.loc[part["mean"].idxmin()]
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{hi.day} {hi.hour:02d}:00 ({number(hi['mean'])})</td>"
                    f"<td>{lo.day} {lo.hour:02d}:00 ({number(lo['mean'])})</td></tr>")
    caption = ("Hour of the week: the mean over replications of each hour's value, for " + ", ".join(names)
               + ". Blank: no value in that hour (nothing arrived, or nobody present).")
    return ("<h2>Hour of the week</h2>\n<table id=\"profile\"><thead><tr><th>metric</th><th>highest hour (mean)</th>"
            f"<th>lowest hour (mean)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>\n"
            + figure(plots.week_heatmap(frame, names), caption, "fig-week"))


def render(result: RunResult) -> str:
    """The report as an HTML string."""
    sc = result.scenario
    unit = html.escape(sc.time_unit)
    warnings = result.warnings()
    if result.unit_runs is not None:
        verdict = "<p id=\"warnings\">Drift not tested: a chain of units keeps no per-replication series.</p>"
    elif result.drift is None:
        verdict = "<p id=\"warnings\">Drift not tested: per-replication series are not kept for a run this large.</p>"
    elif warnings:
        verdict = '<div id="warnings" class="warn"><strong>Warning.</strong><ul>' + "".join(
            f"<li>{html.escape(w)}</li>" for w in warnings) + "</ul></div>"
    else:
        verdict = ('<p id="warnings" class="ok">No metric with a per-period series still moves after the warm-up '
                   f"(at most a {ALPHA:.0%} chance of a warning for a run with no drift).</p>")
    figures = "".join(
        figure(plots.period_panels(result, names, title), f"{title} per period. {CAPTION}", ident)
        for ident, title, names in _groups(result)
    )
    n = len(result.replications)
    runs = f"{n} replication{'s' if n != 1 else ''}"
    if result.unit_runs is not None:
        each = len(result.unit_runs.runs[0].replications)
        runs = f"{n} units of {each} replication{'s' if each != 1 else ''} each"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orgsim run: {html.escape(sc.name)}</title>
<style>{STYLE}
.warn {{ background: #fbeaea; padding: 0.8em; border-left: 4px solid #c33; }}
.ok {{ background: #eef6ee; padding: 0.8em; border-left: 4px solid #3a3; }}
tr.moves td {{ color: #b00; font-weight: 600; }}
</style></head><body>
<h1>orgsim run: {html.escape(sc.name)}</h1>
<p>{runs} on the {html.escape(result.engine)} engine, seed {result.seed},
horizon {sc.horizon:g} {unit}s after a warm-up of {sc.warmup:g}, periods of {sc.period:g} {unit}s.</p>
{verdict}
<h2>Metrics</h2>
<table id="metrics"><thead><tr><th>metric</th><th>mean</th><th>95 % CI</th><th>MSER-5 warm-up ({unit}s)</th>
<th>change after the warm-up [CI]</th></tr></thead>
<tbody>{_rows(result)}</tbody></table>
{units_report.section(result)}<h2>Per period</h2>
{figures}
{_week(result)}
</body></html>
"""


def write(result: RunResult, path: str | Path) -> Path:
    """Write the report atomically and return its path."""
    path = Path(path)
    write_text(path, render(result))
    return path
