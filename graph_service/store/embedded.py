"""The embedded backend: networkx in memory for traversal, SQLite underneath for durability.

Every batch is one SQLite transaction in WAL mode with synchronous=FULL, committed before the call
returns, so a write that returned survives kill -9 (and power loss). The in-memory graph is changed
only after the commit, and rebuilt from SQLite at start.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal, TypeVar

import networkx as nx
from pydantic import BaseModel

from graph_service.domain.history import OPEN_END, as_known, counting_periods, in_force_on
from graph_service.domain.recorded import role_as_known, stamp_entry, stamp_role
from graph_service.model import (
    STAMPS,
    Enterprise,
    EntryEvent,
    EntryStatus,
    Feedback,
    ListEntry,
    NodeKind,
    Person,
    Role,
    RoleType,
)
from graph_service.private_files import private_file, private_folder
from graph_service.store.base import (
    MAX_CHANGES,
    Change,
    ConflictError,
    Cover,
    EntryLink,
    GraphEdge,
    GraphNode,
    GraphStore,
    MissingReferenceError,
    Neighbourhood,
    OwnershipDirection,
    ReachRow,
    RecordKind,
    SearchHit,
    StoreError,
    WriteResult,
    cap_neighbourhood,
    check_neighbourhood_args,
    check_ownership_args,
    cover_admits,
    empty_counts,
    entries_change,
    found_by_code,
    lookup_codes,
    named_responsible_edge_id,
    names_edge_id,
    reference_day,
    roles_change,
    search_form,
    sort_entry_links,
    sort_reach,
    sort_roles,
)

Node = tuple[str, str]  # (kind, key)
M = TypeVar("M", bound=BaseModel)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enterprises (
    uscc TEXT PRIMARY KEY, data TEXT NOT NULL, org_code TEXT, registration_number TEXT, registry_id TEXT
);
CREATE TABLE IF NOT EXISTS persons (person_key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS roles (role_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (entry_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
"""
# 2: the enterprises table has the columns find_enterprises looks codes up in (ENTERPRISE_CODES).
SCHEMA_VERSION = "2"
# Copies of an enterprise's other codes beside its JSON, each indexed: the lookups of find_enterprises.
ENTERPRISE_CODES = ("org_code", "registration_number", "registry_id")
INDEXES = """
CREATE INDEX IF NOT EXISTS enterprise_org_code ON enterprises (org_code);
CREATE INDEX IF NOT EXISTS enterprise_registration_number ON enterprises (registration_number);
CREATE INDEX IF NOT EXISTS enterprise_registry_id ON enterprises (registry_id);
"""
UPSERT_ENTERPRISE = (
    "INSERT OR REPLACE INTO enterprises (uscc, data, org_code, registration_number, registry_id) "
    "VALUES (?, ?, ?, ?, ?)"
)


def _enterprise_row(e: Enterprise) -> tuple[str, str, str | None, str | None, str | None]:
    return (e.uscc, e.model_dump_json(), e.org_code, e.registration_number, e.registry_id)


def _same(old: BaseModel | None, new: BaseModel) -> bool:
    """Equal apart from when it was loaded or recorded: reloading the same data changes nothing."""
    if old is None:
        return False
    blank = {name: None for name in STAMPS if name in type(new).model_fields}
    return old.model_copy(update=blank) == new.model_copy(update=blank)


class EmbeddedStore(GraphStore):
    backend_name = "embedded"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        private_folder(self.path.parent)
        self._lock = threading.RLock()
        # One process at a time: the in-memory graph is this process's copy, so a second writer (or a
        # server that would not see its writes) is refused rather than silently diverging.
        self._lock_file = open(self.path.with_name(self.path.name + ".lock"), "a+")  # noqa: SIM115
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreError(
                f"{self.path} is in use by another process (a running `credit-graph serve`?); "
                "stop it or go through its API"
            ) from None
        try:
            # Every person's raw ID number is in this file: the owner's only, whatever the umask.
            private_file(self.path)
            # isolation_level=None: transactions are opened and committed explicitly, one per batch.
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            self._migrate()
            self._db.executescript(INDEXES)
        except (sqlite3.Error, OSError) as exc:
            self._lock_file.close()
            reason = getattr(exc, "strerror", None) or exc
            raise StoreError(f"cannot open the embedded store {self.path}: {reason}") from None
        self._graph = nx.MultiDiGraph()
        self._enterprises: dict[str, Enterprise] = {}
        self._persons: dict[str, Person] = {}
        self._entries: dict[str, ListEntry] = {}
        self._roles: dict[str, Role] = {}
        self._role_counts: Counter[str] = Counter()
        self._by_name: defaultdict[str, set[str]] = defaultdict(set)
        self._search: dict[tuple[str, str], tuple[str, str]] = {}  # (kind, key) -> (search form, name)
        self._events: defaultdict[str, list[EntryEvent]] = defaultdict(list)
        self._feedback: defaultdict[str, list[Feedback]] = defaultdict(list)
        # The days each entry starts or stops counting on (entries_turning_on), kept as entries change.
        self._turning: defaultdict[date, set[str]] = defaultdict(set)
        self._turns: dict[str, set[date]] = {}
        self._rebuild()

    # -- start-up -----------------------------------------------------------------------------------

    def _migrate(self) -> None:
        """Bring a store written by an earlier version to this schema, in one transaction: a store of
        version 1 gets the code columns of its enterprises, filled from their records."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(enterprises)")}
        missing = [name for name in ENTERPRISE_CODES if name not in columns]
        if not missing:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for name in missing:  # names from this module's own constant
                self._db.execute(f"ALTER TABLE enterprises ADD COLUMN {name} TEXT")
            filled = [
                (e.org_code, e.registration_number, e.registry_id, e.uscc)
                for e in self._rows("enterprises", Enterprise)
            ]
            self._db.executemany(
                "UPDATE enterprises SET org_code = ?, registration_number = ?, registry_id = ? "
                "WHERE uscc = ?",
                filled,
            )
            self._db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (SCHEMA_VERSION,))
            self._db.execute("COMMIT")
        except BaseException:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise

    def _rows(self, table: str, model: type[M], in_order: bool = False) -> Iterable[M]:
        # Table names come from this module's own constants, never from input.
        order = " ORDER BY seq" if in_order else ""
        cursor = self._db.execute(f"SELECT data FROM {table}{order}")
        while chunk := cursor.fetchmany(10_000):
            for (data,) in chunk:
                yield model.model_validate_json(data)

    def _rebuild(self) -> None:
        for e in self._rows("enterprises", Enterprise):
            self._put_enterprise(e)
        for p in self._rows("persons", Person):
            self._put_person(p)
        for r in self._rows("roles", Role):
            self._put_role(r)
        for entry in self._rows("entries", ListEntry):
            self._put_entry(entry)
        for event in self._rows("events", EntryEvent, in_order=True):
            self._events[event.entry_id].append(event)
        for fb in self._rows("feedback", Feedback, in_order=True):
            self._feedback[fb.entry_id].append(fb)

    # -- in-memory mutation (only after a commit) ---------------------------------------------------

    def _put_enterprise(self, e: Enterprise) -> None:
        self._enterprises[e.uscc] = e
        self._search[("enterprise", e.uscc)] = (search_form(e.name), e.name)
        self._graph.add_node(("enterprise", e.uscc))

    def _put_person(self, p: Person) -> None:
        old = self._persons.get(p.person_key)
        if old is not None:
            self._by_name[old.name].discard(p.person_key)
        self._by_name[p.name].add(p.person_key)
        self._persons[p.person_key] = p
        self._search[("person", p.person_key)] = (search_form(p.name), p.name)
        self._graph.add_node(("person", p.person_key))

    def _put_role(self, r: Role) -> None:
        if r.role_id not in self._roles:
            self._role_counts[r.type.value] += 1
        self._roles[r.role_id] = r
        self._graph.add_edge(
            (r.holder_kind, r.holder_key), ("enterprise", r.enterprise), key=r.role_id, role=r
        )

    def _put_entry(self, entry: ListEntry) -> None:
        for day in self._turns.pop(entry.entry_id, ()):
            self._turning[day].discard(entry.entry_id)
        starts, ends = counting_periods(entry)
        turns = {d for d in (*starts, *ends) if d != OPEN_END}
        self._turns[entry.entry_id] = turns
        for day in turns:
            self._turning[day].add(entry.entry_id)
        node = ("entry", entry.entry_id)
        if node in self._graph:
            self._graph.remove_edges_from(list(self._graph.out_edges(node, keys=True)))
        self._entries[entry.entry_id] = entry
        self._graph.add_node(node)
        self._graph.add_edge(node, (entry.subject_kind, entry.subject_key), key=names_edge_id(entry.entry_id))
        for named in entry.named_responsible:
            self._graph.add_edge(
                node,
                ("person", named.person_key),
                key=named_responsible_edge_id(entry.entry_id, named.person_key),
                named_role=named.role,
            )

    # -- writes -----------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One SQLite transaction, committed (and on disk) when the block ends; rolled back whole if it
        fails. A failure of the database itself (disk full, file locked or unreadable) is a StoreError
        (the API's 503), never a half-written batch: the in-memory graph changes only after a commit."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"the embedded store {self.path} cannot be written: {exc}") from None
        try:
            yield
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise StoreError(f"the embedded store {self.path} cannot be written: {exc}") from None
        except BaseException:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise

    def _write(
        self,
        table: str,
        rows: Sequence[M],
        key_of: Callable[[M], str],
        existing: dict[str, M],
        put: Callable[[M], None],
        check: Callable[[Sequence[M]], list[tuple[str, str]]] | None = None,
        stamp: Callable[[M | None, M, datetime], M] | None = None,
        statement: tuple[str, Callable[[M], tuple[object, ...]]] | None = None,
        logged: Callable[[list[M], datetime], Change | None] | None = None,
    ) -> WriteResult:
        """Write the changed rows: as (key, JSON) into the table, or with `statement`, an INSERT and the
        values it takes from a record; with `logged`, the change they make goes into the change log in
        the same transaction."""
        with self._lock:
            if check is not None and (missing := check(rows)):
                raise MissingReferenceError(missing)
            latest: dict[str, M] = {}
            for row in rows:  # the last of duplicates within a batch wins, as in a sequence of writes
                latest[key_of(row)] = row
            result = WriteResult()
            changed: list[M] = []
            now = datetime.now(UTC)
            for key, row in latest.items():
                old = existing.get(key)
                if _same(old, row):
                    result.unchanged += 1
                    continue
                if old is None:
                    result.created += 1
                else:
                    result.updated += 1
                changed.append(row if stamp is None else stamp(old, row, now))
            if changed:
                if statement is None:
                    sql, values = f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", None
                else:
                    sql, values = statement
                with self._transaction():
                    self._db.executemany(
                        sql,
                        [(key_of(r), r.model_dump_json()) if values is None else values(r) for r in changed],
                    )
                    if logged is not None:
                        self._log(logged(changed, now))
                for row in changed:
                    put(row)
            return result

    def upsert_enterprises(self, rows: Sequence[Enterprise]) -> WriteResult:
        return self._write(
            "enterprises",
            rows,
            lambda e: e.uscc,
            self._enterprises,
            self._put_enterprise,
            statement=(UPSERT_ENTERPRISE, _enterprise_row),
        )

    def upsert_persons(self, rows: Sequence[Person]) -> WriteResult:
        return self._write("persons", rows, lambda p: p.person_key, self._persons, self._put_person)

    def _known(self, kind: str, key: str) -> bool:
        return key in (self._persons if kind == "person" else self._enterprises)

    def _missing_role_ends(self, rows: Sequence[Role]) -> list[tuple[str, str]]:
        missing: list[tuple[str, str]] = [
            (r.holder_kind, r.holder_key) for r in rows if not self._known(r.holder_kind, r.holder_key)
        ]
        missing += [("enterprise", r.enterprise) for r in rows if r.enterprise not in self._enterprises]
        return missing

    def _missing_entry_ends(self, rows: Sequence[ListEntry]) -> list[tuple[str, str]]:
        missing: list[tuple[str, str]] = [
            (e.subject_kind, e.subject_key) for e in rows if not self._known(e.subject_kind, e.subject_key)
        ]
        missing += [
            ("person", n.person_key)
            for e in rows
            for n in e.named_responsible
            if n.person_key not in self._persons
        ]
        return missing

    def upsert_roles(self, rows: Sequence[Role]) -> WriteResult:
        return self._write(
            "roles",
            rows,
            lambda r: r.role_id,
            self._roles,
            self._put_role,
            self._missing_role_ends,
            stamp_role,
            logged=roles_change,
        )

    def upsert_entries(self, rows: Sequence[ListEntry]) -> WriteResult:
        return self._write(
            "entries",
            rows,
            lambda e: e.entry_id,
            self._entries,
            self._put_entry,
            self._missing_entry_ends,
            stamp_entry,
            logged=lambda rows, now: entries_change((e.entry_id for e in rows), now),
        )

    def _log(self, change: Change | None) -> None:
        """Append to the change log, inside the caller's transaction."""
        if change is not None:
            data = change.model_dump_json(exclude={"seq"})
            self._db.execute("INSERT INTO changes (data) VALUES (?)", (data,))

    def apply_event(self, entry: ListEntry, event: EntryEvent, expected_status: EntryStatus | None) -> None:
        with self._lock:
            old = self._entries.get(entry.entry_id)
            if expected_status is None and old is not None:
                raise ConflictError(f"entry {entry.entry_id} exists already")
            if expected_status is not None and (old is None or old.status != expected_status):
                found = "no such entry" if old is None else f"its status is {old.status}"
                raise ConflictError(f"entry {entry.entry_id} was expected {expected_status}, but {found}")
            if missing := self._missing_entry_ends([entry]):
                raise MissingReferenceError(missing)
            at = event.recorded_at or datetime.now(UTC)
            entry = stamp_entry(old, entry, at)
            with self._transaction():
                self._log(Change(at=at, kind="event", entry_ids=(entry.entry_id,), event=event.event))
                self._db.execute(
                    "INSERT OR REPLACE INTO entries VALUES (?, ?)", (entry.entry_id, entry.model_dump_json())
                )
                self._db.execute(
                    "INSERT INTO events (entry_id, data) VALUES (?, ?)",
                    (entry.entry_id, event.model_dump_json()),
                )
            self._put_entry(entry)
            self._events[entry.entry_id].append(event)

    def events_of_entry(self, entry_id: str) -> list[EntryEvent]:
        with self._lock:
            return list(self._events.get(entry_id, ()))

    def append_feedback(self, feedback: Feedback) -> None:
        with self._lock:
            if feedback.entry_id not in self._entries:
                raise MissingReferenceError([("entry", feedback.entry_id)])
            with self._transaction():
                self._db.execute(
                    "INSERT INTO feedback (entry_id, data) VALUES (?, ?)",
                    (feedback.entry_id, feedback.model_dump_json()),
                )
            self._feedback[feedback.entry_id].append(feedback)

    def feedback(self, entry_id: str | None = None) -> list[Feedback]:
        with self._lock:
            if entry_id is not None:
                return list(self._feedback.get(entry_id, ()))
            return [fb for key in sorted(self._feedback) for fb in self._feedback[key]]

    # -- reads ------------------------------------------------------------------------------------

    def get_enterprise(self, uscc: str) -> Enterprise | None:
        return self._enterprises.get(uscc)

    def get_person(self, person_key: str) -> Person | None:
        return self._persons.get(person_key)

    def get_enterprises(self, usccs: Collection[str]) -> dict[str, Enterprise]:
        return {k: e for k in usccs if (e := self._enterprises.get(k)) is not None}

    def get_persons(self, person_keys: Collection[str]) -> dict[str, Person]:
        return {k: p for k in person_keys if (p := self._persons.get(k)) is not None}

    def find_enterprises(
        self,
        *,
        org_codes: Collection[str] = (),
        registration_numbers: Collection[str] = (),
        registry_ids: Collection[str] = (),
    ) -> dict[str, list[Enterprise]]:
        codes = lookup_codes(org_codes, registration_numbers, registry_ids)
        if codes.empty():
            return {}
        matches: list[tuple[str, Enterprise]] = []
        with self._lock:
            # As many codes a statement as SQLite takes parameters: 10,000 codes are one or two queries.
            size = min(self._db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), 10_000)
            for column, wanted in (
                ("org_code", codes.org_codes),
                ("registration_number", codes.registration_numbers),
                ("registry_id", codes.registry_ids),
            ):
                for i in range(0, len(wanted), size):
                    chunk = wanted[i : i + size]
                    # The column is one of this method's constants; the codes are parameters.
                    marks = ", ".join("?" * len(chunk))
                    query = f"SELECT {column}, uscc FROM enterprises WHERE {column} IN ({marks})"
                    found = self._db.execute(query, chunk).fetchall()
                    matches += [(code, self._enterprises[uscc]) for code, uscc in found]
        return found_by_code(matches)

    def get_entry(self, entry_id: str) -> ListEntry | None:
        return self._entries.get(entry_id)

    def get_entries(self, entry_ids: Collection[str]) -> dict[str, ListEntry]:
        return {k: e for k in entry_ids if (e := self._entries.get(k)) is not None}

    @staticmethod
    def _by_list_type(covers: Sequence[Cover]) -> dict[str, list[Cover]]:
        grouped: dict[str, list[Cover]] = defaultdict(list)
        for cover in covers:
            grouped[cover.list_type].append(cover)
        return grouped

    def _known_entries(self, entries: Iterable[ListEntry], known_at: datetime | None) -> list[ListEntry]:
        return [k for e in entries if (k := as_known(e, known_at)) is not None]

    def _known_roles(self, roles: Iterable[Role], known_at: datetime | None) -> list[Role]:
        return [k for r in roles if (k := role_as_known(r, known_at)) is not None]

    @staticmethod
    def _role_row(entry: ListEntry, cover: Cover, role: Role, day: date) -> ReachRow:
        return ReachRow(
            entry_id=entry.entry_id,
            reached_kind=role.holder_kind,
            reached_key=role.holder_key,
            via="role",
            role=role.type.value,
            position=role.position,
            role_id=role.role_id,
            valid_from=role.valid_from,
            valid_to=role.valid_to,
            reference=cover.reference,
            reference_date=day,
        )

    @staticmethod
    def _direct_rows(entry: ListEntry) -> list[ReachRow]:
        rows = [
            ReachRow(
                entry_id=entry.entry_id,
                reached_kind=entry.subject_kind,
                reached_key=entry.subject_key,
                via="subject",
            )
        ]
        rows += [
            ReachRow(
                entry_id=entry.entry_id,
                reached_kind="person",
                reached_key=n.person_key,
                via="named_responsible",
                role=n.role,
            )
            for n in entry.named_responsible
        ]
        return rows

    def reach(
        self,
        covers: Sequence[Cover],
        as_of: date,
        entry_ids: Collection[str] | None = None,
        known_at: datetime | None = None,
    ) -> list[ReachRow]:
        by_type = self._by_list_type(covers)
        with self._lock:
            if entry_ids is None:
                known = self._known_entries(self._entries.values(), known_at)
                entries = [e for e in known if e.kind == "black" and in_force_on(e, as_of)]
            else:
                found = [e for i in entry_ids if (e := self._entries.get(i)) is not None]
                entries = self._known_entries(found, known_at)
            rows: list[ReachRow] = []
            for entry in entries:
                rows += self._direct_rows(entry)
                if entry.subject_kind != "enterprise":
                    continue
                for cover in by_type.get(entry.list_type, ()):
                    day = reference_day(entry, cover.reference, as_of)
                    held = self._known_roles(
                        self.roles_of_enterprise(entry.subject_key, {cover.role}), known_at
                    )
                    for role in held:
                        if role.holds_on(day) and cover_admits(cover, role):
                            rows.append(self._role_row(entry, cover, role, day))
        return sort_reach(rows)

    def reaching_many(
        self,
        subjects: Sequence[tuple[Literal["person", "enterprise"], str]],
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
    ) -> list[ReachRow]:
        by_type = self._by_list_type(covers)
        rows: list[ReachRow] = []
        with self._lock:
            for kind, key in dict.fromkeys(subjects):
                rows += self._reaching_one(kind, key, by_type, as_of, known_at)
        return sort_reach(rows)

    def _links(
        self, kind: Literal["person", "enterprise"], key: str, known_at: datetime | None
    ) -> list[EntryLink]:
        links = self.entries_of_subject(kind, key)
        if known_at is None:
            return links
        return [link for link in links if as_known(link.entry, known_at) is not None]

    def _reaching_one(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        by_type: dict[str, list[Cover]],
        as_of: date,
        known_at: datetime | None,
    ) -> list[ReachRow]:
        # Called with the store's lock held (reaching_many).
        rows = [
            row
            for link in self._links(kind, key, known_at)
            for row in self._direct_rows(link.entry)
            if row.reached_kind == kind and row.reached_key == key
        ]
        for role in self._known_roles(self.roles_of_holder(kind, key), known_at):
            for link in self._links("enterprise", role.enterprise, known_at):
                if link.relation != "subject":
                    continue
                for cover in by_type.get(link.entry.list_type, ()):
                    if cover.role != role.type or not cover_admits(cover, role):
                        continue
                    day = reference_day(link.entry, cover.reference, as_of)
                    if role.holds_on(day):
                        rows.append(self._role_row(link.entry, cover, role, day))
        return rows

    def search_names(
        self, text: str, kinds: Collection[Literal["enterprise", "person"]], limit: int, offset: int
    ) -> tuple[int, list[SearchHit]]:
        wanted, needle = set(kinds), search_form(text)
        with self._lock:
            found = [
                (len(name), name, key, kind)
                for (kind, key), (form, name) in self._search.items()
                if kind in wanted and needle in form
            ]
        found.sort()
        page = [
            SearchHit(kind=kind, key=key, name=name) for _, name, key, kind in found[offset : offset + limit]
        ]
        return len(found), page

    def persons_named(self, name: str) -> list[Person]:
        with self._lock:
            return [self._persons[k] for k in sorted(self._by_name.get(name, ()))]

    def entries_of_list(self, list_type: str, source: str | None = None) -> list[ListEntry]:
        with self._lock:
            found = [
                e
                for e in self._entries.values()
                if e.list_type == list_type and (source is None or e.source == source)
            ]
        return sorted(found, key=lambda e: e.entry_id)

    @staticmethod
    def _select(roles: Iterable[Role], types: Collection[RoleType] | None, as_of: date | None) -> list[Role]:
        wanted = set(types) if types is not None else None
        return sort_roles(
            [
                r
                for r in roles
                if (wanted is None or r.type in wanted) and (as_of is None or r.holds_on(as_of))
            ]
        )

    def roles_of_enterprise(
        self, uscc: str, types: Collection[RoleType] | None = None, as_of: date | None = None
    ) -> list[Role]:
        node = ("enterprise", uscc)
        with self._lock:
            if node not in self._graph:
                return []
            roles = [d["role"] for _, _, d in self._graph.in_edges(node, data=True) if "role" in d]
        return self._select(roles, types, as_of)

    def roles_of_holder(
        self,
        holder_kind: Literal["person", "enterprise"],
        holder_key: str,
        types: Collection[RoleType] | None = None,
        as_of: date | None = None,
    ) -> list[Role]:
        node = (holder_kind, holder_key)
        with self._lock:
            if node not in self._graph:
                return []
            roles = [d["role"] for _, _, d in self._graph.out_edges(node, data=True) if "role" in d]
        return self._select(roles, types, as_of)

    def entries_of_subject(self, kind: Literal["person", "enterprise"], key: str) -> list[EntryLink]:
        node = (kind, key)
        with self._lock:
            if node not in self._graph:
                return []
            links = []
            for source, _, data in self._graph.in_edges(node, data=True):
                if source[0] != "entry":
                    continue
                entry = self._entries[source[1]]
                if "named_role" in data:
                    links.append(
                        EntryLink(entry=entry, relation="named_responsible", role=data["named_role"])
                    )
                else:
                    links.append(EntryLink(entry=entry, relation="subject"))
        return sort_entry_links(links)

    def _label(self, node: Node) -> str:
        kind, key = node
        if kind == "enterprise":
            return self._enterprises[key].name
        if kind == "person":
            return self._persons[key].name
        return self._entries[key].decision_number

    def _edge(self, source: Node, target: Node, key: str, data: dict[str, object]) -> GraphEdge | None:
        """The contract's view of one stored edge, or None for a role not holding on as_of."""
        role = data.get("role")
        if isinstance(role, Role):
            return GraphEdge(
                id=key,
                type=role.type.value,
                source_kind=role.holder_kind,
                source=role.holder_key,
                target_kind="enterprise",
                target=role.enterprise,
                valid_from=role.valid_from,
                valid_to=role.valid_to,
                position=role.position,
                ratio=role.ratio,
            )
        named_role = data.get("named_role")
        return GraphEdge(
            id=key,
            type="NAMED_RESPONSIBLE" if named_role is not None else "NAMES",
            source_kind="entry",
            source=source[1],
            target_kind=target[0],
            target=target[1],
            position=str(named_role) if named_role is not None else None,
        )

    def neighbourhood(
        self,
        kind: NodeKind,
        key: str,
        hops: int = 1,
        limit: int = 50,
        as_of: date | None = None,
        classes: Collection[str] | None = None,
    ) -> Neighbourhood | None:
        check_neighbourhood_args(hops, limit)
        start: Node = (kind, key)
        with self._lock:
            if start not in self._graph:
                return None

            def usable(data: dict[str, object]) -> bool:
                role = data.get("role")
                return as_of is None or not isinstance(role, Role) or role.holds_on(as_of)

            def visible(node: Node) -> bool:
                if classes is None or node[0] != "entry":
                    return True
                entry = self._entries.get(node[1])
                return entry is not None and entry.disclosure in classes

            distance: dict[Node, int] = {start: 0}
            edges: dict[str, GraphEdge] = {}
            queue: deque[Node] = deque([start])
            while queue:
                node = queue.popleft()
                d = distance[node]
                if d == hops:
                    continue
                incident = [
                    (s, t, k, data) for s, t, k, data in self._graph.out_edges(node, keys=True, data=True)
                ]
                incident += [
                    (s, t, k, data) for s, t, k, data in self._graph.in_edges(node, keys=True, data=True)
                ]
                for s, t, _, data in incident:
                    if not usable(data):
                        continue
                    other = t if s == node else s
                    if other not in distance and visible(other):
                        distance[other] = d + 1
                        queue.append(other)
            # Edges among the reached nodes, whichever BFS step found them.
            for node in distance:
                for s, t, k, data in self._graph.out_edges(node, keys=True, data=True):
                    if t in distance and usable(data):
                        edge = self._edge(s, t, k, data)
                        if edge is not None:
                            edges[k] = edge
            nodes = [
                GraphNode(kind=n[0], key=n[1], label=self._label(n), distance=dist)
                for n, dist in distance.items()
            ]
        return cap_neighbourhood(nodes, list(edges.values()), limit)

    def counts(self) -> dict[str, int]:
        with self._lock:
            counts = empty_counts()
            counts.update(
                enterprises=len(self._enterprises),
                persons=len(self._persons),
                entries=len(self._entries),
                roles=len(self._roles),
            )
            counts.update(self._role_counts)
            return counts

    def iter_records(self, kind: RecordKind) -> Iterator[BaseModel]:
        # Keys are taken under the lock and records looked up as they go, so a long export neither
        # copies the graph nor holds the lock; a record deleted meanwhile is skipped.
        if kind in ("events", "feedback"):
            history: dict[str, list[EntryEvent]] | dict[str, list[Feedback]]
            history = self._events if kind == "events" else self._feedback
            with self._lock:
                entry_ids = sorted(history)
            for entry_id in entry_ids:
                with self._lock:
                    batch: list[BaseModel] = list(history.get(entry_id, ()))
                yield from batch
            return
        records: dict[str, Enterprise] | dict[str, Person] | dict[str, Role] | dict[str, ListEntry]
        if kind == "enterprises":
            records = self._enterprises
        elif kind == "persons":
            records = self._persons
        elif kind == "roles":
            records = self._roles
        else:
            records = self._entries
        with self._lock:
            keys = sorted(records)
        for key in keys:
            record = records.get(key)
            if record is not None:
                yield record

    def changes_after(self, seq: int, limit: int = 1000) -> list[Change]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, data FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, max(1, min(limit, MAX_CHANGES))),
            ).fetchall()
        return [Change.model_validate_json(data).model_copy(update={"seq": n}) for n, data in rows]

    def last_change(self) -> int:
        with self._lock:
            # The numbering's own record: it goes on after clear() has emptied the table.
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
        return int(row[0]) if row else 0

    def entries_turning_on(self, day: date) -> list[str]:
        with self._lock:
            return sorted(self._turning.get(day, ()))

    def get_meta(self, name: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        with self._lock, self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def clear(self) -> None:
        with self._lock:
            with self._transaction():
                # The change log is emptied too, but its numbering goes on (AUTOINCREMENT): a reader's
                # place in it stays meaningful.
                for table in ("enterprises", "persons", "roles", "entries", "events", "feedback", "changes"):
                    self._db.execute(f"DELETE FROM {table}")
            self._graph.clear()
            for held in (self._enterprises, self._persons, self._entries, self._roles):
                held.clear()
            self._role_counts.clear()
            self._by_name.clear()
            self._search.clear()
            self._events.clear()
            self._feedback.clear()
            self._turning.clear()
            self._turns.clear()

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._lock_file.close()  # releases the flock

    def ownership(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        direction: OwnershipDirection,
        max_depth: int,
        as_of: date | None = None,
    ) -> list[Role]:
        check_ownership_args(direction, max_depth)
        start: Node = (kind, key)
        found: dict[str, Role] = {}
        with self._lock:
            if start not in self._graph:
                return []
            seen = {start}
            frontier = [start]
            for _ in range(max_depth):
                following: list[Node] = []
                for node in frontier:
                    incident = (
                        self._graph.in_edges(node, data="role")
                        if direction == "up"
                        else self._graph.out_edges(node, data="role")
                    )
                    for source, target, role in incident:
                        if not isinstance(role, Role) or role.type != RoleType.SHAREHOLDER_OF:
                            continue
                        if as_of is not None and not role.holds_on(as_of):
                            continue
                        found[role.role_id] = role
                        end = source if direction == "up" else target
                        if end not in seen:
                            seen.add(end)
                            following.append(end)
                frontier = following
        return sort_roles(list(found.values()))
