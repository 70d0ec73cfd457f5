"""The golden cases: command lines whose output must stay byte-identical across refactors.

Every shipped scenario on both engines (numba ``-r 16``, simpy ``-r 2``, fixed seed), plus `baseline` with
every lever and a priority rule, one comparison and one narrated trace, which exercise the study and narration paths. A golden file
changes only in a commit that says which model rule changed and why.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
FILES = HERE / "files"
SCENARIOS = ("baseline", "call_centre", "classroom", "hospital", "jackson")
SEED = "7"


def cases() -> dict[str, list[str]]:
    """Golden file name -> the ``orgsim`` arguments that produce it."""
    out: dict[str, list[str]] = {}
    for name in SCENARIOS:
        out[f"run-{name}-numba.json"] = ["run", name, "--engine", "numba", "-r", "16", "--seed", SEED,
                                         "--format", "json", "--no-progress"]
        out[f"run-{name}-simpy.json"] = ["run", name, "--engine", "simpy", "-r", "2", "--seed", SEED,
                                         "--format", "json", "--no-progress"]
    out["compare-baseline-numba.json"] = ["compare", "baseline", "--policy", "fixed", "--policy", "sqrt_staffing",
                                          "--policy", "external_first", "-r", "8", "--seed", SEED,
                                          "--engine", "numba", "--format", "json"]
    levers = ["--set", "policy.budget=50", "--set", "policy.investments.training=2", "--set",
              "policy.investments.recognition=2", "--set", "policy.investments.tooling=2",
              "--set", "policy.priority=internal_first"]
    for engine, reps in (("numba", "16"), ("simpy", "2")):
        out[f"run-baseline-levers-{engine}.json"] = ["run", "baseline", "--engine", engine, "-r", reps, "--seed", SEED,
                                                     "--format", "json", "--no-progress", *levers]
    out["trace-classroom.csv"] = ["trace", "classroom", "--until", "8", "--seed", SEED, "--format", "csv"]
    return out
