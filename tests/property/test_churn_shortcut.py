"""``model.churns`` decides churn from the uniform draw alone when it can: it must agree with the curve exactly.

Both engines call it after every ended order; a bound off by one rounding
would change which customers leave.  Hypothesis searches curves (rising or
falling, flat, steep) and draws, including draws equal to the bounds.
"""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from orgsim.kernels import model

prob = st.floats(0.0, 1.0)
curve = st.tuples(prob, prob, st.floats(0.0, 10.0), st.floats(-20.0, 20.0))


def _bounds(floor, ceiling):
    top = floor + (ceiling - floor)
    return [floor, top, min(floor, top), max(floor, top)]


@settings(deadline=None)  # the first example compiles the jitted rule; a timing bound would only measure the machine
@given(st.data(), st.floats(0.0, 10.0), curve)
@example(data=None, score=10.0, c=(0.005, 0.3, 6.5, 1.5))
@example(data=None, score=0.0, c=(0.3, 0.005, 6.5, 1.5))
@example(data=None, score=6.5, c=(0.1, 0.7, 6.5, 0.0))
@example(data=None, score=0.0, c=(0.1, 0.30000000000000004, 6.5, 40.0))
def test_churns_is_u_below_the_churn_probability(data, score, c):
    floor, ceiling, midpoint, steepness = c
    draws = _bounds(floor, ceiling) + [0.5, 1e-12, 1.0 - 1e-12]
    if data is not None:
        draws.append(data.draw(st.floats(0.0, 1.0, exclude_max=True)))
    for u in draws:
        expected = u < model.churn_probability.py_func(score, floor, ceiling, midpoint, steepness)
        assert model.churns(u, score, floor, ceiling, midpoint, steepness) == expected, u  # the numba engine's
        assert model.churns.py_func(u, score, floor, ceiling, midpoint, steepness) == expected, u  # the reference's
