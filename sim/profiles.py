"""Hour-of-week profiles: metrics per hour of the week (0 = Monday 00:00 on the scenario's clock), per replication
and over replications.

From the profile blocks of the accumulator row (``kernels/profile.py``): orders
are counted by the hour they arrived in, employee time is split at hour
boundaries, and every ratio is taken within one hour of the week over all the
weeks counted after warm-up.  Over replications, each hour's mean gets the
interval every metric gets (``metrics.interval``: Student t on the metric's
range), from the replications where that hour's value is defined.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orgsim import metrics
from orgsim.kernels import layout
from orgsim.kernels.profile import HOURS
from orgsim.ratio import ratio

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
COLUMNS = ["hour_of_week", "day", "hour", "metric", "mean", "ci_low", "ci_high", "n"]


def replication_profiles(rows: np.ndarray, st: metrics.Structure) -> dict[str, np.ndarray]:
    """Per metric, a (replications, 168) array; NaN where an hour has nothing to divide.

    ``external.arrivals`` is orders per clock hour (whatever the time unit), ``external.wait_mean`` the total
    queue wait of completed orders and ``external.abandon_rate`` the abandoned share of ended orders, both by
    arrival hour; ``dept.<d>.utilisation`` is busy over present employee time and ``dept.<d>.staffed`` the
    mean number of employees present in that hour.
    """
    b = layout.unpack(np.atleast_2d(rows), st.blocks())
    time, completed, abandoned = b["prof_time"], b["prof_completed"], b["prof_abandoned"]
    out = {
        "external.arrivals": ratio(b["prof_arrivals"], time * st.profile_hours),
        "external.wait_mean": ratio(b["prof_wait_sum"], completed),
        "external.abandon_rate": ratio(abandoned, completed + abandoned),
    }
    for i, d in enumerate(st.departments):
        out[f"dept.{d}.utilisation"] = ratio(b["prof_busy"][:, i], b["prof_available"][:, i])
        out[f"dept.{d}.staffed"] = ratio(b["prof_available"][:, i], time)
    return metrics._settled(out)


def summarise(values: dict[str, np.ndarray], confidence: float = 0.95) -> pd.DataFrame:
    """The tidy table ``RunResult.profile()`` gives: one row per hour of the week and metric."""
    frames = []
    hours = np.arange(HOURS)
    for name, x in values.items():
        x = np.asarray(x, dtype=float).reshape(-1, HOURS)
        ok = ~np.isnan(x)
        n = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(ok, x, 0.0).sum(axis=0) / n
            dev = np.where(ok, x - mean, 0.0)
            std = np.sqrt((dev * dev).sum(axis=0) / (n - 1))
        std = np.where(n > 1, std, np.nan)
        low, high = metrics.interval(mean, std, n, *metrics.bounds(name), confidence)
        frames.append(pd.DataFrame({"hour_of_week": hours, "day": [DAYS[h // 24] for h in hours], "hour": hours % 24,
                                    "metric": name, "mean": mean, "ci_low": low, "ci_high": high, "n": n}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def records(frame: pd.DataFrame) -> list[dict]:
    """The profile as JSON records (NaN as null): what ``orgsim run --format json`` carries as ``profile``."""
    return [metrics.json_safe({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()})
            for row in frame.to_dict(orient="records")]
