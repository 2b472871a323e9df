"""The audit trail: an append-only log in which each record carries a keyed hash of itself and of the
record before, so that an altered, removed or inserted record shows when the chain is verified; and the
chain's head is kept outside the log (access/audit_anchor.py), so that removing its newest records, all of
them or the table shows too.

The chain is keyed (HMAC-SHA256 with the audit key, kept apart from the log): whoever can write the log
file but does not hold the key cannot recompute the chain after changing it. Each append is one SQLite
transaction in WAL mode, committed before the call returns, so an appended record survives kill -9 of the
service; synchronous=NORMAL (no fsync per record, which would cost more than the check it records) means
a power cut may lose the last records, never alter the chain, and verify still holds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from graph_service.access.audit_anchor import Anchor, Head
from graph_service.access.keys import Principal
from graph_service.private_files import private_companions, private_file
from graph_service.store.base import StoreError

GENESIS = "0" * 64
SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    key_id TEXT NOT NULL,
    role TEXT NOT NULL,
    department TEXT,
    purpose TEXT,
    action TEXT NOT NULL,
    subject TEXT,
    summary TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_subject ON audit (subject);
CREATE INDEX IF NOT EXISTS audit_key ON audit (key_id);
"""
FIELDS = ("seq", "at", "key_id", "role", "department", "purpose", "action", "subject", "summary", "prev")


class AuditRecord(BaseModel):
    seq: int
    at: datetime
    key_id: str
    role: str
    department: str | None
    purpose: str | None
    action: str
    subject: str | None
    summary: str
    prev: str
    hash: str


class AuditProblem(BaseModel):
    seq: int
    problem: str


class AuditUnavailableError(Exception):
    """The audit trail cannot be written now (locked, full, unreadable): nothing audited may happen."""


# How long an append waits for a lock another process holds before it gives up (the caller gets a 503).
BUSY_SECONDS = 2.0


def _digest(key: bytes, row: dict[str, Any]) -> str:
    canonical = json.dumps([row[f] for f in FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


class AuditLog:
    def __init__(self, path: Path, key: str, anchors: Sequence[Anchor] = ()) -> None:
        self.path = path
        self._key = key.encode()
        self._lock = threading.Lock()
        self.anchors = list(anchors)
        private_file(path)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_SECONDS)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        private_companions(path)  # its -wal and -shm files, by chmod: the connection holds locks
        self._head = self._anchored_head()

    def _anchored_head(self) -> Head | None:
        """The newest head anyone holds: the log's own last record, or an anchor's if the log is behind
        it (its newest records were removed: new records continue from the anchor, so the gap stays)."""
        last = self._db.execute("SELECT seq, hash, at FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        head = Head(int(last[0]), str(last[1]), str(last[2])) if last else None
        for anchor in self.anchors:
            try:
                text = anchor.read()
                held = Head.parse(text, self._key) if text else None
            except (ValueError, OSError, StoreError):
                continue
            if held is not None and (head is None or held.seq > head.seq):
                head = held
        return head

    def head(self) -> Head | None:
        with self._lock:
            return self._head

    def newest(self) -> Head | None:
        """The chain's head as the log holds it now, with the records other processes appended (`head()`
        is this process's own view); still the anchored head when the log is behind it."""
        with self._lock:
            last = self._db.execute("SELECT seq, hash, at FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            own = self._head
        held = Head(int(last[0]), str(last[1]), str(last[2])) if last else None
        if own is not None and (held is None or own.seq > held.seq):
            return own
        return held

    def append(
        self,
        principal: Principal,
        action: str,
        subject: str | None,
        summary: str,
        purpose: str | None = None,
    ) -> AuditRecord:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise AuditUnavailableError(f"the audit trail cannot be written: {exc}") from None
            try:
                last = self._db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                if self._head is not None and (last is None or last[0] < self._head.seq):
                    last = (self._head.seq, self._head.hash)  # the log lost records: keep the gap visible
                row: dict[str, Any] = {
                    "seq": (last[0] + 1) if last else 1,
                    "at": datetime.now(UTC).isoformat(),
                    "key_id": principal.key_id,
                    "role": principal.role,
                    "department": principal.department,
                    "purpose": purpose,
                    "action": action,
                    "subject": subject,
                    "summary": summary[:2000],
                    "prev": last[1] if last else GENESIS,
                }
                row["hash"] = _digest(self._key, row)
                self._db.execute(
                    f"INSERT INTO audit ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                    tuple(row.values()),
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                with suppress(sqlite3.Error):  # a failed COMMIT may have rolled back already
                    self._db.execute("ROLLBACK")
                raise AuditUnavailableError(f"the audit trail cannot be written: {exc}") from None
            except BaseException:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise
            self._head = Head(row["seq"], row["hash"], row["at"])
            for anchor in self.anchors:
                try:
                    anchor.write(self._head, self._key)
                except OSError:
                    continue  # the record stands; verify compares with whichever anchor is newest
        return AuditRecord(**row)

    def records(
        self, subject: str | None = None, key_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, at, key_id, role, department, purpose, action, subject, summary, prev, hash"
                " FROM audit WHERE (? IS NULL OR subject = ?) AND (? IS NULL OR key_id = ?)"
                " ORDER BY seq LIMIT ? OFFSET ?",
                (subject, subject, key_id, key_id, limit, offset),
            ).fetchall()
        names = (*FIELDS, "hash")
        return [AuditRecord(**dict(zip(names, r, strict=True))) for r in rows]

    def verify(self, checkpoints: Sequence[tuple[str, str]] = ()) -> tuple[int, list[AuditProblem]]:
        """(records checked, problems): a record whose hash does not match its content was altered; a
        gap in the numbering or a broken link to the previous hash means records were removed or put in;
        a head anchored elsewhere (the anchors, and `checkpoints`: (name, signed head) pairs handed over)
        beyond the last record, or differing from the record it names, means the newest were removed or
        rewritten."""
        problems: list[AuditProblem] = []
        expected_prev, expected_seq, count = GENESIS, 1, 0
        hashes: dict[int, str] = {}
        with self._lock:
            cursor = self._db.execute(
                "SELECT seq, at, key_id, role, department, purpose, action, subject, summary, prev, hash"
                " FROM audit ORDER BY seq"
            )
            for values in cursor:
                count += 1
                row = dict(zip((*FIELDS, "hash"), values, strict=True))
                seq = int(row["seq"])
                if seq != expected_seq:
                    missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq} to {seq - 1}"
                    problems.append(AuditProblem(seq=expected_seq, problem=f"record(s) {missing} removed"))
                elif row["prev"] != expected_prev:
                    problems.append(AuditProblem(seq=seq, problem="does not follow the record before it"))
                if _digest(self._key, row) != row["hash"]:
                    problems.append(
                        AuditProblem(seq=seq, problem="altered: its content does not match its hash")
                    )
                expected_prev, expected_seq = str(row["hash"]), seq + 1
                hashes[seq] = str(row["hash"])
        last = expected_seq - 1
        held = [(a.name, a.read) for a in self.anchors]
        for name, text in [*((n, _read(r)) for n, r in held), *checkpoints]:
            if not text:
                continue
            try:
                head = Head.parse(text, self._key)
            except ValueError as exc:
                problems.append(AuditProblem(seq=0, problem=f"the head in the {name} cannot be used: {exc}"))
                continue
            if head.seq > last:
                gone = f"{last + 1}" if head.seq == last + 1 else f"{last + 1} to {head.seq}"
                problems.append(
                    AuditProblem(
                        seq=last + 1,
                        problem=f"record(s) {gone} removed: the {name} holds record {head.seq} as the head",
                    )
                )
            elif hashes.get(head.seq) != head.hash:
                problems.append(
                    AuditProblem(seq=head.seq, problem=f"differs from the head kept in the {name}")
                )
        problems.sort(key=lambda p: p.seq)
        return count, problems

    def checkpoint(self) -> dict[str, object] | None:
        """The signed head, to hand to another department (None for an empty trail)."""
        head = self.head()
        return head.signed(self._key) if head is not None else None

    def db_only_close(self) -> None:
        """Close without writing the anchors: for a reader (verify, checkpoint), which must not move them."""
        self._db.close()

    def close(self) -> None:
        for anchor in self.anchors:
            try:
                anchor.close(self._head, self._key)
            except (OSError, StoreError):
                continue
        self._db.close()


def _read(read: Callable[[], str | None]) -> str | None:
    try:
        return read()
    except (OSError, StoreError):
        return None
