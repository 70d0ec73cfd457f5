"""Write files atomically: a reader sees the old file or the whole new one, never half of it."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: str | os.PathLike):
    """Yield a temporary path beside *target*; on success it replaces *target* in one rename."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:  # from here on an interrupt (Ctrl-C) removes the temporary file
        os.close(fd)
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes owner-only files; results are ordinary files
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(target: str | os.PathLike, text: str) -> None:
    """Write *text* to *target* atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def check_writable_dir(path: str | os.PathLike) -> str | None:
    """Why files cannot be written into the folder *path* (created if missing), or None when they can.

    Tries what a run will do later: create the folder and a temporary file in it, then removes
    the file (a folder it created stays, empty).  Called before any simulation starts, so a bad
    output place is reported at once rather than after the work is done.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        return f"{path}: is a file, not a folder"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"{path}: a part of this path is a file, not a folder"
    except OSError as exc:
        return f"{path}: cannot create this folder ({_reason(exc)})"
    try:
        fd, tmp = tempfile.mkstemp(prefix=".orgsim-check.", suffix=".part", dir=path)
    except OSError as exc:
        return f"{path}: cannot write into this folder ({_reason(exc)})"
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"x")
            fh.flush()
    except OSError as exc:
        return f"{path}: cannot write into this folder ({_reason(exc)})"
    finally:
        Path(tmp).unlink(missing_ok=True)
    return None


def check_writable_file(path: str | os.PathLike) -> str | None:
    """Why the file *path* cannot be written (atomically, beside it), or None when it can."""
    raw, path = os.fspath(path), Path(path)
    if path.is_dir():
        return f"{path}: is a folder, not a file"
    if raw.endswith(os.sep) or path.name in ("", ".", ".."):
        return f"{path}: names a folder, not a file"
    return check_writable_dir(path.parent)
