"""Which headcount allocation rule gives the best external NPS on the same budget?

Runs the six allocation policies (fixed, front_line_first, proportional_load,
sqrt_staffing, utilisation_target, optimised) on one scenario (default
``baseline``) with common random numbers: replication i of every policy sees
the same demand, so differences are paired.  The five rules go through
``orgsim.studies.compare.compare``.  ``optimised`` is searched by simulation on an
independent seed (``--seed + 10000``, so the search cannot overfit the very
replications it is judged on) and then run on the same replications as the
others; all six are analysed together.  Policies that resolve to one plan (the
same heads, and everything else the engines read) are one row named by all of
them (``fixed = front_line_first``); the tables keep a row per policy name.

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
from orgsim.studies.plans import plan_key
from orgsim.studies.run import run
from orgsim.studies.simulate import Variant

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
    results, allocations, names = dict(comp.results), dict(comp.allocations), dict(comp.names)
    found = Variant("optimised", opt_sc, opt.allocation)
    same = [k for k in comp.labels if plan_key(Variant(k, results[k].scenario, allocations[k])) == plan_key(found)]
    if same:  # the search found a rule's plan: one plan, run once, named by both
        names[same[0]] = [*names[same[0]], "optimised"]
    else:
        results["optimised"] = run(opt_sc, engine=args.engine, replications=args.replications, seed=args.seed,
                                   headcount=opt.allocation)
        allocations["optimised"] = opt.allocation
    labels = list(results)
    comp = Comparison(args.metric, labels, results, allocations, args.seed, names=names).analyse()
    by_name = {name: k for k in labels for name in names.get(k, [k])}  # every policy name -> its plan's label

    table = pd.concat([common.tidy(results[k], name) for name, k in by_name.items()], ignore_index=True)
    common.write_table(table, args.out, "allocation_policies", common.TIDY_COLUMNS)
    alloc = pd.DataFrame(
        [{"scenario": sc.name, "policy": name, "department": d, "headcount": h} for name, k in by_name.items()
         for d, h in allocations[k].items()]
    )
    common.write_table(alloc, args.out, "allocations")
    series = pd.concat(
        [common.series_tidy(results[k], name, ["external.nps", "external.csat"]) for name, k in by_name.items()],
        ignore_index=True,
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
             f"engine {comp.engine}, budget {sum(allocations['fixed'].values())} heads; policies joined by = share one plan."]
    for rank, k in enumerate(s["ranking"], 1):
        m, d = s["policies"][k], s["differences"][k]
        heads = " ".join(f"{dep}={h}" for dep, h in allocations[k].items())
        lines.append(
            f"  {rank}. {comp.title(k):<19} {m['mean']:7.2f} [{m['ci_low']:.2f}, {m['ci_high']:.2f}]  "
            f"vs best {d['mean']:+7.2f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]  P(best) {m['p_best']:.0%}  ({heads})"
        )
    lines.append(f"Optimised search: {opt.evaluations} allocations tried, {search_reps} replications each, "
                 f"seed {args.seed + 10_000}.")
    lines.append("Answer: " + comp.answer())
    common.finish(args.out, lines)


if __name__ == "__main__":
    main()
