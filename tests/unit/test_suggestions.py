"""Every typo gets the nearest valid name (issue 16, item 10), through the real command line: exit 2, one line each.

The four cases of the issue: a misspelled department in a --set path (was: `departments.itt.services: required
field is missing`), a misspelled scenario name (was: `no such file` alone), an unknown service (now lists the
department's services), and an unknown distribution kind (now names the field `time.dist`, not only `time`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SHIPPED = "(shipped scenarios: baseline, branches, call_centre, classroom, contact_centre, hospital, jackson, service_desk)"


def orgsim(*args: str, cwd: Path | None = None) -> list[str]:
    """The stderr lines of a command that must be refused with exit status 2 and no traceback."""
    done = subprocess.run([sys.executable, "-m", "orgsim.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done.stderr.strip().splitlines()


def test_set_through_a_misspelled_department_names_it_and_the_nearest():
    [line] = orgsim("run", "baseline", "--set", "departments.itt.headcount=4", "-r", "1")
    assert line.startswith("--set departments.itt.headcount=4: unknown department `itt`; did you mean `it`? "), line
    assert "(departments: sales, operations, support, it, hr, finance, legal;" in line
    assert "required field is missing" not in line


def test_set_through_a_misspelled_service_or_supplier():
    [line] = orgsim("validate", "baseline", "--set", "departments.it.services.fix_acount.time.mean=1")
    assert "unknown service `fix_acount` of `it`; did you mean `fix_account`? (services of `it`: fix_account, " \
           "provision;" in line, line
    [line] = orgsim("validate", "baseline", "--set", "suppliers.partz.lead_time.mean=1")
    assert "unknown supplier `partz`; did you mean `parts`?" in line, line


def test_a_new_department_is_still_set_whole(tmp_path):
    """Only going *through* a missing name is refused: a whole new entry is validated like the file."""
    new = "departments.audit={headcount: 1, services: {check: {time: {dist: exponential, mean: 0.1}}}}"
    done = subprocess.run([sys.executable, "-m", "orgsim.cli", "validate", "call_centre", "--set", new],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_misspelled_shipped_scenario_is_suggested():
    [line] = orgsim("run", "baselin", "-r", "1")
    assert line == f"baselin: no such file; did you mean `baseline`? {SHIPPED}"


def test_a_misspelled_file_beside_others_is_suggested(tmp_path):
    (tmp_path / "my_firm.yaml").write_text(yaml.safe_dump({"name": "x"}))
    [line] = orgsim("validate", "my_frim.yaml", cwd=tmp_path)
    assert line == f"my_frim.yaml: no such file; did you mean `my_firm.yaml`? {SHIPPED}"
    [line] = orgsim("validate", str(tmp_path / "my_frim.yaml"))
    assert line == f"{tmp_path / 'my_frim.yaml'}: no such file; did you mean `{tmp_path / 'my_firm.yaml'}`?"


def test_an_unknown_service_lists_the_services_of_its_department():
    [line] = orgsim("validate", "baseline", "--set", "segments.consumers.journey=[it.repair]")
    assert line.endswith("segments.consumers.journey.0: unknown service `it.repair` "
                         "(services of `it`: fix_account, provision)"), line


@pytest.mark.parametrize("where, value", [
    ("departments.agents.services.answer.time", "{dist: exponentail, mean: 1}"),
    ("segments.callers.patience", "{dist: exponentail, mean: 2}"),
])
def test_an_unknown_distribution_kind_names_the_dist_field(where, value):
    [line] = orgsim("validate", "call_centre", "--set", f"{where}={value}")
    assert line == (f"--set {where}: {where}.dist: unknown kind `exponentail`; did you mean `exponential`? "
                    "(allowed: exponential, deterministic, gamma, lognormal, erlang, uniform, triangular)")


def test_an_unknown_distribution_kind_in_a_file_points_at_its_line(tmp_path):
    text = Path(__file__).resolve().parents[2].joinpath("scenarios", "call_centre.yaml").read_text(encoding="utf-8")
    path = tmp_path / "cc.yaml"
    path.write_text(text.replace("dist: exponential, mean: 2.0", "dist: exponentail, mean: 2.0"), encoding="utf-8")
    line_no = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if "exponentail" in line)
    [line] = orgsim("validate", str(path))
    assert line.startswith(f"{path}:{line_no}: segments.callers.patience.dist: unknown kind `exponentail`"), line
