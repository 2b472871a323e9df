"""The notification side's storage: one SQLite file, <data_dir>/notify.sqlite, owner-only.

It holds subscriptions and their watched subjects, the notices made from the store's change log (the
pull feed and the dispatcher's queue at once), the delivery log, and the notifier's place in the change
log. A notice and the notifier's new place are written in one transaction, so a crash between making
notices and recording how far it got can neither lose nor repeat them. WAL with synchronous=FULL: an
acknowledged subscription or delivery survives a crash or a power cut.

Subjects are kept by USCC or person key, never by ID number; notice bodies carry masked ID numbers only.
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph_service.notify.models import (
    MAX_WATCHED,
    Attempt,
    NewNotice,
    Notice,
    Subscription,
    SubscriptionKind,
    SubscriptionStatus,
)
from graph_service.private_files import private_companions, private_file
from graph_service.text_safety import mask_ids_keeping_uscc

SCHEMA = """
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    secret TEXT NOT NULL,
    status TEXT NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_delivered_at TEXT,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS watched (
    subscription_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (subscription_id, kind, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS watched_subject ON watched (kind, key);
CREATE TABLE IF NOT EXISTS notices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    type TEXT NOT NULL,
    ordering_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body TEXT NOT NULL,
    entry_ids TEXT NOT NULL,
    expected_measures TEXT NOT NULL,
    delivery TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    first_attempt_at TEXT,
    delivered_at TEXT,
    last_error TEXT,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX IF NOT EXISTS notices_due ON notices (delivery, next_attempt_at);
CREATE INDEX IF NOT EXISTS notices_order ON notices (subscription_id, ordering_key, delivery, seq);
CREATE TABLE IF NOT EXISTS attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_seq INTEGER NOT NULL,
    subscription_id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_subscription ON attempts (subscription_id, seq);
CREATE INDEX IF NOT EXISTS attempts_notice ON attempts (notice_seq, seq);
"""
NOTICE_COLUMNS = (
    "seq, event_id, subscription_id, type, ordering_key, created_at, body, delivery, attempts,"
    " next_attempt_at, first_attempt_at, delivered_at, last_error"
)
BUSY_SECONDS = 10.0
PAGE = 100
MAX_PAGE = 1000
SECRET_PREFIX = "whsec_"


class NotifyStoreError(Exception):
    """The notification file cannot be opened, read or written; the message says which and why."""


class UnknownSubscription(Exception):
    """No subscription with this id (or not one the caller's department holds)."""


class TooManyWatched(Exception):
    """A batch would take a subscription past MAX_WATCHED subjects."""


def now_utc() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_subscription_id() -> str:
    return "S" + secrets.token_hex(8)


def masked_body(value: Any) -> Any:
    """A notice body with every ID number in its text masked, the USCCs that name enterprises kept."""
    if isinstance(value, str):
        return mask_ids_keeping_uscc(value)
    if isinstance(value, dict):
        return {k: masked_body(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked_body(v) for v in value]
    return value


class NotifyStore:
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
        except (sqlite3.Error, OSError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise NotifyStoreError(f"cannot open the notification file {path}: {reason}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise NotifyStoreError(f"{self.path} cannot be written: {exc}") from None
            try:
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise NotifyStoreError(f"{self.path} cannot be written: {exc}") from None
            except BaseException:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise NotifyStoreError(f"the notification file {self.path} cannot be read: {exc}") from None

    # -- the notifier's place ---------------------------------------------------------------------

    def get_state(self, name: str) -> str | None:
        rows = self._query("SELECT value FROM state WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    def set_state(self, values: dict[str, str]) -> None:
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", list(values.items()))

    # -- subscriptions ------------------------------------------------------------------------------

    def create(self, subscription: Subscription, secret: str) -> Subscription:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO subscriptions (id, data, secret, status) VALUES (?, ?, ?, ?)",
                (subscription.id, subscription.model_dump_json(), secret, subscription.status),
            )
        return subscription

    def _subscription(self, row: tuple[Any, ...]) -> Subscription:
        data, status, failures, error, delivered, watched = row
        found = Subscription.model_validate_json(data)
        return found.model_copy(
            update={
                "status": status,
                "consecutive_failures": failures,
                "last_error": error,
                "last_delivered_at": _moment(delivered),
                "watched": watched,
            }
        )

    _SELECT = (
        "SELECT s.data, s.status, s.consecutive_failures, s.last_error, s.last_delivered_at,"
        " (SELECT count(*) FROM watched w WHERE w.subscription_id = s.id) FROM subscriptions s"
    )

    def get(self, subscription_id: str, department: str | None = None) -> Subscription:
        """The subscription; UnknownSubscription if there is none, or (department given) if another
        department holds it: a department neither sees nor learns of another's subscriptions."""
        rows = self._query(f"{self._SELECT} WHERE s.id = ? AND s.deleted = 0", (subscription_id,))
        if not rows:
            raise UnknownSubscription(subscription_id)
        found = self._subscription(rows[0])
        if department is not None and found.department != department:
            raise UnknownSubscription(subscription_id)
        return found

    def subscriptions(
        self, department: str | None = None, kinds: Collection[SubscriptionKind] | None = None
    ) -> list[Subscription]:
        rows = self._query(f"{self._SELECT} WHERE s.deleted = 0 ORDER BY s.id")
        found = [self._subscription(r) for r in rows]
        return [
            s
            for s in found
            if (department is None or s.department == department) and (kinds is None or s.kind in kinds)
        ]

    def departments(self) -> dict[str, str]:
        """The department of every subscription ever made, deleted ones too: their notices still count
        in the feedback statistics."""
        rows = self._query("SELECT id, data FROM subscriptions")
        return {str(i): Subscription.model_validate_json(d).department for i, d in rows}

    def secret(self, subscription_id: str) -> str:
        rows = self._query("SELECT secret FROM subscriptions WHERE id = ?", (subscription_id,))
        if not rows:
            raise UnknownSubscription(subscription_id)
        return str(rows[0][0])

    def rotate_secret(self, subscription_id: str) -> str:
        secret = new_secret()
        with self._transaction() as db:
            done = db.execute("UPDATE subscriptions SET secret = ? WHERE id = ?", (secret, subscription_id))
            if done.rowcount == 0:
                raise UnknownSubscription(subscription_id)
        return secret

    def update(self, subscription: Subscription) -> Subscription:
        """Keep a changed subscription (its endpoint, description, measures or lists). One made pull only
        has nowhere to post what was still to be posted: it stays in the pull feed, no longer queued."""
        with self._transaction() as db:
            db.execute(
                "UPDATE subscriptions SET data = ? WHERE id = ? AND deleted = 0",
                (subscription.model_dump_json(), subscription.id),
            )
            if subscription.url is None:
                db.execute(
                    "UPDATE notices SET delivery = 'pull', next_attempt_at = NULL"
                    " WHERE subscription_id = ? AND delivery = 'pending'",
                    (subscription.id,),
                )
        return self.get(subscription.id)

    def set_status(self, subscription_id: str, status: SubscriptionStatus) -> None:
        """Pause or resume; resuming clears the failure count, so the endpoint gets its chance again."""
        with self._transaction() as db:
            db.execute(
                "UPDATE subscriptions SET status = ?, consecutive_failures = "
                "CASE WHEN ? = 'active' THEN 0 ELSE consecutive_failures END WHERE id = ?",
                (status, status, subscription_id),
            )
            if status == "active":
                # Whatever waited for the endpoint is tried again now rather than at its backed-off time.
                db.execute(
                    "UPDATE notices SET next_attempt_at = ? WHERE subscription_id = ?"
                    " AND delivery = 'pending'",
                    (_iso(now_utc()), subscription_id),
                )

    def delete(self, subscription_id: str) -> None:
        """A deleted subscription gets nothing more; its notices and log stay for the statistics."""
        with self._transaction() as db:
            db.execute("UPDATE subscriptions SET deleted = 1 WHERE id = ?", (subscription_id,))
            db.execute("DELETE FROM watched WHERE subscription_id = ?", (subscription_id,))
            db.execute(
                "UPDATE notices SET delivery = 'gave_up', last_error = 'subscription deleted' "
                "WHERE subscription_id = ? AND delivery = 'pending'",
                (subscription_id,),
            )

    # -- watched subjects ---------------------------------------------------------------------------

    def watch(self, subscription_id: str, subjects: Iterable[tuple[str, str]]) -> int:
        """Add subjects ((kind, key): enterprise by USCC, person by person key); how many were new.
        TooManyWatched, and nothing added, if the subscription would then watch over MAX_WATCHED."""
        rows = sorted({(subscription_id, kind, key) for kind, key in subjects})
        with self._transaction() as db:
            before = db.execute(
                "SELECT count(*) FROM watched WHERE subscription_id = ?", (subscription_id,)
            ).fetchone()[0]
            db.executemany("INSERT OR IGNORE INTO watched VALUES (?, ?, ?)", rows)
            after = db.execute(
                "SELECT count(*) FROM watched WHERE subscription_id = ?", (subscription_id,)
            ).fetchone()[0]
            if after > MAX_WATCHED:
                raise TooManyWatched(
                    f"subjects: a subscription watches at most {MAX_WATCHED:,} subjects; this batch would "
                    f"make it {after:,}"
                )
        return int(after - before)

    def change_watched(
        self,
        subscription_id: str,
        add: Iterable[tuple[str, str]],
        remove: Iterable[tuple[str, str]],
    ) -> tuple[int, int]:
        """Remove, then add, in one transaction: (how many were new, how many were removed). The limit
        counts what the subscription watches after both; TooManyWatched, and nothing changed, beyond it."""
        added = sorted({(subscription_id, kind, key) for kind, key in add})
        removed = sorted({(subscription_id, kind, key) for kind, key in remove})
        with self._transaction() as db:
            count = "SELECT count(*) FROM watched WHERE subscription_id = ?"
            before = db.execute(count, (subscription_id,)).fetchone()[0]
            changes = db.total_changes
            db.executemany("DELETE FROM watched WHERE subscription_id = ? AND kind = ? AND key = ?", removed)
            gone = db.total_changes - changes
            db.executemany("INSERT OR IGNORE INTO watched VALUES (?, ?, ?)", added)
            after = db.execute(count, (subscription_id,)).fetchone()[0]
            if after > MAX_WATCHED:
                raise TooManyWatched(
                    f"subjects: a subscription watches at most {MAX_WATCHED:,} subjects; this batch would "
                    f"make it {after:,}"
                )
        return int(after - before + gone), int(gone)

    def unwatch(self, subscription_id: str, subjects: Iterable[tuple[str, str]]) -> int:
        rows = sorted({(subscription_id, kind, key) for kind, key in subjects})
        with self._transaction() as db:
            before = db.total_changes
            db.executemany("DELETE FROM watched WHERE subscription_id = ? AND kind = ? AND key = ?", rows)
            return int(db.total_changes - before)

    def watched(self, subscription_id: str, after: str = "", limit: int = PAGE) -> list[tuple[str, str]]:
        """Watched subjects in (kind, key) order, a page at a time: those after the `kind:key` cursor."""
        kind, _, key = after.partition(":")
        rows = self._query(
            "SELECT kind, key FROM watched WHERE subscription_id = ? AND (kind, key) > (?, ?) "
            "ORDER BY kind, key LIMIT ?",
            (subscription_id, kind, key, limit),
        )
        return [(str(k), str(v)) for k, v in rows]

    def watchers(self, subjects: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """Which subscriptions watch each of these subjects (those watched by none absent)."""
        found: dict[tuple[str, str], list[str]] = {}
        ordered = sorted(set(subjects))
        for start in range(0, len(ordered), 400):  # within SQLite's limit on parameters
            chunk = ordered[start : start + 400]
            marks = ", ".join("(?, ?)" for _ in chunk)
            rows = self._query(
                f"SELECT kind, key, subscription_id FROM watched WHERE (kind, key) IN (VALUES {marks}) "
                "ORDER BY kind, key, subscription_id",
                [v for pair in chunk for v in pair],
            )
            for kind, key, sub in rows:
                found.setdefault((str(kind), str(key)), []).append(str(sub))
        return found

    # -- notices ------------------------------------------------------------------------------------

    def record(self, notices: Sequence[NewNotice], state: dict[str, str], at: datetime | None = None) -> int:
        """Add the notices (a notice already recorded for its subscription is left as it is) and move the
        notifier's place, in one transaction; how many notices were new."""
        at = at or now_utc()
        urls = {s.id: s.url for s in self.subscriptions()}
        with self._transaction() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO notices (event_id, subscription_id, type, ordering_key, created_at,"
                " body, entry_ids, expected_measures, delivery, next_attempt_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        n.event_id,
                        n.subscription_id,
                        n.type,
                        n.ordering_key,
                        _iso(at),
                        json.dumps(masked_body(n.body), ensure_ascii=False, separators=(",", ":")),
                        json.dumps(list(n.entry_ids)),
                        json.dumps(list(n.expected_measures)),
                        "pending" if urls.get(n.subscription_id) else "pull",
                        _iso(at),
                    )
                    for n in notices
                ],
            )
            added = db.total_changes - before
            db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", list(state.items()))
        return int(added)

    def _notice(self, row: tuple[Any, ...]) -> Notice:
        seq, event_id, sub, type_, key, created, body, delivery, attempts, next_at, first, done, error = row
        return Notice(
            seq=seq,
            event_id=event_id,
            subscription_id=sub,
            type=type_,
            ordering_key=key,
            created_at=datetime.fromisoformat(created),
            body=json.loads(body),
            delivery=delivery,
            attempts=attempts,
            next_attempt_at=_moment(next_at),
            first_attempt_at=_moment(first),
            delivered_at=_moment(done),
            last_error=error,
        )

    def notice(self, seq: int) -> Notice | None:
        rows = self._query(f"SELECT {NOTICE_COLUMNS} FROM notices WHERE seq = ?", (seq,))
        return self._notice(rows[0]) if rows else None

    def feed(self, subscription_ids: Collection[str], after: int, limit: int = PAGE) -> list[Notice]:
        """The notices of these subscriptions after the cursor, in feed order: /v1/changes."""
        ids = sorted(set(subscription_ids))
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = self._query(
            f"SELECT {NOTICE_COLUMNS} FROM notices WHERE subscription_id IN ({marks}) AND seq > ? "
            "ORDER BY seq LIMIT ?",
            [*ids, after, limit],
        )
        return [self._notice(r) for r in rows]

    def claim_due(self, now: datetime, limit: int, lease_seconds: float) -> list[Notice]:
        """Notices due for posting, at most one per subscription and ordering key (the oldest pending
        one: a subject's notices arrive in order), of subscriptions not paused; each is leased (its next
        attempt moved `lease_seconds` on) so that another dispatcher, or this one after a crash, takes
        it up only once the lease has run out."""
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT {NOTICE_COLUMNS} FROM notices n WHERE n.delivery = 'pending'"
                " AND n.next_attempt_at <= ?"
                " AND n.seq = (SELECT min(m.seq) FROM notices m WHERE m.subscription_id = n.subscription_id"
                " AND m.ordering_key = n.ordering_key AND m.delivery = 'pending')"
                " AND n.subscription_id IN"
                " (SELECT id FROM subscriptions WHERE status != 'paused' AND deleted = 0)"
                " ORDER BY n.next_attempt_at, n.seq LIMIT ?",
                (_iso(now), limit),
            ).fetchall()
            lease = _iso(datetime.fromtimestamp(now.timestamp() + lease_seconds, UTC))
            db.executemany(
                "UPDATE notices SET next_attempt_at = ? WHERE seq = ?", [(lease, r[0]) for r in rows]
            )
        return [self._notice(r) for r in rows]

    def finish_attempt(
        self,
        notice: Notice,
        attempt: Attempt,
        next_attempt_at: datetime | None,
        failing_after: int,
    ) -> None:
        """Log an attempt and what follows: delivered, tried again at `next_attempt_at`, or given up.
        A subscription whose endpoint failed `failing_after` attempts in a row is marked failing (and
        active again at its next success)."""
        ok = attempt.outcome == "delivered"
        with self._transaction() as db:
            db.execute(
                "INSERT INTO attempts (notice_seq, subscription_id, data) VALUES (?, ?, ?)",
                (notice.seq, notice.subscription_id, attempt.model_dump_json()),
            )
            db.execute(
                "UPDATE notices SET attempts = attempts + 1,"
                " first_attempt_at = coalesce(first_attempt_at, ?), delivery = ?, delivered_at = ?,"
                " next_attempt_at = ?, last_error = ? WHERE seq = ?",
                (
                    _iso(attempt.at),
                    attempt.outcome if attempt.outcome != "retry" else "pending",
                    _iso(attempt.at) if ok else None,
                    _iso(next_attempt_at),
                    None if ok else attempt.error,
                    notice.seq,
                ),
            )
            if ok:
                db.execute(
                    "UPDATE subscriptions SET consecutive_failures = 0, last_error = NULL,"
                    " last_delivered_at = ?,"
                    " status = CASE WHEN status = 'failing' THEN 'active' ELSE status END WHERE id = ?",
                    (_iso(attempt.at), notice.subscription_id),
                )
            else:
                db.execute(
                    "UPDATE subscriptions SET consecutive_failures = consecutive_failures + 1,"
                    " last_error = ?,"
                    " status = CASE WHEN status = 'active' AND consecutive_failures + 1 >= ? THEN 'failing'"
                    " ELSE status END WHERE id = ?",
                    (attempt.error, failing_after, notice.subscription_id),
                )

    def redeliver(self, subscription_id: str, seqs: Collection[int] | None = None) -> int:
        """Put given-up notices (all of the subscription's, or these) back in the queue, due now, each with
        a whole retry window again (counted from its next attempt; the log keeps the earlier ones)."""
        with self._transaction() as db:
            before = db.total_changes
            params: list[Any] = [_iso(now_utc()), subscription_id]
            extra = ""
            if seqs is not None:
                extra = f" AND seq IN ({', '.join('?' for _ in seqs)})"
                params += sorted(seqs)
            db.execute(
                "UPDATE notices SET delivery = 'pending', next_attempt_at = ?, last_error = NULL,"
                f" first_attempt_at = NULL WHERE subscription_id = ? AND delivery = 'gave_up'{extra}",
                params,
            )
            return int(db.total_changes - before)

    def attempts(self, subscription_id: str, after: int = 0, limit: int = PAGE) -> list[tuple[int, Attempt]]:
        """The delivery log of a subscription, oldest first, after the cursor: (log seq, attempt)."""
        rows = self._query(
            "SELECT seq, data FROM attempts WHERE subscription_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (subscription_id, after, limit),
        )
        return [(int(s), Attempt.model_validate_json(d)) for s, d in rows]

    def delivery_counts(self) -> dict[str, int]:
        rows = self._query("SELECT delivery, count(*) FROM notices GROUP BY delivery")
        counts = {"pending": 0, "delivered": 0, "gave_up": 0, "pull": 0}
        counts.update({str(k): int(v) for k, v in rows})
        return counts

    def expectations(self) -> list[tuple[str, list[str], list[str], str | None, str]]:
        """Per notice that expects measures applied: (subscription id, entry ids, measures, delivered at,
        delivery), for the feedback statistics."""
        rows = self._query(
            "SELECT subscription_id, entry_ids, expected_measures, delivered_at, delivery FROM notices"
            " WHERE expected_measures != '[]' ORDER BY seq"
        )
        return [(str(s), json.loads(e), json.loads(m), d, str(v)) for s, e, m, d, v in rows]
