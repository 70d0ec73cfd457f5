"""The books of one replication, written into the accumulator rows of ``orgsim.kernels.layout``.

The runtime objects keep their raw sums as plain Python numbers (cheaper to
update than NumPy elements); at the end of a replication they are copied,
block by block, into one accumulator row and one row per period.
"""

from __future__ import annotations

import numpy as np


def _put(row: np.ndarray, table: dict, name: str, values) -> None:
    start, shape = table[name]
    size = int(np.prod(shape))
    row[..., start : start + size] = np.asarray(values, dtype=float).reshape(row.shape[:-1] + (size,))


def fill(org, row: np.ndarray, periods: np.ndarray, table: dict, period_table: dict) -> None:
    """Copy the raw sums of a finished Organisation into *row* and *periods* (periods x period row)."""
    segments, departments = org.segments, org.departments
    put = lambda name, values: _put(row, table, name, values)  # noqa: E731
    for name in (
        "arrivals", "completed", "abandoned", "wait_sum", "sojourn_sum", "score_sum",
        "promoters", "detractors", "revenue", "churned", "active_at_warmup",
    ):
        put(f"seg_{name}", [getattr(s, name) for s in segments])
    put("seg_sojourn_hist", [s.hist for s in segments])

    end_areas = [dept.areas() for dept in departments]
    counted = [
        tuple(a - w for a, w in zip(areas, dept.warm)) if dept.warm is not None else (0.0, 0.0, 0.0)
        for dept, areas in zip(departments, end_areas)
    ]
    put("dept_busy", [c[0] for c in counted])
    put("dept_blocked", [c[1] for c in counted])
    put("dept_available", [c[2] for c in counted])
    put("dept_wait_sum", [d.wait_sum for d in departments])
    put("dept_visits", [d.visits for d in departments])
    put("dept_morale", [d.morale for d in departments])
    put("resp_sum", org.resp_sum)
    put("resp_count", org.resp_count)
    put("services_completed", [org.services_completed])
    put("services_redone", [org.services_redone])
    put("seg_escaped", [s.escaped for s in segments])
    put("sup_late", [u.late for u in org.suppliers])
    if table["seg_within_target"][1][0]:
        put("seg_within_target", [s.within for s in segments])
    if org.hours is not None:
        org.hours.fill(row)
    put("dept_overtime", [d.overtime() - d.ot_warm if d.ot_warm is not None else 0.0 for d in departments])
    if table["feedback_lift"][1][0]:
        put("feedback_lift", [org.feedback_sum, org.feedback_count, org.feedback_first][: table["feedback_lift"][1][0]])
    if table["recovery"][1][0]:
        put("recovery", [sum(s.recovery_offered for s in segments), sum(s.recovery_won for s in segments)])
    if table["svc_learning"][1][0]:
        put("svc_learning", [desk.learning for desk in org.desks.values()])
    put("dept_done", [d.done for d in departments])
    if org.agreements is not None:
        for name, values in org.agreements.sums.items():
            put(f"agr_{name}", values)

    n = org.n_periods
    pput = lambda name, values: _put(periods, period_table, name, values)  # noqa: E731
    by_period = np.array([s.periods for s in segments], dtype=float).reshape(len(segments), n, 6)
    for k, name in enumerate(("completed", "abandoned", "sojourn_sum", "score_sum", "promoters", "detractors")):
        pput(f"seg_{name}", by_period[:, :, k].T)
    pput("seg_active", np.array([s.period_active for s in segments], dtype=float).reshape(len(segments), n).T)
    for name in ("busy", "blocked", "available", "morale", "headcount", "overtime", "leavers", "done"):
        pput(f"dept_{name}", np.array([getattr(d, f"p_{name}") for d in departments], dtype=float).T)
    if org.agreements is not None:
        for name, values in org.agreements.periods.items():
            pput(f"agr_{name}", values)
