"""The HTML report of a comparison: one self-contained file (figures embedded, no network)."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from orgsim import metrics
from orgsim.execution.atomic import write_text
from orgsim.present import plots
from orgsim.present.html_parts import STYLE
from orgsim.present.html_parts import figure as _img
from orgsim.present.html_parts import number as _num
from orgsim.studies.plans import heads_text
from orgsim.studies.simulate import AS_SCENARIO


def _notes(comparison) -> str:
    """Paragraphs on what the ranking rests on: plans shared by several policies, unequal spending, the what-if differences."""
    out = []
    shared = [comparison.title(label) for label in comparison.labels if len(comparison.names[label]) > 1]
    if shared:
        out.append(f"<p id=\"shared\">Policies joined by “=” resolve to the same plan on this scenario (the same headcount "
                   f"and every other field the engines read): each such plan ran once and is one row: "
                   f"{html.escape('; '.join(shared))}.</p>")
    if len({comparison.cost(label)["cost"] for label in comparison.labels}) > 1:
        out.append("<p id=\"spending\"><strong>Spending differs between the rows</strong> (see the cost column): their "
                   "differences mix where the budget goes with how much is spent.</p>")
    against = comparison.stats.get("against_reference")
    if against:
        rows = "".join(f"<tr><td>{html.escape(comparison.title(k))}</td><td>{_num(r['mean'])} [{_num(r['ci_low'])}, "
                       f"{_num(r['ci_high'])}]</td></tr>" for k, r in against.items() if k != comparison.reference)
        what = (("What-ifs against the scenario as written", "variant") if comparison.reference == AS_SCENARIO
                else (f"Against {comparison.reference}", "policy"))
        out.append(f"<h2>{html.escape(what[0])}</h2><table id=\"against-reference\"><thead><tr>"
                   f"<th>{what[1]}</th><th>minus {html.escape(comparison.reference)} (paired, 95 % CI)</th></tr></thead>"
                   f"<tbody>{rows}</tbody></table>")
    return "\n".join(out)


def _ceiling(comparison) -> str:
    """A paragraph naming the arms over the cost ceiling, which the ranking leaves out."""
    s = comparison.stats
    if not s.get("over_ceiling"):
        return ""
    over = "; ".join(f"{comparison.title(k)} ({_num(s['firm_cost'][k])})" for k in s["over_ceiling"])
    return (f"<p id=\"over-ceiling\">Over the cost ceiling of {_num(s['cost_ceiling'])} (mean firm.cost), shown "
            f"but not ranked: {html.escape(over)}.</p>")


def _also(comparison) -> str:
    """The same arms on another metric: a table of means, CIs and paired differences against the reference."""
    s, ref = comparison.stats, comparison.reference
    against = s.get("against_reference") or s["differences"]
    what = f"minus {ref}" if ref else "minus best"
    rows = "".join(
        f"<tr><td>{rank or '–'}</td><td>{html.escape(comparison.title(label))}</td><td>{_num(s['policies'][label]['mean'])}</td>"
        f"<td>{_num(s['policies'][label]['ci_low'])} – {_num(s['policies'][label]['ci_high'])}</td>"
        f"<td>{_num(against[label]['mean'])} [{_num(against[label]['ci_low'])}, {_num(against[label]['ci_high'])}]</td></tr>"
        for rank, label in comparison.shown())
    key = comparison.metric.replace(".", "-")
    return (f"<h2>Ranking by {html.escape(comparison.metric)}</h2><table id=\"ranking-{key}\"><thead><tr><th>rank</th>"
            f"<th>policy</th><th>{html.escape(comparison.metric)}</th><th>95 % CI</th><th>{html.escape(what)} (paired, "
            f"95 % CI)</th></tr></thead><tbody>{rows}</tbody></table>")


def render(comparison, question: str | None = None, also=(), answer: str | None = None) -> str:
    """The report as an HTML string; *also*: the same comparison analysed for other metrics, each a table;
    *answer*: the sentence that answers the question (default: the comparison's own)."""
    s = comparison.stats
    first = comparison.results[comparison.labels[0]]
    sc = first.scenario
    question = question or (
        f"Which policy gives the best {comparison.metric} for “{sc.name}”, by how much, and how sure can we be?"
    )
    rows = []
    for rank, label in comparison.shown():
        p, d = s["policies"][label], s["differences"][label]
        c = comparison.cost(label)
        tie = " (tied with best)" if label in s["tied_with_best"] else ""
        rows.append(
            f"<tr><td>{rank or '–'}</td><td>{html.escape(comparison.title(label))}{tie}</td><td>{_num(p['mean'])}</td>"
            f"<td>{_num(p['ci_low'])} – {_num(p['ci_high'])}</td><td>{p['p_best']:.0%}</td>"
            f"<td>{_num(d['mean'])} [{_num(d['ci_low'])}, {_num(d['ci_high'])}]</td>"
            f"<td>{html.escape(heads_text(c))}</td>"
            f"<td>{c['heads']} + {c['cost'] - c['heads']} = {c['cost']} of {c['budget']}</td></tr>"
        )
    reduction = [v for v in s["variance_reduction"].values() if np.isfinite(v)]
    crn = (
        f"Common random numbers cut the variance of the paired differences by {np.mean(reduction):.0%} on average "
        "compared with independent runs."
        if reduction
        else ""
    )
    notes = _ceiling(comparison) + _notes(comparison) + "".join(_also(other) for other in also)
    unreliable = not all(p["ci_reliable"] for p in s["policies"].values())
    caution = f'<p class="unreliable" id="unreliable"><strong>95 % CIs {metrics.UNRELIABLE}.</strong></p>' if unreliable else ""
    best = comparison.results[s["best"]]
    figures = [
        _img(plots.series_over_time(comparison, "external.nps"), "External NPS over time per policy, with 95 % bands", "fig-nps"),
        _img(plots.forest(comparison), f"Paired differences in {comparison.metric} against the best, with 95 % CIs", "fig-forest"),
        _img(plots.department_heatmap(comparison, "utilisation"), "Department utilisation by policy", "fig-utilisation"),
    ]
    if any(k.endswith(".morale") for k in first.values):
        figures.append(_img(plots.department_heatmap(comparison, "morale"), "Department morale at the horizon by policy", "fig-morale"))
    figures.append(_img(plots.response_matrix(best), f"Who waits on whom under {comparison.title(s['best'])}: internal response times",
                        "fig-response"))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orgsim report: {html.escape(sc.name)}</title>
<style>{STYLE}
.answer {{ font-size: 1.15em; background: #eef6ee; padding: 0.8em; border-left: 4px solid #3a3; }}
.unreliable {{ color: #a40; }}
</style></head><body>
<h1>orgsim report: {html.escape(sc.name)}</h1>
<p class="question"><strong>Question.</strong> {html.escape(question)}</p>
<p class="answer" id="answer">{html.escape(answer or comparison.answer())}</p>
<p>{s['n']} replications per policy on the {html.escape(first.engine)} engine, seed {comparison.seed},
horizon {sc.horizon:g} {html.escape(sc.time_unit)}s after a warm-up of {sc.warmup:g}. {crn}
Every interval stays within its metric's range (Student t on the logit or log scale).</p>
{caution}
<h2>Ranking</h2>
<table id="ranking"><thead><tr><th>rank</th><th>policy</th><th>{html.escape(comparison.metric)}</th><th>95 % CI</th>
<th>P(best)</th><th>minus best (paired, 95 % CI)</th><th>headcount</th><th>cost: heads + invested, of budget</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
{notes}
<h2>Figures</h2>
{''.join(figures)}
</body></html>
"""


def write(comparison, path: str | Path, question: str | None = None, also=(), answer: str | None = None) -> Path:
    """Write the report atomically and return its path (the arguments as ``render`` takes them)."""
    path = Path(path)
    write_text(path, render(comparison, question, also, answer))
    return path
