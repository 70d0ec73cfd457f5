"""The part of a run's HTML report that a chain of units adds: the correlations across units and a row per unit.

The run's metrics are then the units' means, so the page also has to show what they average over: each
unit's seed, drawn parameters and own means, and the cross-unit correlations the scenario asks for with
their 95 % intervals by Fisher's z (``orgsim.studies.results.fisher_interval``).
"""

from __future__ import annotations

import html

from orgsim import metrics
from orgsim.present.html_parts import number
from orgsim.studies.results import RunResult


def shown_metrics(result: RunResult) -> list[str]:
    """The metrics the per-unit table shows: those ``units.correlate`` names, else NPS."""
    names = [m for pair in result.unit_runs.correlate for m in pair]
    names = list(dict.fromkeys(names)) or [m for m in ("external.nps",) if m in result.values]
    return names


def _correlations(result: RunResult) -> str:
    frame = result.unit_runs.correlations()
    if frame.empty:
        return "<p>No correlation asked for (<code>units.correlate</code>).</p>"
    rows = "".join(
        f"<tr><td>{html.escape(r.metric_a)}</td><td>{html.escape(r.metric_b)}</td><td>{number(r.r)}</td>"
        f"<td>{number(r.ci_low)} – {number(r.ci_high)}</td><td>{int(r.n)}</td></tr>" for r in frame.itertuples())
    return ("<table id=\"unit-correlations\"><thead><tr><th>metric</th><th>with</th><th>r across units</th>"
            f"<th>95 % CI (Fisher's z)</th><th>units</th></tr></thead><tbody>{rows}</tbody></table>")


def _per_unit(result: RunResult) -> str:
    ur = result.unit_runs
    names = shown_metrics(result)
    params = list(ur.params[0])
    head = "".join(f"<th>{html.escape(x)}</th>" for x in ["unit", "seed", *params])
    head += "".join(f"<th>{html.escape(m)} mean [95 % CI]</th>" for m in names)
    rows = []
    for u, (drawn, seed, run) in enumerate(zip(ur.params, ur.seeds, ur.runs)):
        cells = [str(u), str(seed), *(number(drawn[p]) for p in params)]
        for m in names:
            agg = metrics.aggregate(run.values[m], m)
            cells.append(f"{number(agg['mean'])} [{number(agg['ci_low'])}, {number(agg['ci_high'])}]")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (f"<div style=\"overflow-x: auto\"><table id=\"units\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")  # a column per drawn field: a long chain is wide


def section(result: RunResult) -> str:
    """The report's units section (empty for a run without units)."""
    ur = result.unit_runs
    if ur is None:
        return ""
    each = len(ur.runs[0].replications)
    return (f"<h2>Units</h2>\n<p>{len(ur.runs)} units, {each} replication{'s' if each != 1 else ''} each, with the "
            "parameters each drew; the metrics above are the units' means with a 95 % CI across units.</p>\n"
            f"<h3>Correlation across units of the units' means</h3>\n{_correlations(result)}\n"
            f"<h3>Each unit</h3>\n{_per_unit(result)}\n")
