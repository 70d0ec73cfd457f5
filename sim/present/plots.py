"""Every figure orgsim draws, in one place (engines and commands never import matplotlib).

The backend is left to matplotlib: Agg on a machine without a display, inline in a notebook.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np

from orgsim import metrics


def _literal(text) -> str:
    """User-written text (policy labels, time units, metric names) shown as written: a `$` never starts math."""
    return str(text).replace("$", r"\$")


def to_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _period_band(res, metric: str):
    """Period end times, and the per-period mean over replications with its 95 % normal-approximation half-width."""
    n, s, ss = res.period_sums[metric]
    mean = np.divide(s, n, out=np.full_like(s, np.nan), where=n > 0)
    var = np.divide(ss - n * mean**2, n - 1, out=np.full_like(s, np.nan), where=n > 1)
    half = 1.96 * np.sqrt(np.maximum(var, 0) / np.maximum(n, 1))
    return (np.arange(len(n)) + 1) * res.scenario.period, mean, half


def series_over_time(comparison, metric: str = "external.nps"):
    """A metric per period for each plan (policies sharing one plan are one line, named by all), mean with a 95 % band."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    unit = None
    for label in comparison.labels:
        res = comparison.results[label]
        unit = res.scenario.time_unit
        mean, low, high = metrics.period_interval(res.period_sums[metric], metric)
        t = (np.arange(len(mean)) + 1) * res.scenario.period
        ax.plot(t, mean, label=_literal(comparison.title(label)))
        ax.fill_between(t, low, high, alpha=0.2)
        ax.axvline(res.scenario.warmup, color="grey", lw=0.8, ls=":")
    ax.set_title(_literal(f"{metric} per period, by policy (95 % band; dotted: end of warm-up)"))
    ax.set_xlabel(_literal(f"time ({unit}s, end of period)"))
    ax.set_ylabel(_literal(metric))
    ax.legend(fontsize=8)
    return fig


def forest(comparison):
    """Paired differences of each policy against the best, with 95 % CIs."""
    s = comparison.stats
    labels = s["ranking"]
    d = [s["differences"][k] for k in labels]
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(labels)))
    y = np.arange(len(labels))[::-1]
    means = np.array([x["mean"] for x in d])
    lo = np.array([x["ci_low"] for x in d])
    hi = np.array([x["ci_high"] for x in d])
    ax.errorbar(means, y, xerr=[means - lo, hi - means], fmt="o", capsize=4)
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(y, [_literal(comparison.title(label)) for label in labels])
    ax.set_title(_literal(f"Paired difference in {comparison.metric} against the best ({comparison.title(s['best'])}), 95 % CI"))
    ax.set_xlabel(_literal(f"{comparison.metric}: policy minus best"))
    return fig


def department_heatmap(comparison, key: str):
    """Mean of dept.<d>.<key> for every department (rows) and policy (columns)."""
    labels = comparison.labels
    depts = list(comparison.results[labels[0]].scenario.departments)
    grid = np.array(
        [[np.nanmean(comparison.results[p].values.get(f"dept.{d}.{key}", [np.nan])) for p in labels] for d in depts]
    )
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(labels), 0.8 + 0.4 * len(depts)))
    im = ax.imshow(grid, cmap="RdYlGn_r" if key == "utilisation" else "RdYlGn", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(labels)), [_literal(comparison.title(label)) for label in labels], rotation=30, ha="right")
    ax.set_yticks(range(len(depts)), [_literal(d) for d in depts])
    for i in range(len(depts)):
        for j in range(len(labels)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label=_literal(f"{key} (0-1)"))
    ax.set_title(_literal(f"Department {key} by policy"))
    return fig


def response_matrix(result):
    """Who waits on whom: mean response time of each internal supplier to each internal customer."""
    sc = result.scenario
    customers = list(sc.departments)
    targets = list(sc.departments) + list(sc.suppliers)
    grid = np.full((len(customers), len(targets)), np.nan)
    for i, c in enumerate(customers):
        for j, t in enumerate(targets):
            v = result.values.get(f"internal.{c}.{t}.response_mean")
            if v is not None:
                grid[i, j] = np.nanmean(v)
    keep_r = ~np.all(np.isnan(grid), axis=1)
    keep_c = ~np.all(np.isnan(grid), axis=0)
    fig, ax = plt.subplots(figsize=(1.5 + 0.9 * max(1, keep_c.sum()), 1 + 0.45 * max(1, keep_r.sum())))
    if keep_r.any():
        sub = grid[keep_r][:, keep_c]
        im = ax.imshow(sub, cmap="Oranges", aspect="auto")
        rows = [c for c, k in zip(customers, keep_r) if k]
        cols = [t for t, k in zip(targets, keep_c) if k]
        ax.set_xticks(range(len(cols)), [_literal(c) for c in cols], rotation=30, ha="right")
        ax.set_yticks(range(len(rows)), [_literal(r) for r in rows])
        for i in range(sub.shape[0]):
            for j in range(sub.shape[1]):
                if np.isfinite(sub[i, j]):
                    ax.text(j, i, f"{sub[i, j]:.2g}", ha="center", va="center", fontsize=8)
        fig.colorbar(im, ax=ax, label=_literal(f"mean response ({sc.time_unit}s)"))
    ax.set_xlabel("internal supplier")
    ax.set_ylabel("internal customer")
    ax.set_title("Who waits on whom: mean response time")
    return fig


def period_panels(result, names: list[str], title: str):
    """One panel per metric of one run: the per-period mean with a 95 % band, the warm-up (dotted), MSER-5's
    suggested warm-up (dashed) and, after the warm-up, the mean of each part the drift test compares (red when it moves)."""
    sc = result.scenario
    drift = result.drift or {}
    cols = 2 if len(names) > 1 else 1
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(9, 2.3 * rows + 0.6), squeeze=False, sharex=True)
    for ax, name in zip(axes.flat, names):
        t, mean, half = _period_band(result, name)
        ax.plot(t, mean, lw=1.2)
        ax.fill_between(t, mean - half, mean + half, alpha=0.25)
        ax.axvline(sc.warmup, color="grey", lw=0.8, ls=":")
        d = drift.get(name)
        if d is not None and d.mser5_warmup is not None and d.mser5_warmup != sc.warmup:
            ax.axvline(d.mser5_warmup, color="tab:purple", lw=0.8, ls="--")
        if d is not None and d.test is not None:
            edges = d.edges()
            ax.hlines(d.test.means, edges[:-1], edges[1:], colors="tab:red" if d.test.trending else "0.4",
                      lw=2 if d.test.trending else 1, ls="-" if d.test.trending else "--")
        ax.set_title(_literal(name + ("  (still moves)" if d is not None and d.test is not None and d.test.trending else "")),
                     fontsize=9, color="tab:red" if d is not None and d.test is not None and d.test.trending else "black")
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(_literal(f"time ({sc.time_unit}s, end of period)"), fontsize=8)
    fig.suptitle(_literal(f"{title}: mean per period with 95 % band"), fontsize=10)
    fig.tight_layout()
    return fig


def week_heatmap(profile, names: list[str]):
    """One panel per metric of an hour-of-week profile (``RunResult.profile()``): days (rows) by hours (columns),
    each cell the mean over replications; a blank cell has no value (nothing arrived or ended in that hour)."""
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 2.1 * len(names) + 0.4), squeeze=False)
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    for ax, name in zip(axes[:, 0], names):
        grid = profile[profile.metric == name].sort_values("hour_of_week")["mean"].to_numpy(dtype=float).reshape(7, 24)
        low, high = metrics.bounds(name)
        finite = grid[np.isfinite(grid)]
        top = high if np.isfinite(high) else (finite.max() if finite.size and finite.max() > low else low + 1.0)
        im = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", vmin=low, vmax=top, aspect="auto")
        ax.set_yticks(range(7), days, fontsize=8)
        ax.set_xticks(range(0, 24, 3), [f"{h:02d}:00" for h in range(0, 24, 3)], fontsize=8)
        ax.set_title(_literal(name), fontsize=9)
        fig.colorbar(im, ax=ax, pad=0.01)
    fig.suptitle("Mean per hour of the week (hour 0 = Monday 00:00 on the scenario's clock)", fontsize=10)
    fig.tight_layout()
    return fig


def week_rates(series: dict[str, np.ndarray], ylabel: str):
    """Rates by hour of the week (168 values each, Monday 00:00 first), one step line per name."""
    fig, ax = plt.subplots(figsize=(9, 2.8))
    for name, week in series.items():
        ax.step(np.arange(168), week, where="post", label=_literal(name))
    ax.set_xticks(np.arange(0, 168, 24), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return fig
