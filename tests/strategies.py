"""Hypothesis strategies shared by the property and validation tests: distributions and random organisations.

One generator of organisations, three profiles of ranges:

* the default: 1-3 departments exercising every mechanism at moderate values
  (suppliers, needs with and without hold, defects, patience, handoffs,
  routing loops, population segments, morale, review, investments);
* ``edge_cases=True``: wide ranges and edge values (a headcount of 0, empty
  segments, zero rates, deterministic 0, cv up to 3, erlang k up to 40, random
  morale, review and investments), possibly unstable;
* ``compact=True``: 2-3 departments of one service, one Poisson segment,
  horizon 300 and moderate load, so the SimPy engine runs many replications
  of each and a comparison of the engines keeps its statistical power.

``organisations`` gives raw mappings, ``scenarios`` validated scenarios (a
draft the loader refuses, an unstable one say, is rejected and another drawn).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from hypothesis import reject
from hypothesis import strategies as st

from orgsim.scenario.loader import ScenarioError, validate_mapping
from orgsim.scenario.traffic import solve

KINDS = ("exponential", "deterministic", "gamma", "lognormal", "erlang", "uniform", "triangular")
PRIORITIES = ("fifo", "external_first", "internal_first")


@st.composite
def distributions(draw, low: float = 0.05, high: float = 0.5, *, edge_cases: bool = False):
    """Any distribution of the scenario language with its mean in [low, high].

    *edge_cases* adds a deterministic 0, a cv from 0.1 to 3 (else 0.2 to 1.5),
    erlang k up to 40 (else 1 to 4) and uniform or triangular bounds anywhere
    in [0, 2 high] (else half and one and a half times the mean).
    """
    kind = draw(st.sampled_from(KINDS))
    mean = draw(st.floats(low, high))
    if kind == "exponential":
        return {"dist": kind, "mean": mean}
    if kind == "deterministic":
        return {"dist": kind, "value": draw(st.sampled_from([0.0, mean])) if edge_cases else mean}
    if kind in ("gamma", "lognormal"):
        return {"dist": kind, "mean": mean, "cv": draw(st.floats(0.1, 3.0) if edge_cases else st.floats(0.2, 1.5))}
    if kind == "erlang":
        return {"dist": kind, "mean": mean, "k": draw(st.sampled_from([1, 2, 5, 40]) if edge_cases else st.integers(1, 4))}
    if edge_cases:
        low_, high_ = sorted(draw(st.lists(st.floats(0.0, 2 * high), min_size=2, max_size=2)))
        mode = draw(st.floats(low_, high_))
    else:
        low_, mode, high_ = mean / 2, mean, mean * 1.5
    if kind == "uniform":
        return {"dist": kind, "low": low_, "high": high_}
    return {"dist": kind, "low": low_, "mode": mode, "high": high_}


def staff(raw: dict, utilisation: float) -> dict:
    """*raw* with every department staffed for an offered utilisation of at most about *utilisation*.

    Headcount is ceil(offered load / utilisation) + 1, the load solved on the
    draft; raises ScenarioError when the draft does not validate even when
    allowed to be unstable.
    """
    load = solve(validate_mapping({**raw, "allow_unstable": True})).load
    departments = {d: {**spec, "headcount": math.ceil(load[d] / utilisation) + 1} for d, spec in raw["departments"].items()}
    return {**raw, "departments": departments}


def _none_or(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


@dataclass(frozen=True)
class Profile:
    """The ranges of one profile: strategies, (low, high) means of distributions, or callables of a drawn number."""

    departments: st.SearchStrategy = st.integers(1, 3)
    services: st.SearchStrategy = st.integers(1, 2)  # per department
    headcount: st.SearchStrategy = st.integers(1, 3)  # unless staffed for a utilisation
    department_extras: dict = field(default_factory=dict)
    service_time: tuple[float, float] = (0.05, 0.5)
    defect_rate: st.SearchStrategy = st.sampled_from([0.1, 0.3])
    detection: st.SearchStrategy | None = st.floats(0.0, 1.0)
    max_needs: int = 2  # service needs per service, on later departments
    need_probability: st.SearchStrategy = st.floats(0.0, 1.0)
    suppliers: st.SearchStrategy = st.integers(0, 1)
    lead_time: tuple[float, float] = (0.2, 2.0)
    supplier_extras: dict = field(default_factory=lambda: {"payment_terms": st.just(1.0)})
    segments: st.SearchStrategy = st.integers(1, 2)
    max_steps: int = 3
    routing_weight: st.SearchStrategy = st.floats(0.05, 0.4)
    expectation: st.SearchStrategy = st.floats(0.2, 3.0)
    value: st.SearchStrategy = st.floats(0.0, 10.0)
    segment_extras: dict = field(default_factory=dict)
    rate: st.SearchStrategy = st.floats(0.5, 3.0)
    population: st.SearchStrategy | None = st.integers(20, 200)  # None: Poisson segments only
    rate_per_customer: Callable[[int], st.SearchStrategy] = lambda n: st.floats(0.5, 2.0).map(lambda r: r / n)
    churn: st.SearchStrategy = st.fixed_dictionaries({"ceiling": st.floats(0.0, 0.3), "floor": st.just(0.0)})
    acquisition: st.SearchStrategy = st.fixed_dictionaries({"rate": st.floats(0.0, 0.5)})
    patience: tuple[float, float] = (0.1, 2.0)
    handoff: tuple[float, float] = (0.01, 0.2)
    horizon: st.SearchStrategy = st.sampled_from([80.0, 120.0])
    warmup: Callable[[float], st.SearchStrategy] = lambda horizon: st.sampled_from([0.0, 10.0])
    period: Callable[[float], st.SearchStrategy] = lambda horizon: st.sampled_from([15.0, 20.0, 40.0])
    morale: st.SearchStrategy = st.fixed_dictionaries(
        {"enabled": st.booleans(), "hiring_delay": st.just(5.0), "attrition_rate": st.sampled_from([0.0, 0.05])}
    )
    review: st.SearchStrategy = _none_or(
        st.fixed_dictionaries({"every": st.integers(1, 2), "threshold": st.just(0.05), "transfer_delay": st.just(3.0)})
    )
    min_per_department: st.SearchStrategy | None = None  # drawn with a review
    investments: st.SearchStrategy = st.tuples(st.sampled_from([0, 4]), st.sampled_from([0, 4]))  # training, recognition
    budget: int | None = 40  # None: the headcount plus the investments
    allow_unstable: bool = False


DEFAULT = Profile()
EDGE = replace(
    DEFAULT,
    departments=st.integers(1, 4),
    headcount=st.integers(0, 4),
    department_extras={"skill": st.floats(0.5, 2.0)},
    service_time=(0.02, 1.0),
    defect_rate=st.floats(0.0, 0.6),
    suppliers=st.integers(0, 2),
    lead_time=(0.1, 3.0),
    supplier_extras={"payment_terms": st.floats(0.1, 5.0), "payment_sensitivity": st.floats(0.0, 2.0)},
    segments=st.integers(0, 3),
    routing_weight=st.floats(0.0, 0.45),
    expectation=st.floats(0.1, 5.0),
    value=st.floats(0.0, 100.0),
    segment_extras={"sensitivity": st.floats(0.1, 2.0), "defect_penalty": st.floats(0.0, 5.0), "abandon_score": st.floats(0.0, 10.0)},
    rate=st.floats(0.0, 3.0),
    population=st.integers(0, 300),
    rate_per_customer=lambda n: st.floats(0.0, 0.02),
    churn=st.fixed_dictionaries({"floor": st.just(0.01), "ceiling": st.floats(0.01, 1.0)}),
    acquisition=st.fixed_dictionaries({"rate": st.floats(0.0, 2.0), "word_of_mouth": st.floats(0.0, 2.0)}),
    patience=(0.05, 3.0),
    handoff=(0.01, 0.5),
    horizon=st.floats(5.0, 120.0),
    warmup=lambda horizon: st.sampled_from([0.0, horizon / 3]),
    period=lambda horizon: st.floats(horizon / 12, horizon),
    morale=_none_or(
        st.fixed_dictionaries(
            {"enabled": st.just(True), "initial": st.floats(0.0, 1.0), "attrition_rate": st.floats(0.0, 0.5),
             "hiring_delay": st.floats(0.0, 30.0), "productivity_effect": st.floats(0.0, 2.0), "defect_effect": st.floats(0.0, 3.0)}
        )
    ),  # fmt: skip
    review=_none_or(
        st.fixed_dictionaries({"every": st.integers(1, 3), "threshold": st.floats(0.0, 0.5), "transfer_delay": st.floats(0.0, 20.0)})
    ),
    min_per_department=st.integers(0, 2),
    investments=_none_or(st.tuples(st.integers(0, 2), st.integers(0, 2))),
    budget=None,
    allow_unstable=True,
)
COMPACT = replace(
    DEFAULT,
    departments=st.integers(2, 3),
    services=st.just(1),
    headcount=st.integers(2, 3),
    service_time=(0.2, 0.4),
    defect_rate=st.just(0.1),
    detection=None,
    max_needs=1,
    need_probability=st.sampled_from([0.3, 0.7]),
    suppliers=st.just(0),
    segments=st.just(1),
    max_steps=2,
    routing_weight=st.just(0.2),
    expectation=st.just(1.0),
    value=st.just(5.0),
    rate=st.sampled_from([1.0, 2.0]),
    population=None,
    patience=(0.5, 2.0),
    horizon=st.just(300.0),
    warmup=lambda horizon: st.just(30.0),
    period=lambda horizon: st.just(30.0),
    morale=st.none(),
    review=st.none(),
    investments=st.none(),
)


@st.composite
def organisations(
    draw, *, edge_cases: bool = False, compact: bool = False, patience: bool = True, warmup: bool = True, utilisation: float | None = None
):
    """A raw mapping of a small random organisation; needs point to later departments, so they are acyclic.

    *edge_cases* and *compact* choose the profile (module docstring);
    *patience* False draws no patience, *warmup* False no warm-up;
    *utilisation* staffs every department for that offered utilisation
    (``staff``) instead of drawing its headcount.
    """
    assert not (edge_cases and compact), "one profile at a time"
    p = EDGE if edge_cases else COMPACT if compact else DEFAULT
    names = [f"d{i}" for i in range(draw(p.departments))]
    services = {d: [f"s{k}" for k in range(draw(p.services))] for d in names}
    refs = [f"{d}.{s}" for d in names for s in services[d]]
    suppliers = [f"u{k}" for k in range(draw(p.suppliers))]
    departments = {}
    for i, d in enumerate(names):
        later = [r for r in refs if int(r.split(".")[0][1:]) > i]
        svcs = {}
        for s in services[d]:
            svc = {"time": draw(distributions(*p.service_time, edge_cases=edge_cases))}
            if draw(st.booleans()):
                svc["defect_rate"] = draw(p.defect_rate)
                if p.detection is not None:
                    svc["detection"] = draw(p.detection)
            targets = draw(st.lists(st.sampled_from(later), max_size=p.max_needs, unique=True)) if later else []
            needs = [{"service": target} for target in targets]
            needs += [{"supplier": u} for u in (draw(st.lists(st.sampled_from(suppliers), max_size=1)) if suppliers else [])]
            for need in needs:
                need.update(probability=draw(p.need_probability), hold=draw(st.booleans()))
            if needs:
                svc["needs"] = needs
            svcs[s] = svc
        departments[d] = {"headcount": draw(p.headcount), **draw(st.fixed_dictionaries(p.department_extras)), "services": svcs}
    payers = [r for r in refs if "needs" not in departments[r.split(".")[0]]["services"][r.split(".")[1]]]
    supplier_specs = {}
    for u in suppliers:
        spec = {"lead_time": draw(distributions(*p.lead_time, edge_cases=edge_cases)), **draw(st.fixed_dictionaries(p.supplier_extras))}
        if payers and draw(st.booleans()):
            spec["paid_by"] = draw(st.sampled_from(payers))
        supplier_specs[u] = spec
    segments = {}
    for k in range(draw(p.segments)):
        steps = draw(st.lists(st.sampled_from(refs), min_size=1, max_size=p.max_steps, unique=True))
        journey = []
        for step in steps:
            if draw(st.booleans()):
                targets = draw(st.lists(st.sampled_from(steps), max_size=2, unique=True))
                journey.append({"service": step, "next": {t: draw(p.routing_weight) for t in targets}})
            else:
                journey.append(step)
        seg = {"journey": journey, "expectation": draw(p.expectation), "value": draw(p.value)}
        seg.update(draw(st.fixed_dictionaries(p.segment_extras)))
        if p.population is None or draw(st.booleans()):
            seg["arrivals"] = {"rate": draw(p.rate)}
        else:
            n = draw(p.population)
            seg["arrivals"] = {"population": n, "rate_per_customer": draw(p.rate_per_customer(n))}
            seg["churn"] = draw(p.churn)
            seg["acquisition"] = draw(p.acquisition)
        if patience and draw(st.booleans()):
            seg["patience"] = draw(distributions(*p.patience, edge_cases=edge_cases))
        segments[f"g{k}"] = seg
    horizon = draw(p.horizon)
    raw = {
        "horizon": horizon,
        "warmup": draw(p.warmup(horizon)) if warmup else 0.0,
        "period": draw(p.period(horizon)),
        "departments": departments,
        "segments": segments,
        "policy": {"priority": draw(st.sampled_from(PRIORITIES))},
    }
    if supplier_specs:
        raw["suppliers"] = supplier_specs
    if p.allow_unstable:
        raw["allow_unstable"] = True
    if draw(st.booleans()):
        raw["handoff"] = draw(distributions(*p.handoff, edge_cases=edge_cases))
    morale = draw(p.morale)
    if morale is not None:
        raw["morale"] = morale
    review = draw(p.review)
    if review is not None:
        raw["policy"]["review"] = review
        if p.min_per_department is not None:
            raw["policy"]["min_per_department"] = draw(p.min_per_department)
    investments = draw(p.investments)
    if investments is not None:
        training, recognition = investments
        raw["policy"]["investments"] = {"training": training, "recognition": recognition}
        if p.budget is not None:
            raw["policy"]["budget"] = p.budget
    if utilisation is not None:
        try:
            raw = staff(raw, utilisation)
        except ScenarioError:
            reject()
    if investments is not None and p.budget is None:  # just enough for the staff and the investments
        raw["policy"]["budget"] = sum(spec["headcount"] for spec in raw["departments"].values()) + sum(investments)
    return raw


@st.composite
def scenarios(draw, **options):
    """``organisations(**options)`` validated by the loader; a draft it refuses is rejected and another drawn."""
    try:
        return validate_mapping(draw(organisations(**options)))
    except ScenarioError:
        reject()
