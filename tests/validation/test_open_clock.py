"""Patience on the open clock and suppliers on a calendar, against exact results, and the engines against each other.

Exact results (README "Model", "Patience", "Needs"):

- *An overnight queue.*  Orders arrive only while an office is closed
  (Poisson, rate 1 an hour, 00:00-09:00 on weekdays) and queue for one clerk
  who works 09:00-17:00; their patience (exponential, rate theta) runs on the
  open clock, so all of it is left at 09:00.  From then on nothing arrives:
  with the clerk busy (rate mu) and n waiting, the next event is a completion
  or one of n abandonments, so the abandonments expected from n waiting are
  A(n) = sum_{k=1..n} k theta / (mu + k theta), and a day with Q orders
  (Q ~ Poisson(9)) expects A(Q - 1).  Nobody abandons while the office is
  closed, on either engine, hour by hour.
- *Lead times in open hours.*  A supplier on office hours (and a holiday)
  delivers a deterministic lead time after the request, counting open time
  only: the mean response over requests sent uniformly in time is checked
  against a walk over the open intervals written by hand.

The engines are compared with Welch's t on every metric of a firm with shifts,
an office, both patience clocks and a supplier on a calendar, at ALPHA over the
module's comparisons (Bonferroni).
"""

import math

import agreement
import numpy as np
import pytest
from open_walk import walk_advance
from scipy import stats

import orgsim
from orgsim.scenario.loader import validate_mapping

ALPHA = 0.001
COMPARISONS = 80  # one firm, at most 80 metrics (two segments)
MU, THETA, RATE = 6.0, 2.0, 1.0  # service rate, abandonment rate, night arrivals an hour
DAYS = 10  # weekdays in two weeks from Monday


def overnight(clock: str) -> dict:
    return {
        "time_unit": "hour", "horizon": 336.0, "period": 1.0,
        "calendars": {"office": ["mon-fri 09:00-17:00"]},
        "departments": {"clerk": {"calendar": "office", "headcount": 1,
                                  "services": {"reply": {"time": {"dist": "exponential", "mean": 1 / MU}}}}},
        "segments": {"emails": {"arrivals": {"rate": {"mon-fri 00:00-09:00": RATE}}, "journey": ["clerk.reply"],
                                "expectation": 8.0, "patience": {"dist": "exponential", "mean": 1 / THETA},
                                "patience_clock": clock}},
    }


def expected_abandoned_per_day() -> float:
    """E[A(max(Q - 1, 0))], Q ~ Poisson(9 x RATE): the pure-death chain from 09:00 (module docstring)."""
    k = np.arange(1, 80)
    a = np.concatenate(([0.0], np.cumsum(k * THETA / (MU + k * THETA))))  # A(0), A(1), ...
    q = np.arange(0, 80)
    return float(np.sum(stats.poisson.pmf(q, 9 * RATE) * a[np.maximum(q - 1, 0)]))


def _closed_hours() -> np.ndarray:
    hours = np.arange(336)
    day, hour = hours // 24, hours % 24
    return ~((day % 7 < 5) & (hour >= 9) & (hour < 17))


@pytest.mark.parametrize("engine,reps", [("simpy", 300), ("numba", 4000)])
def test_an_overnight_queue_abandons_as_the_pure_death_chain_says(engine, reps):
    res = orgsim.run(validate_mapping(overnight("open")), engine=engine, replications=reps, seed=5)
    abandoned = res.values["external.abandoned"]
    expected = DAYS * expected_abandoned_per_day()
    se = abandoned.std(ddof=1) / math.sqrt(reps)
    assert abs(abandoned.mean() - expected) < 4 * se, (abandoned.mean(), expected, se)
    assert res.values["external.arrivals"].mean() == pytest.approx(DAYS * 9 * RATE, rel=4 / math.sqrt(reps * 90))


@pytest.mark.parametrize("engine", ["simpy", "numba"])
def test_nobody_abandons_while_closed_on_the_open_clock(engine):
    ts = {clock: orgsim.run(validate_mapping(overnight(clock)), engine=engine, replications=8, seed=6).timeseries()
          for clock in ("open", "wall")}

    def per_hour(t):
        t = t[t.metric == "external.abandoned"].pivot(index="replication", columns="period", values="value")
        return t.to_numpy()

    closed = _closed_hours()
    assert np.all(per_hour(ts["open"])[:, closed] == 0.0)
    assert per_hour(ts["open"])[:, ~closed].sum() > 0.0  # ... they do once it is open
    assert per_hour(ts["wall"])[:, closed].sum() > 0.0  # on the wall clock the night wears patience out


# ---------------------------------------------------------------- lead times in open hours

LEAD = 3.0
HOLIDAY_DAY = 2  # Wednesday 8 January 2025 (t = 0 is Monday 6 January 00:00)


def _open_intervals(horizon: float) -> list[tuple[float, float]]:
    """Mon-Fri 09:00-17:00 over [0, horizon] hours, without the holiday, by hand."""
    out = []
    for day in range(int(horizon // 24) + 1):
        if day % 7 < 5 and day != HOLIDAY_DAY:
            out.append((24.0 * day + 9.0, 24.0 * day + 17.0))
    return out


def expected_response(horizon: float) -> float:
    """Mean response of requests sent uniformly over [0, horizon] and delivered by the horizon (midpoint rule)."""
    intervals = _open_intervals(horizon)
    step = 1 / 240
    sent = np.arange(step / 2, horizon, step)
    resp = np.array([walk_advance(intervals, s, LEAD) - s for s in sent])
    counted = sent + resp <= horizon
    return float(resp[counted].mean())


def supplied(rate: float = 2.0) -> dict:
    return {
        "time_unit": "hour", "horizon": 336.0, "period": 24.0,
        "clock": {"start": "2025-01-06 00:00"}, "holidays": ["2025-01-08"],
        "calendars": {"office": ["mon-fri 09:00-17:00"]},
        "departments": {"desk": {"headcount": 2, "services": {"order": {
            "time": {"dist": "deterministic", "value": 0.0}, "needs": [{"supplier": "parts", "probability": 1.0}]}}}},
        "suppliers": {"parts": {"lead_time": {"dist": "deterministic", "value": LEAD}, "calendar": "office"}},
        "segments": {"buyers": {"arrivals": {"rate": rate}, "journey": ["desk.order"], "expectation": 10.0}},
    }


@pytest.mark.parametrize("engine,reps", [("simpy", 60), ("numba", 600)])
def test_lead_times_count_open_hours_only(engine, reps):
    res = orgsim.run(validate_mapping(supplied()), engine=engine, replications=reps, seed=7)
    resp = res.values["internal.desk.parts.response_mean"]
    expected = expected_response(336.0)
    assert expected > 3 * LEAD  # most of the week is closed: the calendar matters
    se = resp.std(ddof=1) / math.sqrt(reps)
    assert abs(resp.mean() - expected) < 4 * se + 0.002 * expected, (resp.mean(), expected, se)


# ---------------------------------------------------------------- the engines against each other

FIRM = {
    "time_unit": "hour", "horizon": 336, "warmup": 24, "period": 24, "clock": {"start": "2025-03-03 00:00"},
    "holidays": ["2025-03-07"],
    "calendars": {"office": ["mon-fri 09:00-12:30", "mon-fri 13:00-17:00"],
                  "early": ["mon-fri 07:00-15:00"], "late": ["mon-fri 13:00-21:00", "sat 09:00-13:00"]},
    "departments": {
        "support": {"shifts": [{"calendar": "early", "headcount": 3}, {"calendar": "late", "headcount": 2}],
                    "services": {"help": {"time": {"dist": "exponential", "mean": 0.4},
                                          "needs": [{"service": "finance.check", "probability": 0.2}]}}},
        "finance": {"calendar": "office", "headcount": 2,
                    "services": {"check": {"time": {"dist": "gamma", "mean": 0.4, "cv": 0.7},
                                           "needs": [{"supplier": "parts", "probability": 0.3}]},
                                 "pay": {"time": {"dist": "exponential", "mean": 0.2}}}},
    },
    "suppliers": {"parts": {"lead_time": {"dist": "gamma", "mean": 6.0, "cv": 0.5}, "calendar": "office",
                            "paid_by": "finance.pay"}},
    "segments": {
        "callers": {"arrivals": {"rate": {"mon-fri 08:00-12:00": 6.0, "mon-fri 12:00-20:00": 3.0}},
                    "journey": ["support.help"], "expectation": 1.0, "patience": {"dist": "exponential", "mean": 0.5}},
        "emails": {"arrivals": {"rate": 2.0}, "journey": ["support.help", "finance.check"], "expectation": 12.0,
                   "patience": {"dist": "exponential", "mean": 3.0}, "patience_clock": "open"},
    },
    "allow_unstable": True,
}


def test_engines_agree_with_both_patience_clocks_and_a_supplier_on_a_calendar():
    scenario = validate_mapping(FIRM)
    ref = orgsim.run(scenario, engine="simpy", replications=60, seed=51)
    fast = orgsim.run(scenario, engine="numba", replications=60, seed=52)
    assert not agreement.disagreements(ref, fast, ALPHA / COMPARISONS, COMPARISONS)
    for res in (ref, fast):  # both clocks lose orders, and the calendar slows deliveries past the lead time
        assert res.values["segment.callers.abandoned"].mean() > 0.0
        assert res.values["segment.emails.abandoned"].mean() > 0.0
        assert res.values["internal.finance.parts.response_mean"].mean() > 6.0
