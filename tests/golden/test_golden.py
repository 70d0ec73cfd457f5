"""A scenario that uses no new feature gives byte-identical output on both engines, before and after a change."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cases import FILES, cases


@pytest.mark.parametrize("name", sorted(cases()))
def test_output_is_byte_identical_to_the_golden_file(name):
    args = cases()[name]
    out = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    expected = (FILES / name).read_text()
    assert out.stdout == expected, f"orgsim {' '.join(args)} differs from tests/golden/files/{name}"
