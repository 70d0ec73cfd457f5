"""The fifteen stylised facts of the service-profit chain, defined once (LITERATURE section 7, issue 19).

A *study* runs the simulations some facts are read from and returns what it measured; a *fact* is a
claim, its expected band and source, fixed before any run, and a judge that reads a study's data.
``experiments/service_profit_chain.py`` runs every study at full size and prints every fact with its
number, band, source and PASS or FAIL; ``tests/validation/test_stylised_facts.py`` runs the same
studies at a reduced size and asserts each fact with *lenient* judging: where the fact is a band for an
estimate with a confidence interval, the interval must overlap the band (at a small size the point
estimate alone is too noisy to be held to the band).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import common
import numpy as np
import pandas as pd

import orgsim
from orgsim import theory
from orgsim.kernels.model import churn_probability
from orgsim.scenario.schema import mean_of
from orgsim.scenario.traffic import solve
from orgsim.studies.results import fisher_interval
from orgsim.studies.run import run

RHOS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
ABANDON_LOADS = (0.8, 0.9, 1.0, 1.1, 1.2)  # offered load per agent, lambda / (c mu)
LAGS = (1, 2, 3)
BANDS = ("0-6", "7", "8", "9", "10")
# the cross-unit bands: Harter, Schmidt & Hayes (2002) report r = .33, -.30, .25; each band is +-0.1 around it
CSAT_BAND, TURNOVER_BAND, PRODUCTIVITY_BAND = (0.2, 0.4), (-0.4, -0.2), (0.15, 0.35)


@dataclass(frozen=True)
class Size:
    """How big the studies are: replications, seed, engine and the sizes of the traced and unit runs."""

    replications: int = 100
    seed: int = 1
    engine: str = "numba"
    small: bool = False  # horizon 400, warm-up 80 for the queueing studies (common.SMALL_OVERRIDES)
    trace_replications: int = 3  # traced reference-engine replications per load (fact 3, 4)
    churn_trace_replications: int = 1  # traced baseline replications (fact 15)
    units: int = 200  # branches of the chain (facts 10-12)
    unit_replications: int = 10


@dataclass
class Outcome:
    """What one fact observed: its number, a readable account, and whether it holds (None: not measured)."""

    value: float
    observed: str
    passed: bool | None


@dataclass(frozen=True)
class Fact:
    """A claim with its expected band and source, judged on one study's data."""

    number: int
    claim: str
    expected: str
    source: str
    study: str
    judge: Callable[[dict, bool], Outcome] = field(repr=False)


def ratio_ci(num: np.ndarray, den: np.ndarray, seed: int, boot: int = 2000) -> tuple[float, float, float]:
    """Ratio of means with a paired bootstrap 95 % interval over replications."""
    ok = np.isfinite(num) & np.isfinite(den)
    num, den = num[ok], den[ok]
    rng = np.random.default_rng([seed, 97])
    idx = rng.integers(0, len(num), size=(boot, len(num)))
    r = num[idx].mean(axis=1) / den[idx].mean(axis=1)
    return float(num.mean() / den.mean()), float(np.nanpercentile(r, 2.5)), float(np.nanpercentile(r, 97.5))


def within(value: float, low: float, high: float, band: tuple[float, float], lenient: bool) -> bool:
    """The estimate lies in the band, or (lenient) its interval [low, high] overlaps the band."""
    if lenient and np.isfinite(low) and np.isfinite(high):
        return bool(low <= band[1] and high >= band[0])
    return bool(band[0] <= value <= band[1])


# ============================================================ studies
def _station(size: Size, patience: bool):
    """The call centre's one department: the scenario, its servers, service rate and base overrides."""
    over = [] if patience else ["segments.callers.patience=null"]  # with patience any load is stable (Erlang A)
    sc = common.load("call_centre", size, over)
    dept = next(iter(sc.departments.values()))
    mu = 1.0 / mean_of(next(iter(dept.services.values())).time) * dept.skill
    return sc, dept.headcount, mu, over


def _with_rate(sc, over: list[str], rate: float, size: Size):
    return common.load("call_centre", size, [*over, f"segments.{next(iter(sc.segments))}.arrivals.rate={rate!r}"])


def convexity(size: Size) -> dict:
    """One M/M/c department (call_centre, patience off) at rho = 0.5 ... 0.95: waits per replication."""
    sc, c, mu, over = _station(size, patience=False)
    waits, tables = {}, []
    for rho in RHOS:
        res = run(_with_rate(sc, over, rho * c * mu, size), engine=size.engine, replications=size.replications, seed=size.seed)
        shown = ["external.wait_mean", "external.sojourn_mean", f"dept.{next(iter(sc.departments))}.utilisation"]
        tables.append(common.tidy(res, f"rho={rho:.2f}", "M/M/c (call_centre, no patience)", shown))
        waits[rho] = res.values["external.wait_mean"]
    th = {rho: theory.mmc(rho * c * mu, mu, c)["wait_mean"] for rho in RHOS}
    return {"scenario": sc, "c": c, "mu": mu, "waits": waits, "theory": th, "tables": tables, "seed": size.seed}


def _traced_waits(sc, size: Size) -> list[dict]:
    """Per traced replication: orders ended after warm-up, how many abandoned, their total queue wait."""
    out = []
    for r in range(size.trace_replications):
        df = orgsim.trace(sc, seed=size.seed, replication=r)
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


def abandonment(size: Size) -> dict:
    """Erlang A (call_centre, exponential patience) across loads: the engine's runs and traced waits of all callers."""
    sc, c, mu, over = _station(size, patience=True)
    seg = next(iter(sc.segments.values()))
    theta = 1.0 / seg.patience.mean
    points, gaps, tables = [], [], []
    for load in ABANDON_LOADS:
        lam = load * c * mu
        scl = _with_rate(sc, over, lam, size)
        label = f"offered load {load:.2f}"
        res = run(scl, engine=size.engine, replications=size.replications, seed=size.seed)
        tables.append(common.tidy(res, label, "Erlang A (call_centre)",
                                  ["external.abandon_rate", "external.wait_mean", "external.completed", "external.abandoned"]))
        ea = theory.erlang_a(lam, mu, c, theta)
        for q, metric in (("p_abandon", "external.abandon_rate"), ("wait_mean_served", "external.wait_mean")):
            a = common.ci(res.values[metric], metric)
            se = a["std"] / np.sqrt(a["n"]) if a["n"] > 1 else np.nan
            gaps.append({"z": abs(a["mean"] - ea[q]) / se if se > 0 else np.inf, "quantity": q, "load": load,
                         "simulated": a["mean"], "ci_low": a["ci_low"], "ci_high": a["ci_high"], "theory": ea[q]})
        rows = pd.DataFrame(_traced_waits(scl, size))
        rows["replication"] = np.arange(len(rows))
        for metric, val in (("trace.abandon_share", rows.abandoned / rows.ended), ("trace.wait_mean_all", rows.wait_sum / rows.ended)):
            tables.append(pd.DataFrame({"scenario": "Erlang A (call_centre), traced", "policy": label,
                                        "replication": rows.replication, "metric": metric, "value": val}))
        A, W, n = rows.abandoned.sum(), rows.wait_sum.sum(), rows.ended.sum()
        points.append({"load": load, "p_ab": A / n, "ew": W / n, "A": A, "W": W, "z": (A - theta * W) / np.sqrt(max(A, 1)),
                       "theory_ew": ea["wait_mean"], "theory_pab": ea["p_abandon"]})
    return {"scenario": sc, "c": c, "mu": mu, "theta": theta, "points": pd.DataFrame(points), "gaps": pd.DataFrame(gaps),
            "tables": tables, "engine": size.engine}


def back_office(size: Size) -> dict:
    """baseline as is and with one more head in its most loaded back-office department, morale on and off."""
    sc = common.load("baseline", size)
    traffic = solve(sc)
    front = set(sc.front_office())
    heads = {d: x.headcount for d, x in sc.departments.items()}
    back = max((d for d in heads if d not in front), key=lambda d: traffic.load[d] / heads[d])
    more = {**heads, back: heads[back] + 1}
    runs, tables, series = {}, [], []
    for morale in (True, False):
        s = common.load("baseline", size, [f"morale.enabled={str(morale).lower()}", f"policy.budget={sum(more.values())}"])
        for label, h in (("as is", heads), (f"+1 {back}", more)):
            key = f"{label}, morale {'on' if morale else 'off'}"
            runs[key] = run(s, engine=size.engine, replications=size.replications, seed=size.seed, headcount=h)
            tables.append(common.tidy(runs[key], key, sc.name))
            series.append(common.series_tidy(runs[key], key, ["external.nps", "external.csat", "external.sojourn_mean"]
                                             + [f"dept.{d}.morale" for d in heads], sc.name))
    return {"scenario": sc, "front": front, "back": back, "runs": runs, "tables": tables, "series": series}


def _unit_means(runs, metric: Callable[[dict], np.ndarray]) -> np.ndarray:
    return np.array([np.nanmean(metric(r.values)) for r in runs])


def firm_turnover(values: dict, departments) -> np.ndarray:
    """Leavers per employee-year of the whole unit: department turnovers weighted by employee time present."""
    staffed = sum(values[f"dept.{d}.staffed"] for d in departments)
    return sum(values[f"dept.{d}.turnover"] * values[f"dept.{d}.staffed"] for d in departments) / staffed


def units(size: Size) -> dict:
    """The chain of bank branches (``branches``): each unit's engagement, CSAT, turnover and productivity."""
    sc = orgsim.load("branches", [f"units.count={size.units}"])
    res = run(sc, engine=size.engine, replications=size.unit_replications, seed=size.seed)
    runs, deps = res.unit_runs.runs, list(sc.departments)
    data = {"scenario": sc, "result": res,
            "engagement": _unit_means(runs, lambda v: v["firm.engagement"]),
            "csat": _unit_means(runs, lambda v: v["external.csat"]),
            "turnover": _unit_means(runs, lambda v: firm_turnover(v, deps)),
            "productivity": _unit_means(runs, lambda v: v["firm.productivity"])}
    data["tables"] = [pd.DataFrame({"scenario": sc.name, "policy": "as is", "replication": np.arange(len(runs)),
                                    "metric": f"unit.{k}", "value": data[k]})
                      for k in ("engagement", "csat", "turnover", "productivity")]
    return data


def _band_of(score: float) -> str:
    r = int(np.floor(score + 0.5))
    return str(r) if r >= 7 else "0-6"


def loyalty(size: Size) -> dict:
    """baseline's population segment: its churn curve, and ended orders and churns per score band (traced)."""
    sc = common.load("baseline", size)
    name = next(k for k, s in sc.segments.items() if hasattr(s.arrivals, "population"))
    seg = sc.segments[name]
    p = curve_of(seg)

    score_re, churn_re = re.compile(r"scores ([0-9.]+)"), re.compile(r"scoring ([0-9.]+)")
    rows = []
    for r in range(size.churn_trace_replications):
        df = orgsim.trace(sc, seed=size.seed, replication=r)
        df = df[(df.time >= sc.warmup) & (df.segment == name)]
        ended = [float(m.group(1)) for m in df[df.event == "complete"].text.map(score_re.search) if m]
        ended += [seg.abandon_score] * int((df.event == "abandon").sum())
        churned = [float(m.group(1)) for m in df[df.event == "churn"].text.map(churn_re.search) if m]
        for band in BANDS:
            rows.append({"replication": r, "band": band, "ended": sum(_band_of(s) == band for s in ended),
                         "churned": sum(_band_of(s) == band for s in churned),
                         "expected": sum(p(s) for s in ended if _band_of(s) == band)})
    bands = pd.DataFrame(rows)
    tables = [pd.DataFrame({"scenario": f"{sc.name}, traced", "policy": "as is", "replication": bands.replication,
                            "metric": f"trace.{name}.{metric}.score_" + bands.band, "value": bands[metric].astype(float)})
              for metric in ("ended", "churned")]
    return {"scenario": sc, "segment": name, "p": p, "bands": bands, "tables": tables}


def curve_of(segment) -> Callable[[float], float]:
    """A population segment's churn probability after an ended order scoring s (the model's formula)."""
    ch = segment.churn
    return lambda s: churn_probability.py_func(s, ch.floor, ch.ceiling, ch.midpoint, ch.steepness)


def annual_churn(size: Size) -> dict:
    """The branches' customers (the chain the cross-unit facts read): their churn curve and visits a year."""
    sc = orgsim.load("branches")
    name, seg = next((k, s) for k, s in sc.segments.items() if hasattr(s.arrivals, "population"))
    year = sc.measures.year
    return {"scenario": sc, "segment": name, "p": curve_of(seg), "year": year,
            "per_year": seg.arrivals.rate_per_customer * year, "tables": []}


STUDIES: dict[str, Callable[[Size], dict]] = {
    "convexity": convexity, "abandonment": abandonment, "back_office": back_office, "units": units, "loyalty": loyalty,
    "annual_churn": annual_churn,
}


# ============================================================ the facts
def _convex(d: dict, lenient: bool) -> Outcome:
    w, th = d["waits"], d["theory"]
    r1, lo1, hi1 = ratio_ci(w[0.9], w[0.8], d["seed"])
    r2, lo2, hi2 = ratio_ci(w[0.95], w[0.9], d["seed"])
    ok = within(r1, lo1, hi1, (2, np.inf), lenient) and within(r2, lo2, hi2, (1.5, 3), lenient)
    return Outcome(r1, f"wait(0.9)/wait(0.8) {r1:.2f} [{lo1:.2f}, {hi1:.2f}] (Erlang C {th[0.9] / th[0.8]:.2f}); "
                       f"wait(0.95)/wait(0.9) {r2:.2f} [{lo2:.2f}, {hi2:.2f}] (Erlang C {th[0.95] / th[0.9]:.2f})", ok)


def _erlang_c(d: dict, lenient: bool) -> Outcome:
    gap, near = {}, {}
    for rho, w in d["waits"].items():
        a, th = common.ci(w, "external.wait_mean"), d["theory"][rho]
        gap[rho] = abs(a["mean"] - th) / th
        near[rho] = 0.0 if a["ci_low"] <= th <= a["ci_high"] else min(abs(a["ci_low"] - th), abs(a["ci_high"] - th)) / th
    worst = max(gap, key=gap.get)
    ok = max(near.values()) <= 0.10 if lenient else gap[worst] <= 0.10
    return Outcome(gap[worst], f"largest gap {gap[worst]:.1%} at rho {worst} (M/M/{d['c']})", bool(ok))


def _identity(d: dict, lenient: bool) -> Outcome:
    pts, theta = d["points"], d["theta"]
    A, W = pts.A.sum(), pts.W.sum()
    ratio, se = A / (theta * W), np.sqrt(A) / (theta * W)
    z = (ratio - 1) / se
    return Outcome(ratio, f"{ratio:.3f} +- {1.96 * se:.3f} (theta {theta:g}; {int(A)} abandoned; z {z:+.2f}; worst load "
                          f"|z| {pts.z.abs().max():.1f})", bool(abs(z) <= (3.0 if lenient else 1.96)))


def _linear(d: dict, lenient: bool) -> Outcome:
    pts, theta = d["points"], d["theta"]
    slope, icpt = np.polyfit(pts.ew, pts.p_ab, 1)
    pred = icpt + slope * pts.ew
    r2 = 1 - ((pts.p_ab - pred) ** 2).sum() / ((pts.p_ab - pts.p_ab.mean()) ** 2).sum()
    tol = 0.2 if lenient else 0.1
    return Outcome(r2, f"R^2 {r2:.4f}, slope {slope:.3f}, intercept {icpt:+.4f}",
                   bool(r2 >= 0.98 and abs(slope / theta - 1) <= tol))


def _erlang_a(d: dict, lenient: bool) -> Outcome:
    g = d["gaps"].sort_values("z").iloc[-1]
    return Outcome(g.z, f"{d['engine']} engine: worst |z| {g.z:.1f} ({g.quantity} at load {g.load:.2f}: {g.simulated:.4f} "
                        f"vs {g.theory:.4f})", bool(g.z <= (4.0 if lenient else 3.0)))


def _nps_rises(d: dict, lenient: bool) -> Outcome:
    base, plus = d["runs"]["as is, morale on"], d["runs"][f"+1 {d['back']}, morale on"]
    dn = plus.values["external.nps"] - base.values["external.nps"]
    a = common.ci(dn, "external.nps", True)
    return Outcome(a["mean"], f"+1 head in {d['back']}: {common.fmt(dn, 'external.nps', True)} NPS points (from "
                              f"{np.nanmean(base.values['external.nps']):.1f})", bool(a["ci_low"] > 0))


def _through_speed(d: dict, lenient: bool) -> Outcome:
    base, plus, back = d["runs"]["as is, morale on"], d["runs"][f"+1 {d['back']}, morale on"], d["back"]
    ds = plus.values["external.sojourn_mean"] - base.values["external.sojourn_mean"]
    b = common.ci(ds, "external.sojourn_mean", True)
    channel = [f"{k.split('.')[1]} waits on {back} {common.fmt(plus.values[k] - base.values[k], k, True)}"
               for k in sorted(base.values)
               if re.fullmatch(rf"internal\.[a-z0-9_]+\.{back}\.response_mean", k) and k.split(".")[1] in d["front"]]
    return Outcome(b["mean"], f"sojourn {common.fmt(ds, 'external.sojourn_mean', True)} {d['scenario'].time_unit}s; "
                              + "; ".join(channel), bool(b["ci_high"] < 0))


def rise_time(delta: np.ndarray) -> int | None:
    """First period whose mean effect reaches half the plateau (mean of the last quarter of periods)."""
    mean = np.nanmean(delta, axis=0)
    plateau = np.nanmean(mean[-max(1, len(mean) // 4):])
    if not np.isfinite(plateau) or plateau <= 0:
        return None
    hit = np.nonzero(mean >= plateau / 2)[0]
    return int(hit[0]) if hit.size else None


def nps_effects(d: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per-period NPS effect of the extra head (replications x periods), morale on and morale off."""
    r, back = d["runs"], d["back"]
    on = r[f"+1 {back}, morale on"].series["external.nps"] - r["as is, morale on"].series["external.nps"]
    off = r[f"+1 {back}, morale off"].series["external.nps"] - r["as is, morale off"].series["external.nps"]
    return on, off


def _lag(d: dict, lenient: bool) -> Outcome:
    on, off = nps_effects(d)
    t_on, t_off = rise_time(on), rise_time(off)
    if t_on is None or t_off is None:
        return Outcome(np.nan, f"no positive plateau (morale on {t_on}, off {t_off})", False)
    p = d["scenario"].period
    return Outcome(t_on - t_off, f"half the effect by {(t_on + 1) * p:g} {d['scenario'].time_unit}s with morale on vs "
                                 f"{(t_off + 1) * p:g} off ({t_on - t_off} periods later)", bool(t_on - t_off >= 2))


def lagged_corr(x: np.ndarray, y: np.ndarray, lag: int) -> float:
    """corr(x_t, y_{t+lag}) pooled over replications and periods, after removing each period's mean."""
    x = x - np.nanmean(x, axis=0, keepdims=True)
    y = y - np.nanmean(y, axis=0, keepdims=True)
    if lag:
        x, y = x[:, :-lag], y[:, lag:]
    x, y = x.ravel(), y.ravel()
    ok = np.isfinite(x) & np.isfinite(y)
    return float(np.corrcoef(x[ok], y[ok])[0, 1]) if ok.sum() > 2 else float("nan")


def cross_lagged(y: np.ndarray, x: np.ndarray) -> float:
    """Standardised coefficient of x_t in the regression of y_{t+1} on y_t and x_t (a cross-lagged panel path)."""
    z = [(a - np.nanmean(a, axis=0, keepdims=True)) / np.nanstd(a) for a in (y, x)]
    Y, X = z[0][:, 1:].ravel(), np.column_stack([np.ones(z[0][:, :-1].size), z[0][:, :-1].ravel(), z[1][:, :-1].ravel()])
    ok = np.isfinite(Y) & np.all(np.isfinite(X), axis=1)
    return float(np.linalg.lstsq(X[ok], Y[ok], rcond=None)[0][2])


def engagement_series(d: dict) -> tuple[np.ndarray, np.ndarray]:
    """Headcount-weighted morale and external CSAT per replication and period after warm-up (morale on, as is)."""
    res, sc = d["runs"]["as is, morale on"], d["scenario"]
    heads = np.array([res.headcount[k] for k in sc.departments], float)
    w0 = int(round(sc.warmup / sc.period))
    morale = sum(h * res.series[f"dept.{k}.morale"] for h, k in zip(heads, sc.departments)) / heads.sum()
    return morale[:, w0:], res.series["external.csat"][:, w0:]


def _leads(d: dict, lenient: bool) -> Outcome:
    morale, csat = engagement_series(d)
    lead, back = lagged_corr(morale, csat, 1), lagged_corr(csat, morale, 1)
    paths = cross_lagged(csat, morale), cross_lagged(morale, csat)
    return Outcome(lead - back, f"corr(E_t, CSAT_t+1) {lead:.3f} vs reverse {back:.3f} (same period "
                                f"{lagged_corr(morale, csat, 0):.3f}); cross-lagged paths E->CSAT {paths[0]:.3f}, "
                                f"CSAT->E {paths[1]:.3f}", bool(lead > 0 and lead > back))


def _unit_corr(metric: str, band: tuple[float, float]) -> Callable[[dict, bool], Outcome]:
    def judge(d: dict, lenient: bool) -> Outcome:
        f = fisher_interval(d["engagement"], d[metric])
        return Outcome(f["r"], f"r {f['r']:+.2f} [95 % CI {f['ci_low']:+.2f}, {f['ci_high']:+.2f}] over {f['n']} branches",
                       within(f["r"], f["ci_low"], f["ci_high"], band, lenient))
    return judge


def _churn_ratio(d: dict, lenient: bool) -> Outcome:
    p = d["p"]
    return Outcome(p(8) / p(10), f"{p(8):.4f} / {p(10):.4f} = {p(8) / p(10):.1f} ({d['segment']})", bool(p(8) / p(10) >= 3))


def _merely_satisfied(d: dict, lenient: bool) -> Outcome:
    passive = (d["p"](7) + d["p"](8)) / 2
    annual = 1 - (1 - passive) ** d["per_year"]
    return Outcome(annual, f"{annual:.1%} ({passive:.3f} per visit x {d['per_year']:g} visits a year of {d['year']:g} "
                           f"{d['scenario'].time_unit}s, {d['scenario'].name})", bool(0.15 <= annual <= 0.40))


def _traced_ratio(d: dict, lenient: bool) -> Outcome:
    tot = d["bands"].groupby("band")[["ended", "churned", "expected"]].sum().reindex(BANDS)
    k8, n8, k10, n10 = (float(tot.loc[b, c]) for b in ("8", "10") for c in ("churned", "ended"))
    if n8 == 0 or k10 == 0 or k8 == 0:
        return Outcome(np.nan, f"too few orders or churns in the bands (8: {int(k8)}/{int(n8)}, 10: {int(k10)}/{int(n10)})", None)
    ratio = (k8 / n8) / (k10 / n10)
    se = np.sqrt(1 / k8 - 1 / n8 + 1 / k10 - 1 / n10)  # of the log risk ratio
    lo, hi = ratio * np.exp(-1.96 * se), ratio * np.exp(1.96 * se)
    return Outcome(ratio, f"{k8 / n8:.4f} ({int(k8)}/{int(n8)}) / {k10 / n10:.4f} ({int(k10)}/{int(n10)}) = {ratio:.1f} "
                          f"[95 % CI {lo:.1f}, {hi:.1f}]; the curve's expected ratio on these scores "
                          f"{(tot.loc['8', 'expected'] / n8) / (tot.loc['10', 'expected'] / n10):.1f}",
                   within(ratio, lo, hi, (3, np.inf), lenient))


HARTER = "Harter, Schmidt & Hayes 2002 (business units)"
FACTS: tuple[Fact, ...] = (
    Fact(1, "waits are convex in utilisation (M/M/c)", "wait(0.9)/wait(0.8) > 2 and wait(0.95)/wait(0.9) in [1.5, 3]",
         "Kingman 1961; Erlang C", "convexity", _convex),
    Fact(2, "simulated mean wait matches Erlang C", "within 10 % at every rho 0.5-0.95", "Erlang C", "convexity", _erlang_c),
    Fact(3, "P(abandon) = theta E[W], E[W] over all callers (traced)", "ratio 1 within 1.96 standard errors",
         "Erlang A; Mandelbaum & Zeltyn", "abandonment", _identity),
    Fact(4, "P(abandon) is linear in E[W] across loads", "R^2 >= 0.98, slope within 10 % of theta",
         "Erlang A; Brown et al. 2005", "abandonment", _linear),
    Fact(5, "P(abandon) and served wait match Erlang A", "every load within 3 standard errors", "Erlang A (Garnett et al. 2002)",
         "abandonment", _erlang_a),
    Fact(6, "one more back-office head raises external NPS", "paired 95 % CI above 0", "Heskett et al. 1994",
         "back_office", _nps_rises),
    Fact(7, "... acting through front-office speed", "external sojourn falls (paired 95 % CI below 0)",
         "Brown & Lam 2008; Ehrhart et al. 2011", "back_office", _through_speed),
    Fact(8, "... with a lag: the NPS effect builds up more slowly with morale on",
         "half-rise >= 2 periods later than with morale off", "Koys 2001; Evanschitzky et al. 2012", "back_office", _lag),
    Fact(9, "engagement leads satisfaction more than the reverse (per period)",
         "corr(E_t, CSAT_t+1) > 0 and > corr(CSAT_t, E_t+1)", "Koys 2001; Schneider et al. 1998 found both",
         "back_office", _leads),
    Fact(10, "cross-unit corr(engagement, CSAT)", f"{CSAT_BAND[0]} to {CSAT_BAND[1]} (published .33)", HARTER, "units",
         _unit_corr("csat", CSAT_BAND)),
    Fact(11, "cross-unit corr(engagement, turnover)", f"{TURNOVER_BAND[0]} to {TURNOVER_BAND[1]} (published -.30)", HARTER,
         "units", _unit_corr("turnover", TURNOVER_BAND)),
    Fact(12, "cross-unit corr(engagement, productivity)", f"{PRODUCTIVITY_BAND[0]} to {PRODUCTIVITY_BAND[1]} (published .25)",
         HARTER, "units", _unit_corr("productivity", PRODUCTIVITY_BAND)),
    Fact(13, "top-box loyalty: churn(8) / churn(10) on the model curve", ">= 3 (several times; Xerox about 6)",
         "Heskett et al. 1994", "loyalty", _churn_ratio),
    Fact(14, "'merely satisfied' customers (scores 7-8) still churn", "15-40 % a year", "Jones & Sasser 1995", "annual_churn",
         _merely_satisfied),
    Fact(15, "top-box loyalty as simulated: churn rate after an 8 / after a 10 (traced)", ">= 3", "Heskett et al. 1994",
         "loyalty", _traced_ratio),
)
