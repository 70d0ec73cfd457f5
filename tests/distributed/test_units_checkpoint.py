"""A chain of units is checkpointed unit by unit: killed mid-run and resumed, it gives the uninterrupted bytes;
its run folder and report carry the per-unit table and the cross-unit correlations."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time

import pandas as pd
import pytest
import yaml
from dist_helpers import cli, orgsim_popen
from units_chain import chain

from orgsim.errors import CheckpointError
from orgsim.scenario.loader import load, validate_mapping
from orgsim.studies.results import fisher_interval
from orgsim.studies.run import run

CHAIN = chain(**{
    "segments.*.arrivals.rate": {"multiply": {"dist": "lognormal", "mean": 1.0, "cv": 0.2}},
    "morale.load_effect": {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 4.0},
}) | {"horizon": 2000}
FILES = ("summary.csv", "units.csv", "correlations.csv")


@pytest.fixture
def chain_file(tmp_path):
    path = tmp_path / "chain.yaml"
    path.write_text(yaml.safe_dump(CHAIN))
    return path


def _args(path, out):
    return ["run", path, "-r", "4", "--batch-size", "1", "--seed", "7", "--engine", "simpy", "--no-progress",
            "--format", "json", "--out", out]


def _kill_mid_chain(args, units_dir):
    """Start orgsim; SIGKILL it once unit 0 is finished and unit 1 has a batch on disk (a hard kill: no clean-up)."""
    proc = orgsim_popen(*args)
    deadline = time.time() + 300
    while not any((units_dir / "001").glob("*.npz")):
        if proc.poll() is not None or time.time() > deadline:
            out, err = proc.communicate()
            pytest.fail(f"the chain ended or stalled before unit 1 began: {proc.returncode}\n{err}")
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    return proc.returncode


def test_a_killed_chain_resumes_to_the_uninterrupted_bytes(tmp_path, chain_file, capsys):
    code, whole, err = cli(capsys, *_args(chain_file, tmp_path / "full"))
    assert code == 0, err
    out = tmp_path / "cut"
    units_dir = out / "batches/units"
    assert _kill_mid_chain(_args(chain_file, out), units_dir) == -signal.SIGKILL
    assert not (out / "summary.csv").exists()
    assert len(list((units_dir / "000").glob("*.npz"))) == 4  # unit 0 whole
    assert json.loads((out / "batches/units.json").read_text())["kind"] == "units"
    kept = len(list(units_dir.glob("*/*.npz")))
    copy = tmp_path / "copy"  # the library, on a copy, says what a resume takes back and what it computes
    shutil.copytree(out / "batches", copy)
    restored, redone = [], []
    run(load(str(chain_file)), engine="simpy", replications=4, seed=7, checkpoint=copy, resume=True,
        on_restore=restored.append, on_batch=redone.append)
    assert sum(restored) == kept and sum(redone) == 16 - kept, (restored, redone)
    code, resumed, err = cli(capsys, *_args(chain_file, out), "--resume")
    assert code == 0, err
    assert "note:" not in err  # no batch set aside as damaged or foreign
    assert resumed == whole
    for name in FILES:
        assert (out / name).read_bytes() == (tmp_path / "full" / name).read_bytes(), name
    assert pd.read_parquet(out / "replications.parquet").equals(pd.read_parquet(tmp_path / "full/replications.parquet"))
    assert not (out / "batches").exists(), "the checkpoint is removed once the results are written"


def test_a_chain_resume_refuses_another_chain(tmp_path):
    sc = validate_mapping(CHAIN, "chain")
    run(sc, engine="simpy", replications=2, seed=1, checkpoint=tmp_path / "ck")  # as if interrupted after the end
    assert (tmp_path / "ck/units/003").is_dir()
    other = validate_mapping({**CHAIN, "units": {**CHAIN["units"], "count": 5}}, "chain")
    for scenario, seed, word in ((sc, 2, "seed"), (other, 1, "scenario")):
        with pytest.raises(CheckpointError, match=word):
            run(scenario, engine="simpy", replications=2, seed=seed, checkpoint=tmp_path / "ck", resume=True)
    (tmp_path / "ck/units/stray.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="did not write"):
        run(sc, engine="simpy", replications=2, seed=1, checkpoint=tmp_path / "ck", resume=True)


def test_the_run_folder_and_report_show_units_and_their_correlations(tmp_path, chain_file, capsys):
    report = tmp_path / "report.html"
    code, out, err = cli(capsys, "run", chain_file, "-r", "3", "--seed", "2", "--engine", "simpy", "--no-progress",
                         "--format", "json", "--out", tmp_path / "o", "--report", report)
    assert code == 0, err
    units = json.loads(out)["units"]
    frame = pd.read_csv(tmp_path / "o/units.csv")
    assert sorted(frame["unit"].unique()) == [0, 1, 2, 3]
    assert list(frame.query("metric == 'external.nps'")["seed"]) == [u["seed"] for u in units["units"]]
    means = frame.pivot(index="unit", columns="metric", values="mean")
    corr = pd.read_csv(tmp_path / "o/correlations.csv").iloc[0]
    expected = fisher_interval(means["firm.engagement"].to_numpy(), means["external.nps"].to_numpy())
    assert (corr["r"], corr["ci_low"], corr["ci_high"], corr["n"]) == pytest.approx(
        (expected["r"], expected["ci_low"], expected["ci_high"], 4))
    meta = json.loads((tmp_path / "o/run.json").read_text())
    assert meta["units"] == 4 and meta["replications"] == 3
    page = report.read_text()
    table = re.search(r'<table id="unit-correlations">(.*?)</table>', page, re.S).group(1)
    assert "firm.engagement" in table and "external.nps" in table
    assert f"{expected['r']:.3g}"[:4] in table  # r as the page rounds it
    rows = re.search(r'<table id="units">(.*?)</table>', page, re.S).group(1).count("<tr>")
    assert rows == 1 + 4  # header and one row per unit
    for u in units["units"]:
        assert f"<td>{u['seed']}</td>" in page
    assert "4 units of 3 replications each" in page


def test_a_damaged_unit_batch_is_computed_again(tmp_path):
    sc = validate_mapping({**CHAIN, "horizon": 400}, "chain")
    first = run(sc, engine="simpy", replications=2, seed=3, batch_size=1, checkpoint=tmp_path / "ck")
    victim = tmp_path / "ck/units/002/1-1.npz"
    victim.write_bytes(victim.read_bytes()[:-40])
    notes, redone = [], []
    again = run(sc, engine="simpy", replications=2, seed=3, checkpoint=tmp_path / "ck", resume=True,
                on_note=notes.append, on_batch=redone.append)
    assert len(notes) == 1 and "002/1-1.npz" in notes[0] and sum(redone) == 1
    assert json.dumps(again.to_json()) == json.dumps(first.to_json())
