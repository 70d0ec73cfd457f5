"""Terminal tables: a run, a comparison, an optimiser's path and a sweep, each readable at a glance."""

from __future__ import annotations

import numpy as np

from orgsim import metrics
from orgsim.errors import one_line
from orgsim.studies.ceiling import money
from orgsim.studies.compare import Comparison
from orgsim.studies.optimise import Optimum
from orgsim.studies.plans import heads_text
from orgsim.studies.results import RunResult
from orgsim.studies.select import Selection
from orgsim.studies.simulate import AS_SCENARIO
from orgsim.studies.sweep import SweepResult


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


MARK = "*"  # after an interval from too few replications
FOOTNOTE = f"{MARK} {metrics.UNRELIABLE}"
METHOD = "each within its metric's range: Student t on the logit or log scale"


def _ci(row) -> str:
    if not np.isfinite(row["ci_low"]):
        return _fmt(row["mean"])
    mark = "" if row["ci_reliable"] else f" {MARK}"
    return f"{_fmt(row['mean'])}  [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]{mark}"


def _unreliable(rows) -> bool:
    """Whether some interval among *rows* (mappings of aggregate statistics) is shown and unreliable."""
    return any(np.isfinite(r["ci_low"]) and not r["ci_reliable"] for r in rows)


def _columns(rows: list[list[str]], right: tuple[int, ...] = ()) -> list[str]:
    """Lines of cells, each column as wide as its widest cell (numbers in *right* columns aligned right)."""
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return [
        "  ".join(c.rjust(w) if k in right else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))).rstrip()
        for r in rows
    ]


def table(result: RunResult) -> str:
    """External metrics, then one line per department, then internal response times."""
    sc = result.scenario
    summ = result.summary().set_index("metric")
    n = len(result.replications)
    runs = f"{n} replication{'s' if n != 1 else ''}"
    if result.unit_runs is not None:  # the values are the units' means: the units are the sample
        each = len(result.unit_runs.runs[0].replications)
        runs = f"{n} units of {each} replication{'s' if each != 1 else ''} each (a metric: the units' means)"
    lines = [
        f"{one_line(sc.name)}: {result.engine} engine, {runs}, seed {result.seed}, "
        f"horizon {sc.horizon:g} {sc.time_unit}s (warm-up {sc.warmup:g}); mean and 95 % CI ({METHOD})",
    ]
    if _unreliable(summ.to_dict(orient="records")):
        lines.append(FOOTNOTE)
    lines += ["", "External customers"]
    for name in summ.index:
        if name.startswith("external."):
            lines.append(f"  {name[9:]:<16}{_ci(summ.loc[name])}")
    segs = sorted({m.split(".")[1] for m in summ.index if m.startswith("segment.")})
    for s in segs:
        parts = []
        for key in ("nps", "csat", "sojourn_mean", "abandon_rate", "churn_rate", "revenue"):
            m = f"segment.{s}.{key}"
            if m in summ.index:
                parts.append(f"{key} {_fmt(summ.loc[m, 'mean'])}")
        lines.append(f"  segment {s}: " + ", ".join(parts))
    def cell(metric: str, ci: bool = True) -> str:
        if metric not in summ.index:
            return "-"
        return _ci(summ.loc[metric]) if ci else _fmt(summ.loc[metric, "mean"])

    lines.append("")
    overtime = any(m.endswith(".overtime") for m in summ.index)  # a column only where a calendar gives overtime
    lines += _columns(
        [["Departments", "heads", "staffed", "utilisation", "wait_mean", "blocked_share", "morale"]
         + ([f"overtime/period ({sc.time_unit}s)"] if overtime else [])]
        + [
            [f"  {d}", str(result.headcount[d]), cell(f"dept.{d}.staffed", ci=False), cell(f"dept.{d}.utilisation"),
             cell(f"dept.{d}.wait_mean"),
             cell(f"dept.{d}.blocked_share", ci=False), cell(f"dept.{d}.morale", ci=False)]
            + ([cell(f"dept.{d}.overtime", ci=False)] if overtime else [])
            for d in sc.departments
        ],
        right=(1, 2),
    )
    internal = [m for m in summ.index if m.startswith("internal.") and m.endswith(".response_mean")]
    rows = [[f"  {m.split('.')[1]} waits on {m.split('.')[2]}", _ci(summ.loc[m])] for m in internal]
    if "internal.rework_rate" in summ.index:
        rows.append(["  rework rate", _ci(summ.loc["internal.rework_rate"])])
    if rows:
        lines += ["", f"Internal suppliers (mean response, {sc.time_unit}s)"] + _columns(rows)
    lines += _agreements(summ, sc)
    money = [[f"  {m[5:]}", _ci(summ.loc[m])] for m in summ.index if m.startswith("firm.") and m not in PEOPLE]
    if money:
        lines += ["", f"Firm (money from warm-up to horizon; revenue {_fmt(summ.loc['external.revenue', 'mean'])})"]
        lines += _columns(money)
    lines += _people(summ, sc)
    lines += _units(result) if result.unit_runs is not None else drift_lines(result)
    lines.append("")
    lines.append(f"wall time {result.wall_time:.2f} s")
    return "\n".join(lines)


def _agreements(summ, sc) -> list[str]:
    """Service agreements (scenarios with `agreements`): attainment of all, then each pair's with its mean wait."""
    if "internal.sla_attainment" not in summ.index:
        return []
    rows = [["  all agreements", _ci(summ.loc["internal.sla_attainment"]), ""]]
    for c, d, target in sc.agreement_pairs():
        pair = f"agreement.{c}.{d}"
        rows.append([f"  {c} -> {d} within {target:g}", _ci(summ.loc[f"{pair}.attainment"]),
                     _ci(summ.loc[f"{pair}.wait_mean"])])
    head = [["Service agreements", "attainment", f"wait_mean ({sc.time_unit}s)"]]
    return [""] + _columns(head + rows)


PEOPLE = ("firm.engagement", "firm.engagement_survey", "firm.survey_responses", "firm.productivity")
PEOPLE_DEPT = ("turnover", "vacancy_time", "productivity")


def _people(summ, sc) -> list[str]:
    """The people and output measures (scenarios with `measures`): the firm's, then one line per department."""
    rows = [[f"  {m[5:]}", _ci(summ.loc[m])] for m in PEOPLE if m in summ.index]
    depts = [d for d in sc.departments if any(f"dept.{d}.{k}" in summ.index for k in PEOPLE_DEPT)]
    if not rows and not depts:
        return []
    lines = ["", f"People and output (after warm-up; turnover per employee-year, productivity per employee-{sc.time_unit})"]
    lines += _columns(rows) if rows else []
    if depts:
        head = [k for k in PEOPLE_DEPT if any(f"dept.{d}.{k}" in summ.index for d in depts)]
        cells = [[f"  {d}"] + [_ci(summ.loc[m]) if (m := f"dept.{d}.{k}") in summ.index else "-" for k in head]
                 for d in depts]
        lines += _columns([["  department", *head], *cells])
    return lines


def _units(result: RunResult) -> list[str]:
    """What the units drew (range over units) and the cross-unit correlations asked for, with Fisher-z CIs."""
    ur = result.unit_runs
    lines = ["", f"Units: {len(ur.runs)}, drawn per unit (lowest - highest); seeds from (seed, unit)"]
    drawn = [[f"  {path}", f"{_fmt(min(p[path] for p in ur.params))} - {_fmt(max(p[path] for p in ur.params))}"]
             for path in ur.params[0]]
    lines += _columns(drawn) if drawn else []
    corr = ur.correlations()
    if len(corr):
        lines += ["", "Correlation across units of the units' means (95 % CI by Fisher's z)"]
        lines += _columns([[f"  {r.metric_a} ~ {r.metric_b}",
                            f"r = {_fmt(r.r)}  [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]", f"n = {r.n}"]
                           for r in corr.itertuples()])
    lines.append("drift after the warm-up: not tested for a run of units")
    return lines


def drift_lines(result: RunResult) -> list[str]:
    """The warm-up diagnostic, and a warning for every metric whose per-period mean still moves after the warm-up."""
    sc, drift = result.scenario, result.drift
    if drift is None:
        return ["", "drift after the warm-up: not tested (per-replication series are not kept for a run this large)"]
    lines = [""]
    cuts = [f"{m[9:]} {'>=' if d.mser5_at_limit else ''}{d.mser5_warmup:g}" for m, d in drift.items()
            if m.startswith("external.") and d.mser5_warmup is not None]
    if cuts:
        lines.append(f"warm-up {sc.warmup:g} {sc.time_unit}s; MSER-5 on the per-period means suggests {', '.join(cuts)}"
                     + (" (>=: the longest it can tell in this horizon)" if ">=" in "".join(cuts) else ""))
    tested = [d for d in drift.values() if d.test is not None]
    moving = [d for d in tested if d.test.trending]
    if not tested:
        lines.append("drift after the warm-up: not tested (it needs 2 replications and 4 whole periods after the warm-up)")
        return lines
    edges = tested[0].edges()
    parts = ", ".join(f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:]))
    if not moving:
        lines.append(f"no per-period mean moves after the warm-up ({len(tested)} metrics; parts {parts} {sc.time_unit}s)")
        return lines
    lines.append(f"WARNING: these per-period means still move after the warm-up, which one mean hides (parts {parts} {sc.time_unit}s):")
    rows = [["  metric", "mean in each part", "change from the first part [CI]"]]
    for d in moving:
        t = d.test
        rows.append([f"  {d.metric}", "  ".join(_fmt(v) for v in t.means),
                     f"{t.change:+.3g} [{t.change - t.change_half:+.3g}, {t.change + t.change_half:+.3g}] in part {t.part + 1}"])
    return lines + _columns(rows)


def comparison_table(comp: Comparison) -> str:
    """Policies ranked: mean and CI, P(best), the paired difference against the best; then what CRN bought, each plan and its cost."""
    s = comp.stats
    spent = {label: comp.cost(label) for label in comp.labels}
    most = max(c["cost"] for c in spent.values())
    shown = {label: comp.title(label) + (f" (spends {spent[label]['cost']} of {most})" if spent[label]["cost"] != most else "")
             + (" ~" if label in s["tied_with_best"] else "") for label in comp.labels}  # "=" joins the names of one plan
    over = s.get("over_ceiling", [])
    width = max(22, *(len(t) + 2 for t in shown.values()))
    lines = [f"{'rank':<5}{'policy':<{width}}{comp.metric:>16}  {'95 % CI':<22}{'P(best)':>8}  {'minus best [95 % CI]':<28}"]
    for rank, label in comp.shown():
        p, d = s["policies"][label], s["differences"][label]
        lines.append(
            f"{rank or '-':<5}{shown[label]:<{width}}{p['mean']:>16.3f}  [{p['ci_low']:.3f}, {p['ci_high']:.3f}]".ljust(43 + width)
            + f"{p['p_best']:>8.0%}  {d['mean']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}]"
        )
    if s["tied_with_best"]:
        lines.append("~ cannot be told apart from the best at this number of replications")
    if over:
        lines.append(f"- over the cost ceiling of {money(s['cost_ceiling'])} (mean firm.cost), not ranked: "
                     + ", ".join(f"{comp.title(k)} {s['firm_cost'][k]:,.0f}" for k in over))
    if _unreliable(s["policies"].values()):
        lines.append(f"95 % CIs {metrics.UNRELIABLE}")
    if s["variance_reduction"]:
        lines.append(
            "common random numbers: variance of paired differences vs independent runs reduced by "
            + ", ".join(f"{comp.title(k)} {v:.0%}" for k, v in s["variance_reduction"].items())
        )
    if "against_reference" in s:
        what = " (the scenario as written)" if comp.reference == AS_SCENARIO else ""
        lines += ["", f"paired difference against {comp.reference}{what}, {comp.metric} [95 % CI]"]
        lines += _columns([[f"  {comp.title(label)}", f"{r['mean']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"]
                           for label, r in s["against_reference"].items() if label != comp.reference])
    lines += ["", "plans: heads per department; cost = heads + invested (headcount-equivalents), of the budget"]
    lines += _columns([[f"  {comp.title(label)}", heads_text(c),
                        f"{c['heads']} + {c['cost'] - c['heads']} = {c['cost']} of {c['budget']}", _besides(comp, label)]
                       for label, c in spent.items()])
    if len({c["cost"] for c in spent.values()}) > 1:
        lines.append("spending differs: the differences above mix where the budget goes with how much is spent")
    return "\n".join(lines)


def _besides(comp: Comparison, label: str) -> str:
    """What else sets an arm's plan apart: its queue order when the arms' differ, its review, a variant's changes."""
    policy = comp.results[label].scenario.policy
    parts = []
    if len({comp.results[k].scenario.policy.priority for k in comp.labels}) > 1:
        parts.append(f"queue {policy.priority}")
    if policy.review is not None:
        parts.append(f"review every {policy.review.every} periods")
    for name in comp.names[label]:
        parts += comp.specs.get(name, {}).get("set", [])
    return one_line("; ".join(parts))


def selection_table(sel: Selection) -> str:
    """The selected policy, then the others from the last eliminated to the first: mean, replications, when each left."""
    order = [sel.selected] + [e["policy"] for e in reversed(sel.eliminated)]
    left = {e["policy"]: f"tied: the same mean, left after {e['after']}" if e["tied"] else f"eliminated after {e['after']}"
            for e in sel.eliminated}
    rows = [["policy", sel.metric, "replications used", "simulated", "outcome"]]
    for label in order:
        rows.append([label, _fmt(sel.means[label]), str(sel.used[label]), str(sel.simulated[label]),
                     "selected" if label == sel.selected else left[label]])
    lines = _columns(rows, right=(1, 2, 3))
    lines.append(f"selected: {sel.selected}; guarantee: {sel.guarantee()} (Kim-Nelson procedure, common random numbers)")
    lines.append(f"a fixed equal allocation with the same guarantee needs {sel.fixed:,} replications per policy "
                 f"({sel.fixed * len(sel.labels):,} in all, against {sum(sel.simulated.values()):,} simulated here)")
    return "\n".join(lines)


def optimum_table(best: Optimum, header: str) -> str:
    """The optimiser's search path, one step a line, then the best allocation and its fresh estimate."""
    lines = [header]
    for step in best.path:
        alloc = heads_text({"allocation": step["allocation"], "shifts": step.get("shifts", {})})
        lines.append(f"  {step['step']:<40} {best.objective} {step['mean']:.3f}   [{alloc}]")
    lines.append(f"best allocation: {heads_text({'allocation': best.allocation, 'shifts': best.shifts})}")
    note = "" if best.ci_reliable else f"; {metrics.UNRELIABLE}"
    lines.append(f"{best.objective} {best.mean:.3f} (95 % CI {best.ci_low:.3f} to {best.ci_high:.3f}, fresh replications{note})")
    return "\n".join(lines)


def sweep_table(res: SweepResult, metric: str) -> str:
    """One line per cell: its grid values, policy, the mean and CI of *metric*, and its paired difference against the reference."""
    table = res.table()
    paths = [p for p, _ in res.grid]
    shown = table[table["metric"] == metric]
    widths = [max(len(p), *(len(str(v)) for v in shown[p])) for p in paths]
    pw = max(len("policy"), *(len(str(v)) for v in shown["policy"]))
    lines = ["  ".join([*(p.ljust(w) for p, w in zip(paths, widths)), "policy".ljust(pw), "mean".rjust(10),
                        "95 % CI".ljust(20), "minus ref [95 % CI]"])]
    for k, (_, row) in enumerate(shown.iterrows()):
        mark = "" if row["ci_reliable"] else f" {MARK}"
        ci = f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]{mark}" if np.isfinite(row["ci_low"]) else "-"
        ref = "reference" if k == res.reference else (
            f"{row['minus_reference']:+.3f} [{row['minus_reference_ci_low']:+.3f}, {row['minus_reference_ci_high']:+.3f}]"
            if np.isfinite(row["minus_reference_ci_low"]) else "-")
        lines.append("  ".join([*(str(row[p]).ljust(w) for p, w in zip(paths, widths)), str(row["policy"]).ljust(pw),
                                f"{row['mean']:10.3f}", ci.ljust(20), ref]))
    if _unreliable(shown.to_dict(orient="records")):
        lines.append(FOOTNOTE)
    return "\n".join(lines)


def _signed(d: dict) -> str:
    """A paired difference with its interval, signed: ``+2.76 [+2.63, +2.89]``."""
    sign = lambda x: ("+" if x > 0 else "") + _fmt(x)  # noqa: E731 - _fmt puts the minus sign itself
    return f"{sign(d['mean'])} [{sign(d['ci_low'])}, {sign(d['ci_high'])}]"


def metrics_table(comps: list[Comparison]) -> str:
    """Arms ranked by the first comparison's metric, with every comparison's mean, CI and paired difference against
    their common reference (one comparison per metric, on the same runs); then each arm's plan and cost."""
    first, ref = comps[0], comps[0].reference
    header = ["rank", "arm"]
    for comp in comps:
        header += [f"{comp.metric} [95 % CI]", f"minus {ref}"]
    rows = [header]
    for rank, label in first.shown():
        row = [str(rank or "-"), first.title(label)]
        for comp in comps:
            row += [_ci(comp.stats["policies"][label]), _signed(comp.stats["against_reference"][label])]
        rows.append(row)
    lines = _columns(rows)
    if any(_unreliable(c.stats["policies"].values()) for c in comps):
        lines.append(FOOTNOTE)
    lines += ["", "plans: heads per department; cost = heads + invested (headcount-equivalents), of the budget"]
    spent = {label: first.cost(label) for label in first.labels}
    lines += _columns([[f"  {first.title(label)}", heads_text(c), f"{c['heads']} + {c['cost'] - c['heads']} = {c['cost']} "
                        f"of {c['budget']}", ", ".join(f"{k} {v}" for k, v in c["investments"].items() if v)]
                       for label, c in spent.items()])
    return "\n".join(lines)
