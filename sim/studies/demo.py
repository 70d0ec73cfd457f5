"""The question `orgsim demo` asks: with 9 more heads' budget, which allocation rule or internal-customer strategy,
at equal cost, raises NPS and profit most?

The shipped baseline firm has 40 people and a budget of 49 (``policy.budget=49``), and money is priced
(``costs``: labour 30 per head-hour, rework 12, an escaped defect 80, a lost customer 400; an invested
headcount-equivalent costs what a head is paid, ``costs.investment``'s default).  Every arm spends the same 49
headcount-equivalents:

- an *allocation rule* places all 49 as heads (the five rules that need no search; ``optimised`` is left out:
  its search gives 16 heads from the least stable 33, trying 7 departments for each, then at least one round of
  42 moves: over 150 plans of 40 replications, some 6,000 against the whole demo's 720, past its 90 s);
- a *strategy* invests ``LEVER_HEADS`` (3) of the 9 new heads' worth in its lever (``policy.investments``) and
  places the other 46 heads by ``REFERENCE`` (square-root staffing, the textbook rule and the best of the five
  here), which is also the reference arm every paired difference is taken against: a strategy's difference is
  what trading 3 heads for the lever buys.

Adding a strategy is one entry in ``STRATEGIES``: its label and the policy fields it sets.

Measured (`orgsim demo`: numba, 60 replications, seed 1), paired against sqrt_staffing (NPS 83.8), NPS points and
profit with 95 % CIs: training +2.76 (2.63 to 2.89) and +25,506 (22,536 to 28,475), recognition +1.73 (1.58 to
1.89) and +9,453, shared feedback +1.33 (1.17 to 1.49) and +4,976, continuous improvement +0.31 (0.10 to 0.52)
and +32,328 (28,504 to 36,151), role clarity +0.54 (0.42 to 0.66) and -5,439 (-8,481 to -2,396),
tooling -0.24 (-0.45 to -0.02) and +13,323, complaint recovery at support -2.17
(-2.57 to -1.77) and -1,345 (-7,138 to 4,448), communication -4.35 (-4.71 to -4.00) and -35,059.  The
strategies differ: every NPS interval excludes 0, as do seven of eight profit ones (tests/unit/test_demo.py
checks it at 20 replications).
"""

from __future__ import annotations

from orgsim.scenario.loader import load
from orgsim.scenario.schema import Scenario
from orgsim.studies.compare import Comparison, PolicySpec

SCENARIO = "baseline"
TODAY = 40  # the baseline's written headcount
OVERRIDES = ("policy.budget=49", "costs.labour=30", "costs.rework=12", "costs.escaped_defect=80", "costs.churn=400")
METRICS = ("external.nps", "firm.profit")  # ranked by the first; the second is reported beside it
SEED = 1
RULES = ("fixed", "front_line_first", "proportional_load", "sqrt_staffing", "utilisation_target")
REFERENCE = "sqrt_staffing"  # places a strategy's heads; the arm paired differences are taken against
LEVER_HEADS = 3  # headcount-equivalents of the 9 new heads' budget a strategy invests in its lever

# one entry per internal-customer strategy: its label and the policy fields it sets besides the allocation
STRATEGIES: list[tuple[str, dict]] = [
    ("training", {"investments": {"training": LEVER_HEADS}}),
    ("recognition", {"investments": {"recognition": LEVER_HEADS}}),
    ("tooling", {"investments": {"tooling": LEVER_HEADS}}),
    ("communication", {"investments": {"communication": LEVER_HEADS}}),
    ("feedback", {"investments": {"feedback": LEVER_HEADS}}),
    ("improvement", {"investments": {"improvement": LEVER_HEADS}}),
    ("role_clarity", {"investments": {"role_clarity": LEVER_HEADS}}),
    ("recovery", {"investments": {"recovery": LEVER_HEADS}, "recovery": {"service": "support.resolve"}}),
]


def scenario() -> Scenario:
    """The baseline with the demo's budget and prices."""
    return load(SCENARIO, list(OVERRIDES))


def policies() -> list[PolicySpec]:
    """Every arm: the allocation rules, then the strategies (each placing its heads by ``REFERENCE``)."""
    rules = [PolicySpec(name, {"allocation": name}) for name in RULES]
    return rules + [PolicySpec(label, {"allocation": REFERENCE, **fields}) for label, fields in STRATEGIES]


def question(sc: Scenario) -> str:
    """The question the demo answers, in the scenario's numbers."""
    more = sc.policy.budget - TODAY
    return (f"With {more} more heads' budget ({sc.policy.budget} in all, {TODAY} today), which allocation rule or "
            f"internal-customer strategy, at equal cost, raises NPS and profit most?")


def _num(x: float, sign: str = "") -> str:
    """A number as the answer shows it: money in whole units with thousands separators, NPS to 3 figures."""
    return f"{x:{sign},.0f}" if abs(x) >= 1000 else f"{x:{sign}.3g}"


def _best(comp: Comparison) -> str:
    """The best arm of one metric with its mean and paired difference against the reference, or the tie."""
    s, ref = comp.stats, comp.reference
    best = s["best"]
    d = s["against_reference"][best]
    text = (f"{comp.title(best)} gives the highest {comp.metric} ({_num(s['policies'][best]['mean'])}; "
            f"{_num(d['mean'], '+')} against {ref}, paired 95 % CI {_num(d['ci_low'], '+')} to {_num(d['ci_high'], '+')})")
    if s["tied_with_best"]:
        text += f", tied with {', '.join(map(comp.title, s['tied_with_best']))}"
    return text


def answer(comps: list[Comparison]) -> str:
    """The ranked answer in one sentence: each metric's ranking and its best arm against the reference."""
    ranks = "; ".join(f"by {c.metric}: {' > '.join(map(c.title, c.stats['ranking']))}" for c in comps)
    n = comps[0].stats["n"]
    return (f"At equal cost, {' and '.join(_best(c) for c in comps)}, over {n} replications on common random numbers "
            f"(ranked {ranks}).")


def to_json(comps: list[Comparison]) -> dict:
    """The `orgsim demo --format json` object: each arm's plan and cost, each metric's mean, CI and paired difference
    against the reference, each metric's ranking, and the answer."""
    outs = {comp.metric: comp.to_json() for comp in comps}
    first = outs[comps[0].metric]
    keep = ("names", "allocation", "investments", "heads", "cost", "budget", "n", "changes")
    arms = {label: {k: arm[k] for k in keep if k in arm} for label, arm in first["policies"].items()}
    for metric, out in outs.items():
        for label, arm in arms.items():
            arm[metric] = {**{k: out["policies"][label][k] for k in ("mean", "ci_low", "ci_high", "p_best")},
                           "minus_reference": out["against_reference"][label]}
    return {
        "question": question(comps[0].scenario),
        "scenario": first["scenario"],
        "scenario_definition": first["scenario_definition"],
        "engine": first["engine"],
        "seed": first["seed"],
        "replications": first["replications"],
        "reference": comps[0].reference,
        "lever_heads": LEVER_HEADS,
        "arms": arms,
        "ranking": {comp.metric: comp.stats["ranking"] for comp in comps},
        "answer": answer(comps),
    }
