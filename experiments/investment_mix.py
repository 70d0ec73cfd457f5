"""One more head, or the same money on training, recognition or tooling?

For the same extra budget of ``--heads`` headcount-equivalents (default 1)
on one scenario (default ``baseline``), compares with common random numbers:

* ``status_quo`` — the scenario as it is (the reference, old budget);
* ``hire`` — the extra heads go to the most utilised department (measured
  in the status-quo run);
* ``training`` / ``recognition`` / ``tooling`` — headcount unchanged, the
  extra budget spent as ``policy.investments`` (README "Policies": training
  speeds everyone up over time, recognition lifts morale targets, tooling
  shortens handoffs and cuts defect rates).

An investment whose run is identical, replication by replication, to the
status quo had no effect at all: with common random numbers that means the
engine did not apply it, and the script says so rather than rank it.

Writes investment_mix.{csv,parquet} (scenario, policy, replication, metric,
value), investment_effects.png, investment_nps_over_time.png and
conclusion.txt.
"""

from __future__ import annotations

import common
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from orgsim.policies import allocate, budget_of
from orgsim.present.plots import series_over_time
from orgsim.scenario.edit import with_policy
from orgsim.studies.compare import Comparison
from orgsim.studies.run import run

INVESTMENTS = ("training", "recognition", "tooling")
SHOWN = ("external.nps", "external.sojourn_mean", "internal.rework_rate")


def figure(results: dict, name: str, time_unit: str):
    """Paired difference from the status quo, per option, for a few metrics (95 % CIs)."""
    labels = [k for k in results if k != "status_quo"]
    base = results["status_quo"].values
    fig, axes = plt.subplots(1, len(SHOWN), figsize=(4.2 * len(SHOWN), 0.8 + 0.5 * len(labels)), sharey=True)
    y = np.arange(len(labels))[::-1]
    for ax, metric in zip(axes, SHOWN):
        stats = [common.ci(results[k].values[metric] - base[metric], metric, True) for k in labels]
        mean = np.array([s["mean"] for s in stats])
        err = np.nan_to_num(np.vstack([mean - [s["ci_low"] for s in stats], [s["ci_high"] for s in stats] - mean]))
        ax.errorbar(mean, y, xerr=err, fmt="o", capsize=4)
        ax.axvline(0, color="grey", lw=1)
        ax.set_title(metric, fontsize=10)
        ax.set_xlabel(f"option minus status quo ({common.unit(metric, time_unit)})")
    axes[0].set_yticks(y, labels)
    axes[0].set_ylabel("option")
    fig.suptitle(f"{name}: what the extra budget buys (paired difference, 95 % CI)", fontsize=11)
    fig.tight_layout()
    return fig


def main(argv=None) -> None:
    p = common.parser("investment_mix", __doc__, replications=100)
    p.add_argument("--scenario", default="baseline", help="shipped scenario name or YAML path (default baseline)")
    p.add_argument("--heads", type=int, default=1, help="extra budget in headcount-equivalents (default 1)")
    args = common.parse(p, argv)
    if args.heads < 1:
        p.error("--heads: at least 1")
    sc = common.load(args.scenario, args)
    budget = budget_of(sc) + args.heads
    heads = allocate(sc)
    opts = dict(engine=args.engine, replications=args.replications, seed=args.seed)

    results = {"status_quo": run(sc, **opts, headcount=heads)}
    util = {d: np.nanmean(results["status_quo"].values[f"dept.{d}.utilisation"]) for d in heads}
    busiest = max(util, key=util.get)
    hire = {**heads, busiest: heads[busiest] + args.heads}
    richer = with_policy(sc, budget=budget)
    results["hire"] = run(richer, **opts, headcount=hire)
    variants = {"status_quo": sc, "hire": richer}
    for kind in INVESTMENTS:
        variants[kind] = with_policy(sc, budget=budget, investments={kind: args.heads})
        results[kind] = run(variants[kind], **opts, headcount=heads)
    for label, res in results.items():
        res.policy = label

    table = pd.concat([common.tidy(r, k) for k, r in results.items()], ignore_index=True)
    common.write_table(table, args.out, "investment_mix", common.TIDY_COLUMNS)

    base = results["status_quo"].values
    inert = [k for k in INVESTMENTS if all(common.identical(results[k].values[m], base[m]) for m in base)]
    ranked = [k for k in results if k not in inert]
    comp = Comparison("external.nps", ranked, {k: results[k] for k in ranked},
                      {k: (hire if k == "hire" else heads) for k in ranked}, args.seed).analyse()
    common.save_figure(figure(results, sc.name, sc.time_unit), args.out, "investment_effects")
    common.save_figure(common.relabel(
        series_over_time(comp, "external.nps"),
        title=f"{sc.name}: external NPS per period by use of the extra budget (mean, 95 % band)",
        ylabel="external NPS (points, -100 to 100)"), args.out, "investment_nps_over_time")

    share = args.heads / budget
    lines = [
        f"Investment mix on {sc.name}: {args.heads} extra headcount-equivalent(s) on a budget of {budget} "
        f"(invested share {share:.3f}); {comp.stats['n']} paired replications, seed {args.seed}, engine {args.engine}.",
        f"Most utilised department in the status quo: {busiest} ({util[busiest]:.2f}); 'hire' adds {args.heads} there.",
    ]
    for k, r in results.items():
        v = r.values
        nps, sojourn, rework = "external.nps", "external.sojourn_mean", "internal.rework_rate"
        d = "" if k == "status_quo" else f"  (vs status quo {common.fmt(v[nps] - base[nps], nps, True)})"
        lines.append(
            f"  {k:<12} NPS {common.fmt(v[nps], nps)}{d}  sojourn {common.fmt(v[sojourn], sojourn)} "
            f"{sc.time_unit}s  rework {common.fmt(v[rework], rework)}"
        )
    for k in inert:
        lines.append(f"  {k}: NO EFFECT — identical to the status quo in every replication, so the {args.engine} engine "
                     f"does not apply {k} investments (yet); it is left out of the ranking.")
    lines.append("Answer: " + comp.answer())
    common.finish(args.out, lines)


if __name__ == "__main__":
    main()
