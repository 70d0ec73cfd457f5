"""The README's Python examples run as written (small sizes), and the comments beside them hold."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_python_examples_run():
    blocks = python_blocks()
    assert blocks, "the README shows no Python example"
    for block in blocks:
        code = block.replace("replications=20", "replications=3")  # the same calls, smaller
        printed = io.StringIO()
        scope: dict = {}
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "README.md", "exec"), scope)
        if "orgsim.compare(" in code:
            assert scope["comparison"].stats["ranking"][0] in ("fixed", "sqrt_staffing")
        if "orgsim.select(" in code:  # sqrt_staffing leads fixed by about 8 NPS points on baseline
            assert scope["selection"].selected == "sqrt_staffing"
        if "orgsim.optimise(scenario, budget=5)" in code:
            assert "budget 5 is too small" in printed.getvalue()
