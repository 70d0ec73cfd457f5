"""Every metric as MyST markdown, from ``orgsim.metrics`` (MEANINGS, KINDS) and a real run.

A tiny run of the shipped ``baseline`` (every kind of department, segment, supplier and morale) lists the
names the engines produce, per replication and per period.  Each must have a meaning and each meaning must
be produced, so the page cannot drift from the code: a mismatch stops the build.
"""

from __future__ import annotations

import math

import orgsim
from orgsim import metrics

SEGMENT_WIDE = "segment.<s>.*"


def pattern(name: str) -> str:
    """The documented pattern a metric name belongs to (``dept.it.wait_mean`` -> ``dept.<d>.wait_mean``)."""
    parts = name.split(".")
    if parts[0] == "dept":
        return f"dept.<d>.{parts[-1]}"
    if parts[0] == "internal" and len(parts) == 4:
        return f"internal.<c>.<d>.{parts[-1]}"
    if parts[0] == "agreement":
        return f"agreement.<c>.<d>.{parts[-1]}"
    if parts[0] == "segment":
        specific = f"segment.<s>.{parts[-1]}"
        return specific if specific in metrics.MEANINGS else SEGMENT_WIDE
    return name


def produced() -> tuple[set[str], set[str]]:
    """Metric names of tiny runs: per replication, and per period (the time series).

    ``baseline`` as shipped, ``baseline`` with the communication, feedback (setting the queue order too),
    improvement and recovery investments (their metrics) and prices (the investments' cost), ``contact_centre``
    (shifts) with the optional metrics switched on: prices (the firm's money) and a service-level target,
    ``branches`` as one firm (its people measures) and ``service_desk`` (a service agreement)."""
    levers = ["policy.budget=44", "policy.investments.feedback_priority=50", "policy.recovery={service: support.resolve}"]
    levers += [f"policy.investments.{k}=1" for k in ("communication", "feedback", "improvement", "recovery")]
    levers += ["costs.labour=1"]
    runs = [("baseline", []), ("baseline", levers),
            ("contact_centre", ["costs.labour=1", "segments.callers.service_level_target=0.1"]),
            ("branches", ["units=null"]), ("service_desk", [])]
    per_replication, per_period = set(), set()
    for name, sets in runs:
        scenario = orgsim.load(name, ["horizon=200", "warmup=40", "period=40", *sets])
        result = orgsim.run(scenario, engine="simpy", replications=2, seed=0)
        per_replication |= set(result.values)
        per_period |= set(result.timeseries()["metric"].unique())
    return per_replication, per_period


def _checked(per_replication: set[str], per_period: set[str]) -> None:
    names = per_replication | per_period
    unknown = sorted(n for n in names if pattern(n) not in metrics.MEANINGS)
    stale = sorted(set(metrics.MEANINGS) - {pattern(n) for n in names})
    if unknown or stale:
        raise RuntimeError(f"orgsim.metrics.MEANINGS is out of step with the engines: undocumented {unknown}, never produced {stale}")
    for n in per_replication:
        if pattern(n) == SEGMENT_WIDE and f"external.{n.split('.')[-1]}" not in per_replication:
            raise RuntimeError(f"{n}: a segment metric with no external counterpart")


def _range(name: str) -> str:
    low, high = metrics.bounds(name)
    return f"{low:g} or more" if math.isinf(high) else f"{low:g} to {high:g}"


def _better(name: str) -> str:
    return {1: "higher", -1: "lower", 0: "neither"}[metrics.direction(name)]


def markdown() -> str:
    """The metric table, checked against a real run."""
    per_replication, per_period = produced()
    _checked(per_replication, per_period)
    patterns_rep = {pattern(n) for n in per_replication}
    patterns_per = {pattern(n) for n in per_period}
    lines = [
        "| name | what it is | range | better | interval | in |",
        "|---|---|---|---|---|---|",
    ]
    for name, meaning in metrics.MEANINGS.items():
        where = ", ".join(w for w, found in (("summary", name in patterns_rep), ("time series", name in patterns_per)) if found)
        if name == SEGMENT_WIDE:
            rng = better = method = "as the external metric"
        else:
            rng, better, method = _range(name), _better(name), f"`{metrics.ci_method(*metrics.bounds(name))}`"
        lines.append(f"| `{name}` | {meaning} | {rng} | {better} | {method} | {where} |")
    return "\n".join(lines) + "\n"
