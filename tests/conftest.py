"""Makes the shared test modules in tests/ (strategies.py) importable from every test folder, in any import mode."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
