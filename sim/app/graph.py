"""Who serves whom, as data the page draws: departments in columns from the customer inward, edges with response times.

Columns: external customers (segments), the front office, the back office by how many hops it lies behind
the front office, then external suppliers.  Each edge runs from an internal customer to its supplier and
carries the simulated mean response time; each department carries its offered utilisation (traffic
equations, known before any run) and, once a run is there, its simulated utilisation.  The bottleneck is
the department with the highest utilisation.
"""

from __future__ import annotations

import numpy as np

from orgsim.present.summary import internal_suppliers
from orgsim.scenario.schema import Scenario
from orgsim.scenario.traffic import solve
from orgsim.studies.results import RunResult


def _columns(scenario: Scenario) -> dict[str, int]:
    """Column of each department: 1 for the front office, then one more per hop behind it."""
    needs = internal_suppliers(scenario)
    front = scenario.front_office()
    col = {d: 1 for d in front}
    frontier = list(front)
    while frontier:
        nxt = []
        for d in frontier:
            for t in needs[d]:
                if t in scenario.departments and t not in col:
                    col[t] = col[d] + 1
                    nxt.append(t)
        frontier = nxt
    for d in scenario.departments:
        col.setdefault(d, 2)  # serves nobody reachable from a customer: shown behind the front office
    return col


def _mean(result: RunResult | None, name: str) -> float | None:
    if result is None or name not in result.values:
        return None
    x = result.values[name]
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else None


def graph(scenario: Scenario, result: RunResult | None = None) -> dict:
    """Nodes (with column, row, kind, utilisation) and edges (with response time) of the scenario's service web."""
    heads = dict(result.headcount) if result is not None else {d: dept.headcount for d, dept in scenario.departments.items()}
    offered = solve(scenario).utilisation(heads)
    col = _columns(scenario)
    last = max(col.values(), default=1) + 1
    nodes = [{"id": f"segment:{s}", "name": s, "kind": "customer", "column": 0} for s in scenario.segments]
    for d in scenario.departments:
        util = _mean(result, f"dept.{d}.utilisation")
        nodes.append({"id": d, "name": d, "kind": "front" if col[d] == 1 else "back", "column": col[d],
                      "heads": heads[d], "offered": _finite(offered.get(d)), "utilisation": util})
    nodes += [{"id": f"supplier:{s}", "name": s, "kind": "supplier", "column": last} for s in scenario.suppliers]
    for c in range(last + 1):
        rows = [n for n in nodes if n["column"] == c]
        for k, n in enumerate(rows):
            n["row"], n["rows"] = k, len(rows)
    edges = []
    for s, seg in scenario.segments.items():
        for d in dict.fromkeys(step.service.split(".")[0] for step in seg.journey):
            edges.append({"from": f"segment:{s}", "to": d, "response": None})
    for d, targets in internal_suppliers(scenario).items():
        for t in targets:
            to = t if t in scenario.departments else f"supplier:{t}"
            edges.append({"from": d, "to": to, "response": _mean(result, f"internal.{d}.{t}.response_mean")})
    key = "utilisation" if result is not None else "offered"
    ranked = [n for n in nodes if n.get(key) is not None]
    bottleneck = max(ranked, key=lambda n: n[key])["id"] if ranked else None
    return {"nodes": nodes, "edges": edges, "columns": last + 1, "bottleneck": bottleneck, "measure": key,
            "time_unit": scenario.time_unit}


def _finite(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None
