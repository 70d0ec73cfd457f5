"""The page `orgsim fit --report` writes: the fitted model's numbers and every service-time fit, in one file."""

from __future__ import annotations

import html

import numpy as np

from orgsim.eventlog.fitting import FittedModel
from orgsim.present import plots
from orgsim.present.html_parts import STYLE, figure, number
from orgsim.scenario.calendar import DAYS


def _rows(cells: list[list[str]], head: list[str]) -> str:
    top = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells)
    return f"<table><tr>{top}</tr>{body}</table>"


def _departments(model: FittedModel) -> str:
    sc = model.scenario
    rows = []
    for name, spec in sc["departments"].items():
        dept = model.departments.get(name)
        label = html.escape(dept.label) if dept else "delays between work (from enabled times)"
        cal = sc["calendars"].get(spec.get("calendar"), ["around the clock"])
        if isinstance(cal, dict):  # hours that change on a date
            cal = [*cal["hours"], *(f"from {c['from']}: {', '.join(c['hours'])}" for c in cal["changes"])]
        rows.append([html.escape(name), label, str(spec["headcount"]), html.escape(", ".join(cal)),
                     html.escape(", ".join(spec["services"]))])
    return _rows(rows, ["department", "from the log", "headcount", "calendar", "services"])


def _services(model: FittedModel) -> str:
    rows = []
    for key, fit in model.services.items():
        best = fit.fits[0]
        rivals = "; ".join(f"{f.dist['dist']} (KS {f.ks:.3f})" for f in fit.fits[1:])
        params = ", ".join(f"{k} {number(v) if isinstance(v, float) else v}" for k, v in best.dist.items() if k != "dist")
        rows.append([html.escape(key), str(fit.events), number(fit.wall_mean), number(fit.working_mean),
                     f"{best.dist['dist']} ({params})", f"{best.ks:.3f}", html.escape(rivals)])
    return _rows(rows, ["activity", "events", "mean start to end (h)", "mean working (h)", "chosen law", "KS", "other families"])


def _segments(model: FittedModel) -> str:
    rows = []
    for name, facts in model.segments.items():
        rate = model.scenario["segments"][name]["arrivals"]["rate"]
        rows.append([html.escape(name), html.escape(facts["first"]), str(facts["cases"]), number(facts["cycle_median"]),
                     number(facts["cycle_mean"]), number(facts["cycle_p90"]), str(len(rate))])
    return _rows(rows, ["segment", "first activity", "cases", "median cycle (h)", "mean cycle (h)", "p90 cycle (h)",
                        "hours of the week with arrivals"])


def _arrival_figure(model: FittedModel) -> str:
    series = {}
    for name, spec in model.scenario["segments"].items():
        week = np.zeros(168)
        tables = [spec["arrivals"]["rate"], *(c["rate"] for c in spec["arrivals"].get("changes", []))]
        shown = next((t for t in tables if any(t.values())), tables[0])  # a period's own table, not the 0 before it
        for window, rate in shown.items():
            day, times = window.split()
            week[DAYS.index(day) * 24 + int(times[:2])] = rate
        series[name] = week
    fig = plots.week_rates(series, "arrivals per hour")
    return figure(fig, "Fitted arrival rate by hour of the week (Monday 00:00 first)", "arrivals")


def fit_page(model: FittedModel, yaml_name: str) -> str:
    """The whole report as one HTML page (styles inline, the figure embedded)."""
    title = f"Fitted from {html.escape(model.source)}"
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title><style>{STYLE}</style></head>"
            f"<body><h1>{title}</h1><p>{model.events} events, {model.cases} cases; the scenario is "
            f"<code>{html.escape(yaml_name)}</code>. Times in hours.</p>"
            f"<h2>Departments</h2>{_departments(model)}<h2>Arrivals and cycle times</h2>{_segments(model)}"
            f"{_arrival_figure(model)}<h2>Service times</h2><p>Each activity's working time fitted by maximum likelihood "
            f"to every distribution family; the chosen law has the lowest AIC (or the smallest KS statistic when one "
            f"value holds half the sample).</p>{_services(model)}</body></html>")
