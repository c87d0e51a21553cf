"""Claiming a sweep folder: create it whole or not at all, and let one sweep write it at a time.

A new folder is filled under a hidden temporary name beside it (``.NAME.tmp-PID-XXXXXX``:
manifest, design, empty ``runs/``) and renamed into place in one step, so a start that is
killed at any moment leaves either no folder (and at most a temporary one, removed by the next
start once its process is gone) or a folder with its manifest, which the same command resumes.

The lock is ``flock`` on ``.lock`` in the folder (taken in the temporary folder before it is
renamed, so the folder is never unlocked while a sweep writes it). The operating system drops
it when its process ends, even by ``kill -9``; a second sweep into a locked folder is refused
with the holder's process id.
"""

from __future__ import annotations

import errno
import fcntl
import os
import platform
import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Final

import psutil

from sim.sweep.spec import SweepError

#: The lock file in a sweep folder (empty but for the holder's ``host:pid``).
LOCK: Final = ".lock"
_TEMPORARY: Final = ".tmp-"


class FolderLock:
    """A held lock on a sweep folder; :meth:`release` (or the process's end) drops it."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor: int | None = descriptor

    def release(self) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None


def lock(folder: Path) -> FolderLock:
    """Lock an existing sweep folder, or a SweepError if another sweep holds it."""
    path = folder / LOCK
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(descriptor, 200).decode("utf-8", "replace").strip() or "unknown"
        os.close(descriptor)
        raise SweepError(
            folder,
            "",
            f"another csto sweep (process {holder}) is writing this folder; wait for it to "
            "finish (then the same command resumes or finds the sweep complete), or choose "
            "another --out",
        ) from None
    except BaseException:
        os.close(descriptor)
        raise
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"{platform.node()}:{os.getpid()}\n".encode())
    return FolderLock(descriptor)


def create(folder: Path, fill: Callable[[Path], None]) -> FolderLock | None:
    """Create ``folder`` (absent or empty) whole: ``fill`` writes the new folder's files into
    a temporary folder, which is then renamed into place. Returns the folder's lock, or None
    if another process created the folder meanwhile (nothing is left behind)."""
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned(folder)
    temporary = parent / f".{folder.name}{_TEMPORARY}{os.getpid()}-{secrets.token_hex(3)}"
    os.mkdir(temporary)
    held: FolderLock | None = None
    try:
        held = lock(temporary)
        fill(temporary)
        try:
            os.rename(temporary, folder)  # onto nothing, or onto an empty folder
        except OSError as error:
            if error.errno in (errno.ENOTEMPTY, errno.EEXIST):  # another sweep was quicker
                held.release()
                shutil.rmtree(temporary, ignore_errors=True)
                return None
            if not folder.is_dir():
                raise
            _move_into(temporary, folder)  # an empty folder that cannot be replaced
        _sync(parent)
        return held
    except BaseException:
        if held is not None:
            held.release()
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _move_into(temporary: Path, folder: Path) -> None:
    """Move a new sweep's files into an existing empty folder (a mount point, say): the lock
    first, then the manifest, so that from then on the folder is resumable."""
    names = [LOCK, "manifest.json"]
    names += sorted(path.name for path in temporary.iterdir() if path.name not in names)
    for name in names:
        os.rename(temporary / name, folder / name)
    os.rmdir(temporary)


def remove_abandoned(folder: Path) -> int:
    """Delete temporary folders of starts of ``folder`` whose process is gone; return how
    many."""
    pattern = re.compile(rf"^\.{re.escape(folder.name)}{re.escape(_TEMPORARY)}(\d+)-[0-9a-f]+$")
    removed = 0
    try:
        entries = list(folder.parent.iterdir())
    except OSError:
        return 0
    for path in entries:
        match = pattern.match(path.name)
        if match is None or not path.is_dir() or path.is_symlink():
            continue
        if int(match.group(1)) != os.getpid() and psutil.pid_exists(int(match.group(1))):
            continue  # another sweep is starting there right now
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def _sync(directory: Path) -> None:
    """Flush a folder's entries to disk (the rename), where the system allows it."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - not on Linux
        return
    try:
        os.fsync(descriptor)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(descriptor)
