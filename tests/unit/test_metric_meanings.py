"""The README's Metrics table and ``orgsim.metrics.MEANINGS`` (from which the documentation's metric page is
written) name the same metrics, so neither can add or drop one alone."""

import re
from pathlib import Path

from orgsim import metrics

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_metric_names() -> set[str]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Metrics") : text.index("## Design")].split("\n\n")[1]
    names = set()
    for row in table.splitlines()[2:]:  # after the header and its rule
        first = row.split("|")[1]
        names |= set(re.findall(r"`([^`]+)`", first))
    return names


def test_the_readme_and_meanings_name_the_same_metrics():
    names = readme_metric_names()
    assert len(names) >= 20
    assert names == set(metrics.MEANINGS), names ^ set(metrics.MEANINGS)


def test_every_meaning_has_a_kind():
    for name in metrics.MEANINGS:
        if not name.endswith("*"):
            assert name.rsplit(".", 1)[-1] in metrics.KINDS, name
