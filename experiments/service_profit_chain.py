"""Does orgsim reproduce the stylised facts of the service-profit chain (LITERATURE section 7, issue 19)?

The fifteen facts, their bands and sources are defined once, in ``stylised_facts.py``; this script runs
every study at full size and prints each fact with its number, expected band, source and PASS or FAIL
(a fact that fails is printed FAIL with what was observed, never left out).  The thresholds were fixed
before the runs.  The test suite's validation layer (``tests/validation/test_stylised_facts.py``) runs
the same studies at a reduced size.

Full size: 100 replications per queueing and baseline run; 3 traced reference-engine replications per
load (facts 3-4) and 1 traced baseline replication (fact 15); 200 branches of ``branches`` with 10
replications each (facts 10-12).  ``--small`` shortens the queueing and baseline runs (horizon 400,
warm-up 80), 3 replications, 1 trace per load and 40 branches of 3 replications.

Writes service_profit_chain.{csv,parquet} (scenario, policy, replication, metric, value: every simulated
and traced observation), facts.{csv,parquet} (fact, claim, expected, source, observed, value, status),
timeseries.{csv,parquet}, fact*.png and conclusion.txt.
"""

from __future__ import annotations

import time

import common
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from stylised_facts import ABANDON_LOADS, BANDS, FACTS, LAGS, RHOS, STUDIES, Size, engagement_series, lagged_corr, nps_effects

from orgsim import theory

FACT_COLUMNS = ["fact", "claim", "expected", "source", "observed", "value", "status"]


def figure_convexity(d: dict, out) -> None:
    c, mu = d["c"], d["mu"]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    stats = [common.ci(d["waits"][r], "external.wait_mean") for r in RHOS]
    m = np.array([a["mean"] for a in stats])
    lo, hi = np.array([a["ci_low"] for a in stats]), np.array([a["ci_high"] for a in stats])
    ax.errorbar(RHOS, m, yerr=np.nan_to_num(np.vstack([m - lo, hi - m])), fmt="o", capsize=3, label="simulated (95 % CI)")
    fine = np.linspace(0.45, 0.96, 200)
    ax.plot(fine, [theory.mmc(r * c * mu, mu, c)["wait_mean"] for r in fine], label=f"Erlang C, M/M/{c}")
    ax.set_title(f"Facts 1-2: mean queue wait is convex in utilisation (M/M/{c})", fontsize=10)
    ax.set_xlabel("utilisation rho (share 0-1)")
    ax.set_ylabel(f"mean queue wait ({d['scenario'].time_unit}s)")
    ax.legend(fontsize=8)
    common.save_figure(fig, out, "fact1_convexity")


def figure_abandonment(d: dict, out) -> None:
    pts, theta, c, mu = d["points"], d["theta"], d["c"], d["mu"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    ax.plot(pts.ew, pts.p_ab, "o", label="traced, one point per load")
    x = np.linspace(0, pts.ew.max() * 1.1, 50)
    ax.plot(x, theta * x, label=f"theta E[W], theta = {theta:g} per {d['scenario'].time_unit}")
    ax.set_title("Facts 3-4: P(abandon) = theta E[W] (all callers)", fontsize=10)
    ax.set_xlabel(f"mean queue wait of all callers E[W] ({d['scenario'].time_unit}s)")
    ax.set_ylabel("P(abandon) (share 0-1)")
    ax.legend(fontsize=8)
    ax = axes[1]
    cur = d["gaps"][d["gaps"].quantity == "p_abandon"]
    ax.errorbar(cur.load, cur.simulated, yerr=np.nan_to_num(np.vstack([cur.simulated - cur.ci_low, cur.ci_high - cur.simulated])),
                fmt="o", capsize=3, label=f"{d['engine']} engine (95 % CI)")
    fine = np.linspace(min(ABANDON_LOADS), max(ABANDON_LOADS), 60)
    ax.plot(fine, [theory.erlang_a(f * c * mu, mu, c, theta)["p_abandon"] for f in fine], label="Erlang A")
    ax.set_title(f"Fact 5: P(abandon) across loads, M/M/{c}+M", fontsize=10)
    ax.set_xlabel("offered load per agent lambda/(c mu) (ratio)")
    ax.set_ylabel("P(abandon) (share 0-1)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    common.save_figure(fig, out, "fact2_abandonment")


def figure_back_office(d: dict, out) -> None:
    sc = d["scenario"]
    on, off = nps_effects(d)
    fig, ax = plt.subplots(figsize=(8, 4))
    t = (np.arange(on.shape[1]) + 1) * sc.period
    for delta, name in ((on, "morale on"), (off, "morale off")):
        m = np.nanmean(delta, axis=0)
        half = 1.96 * np.nanstd(delta, axis=0, ddof=1) / np.sqrt(np.sum(np.isfinite(delta), axis=0))
        ax.plot(t, m, label=name)
        ax.fill_between(t, m - half, m + half, alpha=0.2)
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(sc.warmup, color="grey", lw=0.8, ls=":")
    ax.set_title(f"Facts 6-8: effect of one more {d['back']} head on external NPS, per period (paired, 95 % band)", fontsize=10)
    ax.set_xlabel(f"time ({sc.time_unit}s, end of period; the head is there from 0; dotted: warm-up)")
    ax.set_ylabel("NPS difference (points)")
    ax.legend(fontsize=8)
    common.save_figure(fig, out, "fact5_back_office_lag")

    morale, csat = engagement_series(d)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    lags = [-k for k in LAGS[::-1]] + [0] + list(LAGS)
    vals = ([lagged_corr(csat, morale, k) for k in LAGS[::-1]] + [lagged_corr(morale, csat, 0)]
            + [lagged_corr(morale, csat, k) for k in LAGS])
    ax.bar(lags, vals, color=["tab:orange"] * len(LAGS) + ["grey"] + ["tab:blue"] * len(LAGS))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_title("Fact 9: engagement vs external CSAT, lagged correlation per period", fontsize=10)
    ax.set_xlabel(f"lag k in periods of {sc.period:g} {sc.time_unit}s (k > 0: engagement leads CSAT by k)")
    ax.set_ylabel("correlation (-1 to 1)")
    common.save_figure(fig, out, "fact6_lead_lag")


def figure_units(d: dict, out) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for ax, (key, label) in zip(axes, (("csat", "CSAT (score 0-10)"), ("turnover", "turnover (leavers per employee-year)"),
                                        ("productivity", "productivity (orders per paid employee-hour)"))):
        ax.plot(d["engagement"], d[key], "o", ms=3)
        ax.set_xlabel("engagement (headcount-weighted morale, 0-1)")
        ax.set_ylabel(label)
    axes[1].set_title(f"Facts 10-12: {len(d['engagement'])} branches, one point each (means over replications)", fontsize=10)
    fig.tight_layout()
    common.save_figure(fig, out, "fact10_units")


def figure_loyalty(d: dict, out) -> None:
    tot = d["bands"].groupby("band")[["ended", "churned"]].sum().reindex(BANDS)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    s = np.linspace(0, 10, 200)
    ax.plot(s, [d["p"](x) for x in s], label="model churn(s)")
    centre = {"0-6": 3.0, "7": 7.0, "8": 8.0, "9": 9.0, "10": 10.0}
    for band in BANDS:
        n, k = tot.loc[band, "ended"], tot.loc[band, "churned"]
        if n > 0 and k > 0:
            ax.plot(centre[band], k / n, "o", color="tab:red", label="traced, by rounded score" if band == "0-6" else None)
    ax.set_yscale("log")
    ax.set_title(f"Facts 13 and 15: churn after an order vs its score ({d['segment']})", fontsize=10)
    ax.set_xlabel("satisfaction score s (0-10; the 0-6 band is plotted at 3)")
    ax.set_ylabel("churn probability per ended order (share, log scale)")
    ax.legend(fontsize=8)
    common.save_figure(fig, out, "fact7_churn")


FIGURES = {"convexity": figure_convexity, "abandonment": figure_abandonment, "back_office": figure_back_office,
           "units": figure_units, "loyalty": figure_loyalty}


def size_of(args) -> Size:
    """The study size the flags ask for."""
    if args.small:
        return Size(replications=args.replications, seed=args.seed, engine=args.engine, small=True,
                    trace_replications=args.trace_replications or 1, units=40, unit_replications=3)
    return Size(replications=args.replications, seed=args.seed, engine=args.engine,
                trace_replications=args.trace_replications or 3)


def main(argv=None) -> None:
    p = common.parser("service_profit_chain", __doc__, replications=100)
    p.add_argument("--trace-replications", type=int, default=None,
                   help="traced replications per load for facts 3-4 (reference engine; default 3, 1 with --small)")
    args = common.parse(p, argv)
    size, start = size_of(args), time.perf_counter()
    data = {name: study(size) for name, study in STUDIES.items()}
    rows = []
    for fact in FACTS:
        o = fact.judge(data[fact.study], False)
        status = "NOT MEASURED" if o.passed is None else ("PASS" if o.passed else "FAIL")
        rows.append({"fact": str(fact.number), "claim": fact.claim, "expected": fact.expected, "source": fact.source,
                     "observed": o.observed, "value": float(o.value), "status": status})
    for name, draw in FIGURES.items():
        draw(data[name], args.out)
    common.write_table(pd.concat([t for d in data.values() for t in d["tables"]], ignore_index=True), args.out,
                       "service_profit_chain", common.TIDY_COLUMNS)
    common.write_table(pd.DataFrame(rows), args.out, "facts", FACT_COLUMNS)
    series = [s for s in data["back_office"]["series"] if not s.empty]
    if series:
        common.write_table(pd.concat(series, ignore_index=True), args.out, "timeseries")
    passed = sum(r["status"] == "PASS" for r in rows)
    lines = [f"Service-profit chain stylised facts (LITERATURE section 7): {size.replications} replications per run, "
             f"{size.units} branches x {size.unit_replications} replications, seed {args.seed}, engine {args.engine}"
             f"{', SMALL run' if args.small else ''}.",
             *[f"  [{r['status']}] {r['fact']} {r['claim']}: {r['observed']}; expected {r['expected']} ({r['source']})"
               for r in rows],
             f"{passed} of {len(rows)} facts pass ({time.perf_counter() - start:.0f} s)."]
    common.finish(args.out, lines)


if __name__ == "__main__":
    main()
