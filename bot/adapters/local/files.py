"""Crash-safe file writes: write a temporary file, fsync it, rename it into place, fsync the folder."""

from __future__ import annotations

import os
from pathlib import Path

from bot.crashpoints import crash_point


def write_atomic(path: Path, data: bytes, *, crash: str = "") -> None:
    """After this returns, `path` holds `data` in full; a crash before it leaves the old file or none
    (and a hidden temporary file, which `sweep_orphans` removes). `crash` names the caller's crash point."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    if crash:
        crash_point(crash)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sweep_orphans(root: Path) -> int:
    """Remove the temporary files `write_atomic` left under `root` when its process died mid-write (their
    writer's pid is in the name and no longer running); how many went. A live writer's file is left alone."""
    removed = 0
    for tmp in root.rglob(".*.tmp-*"):
        pid = tmp.name.rpartition(".tmp-")[2]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            tmp.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
