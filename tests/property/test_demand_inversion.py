"""The next arrival of a time-varying rate inverts the integrated rate exactly (kernels/demand.py)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from orgsim.kernels.demand import invert
from orgsim.scenario import calendar

HOURS = [f"{h:02d}:00" for h in range(25)]


@st.composite
def tables(draw):
    """A rate table of up to four disjoint windows on random days, some with rate 0."""
    starts = sorted(draw(st.lists(st.integers(0, 23), min_size=1, max_size=4, unique=True)))
    table = {}
    for k, a in enumerate(starts):
        b = draw(st.integers(a + 1, starts[k + 1] if k + 1 < len(starts) else 24))
        days = draw(st.sampled_from(["daily", "mon-fri", "sat", "sun-tue"]))
        table[f"{days} {HOURS[a]}-{HOURS[b]}"] = draw(st.sampled_from([0.0, 0.5, 3.0, 40.0]))
    return table


@settings(max_examples=200, deadline=None)
@given(tables(), st.floats(1, 400), st.floats(0, 1), st.floats(1e-6, 50), st.sampled_from(["hour", "minute", "day"]))
def test_the_integrated_rate_from_t_to_the_next_arrival_is_the_draw(table, horizon, where, x, unit):
    scale = {"hour": 1.0, "minute": 60.0, "day": 1 / 24}[unit]
    p = calendar.profile(table, unit, horizon * scale, start="2025-03-07 05:00")
    t = where * horizon * scale
    n = len(p.breaks)
    for fn in (invert, invert.py_func):  # the compiled engine's and the reference engine's
        arrival = fn(t, x, 0, n, p.breaks, p.rates, p.cumulative)
        if math.isinf(arrival):
            assert p.integral(t, p.breaks[-1]) <= x * (1 + 1e-12)  # not enough demand left before the horizon
        else:
            assert t <= arrival <= p.breaks[-1]
            assert np.isclose(p.integral(t, arrival), x, rtol=1e-9, atol=1e-9 * (1 + p.cumulative[-1]))
