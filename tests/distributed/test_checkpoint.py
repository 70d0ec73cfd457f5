"""Checkpoint and resume: Ctrl-C mid-run, --resume, the same numbers as an uninterrupted run."""

from __future__ import annotations

import json
import shlex
import signal
import time

import pandas as pd
import pytest
from dist_helpers import SCENARIO, assert_identical, cli, orgsim_popen, small_scenario

from orgsim.errors import CheckpointError
from orgsim.studies import simulate as runner
from orgsim.studies.run import run


def _interrupt_after_first_batch(args, folder, pattern="*.npz", timeout=600):
    """Start orgsim, wait for the first checkpointed batch, send SIGINT (Ctrl-C); return the finished process."""
    proc = orgsim_popen(*args)
    deadline = time.time() + timeout
    while not any(folder.glob(pattern)) if folder.exists() else True:
        if proc.poll() is not None or time.time() > deadline:
            out, err = proc.communicate()
            pytest.fail(f"run ended or stalled before the first batch: {proc.returncode}\n{err}")
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc, out, err


def _no_half_written_files(folder):
    return [p for p in folder.rglob("*") if p.name.endswith(".part")]


def _resume_command(err: str) -> list[str]:
    line = next(x for x in err.splitlines() if x.startswith("To resume: "))
    cmd = shlex.split(line[len("To resume: "):])
    assert cmd[0] == "orgsim" and cmd[-1] == "--resume"
    return cmd[1:]


def test_ctrl_c_then_resume_gives_the_uninterrupted_numbers(tmp_path, capsys):
    args = ["run", "baseline", "--engine", "numba", "-r", "160", "--batch-size", "4", "--seed", "11",
            "--horizon", "1000", "--no-progress"]
    code, _, err = cli(capsys, *args, "--out", tmp_path / "full")
    assert code == 0, err
    out = tmp_path / "cut"
    proc, _, err = _interrupt_after_first_batch([*args, "--out", out], out / "batches")
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "Traceback" not in err
    done = len(list((out / "batches").glob("*.npz")))
    assert 0 < done < 40, "the run was to be stopped mid-way"
    assert not (out / "summary.csv").exists()
    assert _no_half_written_files(out) == []
    manifest = json.loads((out / "batches/manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["engine"] == "numba" and manifest["batch_size"] == 4
    code, _, err = cli(capsys, *_resume_command(err))
    assert code == 0, err
    assert (out / "summary.csv").read_bytes() == (tmp_path / "full/summary.csv").read_bytes()
    assert not (out / "batches").exists(), "the checkpoint is removed once the results are written"
    for name in ("replications.parquet", "timeseries.parquet"):
        assert pd.read_parquet(out / name).equals(pd.read_parquet(tmp_path / "full" / name)), name


def test_resume_refuses_a_different_run(tmp_path, capsys):
    base = ["run", SCENARIO, "-r", "2", "--seed", "1", "--out", tmp_path / "d", "--no-progress"]
    run(small_scenario(), replications=2, seed=1, checkpoint=tmp_path / "d/batches")  # as if interrupted
    for change, word in [(["--seed", "2"], "seed"), (["--engine", "numba"], "engine"),
                         (["--set", "departments.front_desk.headcount=4"], "scenario"), (["-r", "3"], "replications")]:
        args = list(base)
        for flag in change[::2]:
            if flag in args:
                i = args.index(flag)
                del args[i : i + 2]
        code, _, err = cli(capsys, *args, *change, "--resume")
        assert code == 2, (change, err)
        assert "--resume" in err and word in err, err
    code, _, err = cli(capsys, "run", SCENARIO, "-r", "2", "--resume")
    assert code == 2 and "--out" in err


@pytest.mark.parametrize("keep_series", [True, False])
def test_library_resume_redoes_only_missing_batches(tmp_path, monkeypatch, keep_series):
    if not keep_series:
        monkeypatch.setattr(runner, "KEEP_SERIES_VALUES", 0)
    sc = small_scenario()
    full = run(sc, engine="numba", replications=40, seed=4, batch_size=6, checkpoint=tmp_path)
    files = sorted(tmp_path.glob("*.npz"), key=lambda p: int(p.name.split("-")[0]))
    assert len(files) == 7
    for f in files[1::2]:
        f.unlink()
    redone, restored = [], []
    again = run(sc, engine="numba", replications=40, seed=4, checkpoint=tmp_path, resume=True,
                on_batch=redone.append, on_restore=restored.append)
    assert sum(redone) + sum(restored) == 40 and sum(redone) == 18
    assert again.extra["batch_size"] == 6  # the recorded batch size, whatever the default now
    assert_identical(full, again)
    with pytest.raises(CheckpointError):
        run(sc, engine="numba", replications=40, seed=5, checkpoint=tmp_path, resume=True)


def test_sweep_ctrl_c_then_resume(tmp_path, capsys):
    args = ["sweep", "baseline", "--set", "horizon=1000", "--grid", "departments.it.services.fix_account.time.mean=0.4,0.5",
            "--policy", "fixed", "--policy", "sqrt_staffing", "-r", "40", "--batch-size", "4", "--seed", "2",
            "--engine", "numba", "--no-progress"]
    code, _, err = cli(capsys, *args, "--out", tmp_path / "full")
    assert code == 0, err
    out = tmp_path / "cut"
    proc, _, err = _interrupt_after_first_batch([*args, "--out", out], out / "cells", pattern="*/*.npz")
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "Traceback" not in err
    assert _no_half_written_files(out) == []
    kept = {p: p.stat().st_mtime_ns for p in (out / "cells").glob("*/*.npz")}
    assert 0 < len(kept) < 40
    code, _, err = cli(capsys, *_resume_command(err))
    assert code == 0, err
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items()), "finished batches were redone"
    assert (out / "sweep.csv").read_bytes() == (tmp_path / "full/sweep.csv").read_bytes()
    # a sweep with other values is refused
    code, _, err = cli(capsys, *[a.replace("0.4,0.5", "0.4,0.6") for a in args], "--out", out, "--resume")
    assert code == 2 and "grid" in err
