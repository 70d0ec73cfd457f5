"""People and output measures: engagement and its survey, turnover, vacancies, productivity.

They are opt-in (a scenario's ``measures:`` block) and derived from the accumulator blocks both engines
fill: each period's morale and headcount at its end, the leavers drawn at its closing boundary and the
services completed in it; employee time present.  The survey is the one measure with randomness of its
own: it reads the period rows with a stream per department (``survey/<dept>``) seeded from (seed,
replication), so drawing it moves no other stream and gives the same answers whichever engine filled the
rows.  The README's Model section ("Measures") states every definition.
"""

from __future__ import annotations

import math

import numpy as np

from orgsim.kernels import streams
from orgsim.ratio import ratio as _ratio


def _total(x: np.ndarray) -> np.ndarray:
    """Per replication (first axis), the correctly rounded sum of everything else: the same float whatever
    the batch a replication came in (a NumPy sum over several axes can add in another order for another shape)."""
    return np.array([math.fsum(row) for row in np.reshape(x, (x.shape[0], -1))])


def counted_periods(n_periods: int, period: float, warmup: float) -> np.ndarray:
    """Which period ends are counted in a summary: those at or after warm-up (the last one ends at the horizon)."""
    ends = (np.arange(n_periods) + 1) * period
    ends[-1] = np.inf  # the horizon: never before warm-up
    return ends >= warmup


def _boundaries(st, n_periods: int) -> np.ndarray:
    """The time of the boundary that closes each period (the last, closed by the horizon, draws nobody)."""
    return (np.arange(n_periods) + 1.0) * st.period


def _vacancy_ends(st, n_periods: int) -> np.ndarray:
    """When the slots vacated at each period's closing boundary are filled again: ``hiring_delay`` later."""
    return _boundaries(st, n_periods) + st.hiring_delay


def _period_overlaps(st, n_periods: int) -> np.ndarray:
    """``W[k, q]``: how long a slot vacated at period *k*'s closing boundary stays vacant within period *q*."""
    starts = np.arange(n_periods) * st.period
    ends = np.minimum(starts + st.period, st.horizon)
    lo = np.maximum(_boundaries(st, n_periods)[:, None], starts[None, :])
    hi = np.minimum(_vacancy_ends(st, n_periods)[:, None], ends[None, :])
    return np.clip(hi - lo, 0.0, None)


def _vacant_slot_time(leavers: np.ndarray, st, overlaps: np.ndarray) -> np.ndarray:
    """Vacant slot time of departments on a calendar, per replication, column of *overlaps* and department.

    Without a review a slot is vacant exactly from the boundary that drew its leaver until ``hiring_delay``
    later, so the slot time lost is the period rows' leavers times each vacancy's overlap with the window.
    Summed boundary by boundary in period order, element by element, so a replication's value never depends
    on the batch it came in.
    """
    out = np.zeros(leavers.shape[:1] + overlaps.shape[1:] + leavers.shape[2:])
    for k in np.flatnonzero(overlaps.any(axis=1)):
        for q in np.flatnonzero(overlaps[k]):
            out[:, q] += leavers[:, k] * overlaps[k, q]
    return out


def survey(p: dict[str, np.ndarray], survey, departments, seed: int, replications) -> tuple[np.ndarray, np.ndarray]:
    """Sum and number of survey answers per replication, period and department (zeros where no survey).

    At the end of every ``every``-th period each of the department's employees present answers with
    probability ``response_rate``; an answer is the department's morale plus N(0, ``noise_sd``), clipped to
    [0, 1].  Per replication and department, stream ``survey/<dept>`` draws the number answering in each
    surveyed period (binomial), then every answer's noise in period order.
    """
    heads = p["dept_headcount"]
    morale = p["dept_morale"]
    n_rep, n_per, n_dep = heads.shape
    sums = np.zeros(heads.shape)
    counts = np.zeros(heads.shape)
    asked = np.arange(survey.every - 1, n_per, survey.every)
    for i, rep in enumerate(np.asarray(replications).reshape(-1)):
        for d, name in enumerate(departments):
            rng = streams.generator(seed, int(rep), f"survey/{name}")
            answered = rng.binomial(heads[i, asked, d].astype(np.int64), survey.response_rate)
            noise = rng.standard_normal(int(answered.sum())) * survey.noise_sd
            answers = np.clip(np.repeat(morale[i, asked, d], answered) + noise, 0.0, 1.0)
            which = np.repeat(np.arange(asked.size), answered)
            sums[i, asked, d] = np.bincount(which, weights=answers, minlength=asked.size)
            counts[i, asked, d] = answered
    return sums, counts


def per_period(p: dict[str, np.ndarray], st, lengths: np.ndarray, answers=None) -> dict[str, np.ndarray]:
    """The measures per replication and period (a period's leavers are those its closing boundary drew; the
    last period, which the horizon closes, has no turnover)."""
    m, out = st.measures, {}
    heads = p["dept_headcount"]
    if m.engagement:
        out["firm.engagement"] = _ratio((p["dept_morale"] * heads).sum(-1), heads.sum(-1))
    if answers is not None:
        sums, counts = answers
        asked = np.zeros(heads.shape[1], dtype=bool)
        asked[m.survey.every - 1 :: m.survey.every] = True
        out["firm.engagement_survey"] = _ratio(sums.sum(-1), counts.sum(-1))
        out["firm.survey_responses"] = np.where(asked, counts.sum(-1), np.nan)
    vacant = _vacant_slot_time(p["dept_leavers"], st, _period_overlaps(st, lengths.size)) if m.turnover else None
    for i, d in enumerate(st.departments):
        if m.turnover and st.rostered[i] and not st.review:  # on a calendar: per filled slot, on duty or not
            turnover = _ratio(p["dept_leavers"][..., i] * st.year, st.heads[i] * lengths - vacant[..., i])
            turnover[..., -1] = np.nan
            out[f"dept.{d}.turnover"] = turnover
            out[f"dept.{d}.vacancy_time"] = vacant[..., i] / lengths
        elif m.turnover and not st.rostered[i]:
            turnover = _ratio(p["dept_leavers"][..., i] * st.year, p["dept_available"][..., i])
            turnover[..., -1] = np.nan  # the horizon closes the last period without a boundary: nobody is drawn
            out[f"dept.{d}.turnover"] = turnover
            if not st.review:
                out[f"dept.{d}.vacancy_time"] = st.heads[i] - _ratio(p["dept_available"][..., i], lengths)
        if m.productivity:
            out[f"dept.{d}.productivity"] = _ratio(p["dept_done"][..., i], p["dept_available"][..., i])
    if m.productivity:
        out["firm.productivity"] = _ratio(p["seg_completed"].sum(-1), p["dept_available"].sum(-1))
    return out


def summary(b: dict[str, np.ndarray], p: dict[str, np.ndarray], st, answers=None) -> dict[str, np.ndarray]:
    """The measures per replication, after warm-up: from the row blocks *b* and the period blocks *p*."""
    m, out = st.measures, {}
    keep = counted_periods(p["dept_headcount"].shape[1], st.period, st.horizon - st.counted)
    heads = p["dept_headcount"][:, keep]
    if m.engagement:
        out["firm.engagement"] = _ratio(_total(p["dept_morale"][:, keep] * heads), _total(heads))
    if answers is not None:
        asked = np.zeros(keep.shape, dtype=bool)
        asked[m.survey.every - 1 :: m.survey.every] = True
        sums, counts = (_total(a[:, keep & asked]) for a in answers)
        out["firm.engagement_survey"] = _ratio(sums, counts)
        out["firm.survey_responses"] = _ratio(counts, np.full(counts.shape[0], float((keep & asked).sum())))
    leavers = p["dept_leavers"][:, keep].sum(1)
    n_periods = p["dept_leavers"].shape[1]
    if m.turnover:
        after = np.clip(np.minimum(_vacancy_ends(st, n_periods), st.horizon) - np.maximum(_boundaries(st, n_periods),
                                                                                          st.horizon - st.counted), 0, None)
        vacant = _vacant_slot_time(p["dept_leavers"], st, after[:, None])[:, 0]
    for i, d in enumerate(st.departments):
        if m.turnover and st.rostered[i] and not st.review:
            out[f"dept.{d}.turnover"] = _ratio(leavers[:, i] * st.year, st.heads[i] * st.counted - vacant[:, i])
            out[f"dept.{d}.vacancy_time"] = vacant[:, i] / st.counted
        elif m.turnover and not st.rostered[i]:
            out[f"dept.{d}.turnover"] = _ratio(leavers[:, i] * st.year, b["dept_available"][:, i])
            if not st.review:
                out[f"dept.{d}.vacancy_time"] = st.heads[i] - b["dept_available"][:, i] / st.counted
        if m.productivity:
            out[f"dept.{d}.productivity"] = _ratio(b["dept_done"][:, i], b["dept_available"][:, i])
    if m.productivity:
        out["firm.productivity"] = _ratio(b["seg_completed"].sum(-1), b["dept_available"].sum(-1))
    return out
