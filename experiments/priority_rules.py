"""Should a shared internal supplier serve external work first, internal work first, or in arrival order?

Compares the queue rules ``fifo``, ``external_first`` and ``internal_first``
(policy field ``priority``) with common random numbers on each scenario
(default ``baseline`` and ``hospital``), for external NPS and the internal
response times.

A rule only reorders a queue that holds both classes of work: external
(journey steps) and internal (sub-requests, invoices).  When no department of
a scenario serves both, the three rules give identical runs, replication by
replication; the script says so and then also runs a *walk-in variant* in
which the busiest internal-only department also serves external walk-in
customers directly: an open stream carrying one head's worth of work
(offered utilisation unchanged once the head is added), expecting service
within three times its mean work time.  The variant is the smallest change
that makes the department a shared supplier; it is labelled ``<name> +
walk-ins`` everywhere.

Writes priority_rules.{csv,parquet} (scenario, policy, replication, metric,
value), priority_<scenario>.png per scenario and conclusion.txt.
"""

from __future__ import annotations

import re

import common
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from orgsim.scenario.loader import validate_mapping
from orgsim.scenario.schema import mean_of
from orgsim.scenario.traffic import solve
from orgsim.studies.compare import PolicySpec, compare

RULES = ("fifo", "external_first", "internal_first")
WALK_IN = "walk_in"


def work_classes(sc) -> dict[str, set[str]]:
    """Per department, the classes of work its queue receives: 'external', 'internal' or both."""
    out = {d: set() for d in sc.departments}
    for seg in sc.segments.values():
        for step in seg.journey:
            out[step.service.split(".")[0]].add("external")
    for dept in sc.departments.values():
        for svc in dept.services.values():
            for need in svc.needs:
                if need.service:
                    out[need.service.split(".")[0]].add("internal")
    for sup in sc.suppliers.values():
        if sup.paid_by:
            out[sup.paid_by.split(".")[0]].add("internal")
    return out


def walk_in_variant(sc):
    """The scenario with external walk-ins at its busiest internal-only department, plus one head there."""
    classes = work_classes(sc)
    traffic = solve(sc)
    internal_only = [d for d, c in classes.items() if c == {"internal"}]
    if not internal_only:
        return None, None
    dept = max(internal_only, key=lambda d: traffic.load[d] / max(sc.departments[d].headcount, 1))
    services = sc.departments[dept].services
    svc = max(services, key=lambda s: traffic.demand.get(f"{dept}.{s}", 0.0))
    work = mean_of(services[svc].time) / sc.departments[dept].skill
    util = traffic.load[dept] / sc.departments[dept].headcount
    raw = sc.model_dump(mode="json")
    raw["name"] = f"{sc.name} + walk-ins"
    raw["departments"][dept]["headcount"] += 1
    if raw["policy"].get("budget") is not None:
        raw["policy"]["budget"] += 1
    raw["segments"][WALK_IN] = {
        "arrivals": {"rate": util / work},
        "journey": [f"{dept}.{svc}"],
        "expectation": 3 * work,
    }
    return validate_mapping(raw, raw["name"]), f"{dept}.{svc}"


def response_metrics(values: dict) -> list[str]:
    return sorted(k for k in values if re.fullmatch(r"internal\.[a-z0-9_]+\.[a-z0-9_]+\.response_mean", k))


def figure(comp, label: str, time_unit: str):
    """External NPS (overall and per segment) and internal response times, per rule, 95 % CIs."""
    first = comp.results[RULES[0]].values
    nps = ["external.nps"] + sorted(k for k in first if k.startswith("segment.") and k.endswith(".nps"))
    resp = response_metrics(first)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"width_ratios": [max(len(nps), 1), max(len(resp), 1)]})
    width = 0.8 / len(RULES)
    for ax, names in zip(axes, (nps, resp)):
        x = np.arange(len(names))
        for k, rule in enumerate(RULES):
            stats = [common.ci(comp.results[rule].values[n], n) for n in names]
            mean = np.array([s["mean"] for s in stats])
            lo = np.array([s["ci_low"] for s in stats])
            hi = np.array([s["ci_high"] for s in stats])
            err = np.nan_to_num(np.vstack([mean - lo, hi - mean]))
            ax.bar(x + (k - 1) * width, mean, width, yerr=err, capsize=3, label=rule)
        ax.set_xticks(x, [n.replace(".response_mean", "").replace("internal.", "").replace(".nps", "") for n in names],
                      rotation=30, ha="right", fontsize=8)
        ax.legend(fontsize=8, title="queue rule", title_fontsize=8)
    axes[0].axhline(0, color="grey", lw=0.8)
    axes[0].set_ylim(-110, 110)
    axes[0].set_title("external NPS by segment", fontsize=10)
    axes[0].set_ylabel("NPS (points, -100 to 100)")
    axes[0].set_xlabel("customers (external = all segments)")
    axes[1].set_title("internal response time: requesting dept. -> supplier", fontsize=10)
    axes[1].set_ylabel(f"mean response time ({time_unit}s)")
    axes[1].set_xlabel("requesting department . supplier")
    if resp and np.nanmax([np.nanmean(comp.results[r].values[n]) for r in RULES for n in resp]) > 0:
        axes[1].set_yscale("log")
        axes[1].set_ylabel(f"mean response time ({time_unit}s, log scale)")
    fig.suptitle(f"{label}: queue priority rules (mean and 95 % CI over {comp.stats['n']} paired replications)")
    fig.tight_layout()
    return fig


def describe(comp, label: str, time_unit: str, shared: list[str]) -> list[str]:
    base = comp.results["fifo"].values
    if all(common.identical(comp.results[r].values[k], base[k]) for r in RULES for k in base):
        return [f"{label}: no effect. No department serves both external and internal work "
                "(each queue holds one class), so the three rules give identical runs, replication by replication."]
    lines = [f"{label}: shared queues at {', '.join(shared)}; {comp.stats['n']} paired replications."]
    for rule in RULES:
        v = comp.results[rule].values
        segs = "  ".join(f"{k.split('.')[1]} {common.fmt(v[k], k)}"
                         for k in sorted(v) if k.startswith("segment.") and k.endswith(".nps"))
        lines.append(f"  {rule:<15} external NPS {common.fmt(v['external.nps'], 'external.nps')}" + (f"  ({segs})" if segs else ""))
    originals = [k for k in sorted(base) if k.startswith("segment.") and k.endswith(".nps") and k != f"segment.{WALK_IN}.nps"]
    for k in originals:  # did the walk-ins' gain cost the customers the scenario started with?
        cells = "  ".join(f"{rule} {common.fmt(comp.results[rule].values[k] - base[k], k, True)}" for rule in RULES[1:])
        lines.append(f"  {k.split('.')[1]} NPS, paired difference from fifo: {cells}")
    for k in response_metrics(base):
        cells = "  ".join(f"{rule} {common.fmt(comp.results[rule].values[k], k)}" for rule in RULES)
        lines.append(f"  {k.split('.')[1]} waits on {k.split('.')[2]} ({time_unit}s): {cells}")
    lines.append("  Answer: " + comp.answer())
    return lines


def main(argv=None) -> None:
    p = common.parser("priority_rules", __doc__, replications=100)
    p.add_argument("--scenarios", default="baseline,hospital", help="comma-separated scenarios (default baseline,hospital)")
    args = common.parse(p, argv)
    specs = [PolicySpec(r, {"priority": r}) for r in RULES]
    tables, lines = [], [f"Queue priority rules: seed {args.seed}, engine {args.engine}."]
    for name in args.scenarios.split(","):
        sc = common.load(name.strip(), args)
        runs = [(name.strip(), sc)]
        if not any(c == {"external", "internal"} for c in work_classes(sc).values()):
            variant, where = walk_in_variant(sc)
            if variant is not None:
                runs.append((f"{name.strip()}_walk_ins", variant))
        for key, scenario in runs:
            comp = compare(scenario, specs, metric="external.nps", replications=args.replications,
                           seed=args.seed, engine=args.engine)
            shared = [d for d, c in work_classes(scenario).items() if c == {"external", "internal"}]
            tables += [common.tidy(comp.results[r], r, scenario.name) for r in RULES]
            common.save_figure(figure(comp, scenario.name, scenario.time_unit), args.out, f"priority_{key}")
            lines += describe(comp, scenario.name, scenario.time_unit, shared)
    common.write_table(pd.concat(tables, ignore_index=True), args.out, "priority_rules", common.TIDY_COLUMNS)
    common.finish(args.out, lines)


if __name__ == "__main__":
    main()
