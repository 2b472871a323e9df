"""API keys: stored as hashes only, each with a role (and a department for agencies), revocable, and
optionally expiring.

A key is shown once, when made: `cg_<key id>_<secret>`. The service keeps the SHA-256 of the whole key,
so a copy of the key file lets nobody call the service.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from graph_service.private_files import private_file

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
    revoked_at TEXT,
    expires_at TEXT
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
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a presented key was refused: the caller is told an expired key apart from a bad one, so that
    they ask for a new key rather than check what they typed."""

    reason: Literal["unknown_or_revoked", "expired"]
    expired_at: datetime | None = None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _utc(moment: datetime) -> datetime:
    # The column holds UTC; a value without an offset (written by hand, say) is read as UTC rather than
    # failing every comparison with an aware time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse(text: str | None) -> datetime | None:
    return _utc(datetime.fromisoformat(text)) if text else None


class KeyStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        private_file(path)  # hashed keys, but whose they are and what they may do: the owner's only
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._add_expiry_column()

    def _has_expiry_column(self) -> bool:
        return any(row[1] == "expires_at" for row in self._db.execute("PRAGMA table_info(api_keys)"))

    def _add_expiry_column(self) -> None:
        """Key files made before keys could expire lack `expires_at`; their keys keep working, unexpiring."""
        if self._has_expiry_column():
            return
        # Looked at again under the write lock (BEGIN IMMEDIATE), so a server and a shell command opening
        # the same old file together do not both try to add the column.
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if not self._has_expiry_column():
                    self._db.execute("ALTER TABLE api_keys ADD COLUMN expires_at TEXT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def create(
        self, role: str, name: str, department: str | None = None, expires_at: datetime | None = None
    ) -> tuple[str, str]:
        """A new key, valid until `expires_at` (UTC if no offset is given) or until revoked: returns (key id,
        the key itself, shown only now)."""
        if role not in ROLES:
            raise KeysError(f"role: must be one of {', '.join(ROLES)}")
        if role == "agency" and not department:
            raise KeysError("department: an agency key names its department (code or name)")
        if not name.strip():
            raise KeysError("name: say whose key this is")
        expires = _utc(expires_at) if expires_at is not None else None
        if expires is not None and expires <= datetime.now(UTC):
            raise KeysError("expires: must be in the future")
        key_id = secrets.token_hex(6)
        key = f"cg_{key_id}_{secrets.token_urlsafe(24)}"
        with self._lock:
            self._db.execute(
                "INSERT INTO api_keys (key_id, key_hash, role, department, name, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key_id,
                    _hash(key),
                    role,
                    department,
                    name.strip(),
                    datetime.now(UTC).isoformat(),
                    expires.isoformat() if expires is not None else None,
                ),
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
        """The caller for a presented key, or None for an unknown, revoked or expired one."""
        found = self.check(key)
        return found if isinstance(found, Principal) else None

    def check(self, key: str) -> Principal | Refusal:
        """The caller for a presented key, or why it is refused."""
        # Looked up every time, not cached: a key revoked from the shell stops working at once, also in a
        # server that is already running. The lookup is one indexed read.
        digest = _hash(key)
        with self._lock:
            row = self._db.execute(
                "SELECT key_id, role, department, name, revoked_at, expires_at FROM api_keys"
                " WHERE key_hash = ?",
                (digest,),
            ).fetchone()
        # A revoked key says no more than an unknown one, even when it has also expired.
        if row is None or row[4] is not None:
            return Refusal("unknown_or_revoked")
        expires = _parse(row[5])
        if expires is not None and expires <= datetime.now(UTC):
            return Refusal("expired", expires)
        return Principal(key_id=row[0], role=row[1], department=row[2], name=row[3])

    def lapsed(self, key_ids: Iterable[str]) -> set[str]:
        """The keys among these that were revoked or have expired: what their holders set up (a
        subscription) stops with them. Ids of no key here (the console's own) are not among them."""
        wanted = sorted(set(key_ids))
        if not wanted:
            return set()
        marks = ", ".join("?" for _ in wanted)
        with self._lock:
            rows = self._db.execute(
                f"SELECT key_id, revoked_at, expires_at FROM api_keys WHERE key_id IN ({marks})", wanted
            ).fetchall()
        now = datetime.now(UTC)
        return {
            str(k)
            for k, revoked, expires in rows
            if revoked is not None or ((e := _parse(expires)) is not None and e <= now)
        }

    def list(self) -> list[KeyInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key_id, role, department, name, created_at, revoked_at, expires_at FROM api_keys"
                " ORDER BY created_at"
            ).fetchall()
        return [
            KeyInfo(
                key_id=r[0],
                role=r[1],
                department=r[2],
                name=r[3],
                created_at=r[4],
                revoked_at=r[5],
                expires_at=_parse(r[6]),
            )
            for r in rows
        ]

    def close(self) -> None:
        self._db.close()
