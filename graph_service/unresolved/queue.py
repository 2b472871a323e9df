"""The queue's storage: one SQLite file, <data_dir>/unresolved.sqlite, owner-only.

WAL with synchronous=FULL: a decision is acknowledged only once it is on disk, so it survives a crash or a
power cut (unlike the audit trail, whose records are many; decisions are few and each one matters to a
later load). A decision holds the file's write lock from reading the reference to recording it
(`deciding`), so two operators, in the API or at the command line, cannot decide the same reference at
once; the store change it makes happens inside that hold.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from graph_service.private_files import private_companions, private_file
from graph_service.text_safety import mask_ids_in_text
from graph_service.unresolved.references import (
    Candidate,
    Decision,
    QueuedReference,
    Reference,
    Status,
    Target,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS refs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    ref_key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    row INTEGER NOT NULL,
    field TEXT NOT NULL,
    name TEXT NOT NULL,
    masked TEXT NOT NULL,
    enterprise TEXT NOT NULL,
    reason TEXT NOT NULL,
    candidates TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    person_key TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refs_status ON refs (status, source, seq);
CREATE INDEX IF NOT EXISTS refs_source ON refs (source, seq);
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ref_id TEXT NOT NULL REFERENCES refs (id),
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_ref ON decisions (ref_id, seq);
"""
COLUMNS = (
    "seq, id, ref_key, source, file_name, row, field, name, masked, enterprise, reason, candidates, target,"
    " status, person_key, first_seen, last_seen"
)
# How long a write waits for another process's hold on the file (a load recording its batch, a decision).
BUSY_SECONDS = 10.0
PAGE = 100
MAX_PAGE = 500
_CANDIDATES = TypeAdapter(tuple[Candidate, ...])
_TARGET: TypeAdapter[Target] = TypeAdapter(Target)


class QueueError(Exception):
    """The queue file cannot be opened, read or written; the message says which and why."""


def short_id(ref_key: str, length: int = 10) -> str:
    """A reference's id: short enough to type, the same wherever the same reference is queued."""
    return "U" + ref_key[:length]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json(value: Any) -> str:
    # Whatever a source or an operator wrote in free text, an ID number in it is kept masked.
    return mask_ids_in_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


@dataclass(frozen=True)
class Recorded:
    """What recording a batch's references did."""

    new: int = 0
    seen_again: int = 0


class Held:
    """A reference read under the queue's write lock, and the way to record a decision on it."""

    def __init__(self, queue: UnresolvedQueue, reference: QueuedReference) -> None:
        self.queue = queue
        self.reference = reference

    def record(self, status: Status, person_key: str | None, decision: Decision) -> QueuedReference:
        db = self.queue._db
        db.execute(
            "UPDATE refs SET status = ?, person_key = ? WHERE id = ?",
            (status, person_key, self.reference.id),
        )
        db.execute(
            "INSERT INTO decisions (ref_id, data) VALUES (?, ?)",
            (self.reference.id, mask_ids_in_text(decision.model_dump_json())),
        )
        found = self.queue._read(self.reference.id)
        assert found is not None
        return found


class UnresolvedQueue:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            private_file(path)
            self._db = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=BUSY_SECONDS
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
            private_companions(path)  # its -wal and -shm files, by chmod: the connection holds locks
        except (OSError, sqlite3.Error) as exc:
            raise QueueError(f"cannot open the unresolved-reference queue {path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> UnresolvedQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise QueueError(f"the unresolved-reference queue cannot be written: {exc}") from None
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise

    # -- what loaders do ----------------------------------------------------------------------------

    def record(self, references: Iterable[Reference], file_name: str = "") -> Recorded:
        """Queue a batch's references, in one transaction. One already queued is not queued again: an
        open one takes what the newer load says of it (row, reason, candidates, target), a decided one
        is left as its decision left it."""
        new = again = 0
        now = _now()
        try:
            with self._transaction() as db:
                for ref in references:
                    held = db.execute("SELECT status FROM refs WHERE ref_key = ?", (ref.ref_key,)).fetchone()
                    if file_name:
                        ref = ref.model_copy(update={"file_name": file_name})
                    candidates = _json([c.model_dump(mode="json") for c in ref.candidates])
                    target = _json(ref.target.model_dump(mode="json"))
                    if held is None:
                        self._insert(db, ref, candidates, target, now)
                        new += 1
                        continue
                    again += 1
                    if held[0] == "open":
                        db.execute(
                            "UPDATE refs SET file_name = ?, row = ?, field = ?, reason = ?, candidates = ?,"
                            " target = ?, last_seen = ? WHERE ref_key = ?",
                            (ref.file_name, ref.row, ref.field, mask_ids_in_text(ref.reason), candidates,
                             target, now, ref.ref_key),
                        )  # fmt: skip
                    else:
                        db.execute("UPDATE refs SET last_seen = ? WHERE ref_key = ?", (now, ref.ref_key))
        except sqlite3.Error as exc:
            raise QueueError(f"the unresolved-reference queue cannot be written: {exc}") from None
        return Recorded(new, again)

    def _insert(self, db: sqlite3.Connection, ref: Reference, candidates: str, target: str, now: str) -> None:
        for length in (10, 16, 24, 64):
            ref_id = short_id(ref.ref_key, length)
            if db.execute("SELECT 1 FROM refs WHERE id = ?", (ref_id,)).fetchone() is None:
                break
        db.execute(
            "INSERT INTO refs (id, ref_key, source, file_name, row, field, name, masked, enterprise, reason,"
            " candidates, target, status, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (ref_id, ref.ref_key, ref.source, ref.file_name, ref.row, ref.field, ref.name, ref.masked,
             ref.enterprise, mask_ids_in_text(ref.reason), candidates, target, now, now),
        )  # fmt: skip

    def decision_for(self, ref_key: str) -> tuple[Status, str | None] | None:
        """The status of a queued reference and the person chosen while it is resolved; None if it is
        not queued."""
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT status, person_key FROM refs WHERE ref_key = ?", (ref_key,)
                ).fetchone()
            except sqlite3.Error as exc:
                raise QueueError(f"the unresolved-reference queue cannot be read: {exc}") from None
        return (row[0], row[1]) if row is not None else None

    def resolved_persons(self, ref_keys: Sequence[str]) -> dict[str, str]:
        """The persons chosen for those of these references that are resolved, by ref_key."""
        if not ref_keys:
            return {}
        marks = ", ".join("?" for _ in ref_keys)
        with self._lock:
            rows = self._db.execute(
                f"SELECT ref_key, person_key FROM refs WHERE status = 'resolved' AND ref_key IN ({marks})",
                tuple(ref_keys),
            ).fetchall()
        return {str(k): str(p) for k, p in rows}

    # -- what operators see -------------------------------------------------------------------------

    def get(self, ref_id: str) -> QueuedReference | None:
        with self._lock:
            return self._read(ref_id)

    def page(
        self,
        status: Status | None = None,
        source: str | None = None,
        after: int = 0,
        limit: int = PAGE,
    ) -> tuple[list[QueuedReference], int | None]:
        """One page of references in the order they were first queued, and the position the next page
        starts after (None after the last page)."""
        limit = max(1, min(limit, MAX_PAGE))
        with self._lock:
            rows = self._db.execute(
                f"SELECT {COLUMNS} FROM refs WHERE seq > ? AND (? IS NULL OR status = ?)"
                " AND (? IS NULL OR source = ?) ORDER BY seq LIMIT ?",
                (after, status, status, source, source, limit + 1),
            ).fetchall()
            found = [self._from_row(r, decisions=False) for r in rows[:limit]]
        more = int(rows[limit - 1][0]) if len(rows) > limit else None
        return found, more

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, count(*) FROM refs GROUP BY status").fetchall()
        return {str(s): int(n) for s, n in rows}

    @contextmanager
    def deciding(self, ref_id: str) -> Iterator[Held | None]:
        """The reference under the queue's write lock (None if there is none with this id); what is
        recorded through it commits when the block ends without an error, and not at all otherwise."""
        try:
            with self._transaction():
                yield Held(self, found) if (found := self._read(ref_id)) is not None else None
        except sqlite3.Error as exc:
            raise QueueError(f"the unresolved-reference queue cannot be written: {exc}") from None

    # -- rows ---------------------------------------------------------------------------------------

    def _read(self, ref_id: str) -> QueuedReference | None:
        row = self._db.execute(f"SELECT {COLUMNS} FROM refs WHERE id = ?", (ref_id,)).fetchone()
        return self._from_row(row, decisions=True) if row is not None else None

    def _from_row(self, row: Sequence[Any], decisions: bool) -> QueuedReference:
        names = [c.strip() for c in COLUMNS.split(",")]
        data = dict(zip(names, row, strict=True))
        data.pop("seq")
        data["candidates"] = _CANDIDATES.validate_json(data["candidates"])
        data["target"] = _TARGET.validate_json(data["target"])
        if decisions:
            held = self._db.execute(
                "SELECT data FROM decisions WHERE ref_id = ? ORDER BY seq", (data["id"],)
            ).fetchall()
            data["decisions"] = tuple(Decision.model_validate_json(d[0]) for d in held)
        return QueuedReference.model_validate(data)
