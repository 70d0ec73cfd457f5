"""Checkpoints and output places as a hostile user would try them (issue 15, items 3, 6, 7, 8).

Every case goes through the real command line in a subprocess: the answer is the numbers of an
uninterrupted run, bit for bit, or a one-line refusal with exit status 2, never a traceback,
never a silently wrong number, never a deleted file orgsim did not write.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest
from dist_helpers import SCENARIO, orgsim, orgsim_popen

RUN = ["run", SCENARIO, "--engine", "simpy", "-r", "8", "--batch-size", "1", "--format", "json", "--no-progress"]
RUN4 = [a if a != "1" else "4" for a in RUN]  # batches of 4 replications


def _refused(proc, *words):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.fixture(scope="module")
def reference():
    """`--format json` of uninterrupted runs, by seed."""
    refs = {}
    for seed in (1, 2):
        p = orgsim(*RUN, "--seed", seed)
        assert p.returncode == 0, p.stderr
        refs[seed] = p.stdout
    return refs


def _batches(folder):
    return sorted((folder / "batches").glob("*.npz")) if (folder / "batches").is_dir() else []


def _seed_on_disk(folder):
    try:
        return json.loads((folder / "batches/manifest.json").read_text())["seed"]
    except (OSError, ValueError, KeyError):
        return None


def _kill_after(args, folder, n: int):
    """Start orgsim, SIGKILL it once its manifest and *n* batches are on disk (or let it end); returns its exit status."""
    seed = int(args[args.index("--seed") + 1])
    proc = orgsim_popen(*args)
    deadline = time.time() + 120
    while proc.poll() is None and time.time() < deadline and not (
        _seed_on_disk(folder) == seed and len(_batches(folder)) >= n
    ):
        time.sleep(0.002)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    return proc.returncode


# item 3: bad output places, refused before any simulation starts


@pytest.mark.parametrize("case", ["run-file", "run-proc", "run-under-file", "sweep-file", "report-dir", "demo-file"])
def test_bad_output_places_are_refused_before_anything_runs(tmp_path, case):
    f = tmp_path / "a_file"
    f.write_text("mine")
    d = tmp_path / "a_folder"
    d.mkdir()
    args, where, flag = {
        "run-file": (["run", SCENARIO, "-r", "2", "--out", f], f, "--out"),
        "run-proc": (["run", SCENARIO, "-r", "2", "--out", "/proc/orgsim-test/out"], "/proc/orgsim-test/out", "--out"),
        "run-under-file": (["run", SCENARIO, "-r", "2", "--out", f / "sub"], f / "sub", "--out"),
        "sweep-file": (["sweep", SCENARIO, "--grid", "departments.front_desk.headcount=2,3", "-r", "2", "--out", f],
                       f, "--out"),
        "report-dir": (["compare", SCENARIO, "--policy", "fixed", "-r", "2", "--report", d], d, "--report"),
        "demo-file": (["demo", "-r", "2", "--out", f], f, "--out"),
    }[case]
    start = time.perf_counter()
    p = orgsim(*args)
    _refused(p, flag, str(where))
    assert "Comparing" not in p.stdout and p.stdout == "", "a simulation started before the output place was checked"
    assert time.perf_counter() - start < 60
    assert f.read_text() == "mine" and list(d.iterdir()) == []


@contextlib.contextmanager
def read_only_folder(path):
    """A folder nobody may write into: as root (who ignores file modes) a read-only file system mounted
    there, or an immutable folder where mounting is not allowed; else a folder without write permission."""
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)]).returncode == 0:
        try:
            yield path
        finally:
            subprocess.run(["umount", str(path)], check=True)
        return
    subprocess.run(["chattr", "+i", str(path)], check=True)  # no mounting here: an immutable folder, root or not
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_read_only_out_folder_is_refused(tmp_path):
    with read_only_folder(tmp_path / "ro") as ro:
        _refused(orgsim("run", SCENARIO, "-r", "2", "--out", ro / "x"), "--out", str(ro / "x"))


# item 6: a damaged manifest on --resume


def _interrupted_run(out, seed=1, n=3):
    assert _kill_after([*RUN, "--seed", seed, "--out", out], out, n) == -signal.SIGKILL
    return _batches(out)


@pytest.mark.parametrize("damage", ["list", "no-batch-size", "garbage", "bad-batch-size", "no-seed", "empty"])
def test_resume_with_a_damaged_manifest_is_refused(tmp_path, damage):
    out = tmp_path / "p"
    kept = _interrupted_run(out)
    manifest = out / "batches/manifest.json"
    recorded = json.loads(manifest.read_text())
    text = {
        "list": "[1, 2]",
        "no-batch-size": json.dumps({k: v for k, v in recorded.items() if k != "batch_size"}),
        "garbage": "\x00garbage{{",
        "bad-batch-size": json.dumps({**recorded, "batch_size": "many"}),
        "no-seed": json.dumps({k: v for k, v in recorded.items() if k != "seed"}),
        "empty": "",
    }[damage]
    manifest.write_text(text)
    p = orgsim(*RUN, "--seed", 1, "--out", out, "--resume")
    _refused(p, "--resume", "manifest.json")
    assert _batches(out) == kept, "the batches of the damaged run were deleted or changed"


def test_sweep_resume_with_a_damaged_manifest_is_refused(tmp_path):
    out = tmp_path / "s"
    args = ["sweep", SCENARIO, "--grid", "departments.front_desk.headcount=2,3", "-r", "2", "--engine", "simpy",
            "--no-progress", "--out", out]
    assert orgsim(*args).returncode == 0
    (out / "sweep.json").write_text("[1, 2]")
    _refused(orgsim(*args, "--resume"), "--resume", "sweep.json")


# item 8: never delete a file orgsim did not write


def test_run_keeps_foreign_files_in_batches(tmp_path):
    out = tmp_path / "p"
    (out / "batches").mkdir(parents=True)
    (out / "batches/important.txt").write_text("x")
    (out / "batches/0-0.npz").write_text("an old batch of orgsim's name")
    _refused(orgsim(*RUN, "--out", out), "important.txt", str(out / "batches"))
    assert (out / "batches/important.txt").read_text() == "x"
    assert (out / "batches/0-0.npz").exists()


def test_sweep_keeps_foreign_files_in_cells(tmp_path, reference):
    out = tmp_path / "s"
    args = ["sweep", SCENARIO, "--grid", "departments.front_desk.headcount=2,3", "-r", "2", "--engine", "simpy",
            "--no-progress", "--out", out]
    assert orgsim(*args).returncode == 0
    assert sorted(p.name for p in (out / "cells").iterdir()) == ["000", "001"]
    for foreign in [out / "cells/important.txt", out / "cells/000/notes.txt", out / "cells/007/old.npz"]:
        foreign.parent.mkdir(exist_ok=True)
        foreign.write_text("x")
        _refused(orgsim(*args), "orgsim did not write", foreign.name)
        assert foreign.read_text() == "x"
        foreign.unlink()
        if foreign.parent.name == "007":
            foreign.parent.rmdir()
    (out / "cells/042").mkdir()  # an orgsim cell folder of an earlier, larger sweep holding only its files
    (out / "cells/042/3-5.npz").write_bytes(b"old")
    assert orgsim(*args).returncode == 0
    assert not (out / "cells/042").exists(), "orgsim's own files of an earlier sweep are cleared"


def test_run_clears_only_its_own_files_after_success(tmp_path, reference):
    out = tmp_path / "p"
    out.mkdir()
    (out / "notes.txt").write_text("x")
    p = orgsim(*RUN, "--seed", 1, "--out", out)
    assert p.returncode == 0, p.stderr
    assert p.stdout == reference[1]
    assert not (out / "batches").exists() and not (out / ".orgsim.lock").exists()
    assert (out / "notes.txt").read_text() == "x"


# item 7: run identity, checksum, row count, lock


def _rewrite(f, change, keep_checksum=True):
    with np.load(f) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    if not keep_checksum:
        from orgsim.execution.checkpoint import checksum

        arrays["checksum"] = np.array(checksum(arrays))
    with open(f, "wb") as fh:
        np.savez(fh, **arrays)


def test_altered_batch_is_recomputed(tmp_path, reference):
    out = tmp_path / "p"
    f = _interrupted_run(out)[0]

    def nps_1000(a):
        a["values"] = np.full_like(a["values"], 1000.0)

    _rewrite(f, nps_1000)
    p = orgsim(*RUN, "--seed", 1, "--out", out, "--resume")
    assert p.returncode == 0, p.stderr
    assert "checksum" in p.stderr and f.name in p.stderr
    assert p.stdout == reference[1]


def test_batch_with_wrong_rows_is_never_broadcast(tmp_path, reference):
    out = tmp_path / "p"
    assert _kill_after([*RUN4, "--seed", 1, "--out", out], out, 1) == -signal.SIGKILL
    f = _batches(out)[0]

    def one_row(a):
        for k in ("values", "series"):
            if k in a:
                a[k] = a[k][:1]

    _rewrite(f, one_row, keep_checksum=False)  # a well-formed file, right checksum, wrong number of rows
    p = orgsim(*RUN4, "--seed", 1, "--out", out, "--resume")
    assert p.returncode == 0, p.stderr
    assert "shape" in p.stderr and f.name in p.stderr
    assert p.stdout == reference[1]


def test_batch_of_another_run_is_recomputed(tmp_path, reference):
    one, two = tmp_path / "one", tmp_path / "two"
    _interrupted_run(one, seed=1, n=4)
    _interrupted_run(two, seed=2, n=4)
    for f in _batches(one)[:2]:
        shutil.copy(f, two / "batches" / f.name)  # the same replications, another seed
    p = orgsim(*RUN, "--seed", 2, "--out", two, "--resume")
    assert p.returncode == 0, p.stderr
    assert "another run" in p.stderr
    assert p.stdout == reference[2]


def test_a_second_process_on_one_out_is_refused(tmp_path):
    out = tmp_path / "p"
    longer = [*RUN, "--horizon", "4000"]  # long enough for a second process to start meanwhile
    first = orgsim_popen(*longer, "--seed", 1, "--out", out)
    try:
        deadline = time.time() + 120
        while not _batches(out) and first.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        assert first.poll() is None, "the first run ended before the second could start"
        second = orgsim(*longer, "--seed", 2, "--out", out)
        assert first.poll() is None, "the first run ended before the second was refused"
        _refused(second, "in use", str(out))
        assert _seed_on_disk(out) == 1, "the second process touched the first one's checkpoint"
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=60)
    # the lock dies with its process: a resume after the kill is not refused
    assert _kill_after([*longer, "--seed", 1, "--out", out, "--resume"], out, len(_batches(out)) + 1) == -signal.SIGKILL


def test_fault_injection_kill_corrupt_swap_two_writers(tmp_path, reference):
    """kill -9 at random batch boundaries, damaged and swapped batch files, two runs on one folder."""
    rng = random.Random(15)
    one, two = tmp_path / "one", tmp_path / "two"
    # kill -9 twice at random points, then damage a batch file, then resume to the end
    assert _kill_after([*RUN, "--seed", 1, "--out", one], one, rng.randint(1, 3)) == -signal.SIGKILL
    _kill_after([*RUN, "--seed", 1, "--out", one, "--resume"], one, rng.randint(4, 6))
    assert _kill_after([*RUN, "--seed", 2, "--out", two], two, rng.randint(2, 6)) == -signal.SIGKILL
    victims = _batches(one)
    damaged = rng.choice(victims)
    data = bytearray(damaged.read_bytes())
    data[rng.randrange(len(data) // 2, len(data))] ^= 0xFF
    damaged.write_bytes(bytes(data))
    truncated = rng.choice([f for f in victims if f != damaged] or victims)
    truncated.write_bytes(truncated.read_bytes()[:100])
    # swap: batches of the seed-2 run into the seed-1 folder and back
    for f in _batches(two)[:2]:
        g = one / "batches" / f.name
        if g.exists():
            tmp = f.read_bytes()
            f.write_bytes(g.read_bytes())
            g.write_bytes(tmp)
    for folder, seed in ((one, 1), (two, 2)):
        p = orgsim(*RUN, "--seed", seed, "--out", folder, "--resume")
        assert p.returncode == 0, p.stderr
        assert "Traceback" not in p.stderr
        assert p.stdout == reference[seed], f"seed {seed}: resumed numbers differ from an uninterrupted run"
    # two runs with different seeds on one folder, both killed: the resume of the first is refused
    # (the folder holds the second), the resume of the second gives its numbers
    shared = tmp_path / "shared"
    _kill_after([*RUN, "--seed", 1, "--out", shared], shared, rng.randint(1, 4))
    _kill_after([*RUN, "--seed", 2, "--out", shared], shared, rng.randint(1, 4))
    _refused(orgsim(*RUN, "--seed", 1, "--out", shared, "--resume"), "--resume", "seed")
    p = orgsim(*RUN, "--seed", 2, "--out", shared, "--resume")
    assert p.returncode == 0, p.stderr
    assert p.stdout == reference[2]


def test_a_sweep_on_a_folder_in_use_is_refused(tmp_path):
    from orgsim.execution.checkpoint import FolderLock

    out = tmp_path / "s"
    args = ["sweep", SCENARIO, "--grid", "departments.front_desk.headcount=2,3", "-r", "2", "--engine", "simpy",
            "--no-progress", "--out", out]
    with FolderLock(out):  # this test process holds the folder, as a running sweep would
        _refused(orgsim(*args), "in use", str(out))
        assert not (out / "sweep.json").exists()
    assert orgsim(*args).returncode == 0
    assert not (out / ".orgsim.lock").exists()
