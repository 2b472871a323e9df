"""API keys: stored as hashes only, each with a role (and a department for agencies), revocable.

A key is shown once, when made: `cg_<key id>_<secret>`. The service keeps the SHA-256 of the whole key,
so a copy of the key file lets nobody call the service.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

Role = Literal["public", "agency", "investigator", "admin"]
ROLES: tuple[Role, ...] = ("public", "agency", "investigator", "admin")

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    department TEXT,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""


class KeysError(Exception):
    """A key cannot be made or changed as asked; the message says why."""


class Principal(BaseModel):
    """The caller behind a key."""

    key_id: str
    role: Role
    department: str | None = None
    name: str


class KeyInfo(Principal):
    created_at: datetime
    revoked_at: datetime | None = None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def create(self, role: str, name: str, department: str | None = None) -> tuple[str, str]:
        """A new key: returns (key id, the key itself, shown only now)."""
        if role not in ROLES:
            raise KeysError(f"role: must be one of {', '.join(ROLES)}")
        if role == "agency" and not department:
            raise KeysError("department: an agency key names its department (code or name)")
        if not name.strip():
            raise KeysError("name: say whose key this is")
        key_id = secrets.token_hex(6)
        key = f"cg_{key_id}_{secrets.token_urlsafe(24)}"
        with self._lock:
            self._db.execute(
                "INSERT INTO api_keys (key_id, key_hash, role, department, name, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key_id, _hash(key), role, department, name.strip(), datetime.now(UTC).isoformat()),
            )
        return key_id, key

    def revoke(self, key_id: str) -> None:
        with self._lock:
            cursor = self._db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(), key_id),
            )
        if cursor.rowcount == 0:
            raise KeysError(f"key_id: no active key {key_id}")

    def principal(self, key: str) -> Principal | None:
        """The caller for a presented key, or None for an unknown or revoked one."""
        # Looked up every time, not cached: a key revoked from the shell stops working at once, also in a
        # server that is already running. The lookup is one indexed read.
        digest = _hash(key)
        with self._lock:
            row = self._db.execute(
                "SELECT key_id, role, department, name FROM api_keys"
                " WHERE key_hash = ? AND revoked_at IS NULL",
                (digest,),
            ).fetchone()
            found = None
            if row is not None:
                found = Principal(key_id=row[0], role=row[1], department=row[2], name=row[3])
            return found

    def list(self) -> list[KeyInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key_id, role, department, name, created_at, revoked_at FROM api_keys"
                " ORDER BY created_at"
            ).fetchall()
        return [
            KeyInfo(key_id=r[0], role=r[1], department=r[2], name=r[3], created_at=r[4], revoked_at=r[5])
            for r in rows
        ]

    def close(self) -> None:
        self._db.close()
