"""The books of one replication, written into the accumulator rows of ``orgsim.kernels.layout``.

The runtime objects keep their raw sums as plain Python numbers (cheaper to
update than NumPy elements); at the end of a replication each block of
``layout.ROW`` and ``layout.PERIOD`` is copied from them into one
accumulator row and one row per period.  A block the layout gains and this
file does not fill is a KeyError naming it.
"""

from __future__ import annotations

import numpy as np

from orgsim.kernels import layout

# the columns of Segment.periods, each period's sums
_SEGMENT_PERIOD = ("completed", "abandoned", "sojourn_sum", "score_sum", "promoters", "detractors")


def _put(row: np.ndarray, table: dict, name: str, values) -> None:
    start, shape = table[name]
    size = int(np.prod(shape))
    row[..., start : start + size] = np.asarray(values, dtype=float).reshape(row.shape[:-1] + (size,))


def _row_blocks(org) -> dict:
    """Every block of ``layout.ROW`` from a finished Organisation."""
    segments, departments = org.segments, org.departments
    out = {f"seg_{name}": [getattr(s, name) for s in segments] for name in (
        "arrivals", "completed", "abandoned", "wait_sum", "sojourn_sum", "score_sum",
        "promoters", "detractors", "revenue", "churned", "active_at_warmup",
    )}  # fmt: skip
    out["seg_sojourn_hist"] = [s.hist for s in segments]
    counted = [
        tuple(a - w for a, w in zip(dept.areas(), dept.warm)) if dept.warm is not None else (0.0, 0.0, 0.0)
        for dept in departments
    ]
    for k, name in enumerate(("dept_busy", "dept_blocked", "dept_available")):
        out[name] = [c[k] for c in counted]
    for name in ("wait_sum", "visits", "morale"):
        out[f"dept_{name}"] = [getattr(d, name) for d in departments]
    out.update(resp_sum=org.resp_sum, resp_count=org.resp_count, services_completed=[org.services_completed],
               services_redone=[org.services_redone])  # fmt: skip
    return out


def _period_blocks(org) -> dict:
    """Every block of ``layout.PERIOD``, for all periods (periods x block)."""
    segments, departments = org.segments, org.departments
    n = org.n_periods
    by_period = np.array([s.periods for s in segments], dtype=float).reshape(len(segments), n, len(_SEGMENT_PERIOD))
    out = {f"seg_{name}": by_period[:, :, k].T for k, name in enumerate(_SEGMENT_PERIOD)}
    out["seg_active"] = np.array([s.period_active for s in segments], dtype=float).reshape(len(segments), n).T
    for name in ("busy", "blocked", "available", "morale", "headcount"):
        out[f"dept_{name}"] = np.array([getattr(d, f"p_{name}") for d in departments], dtype=float).T
    return out


def fill(org, row: np.ndarray, periods: np.ndarray, table: dict, period_table: dict) -> None:
    """Copy the raw sums of a finished Organisation into *row* and *periods* (periods x period row)."""
    blocks = _row_blocks(org)
    for name in layout.ROW._fields:
        _put(row, table, name, blocks[name])
    blocks = _period_blocks(org)
    for name in layout.PERIOD._fields:
        _put(periods, period_table, name, blocks[name])
