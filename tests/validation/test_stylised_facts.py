"""The fifteen stylised facts of the service-profit chain, one test each, at a reduced size.

The facts, their bands and sources are the ones ``experiments/service_profit_chain.py`` prints at full
size (defined once in ``experiments/stylised_facts.py``).  Here every study runs once, smaller, and each
fact is judged leniently: a band for an estimate with a confidence interval (a correlation over units
by Fisher's z, a ratio by bootstrap or its log standard error) holds when the interval overlaps the band;
the identities hold within 3 standard errors instead of 1.96.  A fact that fails at full size is marked
here with the reason the README gives, and strictly: it fails this file the day it starts to pass.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments"))

from stylised_facts import FACTS, STUDIES, Size  # noqa: E402

# 200 branches of 3 replications: fewer branches make the Fisher interval too wide to tell 0 from the band
REDUCED = Size(replications=60, trace_replications=1, churn_trace_replications=1, units=200, unit_replications=3)
# facts that FAIL at full size (README, "Stylised facts"): the model's mechanism, not the sample, decides them
KNOWN_FAILURES = {
    9: "load drives both; CSAT answers within the period and morale a period later, so CSAT leads engagement",
    12: "output is demand-limited: a branch's local demand raises its output per paid hour and, through load, lowers "
        "its morale; an engaged branch keeps its staff (paid hours), and turnover's cost in speed does not outweigh that",
}


@cache
def study(name: str) -> dict:
    return STUDIES[name](REDUCED)


def test_the_facts_are_the_fifteen_of_the_issue():
    assert [f.number for f in FACTS] == list(range(1, 16))
    assert {f.study for f in FACTS} == set(STUDIES)
    assert all(f.claim and f.expected and f.source for f in FACTS)


@pytest.mark.parametrize("fact", [
    pytest.param(f, id=f"fact{f.number}", marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[f.number])]
                 if f.number in KNOWN_FAILURES else [])
    for f in FACTS
])
def test_fact(fact):
    outcome = fact.judge(study(fact.study), True)
    assert outcome.passed, f"fact {fact.number} ({fact.claim}): {outcome.observed}; expected {fact.expected}"
