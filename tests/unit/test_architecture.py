"""The house keeps its shape: layers without cycles, small functions, a linted tree and a pinned public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import orgsim

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LONGEST = 150


def _python_files(*folders: str):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_layers_import_only_downwards_and_no_layer_has_a_cycle():
    out = subprocess.run([BIN / "lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_kernels_import_nothing_from_the_run_layer():
    """The compiled engine and the shared formulas stand alone: both engines build on them, never the reverse."""
    offenders = []
    for path in _python_files("kernels"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("orgsim") and not n.startswith("orgsim.kernels")]
    assert not offenders


def test_no_function_is_longer_than_150_lines_without_a_stated_reason():
    """A longer function must say why in a comment that starts with '# longer than 150 lines:'."""
    long = []
    for path in _python_files("sim", "kernels"):
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1
                body = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                if size > LONGEST and "# longer than 150 lines:" not in body:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({size} lines)")
    assert not long


def test_the_tree_passes_the_linter():
    out = subprocess.run([BIN / "ruff", "check", "sim", "kernels", "tests", "experiments"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]


def test_the_public_api_is_pinned_and_documented():
    assert sorted(orgsim.__all__) == [
        "BackendError", "BudgetError", "CheckpointError", "Comparison", "Optimum", "OptionError", "OrgsimError",
        "PolicySpec", "RunResult", "Scenario", "ScenarioError", "Selection", "SweepResult", "compare", "dump", "load",
        "optimise", "parse_policy", "run", "select", "sweep", "trace",
    ]  # fmt: skip
    for name in orgsim.__all__:
        assert getattr(orgsim, name).__doc__, name
    for name in ("run", "trace", "compare", "optimise", "sweep", "select"):
        doc = getattr(orgsim, name).__doc__
        assert "Parameters\n    ----------" in doc and "Returns\n    -------" in doc, name


def test_library_errors_are_one_family():
    for name in ("ScenarioError", "BudgetError", "OptionError", "CheckpointError", "BackendError"):
        assert issubclass(getattr(orgsim, name), orgsim.OrgsimError)
    assert issubclass(orgsim.BudgetError, orgsim.ScenarioError)  # a budget problem is a scenario problem
