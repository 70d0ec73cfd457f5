"""A study of several runs checkpointed together: one folder per run under ``<out>/<sub>/NNN/``.

A sweep keeps each cell, a chain of units each unit, in a numbered checkpoint folder of its own
(``orgsim.execution.checkpoint``), with a manifest of the whole study in *out*.  Before the runs start,
``prepare`` checks the recorded study (with a resume) or clears orgsim's own folders of an earlier
one; ``clear`` deletes them once the results are written.  Anything orgsim did not write is refused,
never deleted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from orgsim.errors import CheckpointError
from orgsim.execution.atomic import write_text
from orgsim.execution.checkpoint import Checkpoint, describe_mismatch, foreign_files, read_manifest, refuse_foreign

_RUN = re.compile(r"^\d{3,}$")


def _found(out: Path, sub: str) -> list[Path]:
    """The run folders under ``out/sub`` (``CheckpointError`` for a file there, or anything orgsim did not write)."""
    runs = out / sub
    if runs.exists() and not runs.is_dir():
        raise CheckpointError(f"{runs}: is a file, not a folder; move it away or give another --out folder")
    found = sorted(runs.iterdir()) if runs.is_dir() else []
    refuse_foreign(runs, [f.name for f in found if not (f.is_dir() and _RUN.match(f.name))])
    for d in found:
        refuse_foreign(d, foreign_files(d))
    return found


def prepare(out: Path, sub: str, manifest: str, identity: dict, resume: bool, what: str) -> None:
    """Check the study recorded in *out* (with *resume*) or clear orgsim's own run folders of an earlier one.

    *what* names the study in messages (``sweep``, ``chain of units``).
    """
    found = _found(out, sub)
    recorded = None
    if resume:
        recorded = read_manifest(out / manifest, list(identity),
                                 f"it cannot tell which {what} the batches in {out / sub} belong to; drop --resume "
                                 f"to start afresh (its batches are then deleted) or give another --out folder")
    if recorded is not None:
        problem = describe_mismatch(out, recorded, identity)
        if problem:
            raise CheckpointError(problem)
        return
    for d in found:  # only orgsim's own files: the foreign ones were refused above
        Checkpoint(d, lock=False).clear()
    if (out / sub).is_dir() and not any((out / sub).iterdir()):
        (out / sub).rmdir()
    write_text(out / manifest, json.dumps(identity, indent=2, default=str))


def run_folder(out: Path, sub: str, index: int) -> Path:
    """The checkpoint folder of run *index* of the study in *out*."""
    return out / sub / f"{index:03d}"


def clear(out: Path, sub: str, manifest: str) -> None:
    """Delete the study's run folders and manifest (only orgsim's files), and *out* if that empties it."""
    for d in _found(out, sub):
        Checkpoint(d, lock=False).clear()
    if (out / sub).is_dir() and not any((out / sub).iterdir()):
        (out / sub).rmdir()
    (out / manifest).unlink(missing_ok=True)
    try:
        out.rmdir()
    except OSError:
        pass
