"""Fit every distribution family orgsim simulates to observed times by maximum likelihood; keep the best by AIC.

Each fit is a dict in the scenario's own words (``{"dist": "gamma", "mean": .., "cv": ..}``) with its
log-likelihood, AIC (2 x parameters - 2 x log-likelihood) and the Kolmogorov-Smirnov statistic of
the sample against the fitted law.  A sample in which one value (to the second) holds at least half
of the events has an atom no density describes: then the families are ranked by their KS statistic
instead, the deterministic law at that value among them.  Times of zero (an instant event) are raised to ``FLOOR`` (one
second, in hours) first, since the gamma, lognormal and Erlang laws give zero no density.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

FLOOR = 1.0 / 3600.0
ATOM_SHARE = 0.5


@dataclass(frozen=True)
class Fit:
    """One family fitted to a sample: the scenario distribution, its log-likelihood, AIC and KS statistic, and the
    fitted law (scipy, for its density; none for a deterministic law)."""

    dist: dict
    loglik: float
    aic: float
    ks: float
    law: object = field(default=None, compare=False, repr=False)


def _gamma(x: np.ndarray) -> tuple[dict, object, int]:
    shape, _, scale = stats.gamma.fit(x, floc=0.0)
    return {"dist": "gamma", "mean": shape * scale, "cv": 1.0 / math.sqrt(shape)}, stats.gamma(shape, scale=scale), 2


def _lognormal(x: np.ndarray) -> tuple[dict, object, int]:
    logs = np.log(x)
    mu, sigma = float(logs.mean()), float(max(logs.std(), 1e-9))
    law = stats.lognorm(sigma, scale=math.exp(mu))
    return {"dist": "lognormal", "mean": math.exp(mu + sigma**2 / 2), "cv": math.sqrt(math.expm1(sigma**2))}, law, 2


def _erlang(x: np.ndarray) -> tuple[dict, object, int]:
    shape = stats.gamma.fit(x, floc=0.0)[0]
    best = None
    for k in {max(1, math.floor(shape)), max(1, math.ceil(shape))}:
        k = min(k, 1000)
        law = stats.gamma(k, scale=x.mean() / k)  # for a fixed k the mean is the MLE
        ll = float(law.logpdf(x).sum())
        if best is None or ll > best[0]:
            best = (ll, {"dist": "erlang", "mean": float(x.mean()), "k": int(k)}, law)
    return best[1], best[2], 2


def _exponential(x: np.ndarray) -> tuple[dict, object, int]:
    return {"dist": "exponential", "mean": float(x.mean())}, stats.expon(scale=x.mean()), 1


def _uniform(x: np.ndarray) -> tuple[dict, object, int]:
    low, high = float(x.min()), float(x.max())
    return {"dist": "uniform", "low": low, "high": high}, stats.uniform(low, high - low), 2


def _triangular(x: np.ndarray) -> tuple[dict, object, int]:
    low, high = float(x.min()), float(x.max())
    modes = np.quantile(x, np.linspace(0.0, 1.0, 41))  # the mode's MLE lies at a sample point: search a grid of them
    shapes = (modes - low) / (high - low)
    ll = stats.triang.logpdf(x[:, None], shapes[None, :], loc=low, scale=high - low).sum(axis=0)  # one column a mode
    best = int(np.argmax(ll))  # the first of equals, as a search in grid order keeps it
    law = stats.triang(shapes[best], loc=low, scale=high - low)
    return {"dist": "triangular", "low": low, "mode": float(modes[best]), "high": high}, law, 3


FAMILIES = (_exponential, _gamma, _lognormal, _erlang, _uniform, _triangular)


def fit_all(times) -> list[Fit]:
    """Every family fitted to *times* (hours), best (lowest AIC) first; a constant sample is deterministic."""
    x = np.maximum(np.asarray(times, dtype=float), FLOOR)
    if len(x) == 0:
        return []
    if np.ptp(x) <= 1e-9 * max(1.0, x.mean()) or len(x) < 2:
        return [Fit({"dist": "deterministic", "value": float(f"{x.mean():.6g}")}, math.inf, -math.inf, 0.0)]
    fits = [_atom(x)] if _has_atom(x) else []
    for family in FAMILIES:
        with np.errstate(all="ignore"):
            dist, law, k = family(x)
            ll = float(law.logpdf(x).sum())
        if not math.isfinite(ll):
            continue
        ks = float(stats.kstest(x, law.cdf).statistic)
        fits.append(Fit({key: (float(f"{v:.6g}") if isinstance(v, float) else v) for key, v in dist.items()}, ll, 2 * k - 2 * ll, ks, law))
    return sorted(fits, key=(lambda f: f.ks) if fits and fits[0].dist["dist"] == "deterministic" else (lambda f: f.aic))


def _has_atom(x: np.ndarray) -> bool:
    """Whether one value (to the second) holds at least ATOM_SHARE of the sample: then no density fits it."""
    return np.unique(np.round(x * 3600.0), return_counts=True)[1].max() >= ATOM_SHARE * len(x)


def _atom(x: np.ndarray) -> Fit:
    """The deterministic law at the atom (the most common value, to the second), with its KS statistic."""
    seconds, counts = np.unique(np.round(x * 3600.0), return_counts=True)
    value = float(seconds[np.argmax(counts)] / 3600.0)
    x = np.where(np.abs(x - value) < 0.5 / 3600.0, value, x)
    ks = float(max(np.mean(x < value), np.mean(x > value)) if np.any(x != value) else 0.0)
    return Fit({"dist": "deterministic", "value": float(f"{value:.6g}")}, math.nan, math.nan, ks)
