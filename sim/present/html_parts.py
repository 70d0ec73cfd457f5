"""What every HTML report of orgsim shares: the page style, an embedded figure, a number as shown."""

from __future__ import annotations

import base64
import html

import numpy as np

from orgsim.present import plots

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35em 0.5em; text-align: left; }
figure { margin: 1.5em 0; } img { max-width: 100%; }"""


def figure(fig, alt: str, ident: str) -> str:
    """A matplotlib figure as an embedded PNG (no file beside the report, no network), its text as caption."""
    data = base64.b64encode(plots.to_png(fig)).decode("ascii")
    alt = html.escape(alt)
    return f'<figure id="{ident}"><img alt="{alt}" src="data:image/png;base64,{data}"><figcaption>{alt}</figcaption></figure>'


def number(x) -> str:
    """Three significant digits, money-sized numbers whole with thousands separators (7,351,203, not 7.35e+06);
    a dash for a number that is not there."""
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"
