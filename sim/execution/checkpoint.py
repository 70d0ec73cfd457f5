"""Checkpoints: every finished batch on disk at once, so an interrupted run can be resumed.

A checkpoint folder holds ``manifest.json`` (what is being run: scenario
hash, engine, seed, replications, batch size, headcount), a lock file and
one ``<first>-<last>.npz`` per finished batch of replications, each written
atomically (a reader sees a whole file or none).  Every batch file names the
run it belongs to (``run``: the SHA-256 of the manifest) and carries a
``checksum`` (SHA-256 over its arrays).  Resuming reads the manifest, refuses
a damaged one or one of a different run, and reloads the batches already
done; a batch of another run, a damaged one (checksum) or one whose rows do
not match its replications is set aside and computed again, with a note.  As
results never depend on the batch split or order, a resumed run gives the
same numbers as an uninterrupted one.

While a run uses the folder it holds an exclusive lock on it, so a second
process on the same folder is refused.  orgsim deletes only what it writes
(its batch files, manifest, lock and half-written temporaries) and refuses a
folder that holds anything else.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from orgsim.errors import CheckpointError
from orgsim.execution.atomic import atomic_path, write_text
from orgsim.execution.batches import BatchResult

MANIFEST = "manifest.json"
LOCK = ".orgsim.lock"
FORMAT = 2  # 2: batches carry their run's identity and a checksum
_NAME = re.compile(r"^(\d+)-(\d+)\.npz$")
_OWN = re.compile(r"^(\d+-\d+\.npz|manifest\.json|\.orgsim\.lock|\.(\d+-\d+\.npz|manifest\.json)\.[A-Za-z0-9_]+\.part)$")
LABELS = {
    "kind": "kind of run",
    "scenario_hash": "scenario (after --set/--grid/--horizon/--policy)",
    "engine": "engine",
    "seed": "seed",
    "replications": "replications",
    "first": "first replication",
    "headcount": "headcount",
    "mode": "kind of output",
    "format": "checkpoint format",
    "grid": "grid",
    "policies": "policies",
}



def scenario_hash(scenario) -> str:
    """SHA-256 of the resolved scenario (every default written out), independent of key order."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def describe_mismatch(folder: Path, recorded: dict, wanted: dict) -> str | None:
    diffs = []
    for key, label in LABELS.items():
        if key in wanted and recorded.get(key) != wanted.get(key):
            if key in ("scenario_hash", "headcount", "mode", "format", "kind", "grid", "policies"):
                diffs.append(f"a different {label}")
            else:
                diffs.append(f"{label} {recorded.get(key)} (asked now: {wanted.get(key)})")
    if not diffs:
        return None
    return (
        f"--resume: {folder} holds a run with {'; '.join(diffs)}; "
        f"resume with the same scenario, --set, seed, engine and -r, or use another --out folder "
        f"(or drop --resume to start afresh there)"
    )


def run_id(manifest: dict) -> str:
    """SHA-256 of a run's manifest (its identity and batch size): the name every batch file carries."""
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def checksum(arrays: dict) -> str:
    """SHA-256 over a batch file's arrays (name, type, shape and bytes of each, in name order)."""
    h = hashlib.sha256()
    for name in sorted(k for k in arrays if k != "checksum"):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def read_manifest(path: Path, keys, resume_hint: str) -> dict | None:
    """The JSON object in *path* (None when there is none), with every one of *keys*; else ``CheckpointError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"--resume: {path} cannot be read ({exc}); {resume_hint}") from None
    try:
        recorded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"--resume: {path} is not valid JSON ({exc.msg}, line {exc.lineno}); {resume_hint}") from None
    if not isinstance(recorded, dict):
        raise CheckpointError(f"--resume: {path} holds a {type(recorded).__name__}, not a run's record; {resume_hint}")
    missing = [k for k in keys if k not in recorded]
    if missing:
        raise CheckpointError(f"--resume: {path} lacks {', '.join(missing)}; {resume_hint}")
    return recorded


def foreign_files(folder: Path) -> list[str]:
    """Names in *folder* that orgsim did not write there (anything but its batches, manifest, lock, temporaries)."""
    try:
        entries = sorted(folder.iterdir())
    except FileNotFoundError:
        return []
    return [f.name + ("/" if f.is_dir() else "") for f in entries if not (_OWN.match(f.name) and f.is_file())]


def refuse_foreign(folder: Path, names: list[str]) -> None:
    if names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise CheckpointError(
            f"{folder} holds files orgsim did not write ({shown}); orgsim deletes only its own batch files, "
            f"so move these away or give another --out folder"
        )


class FolderLock:
    """An exclusive lock on a folder for one process (a lock file held with flock); a second process is refused."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK
        self.fd: int | None = None

    def acquire(self) -> FolderLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(20):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = os.read(fd, 32).decode(errors="replace").strip()
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise CheckpointError(f"{self.folder} cannot be locked ({exc.strerror})") from None
                who = f" (process {holder})" if holder.isdigit() else ""
                raise CheckpointError(
                    f"{self.folder} is in use by another orgsim run{who}; wait for it to end or give another --out folder"
                ) from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:  # else the file was removed by the process that held it: lock the new one
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                self.fd = fd
                return self
            os.close(fd)
        raise CheckpointError(f"{self.folder} cannot be locked: its lock file keeps changing")

    def release(self, remove: bool = False) -> None:
        if self.fd is None:
            return
        if remove:  # removed while still held, so no other process ever holds the removed file
            self.path.unlink(missing_ok=True)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release(remove=True)


class Checkpoint:
    """One run's batches in *folder*.

    *on_note* is told (one line) of every batch set aside to be computed again; default: a warning.
    *lock*: hold the folder's lock from ``start`` to ``close`` (off when a caller locks a parent folder).
    """

    def __init__(self, folder: str | Path, on_note: Callable[[str], None] | None = None, lock: bool = True):
        self.folder = Path(folder)
        self.on_note = on_note
        self.lock = FolderLock(self.folder) if lock else None
        self.run: str | None = None

    def note(self, text: str) -> None:
        if self.on_note is not None:
            self.on_note(text)
        else:
            warnings.warn(text, RuntimeWarning, stacklevel=3)

    def manifest(self, keys=("batch_size",)) -> dict | None:
        """The recorded manifest (None when there is none); ``CheckpointError`` when it is damaged."""
        recorded = read_manifest(
            self.folder / MANIFEST, keys,
            f"it cannot tell which run the batches in {self.folder} belong to; drop --resume to start afresh "
            f"(its batches are then deleted) or give another --out folder",
        )
        if recorded is not None:
            size = recorded.get("batch_size")
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise CheckpointError(f"--resume: {self.folder / MANIFEST} records batch_size {size!r}, not a whole "
                                      f"number of at least 1; drop --resume to start afresh or give another --out folder")
        return recorded

    def start(self, identity: dict, batch_size: int, resume: bool) -> tuple[int, list[BatchResult]]:
        """Begin (or, with *resume*, continue) the run; returns the batch size to use and the batches done."""
        identity = {"format": FORMAT, **identity}
        if self.folder.exists() and not self.folder.is_dir():
            raise CheckpointError(f"{self.folder}: is a file, not a folder; move it away or give another --out folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        refuse_foreign(self.folder, foreign_files(self.folder))
        if self.lock is not None:
            self.lock.acquire()
        try:
            for tmp in self.folder.glob(".*.part"):  # left by a hard kill during a write
                if _OWN.match(tmp.name):
                    tmp.unlink(missing_ok=True)
            recorded = self.manifest(keys=[*identity, "batch_size"]) if resume else None
            if recorded is not None:
                problem = describe_mismatch(self.folder, recorded, identity)
                if problem:
                    raise CheckpointError(problem)
                self.run = run_id(recorded)
                return int(recorded["batch_size"]), self._load()
            for f in self.folder.iterdir():
                if _NAME.match(f.name):
                    f.unlink()
            manifest = {**identity, "batch_size": int(batch_size)}
            write_text(self.folder / MANIFEST, json.dumps(manifest, indent=2))
            self.run = run_id(json.loads(json.dumps(manifest)))
            return int(batch_size), []
        except BaseException:
            self.close()
            raise

    def _read(self, f: Path, lo: int, last: int) -> tuple[BatchResult | None, str]:
        """The batch in *f*, or None and why it cannot be used."""
        try:
            with np.load(f, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except Exception as exc:  # noqa: BLE001 - any unreadable file is redone
            return None, f"it cannot be read ({type(exc).__name__})"
        if "checksum" not in arrays or "run" not in arrays:
            return None, "it carries no run identity or checksum"
        if str(arrays["checksum"]) != checksum(arrays):
            return None, "its contents do not match its checksum (damaged or altered)"
        if str(arrays["run"]) != self.run:
            return None, "it belongs to another run"
        try:
            res = BatchResult.from_arrays(arrays)
        except Exception as exc:  # noqa: BLE001
            return None, f"it lacks a part of a batch ({type(exc).__name__}: {exc})"
        if (res.lo, res.hi - 1) != (lo, last):
            return None, f"it holds replications {res.lo}-{res.hi - 1}, not those of its name"
        problem = res.problem()
        return (None, problem) if problem else (res, "")

    def _load(self) -> list[BatchResult]:
        out = []
        for f in sorted(self.folder.iterdir()):
            m = _NAME.match(f.name)
            if not m:
                continue
            res, why = self._read(f, int(m.group(1)), int(m.group(2)))
            if res is None:
                f.unlink(missing_ok=True)
                self.note(f"{f}: {why}; computing this batch again")
                continue
            out.append(res)
        return out

    def save(self, res: BatchResult) -> Path:
        if self.run is None:
            raise CheckpointError(f"{self.folder}: a batch was saved before the run started")
        target = self.folder / f"{res.lo}-{res.hi - 1}.npz"
        arrays = {**res.arrays(), "run": np.array(self.run)}
        arrays["checksum"] = np.array(checksum(arrays))
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
        return target

    def close(self) -> None:
        """Let go of the folder's lock (the files stay, for a resume)."""
        if self.lock is not None:
            self.lock.release()

    def clear(self) -> None:
        """Delete the files orgsim wrote here (batches, manifest, lock, temporaries), and the folder if that empties it.

        ``CheckpointError`` when the folder holds anything else: nothing is deleted then.
        """
        if not self.folder.is_dir():
            return
        refuse_foreign(self.folder, foreign_files(self.folder))
        for f in self.folder.iterdir():
            if _OWN.match(f.name) and f.name != LOCK:
                f.unlink(missing_ok=True)
        if self.lock is not None and self.lock.fd is not None:
            self.lock.release(remove=True)
        else:
            lock = FolderLock(self.folder)
            lock.acquire()  # refused while another process holds it
            lock.release(remove=True)
        try:
            self.folder.rmdir()
        except OSError:
            pass

    def discard(self, res: BatchResult) -> None:
        (self.folder / f"{res.lo}-{res.hi - 1}.npz").unlink(missing_ok=True)
