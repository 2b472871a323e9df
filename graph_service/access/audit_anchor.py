"""Where the audit chain's head is kept outside the audit file, so that removing its newest records shows.

The head (sequence number and hash of the last record, when it was written) is signed with the audit key
and kept in two places the log's own file does not control: a checkpoint file (rewritten whole after every
record, by rename, never half-written) and the graph store's meta (both backends; written by a background
thread at most a few times a second, and on close). A checkpoint can also be printed (`credit-graph audit
checkpoint`) and handed to another department, who can later verify the log against it.

Several processes append to one log (the API's workers, API replicas on one host, a shell command beside a
running server). Each anchor only ever moves forward: the checkpoint file is rewritten under an exclusive
flock of its own and only with a newer head than it holds, so a worker that committed record 5 cannot
overwrite the 6 another wrote a moment later; the store's copy is written by one process only, the leader
(graph_service/api/leadership.py), from the log's newest record rather than from its own appends.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from graph_service.store.base import GraphStore

STORE_META = "audit_head"
STORE_FLUSH_SECONDS = 0.2
# How often the leader looks at the log for records other processes appended.
STORE_FOLLOW_SECONDS = 1.0


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    at: str  # when the record was written (ISO 8601)

    def signed(self, key: bytes) -> dict[str, object]:
        return {"seq": self.seq, "hash": self.hash, "at": self.at, "mac": _mac(key, self)}

    @staticmethod
    def parse(text: str, key: bytes) -> Head:
        """A signed head, or ValueError saying why it cannot be used."""
        try:
            data = json.loads(text)
            head = Head(int(data["seq"]), str(data["hash"]), str(data["at"]))
            mac = str(data["mac"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a signed audit head ({exc.__class__.__name__})") from None
        if not hmac.compare_digest(mac, _mac(key, head)):
            raise ValueError("its signature does not match the audit key")
        return head


def _mac(key: bytes, head: Head) -> str:
    return hmac.new(key, f"{head.seq}:{head.hash}:{head.at}".encode(), hashlib.sha256).hexdigest()


class Anchor(Protocol):
    name: str

    def read(self) -> str | None: ...

    def write(self, head: Head, key: bytes) -> None: ...

    def close(self, head: Head | None, key: bytes) -> None: ...


def write_private(path: Path, text: str) -> None:
    """Write a file whole (temporary file, then rename), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


class FileAnchor:
    """The checkpoint file beside the log (by default) or wherever the settings put it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"checkpoint file {path}"

    def read(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, head: Head, key: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = self.path.with_name(f".{self.path.name}.lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # read, compare and replace as one step among processes
            if not _newer(head, self.read(), key):
                return
            write_private(self.path, json.dumps(head.signed(key)))
        finally:
            os.close(fd)  # drops the flock

    def close(self, head: Head | None, key: bytes) -> None:
        if head is not None:
            self.write(head, key)


def _newer(head: Head, held_text: str | None, key: bytes) -> bool:
    """Whether `head` goes beyond the signed head held (one that cannot be read is replaced)."""
    if not held_text:
        return True
    try:
        held = Head.parse(held_text, key)
    except ValueError:
        return True
    return head.seq > held.seq


class StoreAnchor:
    """The graph store's meta; written off the request path, at most every STORE_FLUSH_SECONDS.

    `leading` says whether this process may write it (always, unless told); `follow` hands it the log's
    newest head, which it then writes instead of the heads of this process's own appends."""

    def __init__(self, store: GraphStore, leading: Callable[[], bool] | None = None) -> None:
        self.store = store
        self.name = f"{store.backend_name} graph store"
        self._leading = leading or (lambda: True)
        self._newest: Callable[[], Head | None] | None = None
        self._written: Head | None = None
        self._key = b""
        self._pending: tuple[Head, bytes] | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="audit-anchor", daemon=True)
        self._thread.start()

    def read(self) -> str | None:
        return self.store.get_meta(STORE_META)

    def follow(self, newest: Callable[[], Head | None], key: bytes) -> None:
        """Write the log's newest head (from `newest`), looked at every STORE_FOLLOW_SECONDS."""
        self._newest, self._key = newest, key
        self._wake.set()

    def write(self, head: Head, key: bytes) -> None:
        with self._lock:
            self._pending = (head, key)
        self._wake.set()

    def _flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if not self._leading():
            return
        if self._newest is not None:
            newest = self._newest()
            pending = (newest, self._key) if newest is not None else None
        if pending is None:
            return
        head, key = pending
        if self._written is not None and head.seq <= self._written.seq:
            return
        # Never back: a head the store holds beyond the log's (its newest records removed) must stay.
        if not _newer(head, self.store.get_meta(STORE_META), key):
            self._written = head
            return
        self.store.set_meta(STORE_META, json.dumps(head.signed(key)))
        self._written = head

    def _run(self) -> None:
        while not self._stop:
            woken = self._wake.wait(STORE_FOLLOW_SECONDS if self._newest is not None else None)
            self._wake.clear()
            if self._stop:
                break
            if woken:
                threading.Event().wait(STORE_FLUSH_SECONDS)  # let a burst of records coalesce
            try:
                self._flush()
            except Exception:
                continue

    def close(self, head: Head | None, key: bytes) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=5)
        if head is not None:
            self._pending = (head, key)
        self._flush()
