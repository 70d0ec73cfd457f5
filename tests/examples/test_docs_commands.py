"""Every `orgsim ...` command in the documentation's ```sh blocks runs and exits 0, as the README's do.

The same small sizes as tests/unit/test_readme_commands.py (tests/commands.py).  `my_firm.yaml` is the
how-to guides' worked example, docs/howto/examples/my_firm.yaml, so the guides' own scenario is run too;
`my_plan.yaml` is a policy file.  The servers `orgsim app` starts are exempt, with the reason, as in the
README's test (tests/examples/test_app_browser.py drives the page), and so is a command the README shows
word for word: the README's test runs it (`orgsim demo` alone takes minutes).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from commands import sh_commands, small

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLE = DOCS / "howto" / "examples" / "my_firm.yaml"
ORGSIM = str(Path(sys.executable).with_name("orgsim"))
SERVERS = {
    "orgsim app baseline --open": "a server (and a browser window) that run until stopped",
    "orgsim app my_firm.yaml --port 8800": "a server that runs until stopped, on a fixed port",
}


def docs_commands() -> list[tuple[str, str]]:
    """(page, command) for each `orgsim` line of a ```sh block in the sources of the site."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        if "_build" in page.parts or "_generated" in page.parts:
            continue
        found += [(str(page.relative_to(DOCS)), c) for c in sh_commands(page.read_text(encoding="utf-8"))]
    return found


def test_the_docs_show_commands_and_every_exemption_is_used():
    commands = [c for _, c in docs_commands()]
    assert len(commands) >= 15
    assert set(SERVERS) <= set(commands), "an exemption names a command the docs no longer show"


# a command the README shows too runs in the README's test already (the same sizes); my_firm.yaml differs there
README_TESTED = {c for c in sh_commands((ROOT / "README.md").read_text(encoding="utf-8")) if "my_firm.yaml" not in c}


def runnable() -> list[tuple[str, str]]:
    """Each command once (where it first appears), less the servers and those the README's test runs."""
    seen, out = set(), []
    for page, c in docs_commands():
        if c not in SERVERS and c not in README_TESTED and c not in seen:
            seen.add(c)
            out.append((page, c))
    return out


def test_most_docs_commands_are_their_own():
    assert len(runnable()) >= 10, "the docs' commands are nearly all the README's: is the parser finding them?"


RUNNABLE = runnable()


@pytest.mark.parametrize("page, command", RUNNABLE, ids=[f"{p} {' '.join(c.split()[:3])}" for p, c in RUNNABLE])
def test_docs_command_exits_0(page, command, tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "my_firm.yaml")
    (tmp_path / "my_plan.yaml").write_text(yaml.safe_dump({"policy": {"allocation": "front_line_first"}}), encoding="utf-8")
    done = subprocess.run([ORGSIM, *small(command)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{page}: {command}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
