"""Does orgsim reproduce the stylised facts of the service-profit chain (LITERATURE section 7)?

Each fact is checked against its expected sign and rough magnitude and
printed as PASS or FAIL with the numbers; the thresholds are fixed below,
before any run, and are not tuned to the results.

1. Waits are convex in utilisation: one department (``call_centre``, patience
   off, M/M/c) swept over rho = 0.5 ... 0.95; going 0.8 -> 0.9 must more than
   double the mean wait, 0.9 -> 0.95 roughly double it again; compared with
   Erlang C (``orgsim.theory.mmc``).
2. With exponential patience (``call_centre``), P(abandon) = theta E[W], W the
   queue wait of *all* callers (served or not), and P(abandon) is linear in
   E[W] across loads.  orgsim's metrics hold the wait of completed orders
   only, so E[W] over all callers is measured from the reference engine's
   event trace (``orgsim.trace``); the engine's P(abandon) and served wait are
   also compared with Erlang A.
5. One more head in the most loaded back-office department of ``baseline``
   raises external NPS, through front-office speed (sojourn), with a lag
   visible in the per-period series: with morale on, the effect builds up
   more slowly than with morale off (the head is there from t = 0).
6. Morale leads satisfaction: per period, across replications, the
   correlation of engagement (headcount-weighted department morale) at t with
   external CSAT at t+1 is positive and exceeds the reverse lag; and the
   cross-unit correlation of engagement with CSAT is moderate (0.2-0.4,
   Harter et al. 2002; about 0.9 means over-coupled).
7. Satisfaction -> loyalty is top-box dominated: a customer scoring 10 is
   several times (>= 3; Xerox about 6) less likely to churn than one scoring
   8, on the model curve (``churn_probability``) and as measured by score
   band in a traced ``baseline`` run; "merely satisfied" customers (scores
   7-8) still churn 15-40 % a year.

Writes service_profit_chain.{csv,parquet} (scenario, policy, replication,
metric, value: every simulated and traced observation), facts.{csv,parquet}
(fact, check, expected, observed, status), curves.{csv,parquet} (simulated vs
theory per load), timeseries.{csv,parquet}, fact*.png and conclusion.txt.
"""

from __future__ import annotations

import re

import common
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import orgsim
from orgsim import theory
from orgsim.kernels.model import churn_probability
from orgsim.scenario.schema import mean_of
from orgsim.scenario.traffic import solve
from orgsim.studies.run import run

RHOS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
ABANDON_LOADS = (0.8, 0.9, 1.0, 1.1, 1.2)  # offered load per agent, lambda / (c mu)
LAGS = (1, 2, 3)
FACT_COLUMNS = ["fact", "check", "expected", "observed", "observed_value", "status"]


class Facts:
    """The PASS/FAIL rows, printed as they come."""

    def __init__(self):
        self.rows: list[dict] = []

    def add(self, fact: str, check: str, expected: str, observed: str, value: float, passed: bool | None) -> None:
        status = "NOT MEASURED" if passed is None else ("PASS" if passed else "FAIL")
        self.rows.append({"fact": fact, "check": check, "expected": expected, "observed": observed,
                          "observed_value": float(value), "status": status})

    def lines(self) -> list[str]:
        return [f"  [{r['status']}] {r['fact']} {r['check']}: expected {r['expected']}; observed {r['observed']}"
                for r in self.rows]


def ratio_ci(num: np.ndarray, den: np.ndarray, seed: int, boot: int = 2000) -> tuple[float, float, float]:
    """Ratio of means with a paired bootstrap 95 % interval over replications."""
    ok = np.isfinite(num) & np.isfinite(den)
    num, den = num[ok], den[ok]
    rng = np.random.default_rng([seed, 97])
    idx = rng.integers(0, len(num), size=(boot, len(num)))
    r = num[idx].mean(axis=1) / den[idx].mean(axis=1)
    return float(num.mean() / den.mean()), float(np.nanpercentile(r, 2.5)), float(np.nanpercentile(r, 97.5))


def single_station(args, patience: bool):
    """The call centre's one department: the scenario, its servers, service rate and base overrides."""
    # with patience the queue is stable at any load (Erlang A), and validation accepts it
    over = [] if patience else ["segments.callers.patience=null"]
    sc = common.load("call_centre", args, over)
    dept = next(iter(sc.departments.values()))
    mu = 1.0 / mean_of(next(iter(dept.services.values())).time) * dept.skill
    return sc, dept.headcount, mu, over


def with_rate(sc, over: list[str], rate: float, args):
    """The single-station scenario with its one segment's open arrival rate set to *rate*."""
    return common.load("call_centre", args, [*over, f"segments.{next(iter(sc.segments))}.arrivals.rate={rate!r}"])


# ----------------------------------------------------------------- fact 1
def fact1(args, facts, tables, curves):
    sc, c, mu, over = single_station(args, patience=False)
    waits = {}
    for rho in RHOS:
        lam = rho * c * mu
        res = run(with_rate(sc, over, lam, args), engine=args.engine, replications=args.replications, seed=args.seed)
        label = f"rho={rho:.2f}"
        shown = ["external.wait_mean", "external.sojourn_mean", f"dept.{next(iter(sc.departments))}.utilisation"]
        tables.append(common.tidy(res, label, "M/M/c (call_centre, no patience)", shown))
        waits[rho] = res.values["external.wait_mean"]
        th = theory.mmc(lam, mu, c)["wait_mean"]
        a = common.ci(waits[rho], "external.wait_mean")
        curves.append({"fact": "1", "load": rho, "quantity": "wait_mean", "simulated": a["mean"],
                       "ci_low": a["ci_low"], "ci_high": a["ci_high"], "theory": th})
    th = {rho: theory.mmc(rho * c * mu, mu, c)["wait_mean"] for rho in RHOS}
    r1, lo1, hi1 = ratio_ci(waits[0.9], waits[0.8], args.seed)
    facts.add("1", "wait(0.9)/wait(0.8)", f"> 2 (Erlang C M/M/{c}: {th[0.9] / th[0.8]:.2f})",
              f"{r1:.2f} [{lo1:.2f}, {hi1:.2f}]", r1, r1 > 2)
    r2, lo2, hi2 = ratio_ci(waits[0.95], waits[0.9], args.seed)
    facts.add("1", "wait(0.95)/wait(0.9)", f"roughly 2, in [1.5, 3] (Erlang C: {th[0.95] / th[0.9]:.2f})",
              f"{r2:.2f} [{lo2:.2f}, {hi2:.2f}]", r2, 1.5 <= r2 <= 3)
    rel = {rho: abs(np.nanmean(waits[rho]) - th[rho]) / th[rho] for rho in RHOS}
    worst = max(rel, key=rel.get)
    facts.add("1", "simulated wait vs Erlang C", "within 10 % at every rho",
              f"largest gap {rel[worst]:.1%} at rho {worst}", rel[worst], rel[worst] <= 0.10)

    fig, ax = plt.subplots(figsize=(6.5, 4))
    x = np.array(RHOS)
    m = np.array([common.ci(waits[r], "external.wait_mean")["mean"] for r in RHOS])
    lo = np.array([common.ci(waits[r], "external.wait_mean")["ci_low"] for r in RHOS])
    hi = np.array([common.ci(waits[r], "external.wait_mean")["ci_high"] for r in RHOS])
    ax.errorbar(x, m, yerr=np.nan_to_num(np.vstack([m - lo, hi - m])), fmt="o", capsize=3, label="simulated (95 % CI)")
    fine = np.linspace(0.45, 0.96, 200)
    ax.plot(fine, [theory.mmc(r * c * mu, mu, c)["wait_mean"] for r in fine], label=f"Erlang C, M/M/{c}")
    ax.set_title(f"Fact 1: mean queue wait is convex in utilisation (M/M/{c})", fontsize=10)
    ax.set_xlabel("utilisation rho (share 0-1)")
    ax.set_ylabel(f"mean queue wait ({sc.time_unit}s)")
    ax.legend(fontsize=8)
    common.save_figure(fig, args.out, "fact1_convexity")


# ----------------------------------------------------------------- fact 2
def traced_waits(sc, args, reps: int) -> list[dict]:
    """Per traced replication: orders ended after warm-up, how many abandoned, their total queue wait."""
    out = []
    for r in range(reps):
        df = orgsim.trace(sc, seed=args.seed, replication=r)
        arrive = df[df.event == "arrive"].groupby("item").time.min()
        start = df[df.event == "start"].groupby("item").time.min()
        aband = df[df.event == "abandon"].groupby("item").time.min()
        done = df[df.event == "complete"].groupby("item").time.min()
        keep = arrive[arrive >= sc.warmup]
        served = keep.index.intersection(done.index)
        gone = keep.index.intersection(aband.index)
        wait = (start.reindex(served) - keep.reindex(served)).sum() + (aband.reindex(gone) - keep.reindex(gone)).sum()
        out.append({"ended": len(served) + len(gone), "abandoned": len(gone), "wait_sum": float(wait)})
    return out


def fact2(args, facts, tables, curves):
    sc, c, mu, over = single_station(args, patience=True)
    seg = next(iter(sc.segments.values()))
    if seg.patience is None or seg.patience.dist != "exponential":
        facts.add("2", "P(ab) = theta E[W]", "exponential patience", "call_centre has no exponential patience", np.nan, None)
        return
    theta = 1.0 / seg.patience.mean
    trace_reps = args.trace_replications or (1 if args.small else 3)
    points = []
    worst_z = 0.0
    engine_gaps = []
    for load in ABANDON_LOADS:
        lam = load * c * mu
        scl = with_rate(sc, over, lam, args)
        label = f"offered load {load:.2f}"
        res = run(scl, engine=args.engine, replications=args.replications, seed=args.seed)
        tables.append(common.tidy(res, label, "Erlang A (call_centre)",
                                  ["external.abandon_rate", "external.wait_mean", "external.completed", "external.abandoned"]))
        ea = theory.erlang_a(lam, mu, c, theta)
        for q, metric in (("p_abandon", "external.abandon_rate"), ("wait_mean_served", "external.wait_mean")):
            sim, th = res.values[metric], ea[q]
            a = common.ci(sim, metric)
            curves.append({"fact": "2", "load": load, "quantity": q, "simulated": a["mean"], "ci_low": a["ci_low"],
                           "ci_high": a["ci_high"], "theory": th})
            se = a["std"] / np.sqrt(a["n"]) if a["n"] > 1 else np.nan
            engine_gaps.append((abs(a["mean"] - th) / se if se > 0 else np.inf, q, load, a["mean"], th))
        tr = traced_waits(scl, args, trace_reps)
        rows = pd.DataFrame(tr)
        rows["replication"] = np.arange(len(tr))
        for metric, val in (("trace.abandon_share", rows.abandoned / rows.ended),
                            ("trace.wait_mean_all", rows.wait_sum / rows.ended)):
            tables.append(pd.DataFrame({"scenario": "Erlang A (call_centre), traced", "policy": label,
                                        "replication": rows.replication, "metric": metric, "value": val}))
        A, W, n = rows.abandoned.sum(), rows.wait_sum.sum(), rows.ended.sum()
        z = (A - theta * W) / np.sqrt(max(A, 1))
        worst_z = max(worst_z, abs(z))
        points.append({"load": load, "p_ab": A / n, "ew": W / n, "A": A, "W": W, "theory_ew": ea["wait_mean"],
                       "theory_pab": ea["p_abandon"]})
        curves.append({"fact": "2", "load": load, "quantity": "traced wait_mean_all", "simulated": W / n,
                       "ci_low": np.nan, "ci_high": np.nan, "theory": ea["wait_mean"]})
    pts = pd.DataFrame(points)
    A, W = pts.A.sum(), pts.W.sum()
    ratio, se = A / (theta * W), np.sqrt(A) / (theta * W)
    facts.add("2", "P(ab) / (theta E[W]), traced, pooled over loads",
              "1 within 1.96 standard errors (an exact identity)",
              f"{ratio:.3f} +- {1.96 * se:.3f} (theta {theta:g}; {int(A)} abandoned; worst load |z| {worst_z:.1f})",
              ratio, abs(ratio - 1) <= 1.96 * se)
    slope, icpt = np.polyfit(pts.ew, pts.p_ab, 1)
    pred = icpt + slope * pts.ew
    r2 = 1 - ((pts.p_ab - pred) ** 2).sum() / ((pts.p_ab - pts.p_ab.mean()) ** 2).sum()
    facts.add("2", "P(ab) linear in E[W] across loads", f"R^2 >= 0.98 and slope within 10 % of theta = {theta:g}",
              f"R^2 {r2:.4f}, slope {slope:.3f}, intercept {icpt:+.4f}", r2, bool(r2 >= 0.98 and abs(slope / theta - 1) <= 0.10))
    z, q, load, sim, th = max(engine_gaps)
    facts.add("2", f"{args.engine} engine vs Erlang A (P(ab), served wait)", "every load within 3 standard errors",
              f"worst |z| {z:.1f} ({q} at load {load:.2f}: {sim:.4f} vs {th:.4f})", z, z <= 3)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    ax.plot(pts.ew, pts.p_ab, "o", label="traced, one point per load")
    x = np.linspace(0, pts.ew.max() * 1.1, 50)
    ax.plot(x, theta * x, label=f"theta E[W], theta = {theta:g} per {sc.time_unit}")
    ax.set_title("Fact 2: P(abandon) = theta E[W] (all callers)", fontsize=10)
    ax.set_xlabel(f"mean queue wait of all callers E[W] ({sc.time_unit}s)")
    ax.set_ylabel("P(abandon) (share 0-1)")
    ax.legend(fontsize=8)
    ax = axes[1]
    cur = pd.DataFrame(curves)
    cur = cur[(cur.fact == "2") & (cur.quantity == "p_abandon")]
    ax.errorbar(cur.load, cur.simulated, yerr=np.nan_to_num(np.vstack([cur.simulated - cur.ci_low, cur.ci_high - cur.simulated])),
                fmt="o", capsize=3, label=f"{args.engine} engine (95 % CI)")
    fine = np.linspace(min(ABANDON_LOADS), max(ABANDON_LOADS), 60)
    ax.plot(fine, [theory.erlang_a(f * c * mu, mu, c, theta)["p_abandon"] for f in fine], label="Erlang A")
    ax.set_title(f"P(abandon) across loads, M/M/{c}+M", fontsize=10)
    ax.set_xlabel("offered load per agent lambda/(c mu) (ratio)")
    ax.set_ylabel("P(abandon) (share 0-1)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    common.save_figure(fig, args.out, "fact2_abandonment")


# ----------------------------------------------------------------- facts 5 and 6
def rise_time(delta: np.ndarray) -> int | None:
    """First period whose mean effect reaches half the plateau (mean of the last quarter of periods)."""
    mean = np.nanmean(delta, axis=0)
    plateau = np.nanmean(mean[-max(1, len(mean) // 4):])
    if not np.isfinite(plateau) or plateau <= 0:
        return None
    hit = np.nonzero(mean >= plateau / 2)[0]
    return int(hit[0]) if hit.size else None


def fact5(args, facts, tables, series_tables):
    sc = common.load("baseline", args)
    traffic = solve(sc)
    front = set(sc.front_office())
    heads = {d: x.headcount for d, x in sc.departments.items()}
    back = max((d for d in heads if d not in front), key=lambda d: traffic.load[d] / heads[d])
    more = {**heads, back: heads[back] + 1}
    runs = {}
    for morale in (True, False):
        s = common.load("baseline", args, [f"morale.enabled={str(morale).lower()}", f"policy.budget={sum(more.values())}"])
        for label, h in (("as is", heads), (f"+1 {back}", more)):
            key = f"{label}, morale {'on' if morale else 'off'}"
            runs[key] = run(s, engine=args.engine, replications=args.replications, seed=args.seed, headcount=h)
            tables.append(common.tidy(runs[key], key, sc.name))
            series_tables.append(common.series_tidy(runs[key], key, ["external.nps", "external.csat", "external.sojourn_mean"]
                                                    + [f"dept.{d}.morale" for d in heads], sc.name))
    base, plus = runs["as is, morale on"], runs[f"+1 {back}, morale on"]
    dn = plus.values["external.nps"] - base.values["external.nps"]
    a = common.ci(dn, "external.nps", True)
    facts.add("5", f"+1 head in back-office {back}: external NPS", "rises (paired 95 % CI above 0)",
              f"{common.fmt(dn, 'external.nps', True)} NPS points (from {np.nanmean(base.values['external.nps']):.1f})", a["mean"],
              bool(a["ci_low"] > 0))
    ds = plus.values["external.sojourn_mean"] - base.values["external.sojourn_mean"]
    b = common.ci(ds, "external.sojourn_mean", True)
    channel = []
    for k in sorted(base.values):
        if re.fullmatch(rf"internal\.[a-z0-9_]+\.{back}\.response_mean", k) and k.split(".")[1] in front:
            channel.append(f"{k.split('.')[1]} waits on {back} {common.fmt(plus.values[k] - base.values[k], k, True)}")
    for d in sorted(front):
        k = f"dept.{d}.blocked_share"
        if np.nanmean(base.values[k]) > 0:
            channel.append(f"{d} blocked share {common.fmt(plus.values[k] - base.values[k], k, True)}")
    facts.add("5", "... acting through front-office speed", "external sojourn falls (paired 95 % CI below 0)",
              f"sojourn {common.fmt(ds, 'external.sojourn_mean', True)} {sc.time_unit}s; " + "; ".join(channel),
              b["mean"], bool(b["ci_high"] < 0))
    if base.series is None:
        facts.add("5", "... with a lag", "per-period series", "series not kept", np.nan, None)
        return runs, back
    on = plus.series["external.nps"] - base.series["external.nps"]
    off = runs[f"+1 {back}, morale off"].series["external.nps"] - runs["as is, morale off"].series["external.nps"]
    t_on, t_off = rise_time(on), rise_time(off)
    if t_on is None or t_off is None:
        facts.add("5", "... with a lag (half-rise of the per-period NPS effect)", "morale on >= 2 periods later than off",
                  f"no positive plateau (morale on {t_on}, off {t_off})", np.nan, False)
    else:
        lag = t_on - t_off
        facts.add("5", "... with a lag (half-rise of the per-period NPS effect)", "morale on >= 2 periods later than morale off",
                  f"half the effect by {(t_on + 1) * sc.period:g} {sc.time_unit}s with morale on vs {(t_off + 1) * sc.period:g} "
                  f"off ({lag} periods later)", lag, lag >= 2)
    fig, ax = plt.subplots(figsize=(8, 4))
    t = (np.arange(on.shape[1]) + 1) * sc.period
    for d, name in ((on, "morale on"), (off, "morale off")):
        m = np.nanmean(d, axis=0)
        half = 1.96 * np.nanstd(d, axis=0, ddof=1) / np.sqrt(np.sum(np.isfinite(d), axis=0))
        ax.plot(t, m, label=name)
        ax.fill_between(t, m - half, m + half, alpha=0.2)
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(sc.warmup, color="grey", lw=0.8, ls=":")
    ax.set_title(f"Fact 5: effect of one more {back} head on external NPS, per period (paired, 95 % band)", fontsize=10)
    ax.set_xlabel(f"time ({sc.time_unit}s, end of period; the head is there from 0; dotted: warm-up)")
    ax.set_ylabel("NPS difference (points)")
    ax.legend(fontsize=8)
    common.save_figure(fig, args.out, "fact5_back_office_lag")
    return runs, back


def lagged_corr(x: np.ndarray, y: np.ndarray, lag: int) -> float:
    """corr(x_t, y_{t+lag}) pooled over replications and periods, after removing each period's mean."""
    x = x - np.nanmean(x, axis=0, keepdims=True)
    y = y - np.nanmean(y, axis=0, keepdims=True)
    if lag:
        x, y = x[:, :-lag], y[:, lag:]
    x, y = x.ravel(), y.ravel()
    ok = np.isfinite(x) & np.isfinite(y)
    return float(np.corrcoef(x[ok], y[ok])[0, 1]) if ok.sum() > 2 else float("nan")


def fact6(args, facts, res):
    sc = res.scenario
    if res.series is None or not sc.morale.enabled:
        facts.add("6", "morale leads CSAT", "per-period series with morale on", "not available", np.nan, None)
        return
    heads = np.array([res.headcount[d] for d in sc.departments], float)
    w0 = int(round(sc.warmup / sc.period))
    morale = sum(h * res.series[f"dept.{d}.morale"] for h, d in zip(heads, sc.departments)) / heads.sum()
    morale, csat = morale[:, w0:], res.series["external.csat"][:, w0:]
    lead = {lag: lagged_corr(morale, csat, lag) for lag in LAGS}
    back = {lag: lagged_corr(csat, morale, lag) for lag in LAGS}
    same = lagged_corr(morale, csat, 0)
    facts.add("6", "corr(engagement_t, CSAT_t+1), per period across replications", "> 0",
              f"{lead[1]:.3f} (same period {same:.3f})", lead[1], lead[1] > 0)
    facts.add("6", "... exceeds the reverse lag corr(CSAT_t, engagement_t+1)", "> reverse (Koys 2001)",
              f"{lead[1]:.3f} vs reverse {back[1]:.3f}", lead[1] - back[1], lead[1] > back[1])
    unit_m = np.nanmean(morale, axis=1)
    unit_c = res.values["external.csat"]
    ok = np.isfinite(unit_m) & np.isfinite(unit_c)
    r = float(np.corrcoef(unit_m[ok], unit_c[ok])[0, 1]) if ok.sum() > 2 else float("nan")
    facts.add("6", "cross-unit corr(engagement, CSAT) over replications", "0.2-0.4 (Harter et al. 2002; ~0.9 = over-coupled)",
              f"{r:.2f} over {int(ok.sum())} replications", r, bool(0.2 <= r <= 0.4))
    fig, ax = plt.subplots(figsize=(6.5, 4))
    lags = [-k for k in LAGS[::-1]] + [0] + list(LAGS)
    vals = [back[k] for k in LAGS[::-1]] + [same] + [lead[k] for k in LAGS]
    ax.bar(lags, vals, color=["tab:orange"] * len(LAGS) + ["grey"] + ["tab:blue"] * len(LAGS))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_title("Fact 6: engagement vs external CSAT, lagged correlation per period", fontsize=10)
    ax.set_xlabel(f"lag k in periods of {sc.period:g} {sc.time_unit}s (k > 0: engagement leads CSAT by k)")
    ax.set_ylabel("correlation (-1 to 1)")
    common.save_figure(fig, args.out, "fact6_lead_lag")


# ----------------------------------------------------------------- fact 7
def wilson(k: float, n: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95 % interval of a binomial proportion k/n (stays inside 0-1 for small counts)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def band_of(score: float) -> str:
    r = int(np.floor(score + 0.5))
    return str(r) if r >= 7 else "0-6"


BANDS = ("0-6", "7", "8", "9", "10")


def churn_by_band(sc, seg_name: str, args, reps: int) -> pd.DataFrame:
    """Ended orders and churned customers per rounded score band, per traced replication."""
    seg = sc.segments[seg_name]
    score_re = re.compile(r"scores ([0-9.]+)")
    churn_re = re.compile(r"scoring ([0-9.]+)")
    rows = []
    for r in range(reps):
        df = orgsim.trace(sc, seed=args.seed, replication=r)
        df = df[(df.time >= sc.warmup) & (df.segment == seg_name)]
        ended = [float(m.group(1)) for m in df[df.event == "complete"].text.map(score_re.search) if m]
        ended += [seg.abandon_score] * int((df.event == "abandon").sum())
        churned = [float(m.group(1)) for m in df[df.event == "churn"].text.map(churn_re.search) if m]
        for band in BANDS:
            rows.append({"replication": r, "band": band,
                         "ended": sum(band_of(s) == band for s in ended),
                         "churned": sum(band_of(s) == band for s in churned),
                         "expected": sum(churn_probability.py_func(s, seg.churn.floor, seg.churn.ceiling, seg.churn.midpoint,
                                                                   seg.churn.steepness) for s in ended if band_of(s) == band)})
    return pd.DataFrame(rows)


def fact7(args, facts, tables):
    sc = common.load("baseline", args)
    pop = [k for k, s in sc.segments.items() if hasattr(s.arrivals, "population")]
    if not pop:
        facts.add("7", "top-box loyalty", "a population segment", "none in baseline", np.nan, None)
        return
    name = pop[0]
    seg = sc.segments[name]
    ch = seg.churn

    def p(s):
        return churn_probability.py_func(s, ch.floor, ch.ceiling, ch.midpoint, ch.steepness)

    ratio = p(8) / p(10)
    facts.add("7", f"model churn(8) / churn(10), {name}", ">= 3 (several times; Xerox about 6)",
              f"{p(8):.4f} / {p(10):.4f} = {ratio:.1f}", ratio, ratio >= 3)
    per_year = seg.arrivals.rate_per_customer * args.year
    passive = (p(7) + p(8)) / 2
    annual = 1 - (1 - passive) ** per_year
    facts.add("7", "annual churn of a 'merely satisfied' customer (scores 7-8)", "15-40 % a year (Jones & Sasser 1995)",
              f"{annual:.1%} ({passive:.3f} per order x {per_year:g} orders a year of {args.year:g} {sc.time_unit}s)",
              annual, bool(0.15 <= annual <= 0.40))
    reps = args.churn_trace_replications or 1
    bands = churn_by_band(sc, name, args, reps)
    for _, row in bands.iterrows():
        for metric in ("ended", "churned"):
            tables.append(pd.DataFrame([{"scenario": f"{sc.name}, traced", "policy": "as is", "replication": row.replication,
                                         "metric": f"trace.{name}.{metric}.score_{row.band}", "value": float(row[metric])}]))
    tot = bands.groupby("band")[["ended", "churned", "expected"]].sum().reindex(BANDS)
    rate = tot.churned / tot.ended.replace(0, np.nan)
    if tot.loc["8", "ended"] == 0 or tot.loc["10", "churned"] == 0:
        facts.add("7", "simulated churn rate, score 8 vs score 10", ">= 3", "too few orders or churns in the bands",
                  np.nan, None)
    else:
        sim_ratio = rate["8"] / rate["10"]
        k8, n8, k10, n10 = (float(tot.loc[b, c]) for b in ("8", "10") for c in ("churned", "ended"))
        se = np.sqrt(1 / k8 - 1 / n8 + 1 / k10 - 1 / n10) if k8 > 0 else np.inf  # log risk ratio
        facts.add("7", "simulated churn rate, score 8 vs score 10 (traced)", ">= 3",
                  f"{rate['8']:.4f} ({int(k8)}/{int(n8)}) / {rate['10']:.4f} ({int(k10)}/{int(n10)}) = {sim_ratio:.1f} "
                  f"[95 % CI {sim_ratio * np.exp(-1.96 * se):.1f}, {sim_ratio * np.exp(1.96 * se):.1f}]; "
                  f"model's expected ratio on these scores {(tot.loc['8', 'expected'] / n8) / (tot.loc['10', 'expected'] / n10):.1f}",
                  sim_ratio, sim_ratio >= 3)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    s = np.linspace(0, 10, 200)
    ax.plot(s, [p(x) for x in s], label="model churn(s)")
    centre = {"0-6": 3.0, "7": 7.0, "8": 8.0, "9": 9.0, "10": 10.0}
    for band in BANDS:
        n, k = tot.loc[band, "ended"], tot.loc[band, "churned"]
        if n > 0 and k > 0:
            lo, hi = wilson(k, n)
            ax.errorbar(centre[band], k / n, yerr=[[k / n - lo], [hi - k / n]], fmt="o", color="tab:red", capsize=3,
                        label="traced, by rounded score (95 % Wilson CI)" if band == "0-6" else None)
    ax.set_yscale("log")
    ax.set_title(f"Fact 7: churn after an order vs its score ({name})", fontsize=10)
    ax.set_xlabel("satisfaction score s (0-10; the 0-6 band is plotted at 3)")
    ax.set_ylabel("churn probability per ended order (share, log scale)")
    ax.legend(fontsize=8)
    common.save_figure(fig, args.out, "fact7_churn")


def main(argv=None) -> None:
    p = common.parser("service_profit_chain", __doc__, replications=100)
    p.add_argument("--trace-replications", type=int, default=None,
                   help="traced replications per load for fact 2 (reference engine; default 3, 1 with --small)")
    p.add_argument("--churn-trace-replications", type=int, default=None,
                   help="traced baseline replications for churn by score (fact 7; default 1)")
    p.add_argument("--year", type=float, default=2000.0,
                   help="time units in a year, for annual churn (default 2000: baseline's working hours)")
    args = common.parse(p, argv)
    facts, tables, curves, series = Facts(), [], [], []
    fact1(args, facts, tables, curves)
    fact2(args, facts, tables, curves)
    runs, back = fact5(args, facts, tables, series)
    fact6(args, facts, runs["as is, morale on"])
    fact7(args, facts, tables)

    common.write_table(pd.concat(tables, ignore_index=True), args.out, "service_profit_chain", common.TIDY_COLUMNS)
    common.write_table(pd.DataFrame(facts.rows), args.out, "facts", FACT_COLUMNS)
    common.write_table(pd.DataFrame(curves), args.out, "curves")
    series = [s for s in series if not s.empty]
    if series:
        common.write_table(pd.concat(series, ignore_index=True), args.out, "timeseries")
    passed = sum(r["status"] == "PASS" for r in facts.rows)
    lines = [f"Service-profit chain stylised facts (LITERATURE section 7): {args.replications} replications per run, "
             f"seed {args.seed}, engine {args.engine}{', SMALL run' if args.small else ''}.",
             *facts.lines(),
             f"{passed} of {len(facts.rows)} checks pass."]
    common.finish(args.out, lines)


if __name__ == "__main__":
    main()
