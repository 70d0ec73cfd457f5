"""Rewrite the golden files from the current code: ``python tests/golden/regenerate.py``.

Run it only when a model rule changed on purpose, and say which rule in the commit.
"""

from __future__ import annotations

import subprocess
import sys

from cases import FILES, cases


def main() -> None:
    FILES.mkdir(exist_ok=True)
    for name, args in cases().items():
        out = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True, check=True)
        (FILES / name).write_text(out.stdout)
        print(f"wrote {name} ({len(out.stdout)} bytes)")


if __name__ == "__main__":
    main()
