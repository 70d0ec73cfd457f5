"""Checkpoints: every finished batch on disk at once, so an interrupted run can be resumed.

A checkpoint folder holds ``manifest.json`` (what is being run: scenario
hash, engine, seed, replications, batch size, headcount) and one
``<first>-<last>.npz`` per finished batch of replications, each written
atomically (a reader sees a whole file or none).  Resuming reads the
manifest, refuses when the run asked for is a different one, and reloads the
batches already done; as results never depend on the batch split or order,
a resumed run gives the same numbers as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from orgsim.errors import CheckpointError
from orgsim.execution.atomic import atomic_path, write_text
from orgsim.execution.batches import BatchResult

MANIFEST = "manifest.json"
FORMAT = 1
_NAME = re.compile(r"^(\d+)-(\d+)\.npz$")
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


class Checkpoint:
    """One run's batches in *folder*."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def manifest(self) -> dict | None:
        try:
            return json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def start(self, identity: dict, batch_size: int, resume: bool) -> tuple[int, list[BatchResult]]:
        """Begin (or, with *resume*, continue) the run; returns the batch size to use and the batches done."""
        identity = {"format": FORMAT, **identity}
        self.folder.mkdir(parents=True, exist_ok=True)
        for tmp in self.folder.glob(".*.part"):  # left by a hard kill during a write
            tmp.unlink(missing_ok=True)
        recorded = self.manifest() if resume else None
        if recorded is not None:
            problem = describe_mismatch(self.folder, recorded, identity)
            if problem:
                raise CheckpointError(problem)
            return int(recorded["batch_size"]), self._load()
        for f in self.folder.iterdir():
            if _NAME.match(f.name):
                f.unlink()
        write_text(self.folder / MANIFEST, json.dumps({**identity, "batch_size": int(batch_size)}, indent=2))
        return int(batch_size), []

    def _load(self) -> list[BatchResult]:
        out = []
        for f in sorted(self.folder.iterdir()):
            m = _NAME.match(f.name)
            if not m:
                continue
            try:
                res = BatchResult.load(f)
            except Exception:  # unreadable: redo that batch
                f.unlink(missing_ok=True)
                continue
            if (res.lo, res.hi - 1) != (int(m.group(1)), int(m.group(2))):
                f.unlink(missing_ok=True)
                continue
            out.append(res)
        return out

    def save(self, res: BatchResult) -> Path:
        target = self.folder / f"{res.lo}-{res.hi - 1}.npz"
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as fh:
                res.save(fh)
        return target

    def discard(self, res: BatchResult) -> None:
        (self.folder / f"{res.lo}-{res.hi - 1}.npz").unlink(missing_ok=True)
