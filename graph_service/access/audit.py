"""The audit trail: an append-only log in which each record carries a keyed hash of itself and of the
record before, so that an altered, removed or inserted record shows when the chain is verified.

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from graph_service.access.keys import Principal

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


def _digest(key: bytes, row: dict[str, Any]) -> str:
    canonical = json.dumps([row[f] for f in FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


class AuditLog:
    def __init__(self, path: Path, key: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._key = key.encode()
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def append(
        self,
        principal: Principal,
        action: str,
        subject: str | None,
        summary: str,
        purpose: str | None = None,
    ) -> AuditRecord:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                last = self._db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
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
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
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

    def verify(self) -> tuple[int, list[AuditProblem]]:
        """(records checked, problems): a record whose hash does not match its content was altered; a
        gap in the numbering or a broken link to the previous hash means records were removed or put in."""
        problems: list[AuditProblem] = []
        expected_prev, expected_seq, count = GENESIS, 1, 0
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
        return count, problems

    def close(self) -> None:
        self._db.close()
