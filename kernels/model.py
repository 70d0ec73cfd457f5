"""The model's formulas, written once for both engines.

Each is a jitted scalar function; the SimPy engine calls ``f.py_func`` (the
plain Python original) and the numba engine calls ``f`` itself, so the two
engines cannot drift apart.  The README's "Model" section states them.
"""

import math

from numba import njit


@njit(cache=True, forceinline=False)
def satisfaction(sojourn, expectation, sensitivity, escaped_defects, defect_penalty):
    """Score s in [0, 10] of a completed order: 10 exp(-k max(0, T/E - 1)) - penalty x escaped defects."""
    late = sojourn / expectation - 1.0
    on_time = 10.0 if late <= 0.0 else 10.0 * math.exp(-sensitivity * late)  # (exp(-0) = 1 exactly: no call)
    return min(10.0, max(0.0, on_time - defect_penalty * escaped_defects))


@njit(cache=True, forceinline=False)
def nps_class(score):
    """+1 promoter (rounded score 9-10), -1 detractor (0-6), 0 passive (7-8)."""
    r = math.floor(score + 0.5)
    if r >= 9:
        return 1
    if r <= 6:
        return -1
    return 0


@njit(cache=True, forceinline=False)
def churn_probability(score, floor, ceiling, midpoint, steepness):
    """Chance a customer leaves after an order scored *score*: a logistic curve, high for detractors."""
    return floor + (ceiling - floor) / (1.0 + math.exp(steepness * (score - midpoint)))


@njit(cache=True, forceinline=False)
def churns(u, score, floor, ceiling, midpoint, steepness):
    """Whether a customer with uniform draw *u* leaves: ``u < churn_probability(...)``, exactly.

    The curve lies between ``floor`` and ``floor + (ceiling - floor)`` (in
    floating point too: each operation rounds monotonically), so a draw
    outside those bounds decides without evaluating ``exp``: about 70 % of
    draws at the default curve.
    """
    top = floor + (ceiling - floor)
    if u >= max(floor, top):
        return False
    if u < min(floor, top):
        return True
    return u < churn_probability(score, floor, ceiling, midpoint, steepness)


@njit(cache=True, forceinline=False)
def acquisition_mean(rate, period, word_of_mouth, last_nps):
    """Expected new customers in a period: rate x period x max(0, 1 + word_of_mouth x NPS / 100)."""
    return rate * period * max(0.0, 1.0 + word_of_mouth * last_nps / 100.0)


@njit(cache=True, forceinline=False)
def morale_next(morale, utilisation, blocked_share, baseline, threshold, load_effect, blocked_effect, adjust_rate,
                challenge_effect):
    """Morale after a period boundary: move a share adjust_rate toward the target that overload and blocking
    lower and, with challenge_effect, unblocked work short of the threshold lowers too (challenge missing)."""
    target = baseline - load_effect * max(0.0, utilisation - threshold) - blocked_effect * blocked_share
    if challenge_effect > 0.0:  # skipped at 0, so the sum is the one without it to the last bit
        target -= challenge_effect * max(0.0, threshold - (utilisation - blocked_share))
    target = min(1.0, max(0.0, target))
    return min(1.0, max(0.0, morale + adjust_rate * (target - morale)))


@njit(cache=True, forceinline=False)
def speed_factor(morale, baseline, productivity_effect):
    """Work speed multiplier from morale (1 at baseline, never below 0.1)."""
    return max(0.1, 1.0 + productivity_effect * (morale - baseline))


@njit(cache=True, forceinline=False)
def ramp_factor(recent_leavers, headcount, newcomer_speed):
    """Department speed multiplier after turnover: recent leavers' posts work at newcomer_speed, the rest at 1."""
    if headcount <= 0:
        return 1.0
    return 1.0 - (1.0 - newcomer_speed) * min(recent_leavers, headcount) / headcount


@njit(cache=True, forceinline=False)
def defect_probability(defect_rate, morale, baseline, defect_effect):
    """Defect chance scaled by morale: defect_rate x exp(defect_effect x (baseline - morale)), at most 1."""
    return min(1.0, defect_rate * math.exp(defect_effect * (baseline - morale)))


@njit(cache=True, forceinline=False)
def attrition_probability(morale, baseline, attrition_rate, attrition_effect):
    """Chance one employee leaves in a period: 1 - exp(-rate x exp(effect x (baseline - morale)))."""
    return 1.0 - math.exp(-attrition_rate * math.exp(attrition_effect * (baseline - morale)))


@njit(cache=True, forceinline=False)
def lead_time_factor(mean_payment_time, payment_terms, payment_sensitivity):
    """Supplier lead-time multiplier from how late it is paid: 1 + sensitivity x max(0, paid/terms - 1)."""
    return 1.0 + payment_sensitivity * max(0.0, mean_payment_time / payment_terms - 1.0)


@njit(cache=True, forceinline=False)
def training_factor(time, share, effect, lag):
    """Skill multiplier from training: 1 + effect x share x (1 - exp(-time / lag))."""
    return 1.0 + effect * share * (1.0 - math.exp(-time / lag))


@njit(cache=True, forceinline=False)
def investment_scale(share, effect):
    """Multiplier exp(-effect x share) applied by tooling to handoff times and defect rates."""
    return math.exp(-effect * share)


@njit(cache=True, forceinline=False)
def recovered_churn_probability(score, floor, ceiling, midpoint, steepness, factor, paradox):
    """Churn chance of a customer a recovery step won back: factor x churn(score), or factor x churn(10) with
    the service-recovery paradox."""
    return factor * churn_probability(10.0 if paradox else score, floor, ceiling, midpoint, steepness)


@njit(cache=True, forceinline=False)
def feedback_lift(weight, last_nps):
    """Morale target lift from shared external feedback: weight x max(0, NPS_last) / 100."""
    return weight * max(0.0, last_nps) / 100.0


@njit(cache=True, forceinline=False)
def learning_factor(completed, scale, exponent):
    """Defect-rate multiplier of continuous improvement after *completed* services: (1 + n / n0)^-b."""
    return (1.0 + completed / scale) ** (-exponent)
