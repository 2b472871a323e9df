"""Files the service writes hold personal data (ID numbers in the store, who looked up whom in the audit
trail, keys): they are created readable by their owner only, in folders closed to others, whatever the
umask (docs/domain.md, "Disclosure and personal data")."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TextIO

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_folder(path: Path) -> None:
    """Create the folder (and its missing parents) closed to others; an existing one is left as it is."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
        os.chmod(path, PRIVATE_FOLDER)


def private_file(path: Path) -> None:
    """Make sure the file exists and only its owner may read or write it (SQLite gives its -wal and -shm
    files the database's own permissions)."""
    private_folder(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    os.chmod(path, PRIVATE_FILE)
    private_companions(path)


def private_companions(path: Path) -> None:
    """Only the owner may read or write the database `path` and its -wal and -shm files, by chmod alone
    (no descriptor opened: closing one would drop the POSIX locks a SQLite connection of this process
    holds on the file)."""
    for held in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if held.exists():
            os.chmod(held, PRIVATE_FILE)


def open_private(path: Path, encoding: str = "utf-8", newline: str | None = None) -> TextIO:
    """A new text file for writing, created owner-only (truncated if it exists), in a folder that must
    exist already (a file asked for in a missing folder is the caller's mistake, said as such)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.chmod(path, PRIVATE_FILE)
    return os.fdopen(fd, "w", encoding=encoding, newline=newline)


def readable_by_others(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except FileNotFoundError:
        return False
