"""Which headcount allocation rule gives the best external NPS on the same budget?

Runs the six allocation policies (fixed, front_line_first, proportional_load,
sqrt_staffing, utilisation_target, optimised) on one scenario (default
``baseline``) with common random numbers: replication i of every policy sees
the same demand, so differences are paired.  The five rules go through
``orgsim.studies.compare.compare``.  ``optimised`` is searched by simulation on an
independent seed (``--seed + 10000``, so the search cannot overfit the very
replications it is judged on) and then run on the same replications as the
others; all six are analysed together.

Writes allocation_policies.{csv,parquet} (scenario, policy, replication,
metric, value), allocations.{csv,parquet}, timeseries.{csv,parquet}
(external NPS and CSAT per period), forest.png, nps_over_time.png,
utilisation.png and conclusion.txt.
"""

from __future__ import annotations

import common
import pandas as pd

from orgsim.present.plots import department_heatmap, forest, series_over_time
from orgsim.scenario.edit import with_policy
from orgsim.studies.compare import Comparison, PolicySpec, compare
from orgsim.studies.optimise import optimise
from orgsim.studies.run import run

RULES = ("fixed", "front_line_first", "proportional_load", "sqrt_staffing", "utilisation_target")


def main(argv=None) -> None:
    p = common.parser("allocation_policies", __doc__, replications=100)
    p.add_argument("--scenario", default="baseline", help="shipped scenario name or YAML path (default baseline)")
    p.add_argument("--metric", default="external.nps", help="metric to rank by (default external.nps)")
    p.add_argument("--search-replications", type=int, default=None,
                   help="replications per candidate in the optimised search (default 20; 2 with --small)")
    args = common.parse(p, argv)
    search_reps = args.search_replications or (2 if args.small else 20)
    sc = common.load(args.scenario, args)

    comp = compare(sc, [PolicySpec(r, {"allocation": r}) for r in RULES], metric=args.metric,
                   replications=args.replications, seed=args.seed, engine=args.engine)
    opt_sc = with_policy(sc, allocation="optimised", objective=args.metric)
    opt = optimise(opt_sc, objective=args.metric, replications=search_reps, final_replications=2,
                   seed=args.seed + 10_000, engine=args.engine)
    results = dict(comp.results)
    results["optimised"] = run(opt_sc, engine=args.engine, replications=args.replications, seed=args.seed,
                               headcount=opt.allocation)
    allocations = {**comp.allocations, "optimised": opt.allocation}
    labels = [*RULES, "optimised"]
    comp = Comparison(args.metric, labels, results, allocations, args.seed).analyse()

    table = pd.concat([common.tidy(results[k], k) for k in labels], ignore_index=True)
    common.write_table(table, args.out, "allocation_policies", common.TIDY_COLUMNS)
    alloc = pd.DataFrame(
        [{"scenario": sc.name, "policy": k, "department": d, "headcount": h} for k in labels for d, h in allocations[k].items()]
    )
    common.write_table(alloc, args.out, "allocations")
    series = pd.concat(
        [common.series_tidy(results[k], k, ["external.nps", "external.csat"]) for k in labels], ignore_index=True
    )
    if not series.empty:
        common.write_table(series, args.out, "timeseries")

    u = common.unit(args.metric, sc.time_unit)
    common.save_figure(common.relabel(
        forest(comp), title=f"{sc.name}: {args.metric}, each allocation policy minus the best (paired 95 % CI)",
        xlabel=f"difference in {args.metric} ({u})"), args.out, "forest")
    common.save_figure(common.relabel(
        series_over_time(comp, args.metric),
        title=f"{sc.name}: {args.metric} per period by allocation policy (mean, 95 % band; dotted: end of warm-up)",
        ylabel=f"{args.metric} ({u})"), args.out, "nps_over_time")
    common.save_figure(common.relabel(
        department_heatmap(comp, "utilisation"), title=f"{sc.name}: mean department utilisation (share 0-1) by policy",
        xlabel="allocation policy", ylabel="department"), args.out, "utilisation")

    s = comp.stats
    lines = [f"Allocation policies on {sc.name}: {args.metric}, {s['n']} paired replications, seed {args.seed}, "
             f"engine {args.engine}, budget {sum(allocations['fixed'].values())} heads."]
    seen: dict[tuple, str] = {}
    for rank, k in enumerate(s["ranking"], 1):
        m, d = s["policies"][k], s["differences"][k]
        key = tuple(allocations[k].items())
        heads = " ".join(f"{dep}={h}" for dep, h in allocations[k].items())
        if key in seen:  # same heads, same streams: the same numbers, so P(best) between them means nothing
            heads = f"same allocation as {seen[key]}"
        seen.setdefault(key, k)
        lines.append(
            f"  {rank}. {k:<19} {m['mean']:7.2f} [{m['ci_low']:.2f}, {m['ci_high']:.2f}]  "
            f"vs best {d['mean']:+7.2f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]  P(best) {m['p_best']:.0%}  ({heads})"
        )
    lines.append(f"Optimised search: {opt.evaluations} allocations tried, {search_reps} replications each, "
                 f"seed {args.seed + 10_000}.")
    lines.append("Answer: " + comp.answer())
    common.finish(args.out, lines)


if __name__ == "__main__":
    main()
