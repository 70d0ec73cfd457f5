"""Every `orgsim ...` command in the README's ```sh blocks runs and exits 0 (issue 15: the README shows only commands that work).

Sizes are made small where a command would be slow (`-r N` becomes `-r 2`, and run, compare, optimise, demo
and sweep get `-r 2`; run gets `--horizon 400`; `compare --select` keeps its first stage, as it sizes itself);
every command runs in a temporary folder, so `--out`,
`--report` and `>` land there, and the placeholders `my_firm.yaml` and `my_plan.yaml` are written there from
shipped scenarios; a path into `../shared/` (the event logs beside the checkout) is taken from the project root,
and a command that reads the `--out FILE` of an earlier README command (`orgsim fit ... --out loan.yaml`, then
`orgsim score loan.yaml ...`) has that command run first in its folder.  Nothing is skipped
silently: the commands that need a running cluster are listed in CLUSTER with the reason.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from commands import sh_commands, small

from orgsim.scenario.loader import shipped_scenarios

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ORGSIM = str(Path(sys.executable).with_name("orgsim"))
# commands that need a Dask cluster on another machine: they cannot run here (the local Dask backend is tested
# in tests/distributed); `...` in them stands for the sweep's grid above
CLUSTER = {
    "orgsim sweep baseline ... --backend dask --scheduler tcp://10.0.0.5:8786 --out study/": "needs a cluster at 10.0.0.5",
    "orgsim sweep baseline ... --backend dask --scheduler tls://10.0.0.5:8786 --out study/": "needs a TLS cluster at 10.0.0.5",
}

# a web server runs until it is stopped: tests/examples/test_app_browser.py starts `orgsim app` and drives its page
SERVERS = {
    "orgsim app baseline --open": "a server (and a browser window) that run until stopped",
    "orgsim app my_firm.yaml --port 8800": "a server that runs until stopped, on a fixed port",
}


def readme_commands() -> list[str]:
    """Each `orgsim` line of the README's ```sh blocks."""
    return sh_commands(README.read_text(encoding="utf-8"))


def test_the_readme_has_commands_and_every_exemption_is_used():
    commands = readme_commands()
    assert len(commands) >= 10
    assert set(CLUSTER) | set(SERVERS) <= set(commands), "an exemption names a command the README no longer shows"


RUNNABLE = [c for c in readme_commands() if c not in CLUSTER and c not in SERVERS]
SHARED = "../shared/"  # the project's shared data beside the checkout, as the README names it from the project root


def located(argv: list[str]) -> list[str]:
    """The arguments with the shared data's paths made absolute (the commands run in a temporary folder)."""
    return [str((ROOT / w).resolve()) if w.startswith(SHARED) else w for w in argv]


def makers(command: str) -> list[str]:
    """Earlier README commands whose `--out FILE` this command reads: a user runs them first, and so does the test."""
    words = small(command)
    before = RUNNABLE[: RUNNABLE.index(command)]
    return [c for c in before if "--out" in small(c) and small(c)[small(c).index("--out") + 1] in words[1:]]


@pytest.mark.parametrize("command", RUNNABLE, ids=[" ".join(c.split()[:3]) + f" #{i}" for i, c in enumerate(RUNNABLE)])
def test_readme_command_exits_0(command, tmp_path):
    shipped = shipped_scenarios()
    (tmp_path / "my_firm.yaml").write_text(shipped["baseline"].read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "my_plan.yaml").write_text(yaml.safe_dump({"policy": {"allocation": "front_line_first"}}), encoding="utf-8")
    for earlier in makers(command):
        made = subprocess.run([ORGSIM, *located(small(earlier))], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert made.returncode == 0, f"{earlier}\n{made.stderr[-2000:]}"
    argv = located(small(command))
    done = subprocess.run([ORGSIM, *argv], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
