"""compare and optimise show progress on a terminal as run and sweep do, and keep JSON clean (issue 16, item 9; demo: test_demo)."""

from __future__ import annotations

import json

from terminal import with_terminal_stderr

SMALL = ["classroom", "--set", "horizon=200", "--set", "warmup=0"]


def test_compare_shows_replications_on_a_terminal_only():
    args = ["compare", *SMALL, "--policy", "fifo", "--policy", "external_first", "-r", "6", "--engine", "numba"]
    code, out, err = with_terminal_stderr(*args, "--format", "json")
    assert code == 0, err
    json.loads(out)
    assert "replications:" in err and "12/12" in err and "rep/s" in err  # two policies x 6 replications
    code, out, err = with_terminal_stderr(*args, "--format", "json", "--no-progress")
    assert code == 0 and "12/12" not in err


def test_optimise_shows_its_search_then_the_final_estimate():
    code, out, err = with_terminal_stderr("optimise", *SMALL, "--budget", "6", "-r", "4", "--engine", "numba")
    assert code == 0, err
    assert "searching:" in err and "rep/s" in err
    assert "final estimate:" in err and "200/200" in err  # the winner's fresh replications
