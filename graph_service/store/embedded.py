"""The embedded backend: every question answered from SQLite itself (graph_service/store/sqlite_schema.py).

Every batch is one SQLite transaction in WAL mode with synchronous=FULL, committed before the call
returns, so a write that returned survives kill -9 (and power loss). Nothing of the graph is held in
memory: the store opens at once at any size, and several processes may use one file, readers beside
one writer at a time (BEGIN IMMEDIATE; a writer that finds another waits its turn, up to BUSY_SECONDS).
A write reads what it compares with inside its own transaction, so no other process's write is lost.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel

from graph_service.domain.history import as_known, in_force_on
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
from graph_service.private_files import private_companions, private_file, private_folder
from graph_service.store import sqlite_schema as schema
from graph_service.store.base import (
    MAX_CHANGES,
    Change,
    ConflictError,
    Cover,
    EntryLink,
    GraphStore,
    MissingReferenceError,
    NearEntry,
    Neighbourhood,
    OwnershipDirection,
    ReachRow,
    RecordKind,
    SearchHit,
    StoreError,
    WriteResult,
    check_neighbourhood_args,
    check_ownership_args,
    cover_admits,
    empty_counts,
    entries_change,
    found_by_code,
    lookup_codes,
    reference_day,
    roles_change,
    search_form,
    sort_entry_links,
    sort_reach,
    sort_roles,
)
from graph_service.store.sqlite_walks import Walk, holds

Node = tuple[str, str]  # (kind, key)
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

# A writer waits this long for another process's write to end before it gives up (a StoreError).
BUSY_SECONDS = 60.0
CACHE_MIB = 256
PAGE = 1000  # iter_records reads this many records a query
SCHEMA_VERSION = schema.SCHEMA_VERSION


def _same(old: BaseModel | None, new: BaseModel) -> bool:
    """Equal apart from when it was loaded or recorded: reloading the same data changes nothing."""
    if old is None:
        return False
    blank = {name: None for name in STAMPS if name in type(new).model_fields}
    return old.model_copy(update=blank) == new.model_copy(update=blank)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


class EmbeddedStore(GraphStore):
    backend_name = "embedded"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        private_folder(self.path.parent)
        # One connection, used by one thread at a time; other processes have their own and SQLite's
        # locks order the writes.
        self._lock = threading.RLock()
        try:
            # Every person's raw ID number is in this file: the owner's only, whatever the umask.
            private_file(self.path)
            # isolation_level=None: transactions are opened and committed explicitly, one per batch.
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_SECONDS
            )
        except (sqlite3.Error, OSError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise StoreError(f"cannot open the embedded store {self.path}: {reason}") from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            # A page cache of CACHE_MIB: the indexes a check walks stay in this process's memory.
            self._db.execute(f"PRAGMA cache_size = -{CACHE_MIB * 1024}")
            if not schema.up_to_date(self._db):
                schema.prepare(self._db)
            # The -wal and -shm files SQLite has made by now, chmod only: opening and closing a file
            # descriptor of the database here would drop the POSIX locks SQLite holds on it in this
            # process (fcntl locks belong to the process, not the descriptor).
            private_companions(self.path)
            # Variables per statement: 10,000 codes or keys are one or two queries.
            self._chunk = min(self._db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 10, 10_000)
        except (sqlite3.Error, OSError) as exc:
            self._db.close()
            reason = getattr(exc, "strerror", None) or exc
            raise StoreError(f"cannot open the embedded store {self.path}: {reason}") from None

    # -- SQL helpers ------------------------------------------------------------------------------

    def _chunks(self, values: Iterable[T]) -> Iterator[list[T]]:
        held = list(values)
        for i in range(0, len(held), self._chunk):
            yield held[i : i + self._chunk]

    def _select_in(self, sql: str, values: Iterable[object], *before: object) -> list[tuple[object, ...]]:
        """Rows of `sql`, whose one `{}` is filled with as many marks as a chunk of `values` has; the
        parameters `before` come first in each query."""
        rows: list[tuple[object, ...]] = []
        for chunk in self._chunks(dict.fromkeys(values)):
            rows += self._db.execute(sql.format(_marks(chunk)), (*before, *chunk)).fetchall()
        return rows

    def _parsed(self, model: type[M], sql: str, values: Iterable[object], *before: object) -> list[M]:
        return [model.model_validate_json(str(row[0])) for row in self._select_in(sql, values, *before)]

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """One read transaction for a question of several queries: they all see one state of the file,
        whatever another process commits meanwhile."""
        with self._lock:
            if self._db.in_transaction:
                yield
                return
            try:
                self._db.execute("BEGIN")
            except sqlite3.Error as exc:
                raise StoreError(f"the embedded store {self.path} cannot be read: {exc}") from None
            try:
                yield
            finally:
                with suppress(sqlite3.Error):
                    self._db.execute("COMMIT")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One SQLite write transaction, committed (and on disk) when the block ends; rolled back whole
        if it fails. A failure of the database itself (disk full, file locked or unreadable) is a
        StoreError (the API's 503), never a half-written batch."""
        with self._lock:
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

    # -- writes -----------------------------------------------------------------------------------

    def _held(self, table: str, model: type[M], keys: Iterable[str]) -> dict[str, M]:
        key = schema.KEYS[table]  # the table's own key column
        rows = self._select_in(f"SELECT {key}, data FROM {table} WHERE {key} IN ({{}})", keys)
        return {str(k): model.model_validate_json(str(data)) for k, data in rows}

    def _present(self, table: str, keys: Iterable[str]) -> set[str]:
        key = schema.KEYS[table]
        return {
            str(row[0]) for row in self._select_in(f"SELECT {key} FROM {table} WHERE {key} IN ({{}})", keys)
        }

    def _missing(self, wanted: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (kind, key) of these persons and enterprises the store does not hold, in two queries."""
        refs = set(wanted)
        persons = self._present("persons", (k for kind, k in refs if kind == "person"))
        enterprises = self._present("enterprises", (k for kind, k in refs if kind == "enterprise"))
        return [(kind, k) for kind, k in refs if k not in (persons if kind == "person" else enterprises)]

    @staticmethod
    def _role_ends(rows: Sequence[Role]) -> list[tuple[str, str]]:
        ends: list[tuple[str, str]] = [(r.holder_kind, r.holder_key) for r in rows]
        return ends + [("enterprise", r.enterprise) for r in rows]

    @staticmethod
    def _entry_ends(rows: Sequence[ListEntry]) -> list[tuple[str, str]]:
        ends: list[tuple[str, str]] = [(e.subject_kind, e.subject_key) for e in rows]
        return ends + [("person", n.person_key) for e in rows for n in e.named_responsible]

    def _write(
        self,
        table: str,
        model: type[M],
        rows: Sequence[M],
        key_of: Callable[[M], str],
        row_of: Callable[[M], schema.Row],
        ends: Callable[[Sequence[M]], list[tuple[str, str]]] | None = None,
        stamp: Callable[[M | None, M, datetime], M] | None = None,
        logged: Callable[[list[M], datetime], Change | None] | None = None,
        after: Callable[[list[M]], None] | None = None,
    ) -> WriteResult:
        """Write the changed rows (`row_of` gives the values of the table's upsert); with `logged`, the
        change they make goes into the change log, and `after` writes what else follows from them,
        both in the same transaction. The stored records are read in bulk in that transaction too."""
        latest: dict[str, M] = {}
        for row in rows:  # the last of duplicates within a batch wins, as in a sequence of writes
            latest[key_of(row)] = row
        result = WriteResult()
        with self._transaction():
            if ends is not None and (missing := self._missing(ends(rows))):
                raise MissingReferenceError(missing)
            existing = self._held(table, model, latest)
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
                self._db.executemany(schema.UPSERT[table], [row_of(r) for r in changed])
                added = {table: result.created}
                if isinstance(changed[0], Role):
                    for role in changed:
                        if isinstance(role, Role) and role.role_id not in existing:
                            added[role.type.value] = added.get(role.type.value, 0) + 1
                schema.add_counts(self._db, added)
                if after is not None:
                    after(changed)
                if logged is not None:
                    self._log(logged(changed, now))
        return result

    def upsert_enterprises(self, rows: Sequence[Enterprise]) -> WriteResult:
        return self._write("enterprises", Enterprise, rows, lambda e: e.uscc, schema.enterprise_row)

    def upsert_persons(self, rows: Sequence[Person]) -> WriteResult:
        return self._write("persons", Person, rows, lambda p: p.person_key, schema.person_row)

    def upsert_roles(self, rows: Sequence[Role]) -> WriteResult:
        return self._write(
            "roles", Role, rows, lambda r: r.role_id, schema.role_row, self._role_ends, stamp_role,
            logged=roles_change,
        )  # fmt: skip

    def _entry_links(self, entries: list[ListEntry]) -> None:
        schema.write_entry_links(self._db, entries)

    def upsert_entries(self, rows: Sequence[ListEntry]) -> WriteResult:
        return self._write(
            "entries", ListEntry, rows, lambda e: e.entry_id, schema.entry_row, self._entry_ends, stamp_entry,
            logged=lambda rows, now: entries_change((e.entry_id for e in rows), now), after=self._entry_links,
        )  # fmt: skip

    def _log(self, change: Change | None) -> None:
        """Append to the change log, inside the caller's transaction."""
        if change is not None:
            data = change.model_dump_json(exclude={"seq"})
            self._db.execute("INSERT INTO changes (data) VALUES (?)", (data,))

    def apply_event(self, entry: ListEntry, event: EntryEvent, expected_status: EntryStatus | None) -> None:
        with self._transaction():
            old = self._held("entries", ListEntry, [entry.entry_id]).get(entry.entry_id)
            if expected_status is None and old is not None:
                raise ConflictError(f"entry {entry.entry_id} exists already")
            if expected_status is not None and (old is None or old.status != expected_status):
                found = "no such entry" if old is None else f"its status is {old.status}"
                raise ConflictError(f"entry {entry.entry_id} was expected {expected_status}, but {found}")
            if missing := self._missing(self._entry_ends([entry])):
                raise MissingReferenceError(missing)
            at = event.recorded_at or datetime.now(UTC)
            entry = stamp_entry(old, entry, at)
            self._log(Change(at=at, kind="event", entry_ids=(entry.entry_id,), event=event.event))
            self._db.execute(schema.UPSERT["entries"], schema.entry_row(entry))
            self._entry_links([entry])
            if old is None:
                schema.add_counts(self._db, {"entries": 1})
            self._db.execute(
                "INSERT INTO events (entry_id, data) VALUES (?, ?)", (entry.entry_id, event.model_dump_json())
            )

    def events_of_entry(self, entry_id: str) -> list[EntryEvent]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM events WHERE entry_id = ? ORDER BY seq", (entry_id,))
            return [EntryEvent.model_validate_json(data) for (data,) in rows.fetchall()]

    def append_feedback(self, feedback: Feedback) -> None:
        with self._transaction():
            if not self._present("entries", [feedback.entry_id]):
                raise MissingReferenceError([("entry", feedback.entry_id)])
            self._db.execute(
                "INSERT INTO feedback (entry_id, data) VALUES (?, ?)",
                (feedback.entry_id, feedback.model_dump_json()),
            )

    def feedback(self, entry_id: str | None = None) -> list[Feedback]:
        with self._lock:
            if entry_id is not None:
                rows = self._db.execute(
                    "SELECT data FROM feedback WHERE entry_id = ? ORDER BY seq", (entry_id,)
                ).fetchall()
            else:
                rows = self._db.execute("SELECT data FROM feedback ORDER BY entry_id, seq").fetchall()
        return [Feedback.model_validate_json(data) for (data,) in rows]

    # -- reads ------------------------------------------------------------------------------------

    def get_enterprise(self, uscc: str) -> Enterprise | None:
        return self.get_enterprises([uscc]).get(uscc)

    def get_person(self, person_key: str) -> Person | None:
        return self.get_persons([person_key]).get(person_key)

    def get_enterprises(self, usccs: Collection[str]) -> dict[str, Enterprise]:
        with self._reading():
            return self._held("enterprises", Enterprise, usccs)

    def get_persons(self, person_keys: Collection[str]) -> dict[str, Person]:
        with self._reading():
            return self._held("persons", Person, person_keys)

    def get_entry(self, entry_id: str) -> ListEntry | None:
        return self.get_entries([entry_id]).get(entry_id)

    def get_entries(self, entry_ids: Collection[str]) -> dict[str, ListEntry]:
        with self._reading():
            return self._held("entries", ListEntry, entry_ids)

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
        with self._reading():
            for column, wanted in (
                ("org_code", codes.org_codes),
                ("registration_number", codes.registration_numbers),
                ("registry_id", codes.registry_ids),
            ):
                # The column is one of this method's constants; the codes are parameters.
                found = self._select_in(
                    f"SELECT {column}, data FROM enterprises WHERE {column} IN ({{}})", wanted
                )
                matches += [(str(code), Enterprise.model_validate_json(str(data))) for code, data in found]
        return found_by_code(matches)

    @staticmethod
    def _by_list_type(covers: Sequence[Cover]) -> dict[str, list[Cover]]:
        grouped: dict[str, list[Cover]] = defaultdict(list)
        for cover in covers:
            grouped[cover.list_type].append(cover)
        return grouped

    @staticmethod
    def _known_entries(entries: Iterable[ListEntry], known_at: datetime | None) -> list[ListEntry]:
        return [k for e in entries if (k := as_known(e, known_at)) is not None]

    @staticmethod
    def _known_roles(roles: Iterable[Role], known_at: datetime | None) -> list[Role]:
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

    def _roles_in(self, usccs: Iterable[str], types: Collection[RoleType] | None = None) -> list[Role]:
        """The roles held in these enterprises (of these types), in one query a chunk."""
        if types is None:
            return self._parsed(Role, "SELECT data FROM roles WHERE enterprise IN ({})", usccs)
        kinds = sorted(t.value for t in types)
        sql = f"SELECT data FROM roles WHERE type IN ({_marks(kinds)}) AND enterprise IN ({{}})"
        return self._parsed(Role, sql, usccs, *kinds)

    def _roles_held(
        self, kind: str, keys: Iterable[str], types: Collection[RoleType] | None = None
    ) -> list[Role]:
        """The roles these persons or enterprises hold (of these types)."""
        if types is None:
            sql = "SELECT data FROM roles WHERE holder_kind = ? AND holder_key IN ({})"
            return self._parsed(Role, sql, keys, kind)
        kinds = sorted(t.value for t in types)
        sql = (
            f"SELECT data FROM roles WHERE holder_kind = ? AND type IN ({_marks(kinds)}) "
            "AND holder_key IN ({})"
        )
        return self._parsed(Role, sql, keys, kind, *kinds)

    def _entries_on(self, kind: str, keys: Iterable[str]) -> list[ListEntry]:
        """The entries whose subject is one of these persons or enterprises."""
        sql = "SELECT data FROM entries WHERE subject_kind = ? AND subject_key IN ({})"
        return self._parsed(ListEntry, sql, keys, kind)

    def _entries_naming(self, person_keys: Iterable[str]) -> list[ListEntry]:
        """The entries that name one of these persons as responsible."""
        sql = (
            "SELECT data FROM entries WHERE entry_id IN "
            "(SELECT entry_id FROM entry_persons WHERE person_key IN ({}))"
        )
        return self._parsed(ListEntry, sql, person_keys)

    def reach(
        self,
        covers: Sequence[Cover],
        as_of: date,
        entry_ids: Collection[str] | None = None,
        known_at: datetime | None = None,
    ) -> list[ReachRow]:
        by_type = self._by_list_type(covers)
        with self._reading():
            if entry_ids is None:
                black = self._db.execute("SELECT data FROM entries WHERE kind = 'black'").fetchall()
                known = self._known_entries((ListEntry.model_validate_json(d) for (d,) in black), known_at)
                entries = [e for e in known if in_force_on(e, as_of)]
            else:
                entries = self._known_entries(self._held("entries", ListEntry, entry_ids).values(), known_at)
            covered = [e for e in entries if e.subject_kind == "enterprise" and e.list_type in by_type]
            types = {cover.role for e in covered for cover in by_type[e.list_type]}
            held: dict[tuple[str, RoleType], list[Role]] = defaultdict(list)
            if covered:
                for role in self._known_roles(
                    self._roles_in({e.subject_key for e in covered}, types), known_at
                ):
                    held[(role.enterprise, role.type)].append(role)
        rows: list[ReachRow] = []
        for entry in entries:
            rows += self._direct_rows(entry)
            if entry.subject_kind != "enterprise":
                continue
            for cover in by_type.get(entry.list_type, ()):
                day = reference_day(entry, cover.reference, as_of)
                for role in held.get((entry.subject_key, cover.role), ()):
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
        wanted = set(subjects)
        persons = [k for kind, k in wanted if kind == "person"]
        enterprises = [k for kind, k in wanted if kind == "enterprise"]
        with self._reading():
            # The entries that list or name the subjects themselves ...
            near = self._entries_on("person", persons) + self._entries_on("enterprise", enterprises)
            near += self._entries_naming(persons)
            # ... and those listing an enterprise a subject holds a role in.
            roles = self._known_roles(
                self._roles_held("person", persons) + self._roles_held("enterprise", enterprises), known_at
            )
            listed = self._entries_on("enterprise", {r.enterprise for r in roles}) if roles else []
        rows = [
            row
            for entry in self._known_entries(near, known_at)
            for row in self._direct_rows(entry)
            if (row.reached_kind, row.reached_key) in wanted
        ]
        # Only known entries, but as they stand now (as entries_of_subject gives them).
        by_enterprise: dict[str, list[ListEntry]] = defaultdict(list)
        for entry in listed:
            if as_known(entry, known_at) is not None:
                by_enterprise[entry.subject_key].append(entry)
        for role in roles:
            for entry in by_enterprise.get(role.enterprise, ()):
                for cover in by_type.get(entry.list_type, ()):
                    if cover.role != role.type or not cover_admits(cover, role):
                        continue
                    day = reference_day(entry, cover.reference, as_of)
                    if role.holds_on(day):
                        rows.append(self._role_row(entry, cover, role, day))
        return sort_reach(rows)

    def search_names(
        self, text: str, kinds: Collection[Literal["enterprise", "person"]], limit: int, offset: int
    ) -> tuple[int, list[SearchHit]]:
        parts = []
        # Each a scan of the narrow index of search forms (enterprise_search, person_search).
        if "enterprise" in kinds:
            parts.append(
                "SELECT 'enterprise' AS kind, uscc AS key, name FROM enterprises WHERE instr(search, ?1) > 0"
            )
        if "person" in kinds:
            parts.append(
                "SELECT 'person' AS kind, person_key AS key, name FROM persons WHERE instr(search, ?1) > 0"
            )
        if not parts:
            return 0, []
        matched = " UNION ALL ".join(parts)
        needle = search_form(text)
        with self._reading():
            rows = self._db.execute(
                f"SELECT kind, key, name, COUNT(*) OVER () FROM ({matched}) "
                "ORDER BY length(name), name, key, kind LIMIT ?2 OFFSET ?3",
                (needle, limit, offset),
            ).fetchall()
            if rows:
                total = int(rows[0][3])
            else:
                total = int(self._db.execute(f"SELECT COUNT(*) FROM ({matched})", (needle,)).fetchone()[0])
        return total, [SearchHit(kind=kind, key=key, name=name) for kind, key, name, _ in rows]

    def persons_named(self, name: str) -> list[Person]:
        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM persons WHERE name = ? ORDER BY person_key", (name,)
            ).fetchall()
        return [Person.model_validate_json(data) for (data,) in rows]

    def entries_of_list(self, list_type: str, source: str | None = None) -> list[ListEntry]:
        with self._lock:
            if source is None:
                rows = self._db.execute(
                    "SELECT data FROM entries WHERE list_type = ? ORDER BY entry_id", (list_type,)
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT data FROM entries WHERE list_type = ? AND source = ? ORDER BY entry_id",
                    (list_type, source),
                ).fetchall()
        return [ListEntry.model_validate_json(data) for (data,) in rows]

    @staticmethod
    def _select(roles: Iterable[Role], as_of: date | None) -> list[Role]:
        return sort_roles([r for r in roles if as_of is None or r.holds_on(as_of)])

    def roles_of_enterprise(
        self, uscc: str, types: Collection[RoleType] | None = None, as_of: date | None = None
    ) -> list[Role]:
        with self._lock:
            return self._select(self._roles_in([uscc], types), as_of)

    def roles_of_holder(
        self,
        holder_kind: Literal["person", "enterprise"],
        holder_key: str,
        types: Collection[RoleType] | None = None,
        as_of: date | None = None,
    ) -> list[Role]:
        with self._lock:
            return self._select(self._roles_held(holder_kind, [holder_key], types), as_of)

    def entries_of_subject(self, kind: Literal["person", "enterprise"], key: str) -> list[EntryLink]:
        with self._reading():
            links = [EntryLink(entry=e, relation="subject") for e in self._entries_on(kind, [key])]
            if kind == "person":
                links += [
                    EntryLink(entry=e, relation="named_responsible", role=n.role)
                    for e in self._entries_naming([key])
                    for n in e.named_responsible
                    if n.person_key == key
                ]
        return sort_entry_links(links)

    # -- walks ------------------------------------------------------------------------------------

    def _exists(self, kind: str, key: str) -> bool:
        table = {"enterprise": "enterprises", "person": "persons", "entry": "entries"}[kind]
        return bool(self._present(table, [key]))

    def _near_entries(
        self,
        kind: Literal["person", "enterprise"],
        key: str,
        hops: int,
        limit: int,
        as_of: date,
        classes: Collection[str] | None,
    ) -> tuple[list[NearEntry] | None, dict[str, ListEntry]]:
        """The contract's walk (GraphStore._near_entries: role edges holding on the day, breadth first,
        then the black entries naming the nodes reached) over the indexed columns, a hop at a time over
        the whole frontier; only the entries kept are parsed. A check asks this of every subject, and
        the default's calls per node would parse every role on the way."""
        day = as_of.isoformat()
        with self._reading():
            if not self._exists(kind, key):
                return None, {}
            distance: dict[Node, int] = {(kind, key): 0}
            frontier: list[Node] = [(kind, key)]
            for depth in range(hops - 1):
                ends: list[tuple[object, ...]] = []
                for holder_kind in ("person", "enterprise"):
                    held = [k for node_kind, k in frontier if node_kind == holder_kind]
                    ends += self._select_in(
                        "SELECT 'enterprise', enterprise, valid_from, valid_to FROM roles "
                        "WHERE holder_kind = ? AND holder_key IN ({})",
                        held,
                        holder_kind,
                    )
                ends += self._select_in(
                    "SELECT holder_kind, holder_key, valid_from, valid_to FROM roles "
                    "WHERE enterprise IN ({})",
                    [k for node_kind, k in frontier if node_kind == "enterprise"],
                )
                following: list[Node] = []
                for end_kind, end_key, valid_from, valid_to in ends:
                    end = (str(end_kind), str(end_key))
                    if end not in distance and holds(valid_from, valid_to, day):
                        distance[end] = depth + 1
                        following.append(end)
                frontier = following
            best: dict[str, int] = {}
            wanted = None if classes is None else set(classes)
            for node_kind in ("person", "enterprise"):
                at = {k: d for (kind_of, k), d in distance.items() if kind_of == node_kind}
                found = self._select_in(
                    "SELECT subject_key, entry_id, json_extract(data, '$.disclosure') FROM entries "
                    "WHERE +kind = 'black' AND subject_kind = ? AND subject_key IN ({})",
                    at,
                    node_kind,
                )
                if node_kind == "person":
                    found += self._select_in(
                        "SELECT p.person_key, e.entry_id, json_extract(e.data, '$.disclosure') "
                        "FROM entry_persons p JOIN entries e ON e.entry_id = p.entry_id "
                        "WHERE +e.kind = 'black' AND p.person_key IN ({})",
                        at,
                    )
                for node_key, entry_id, disclosure in found:
                    if wanted is None or disclosure in wanted:
                        d = at[str(node_key)] + 1
                        best[str(entry_id)] = min(best.get(str(entry_id), d), d)
            near = sorted((NearEntry(entry_id=i, distance=d) for i, d in best.items()),
                          key=lambda n: (n.distance, n.entry_id))[:limit]  # fmt: skip
            entries = self._parsed(
                ListEntry, "SELECT data FROM entries WHERE entry_id IN ({})", [n.entry_id for n in near]
            )
        return near, {e.entry_id: e for e in entries}

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
        walk = Walk(lambda sql, values: self._db.execute(sql, values).fetchall(), self._chunk, as_of, classes)
        with self._reading():
            if not self._exists(kind, key):
                return None
            return walk.neighbourhood((kind, key), hops, limit)

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
        shares = {RoleType.SHAREHOLDER_OF}
        with self._reading():
            seen = {start}
            frontier = [start]
            for _ in range(max_depth):
                if not frontier:
                    break
                if direction == "up":  # only enterprises have holders
                    roles = self._roles_in([k for n, k in frontier if n == "enterprise"], shares)
                else:
                    roles = self._roles_held("person", [k for n, k in frontier if n == "person"], shares)
                    roles += self._roles_held(
                        "enterprise", [k for n, k in frontier if n == "enterprise"], shares
                    )
                following: list[Node] = []
                for role in roles:
                    if as_of is not None and not role.holds_on(as_of):
                        continue
                    found[role.role_id] = role
                    end = (
                        (role.holder_kind, role.holder_key)
                        if direction == "up"
                        else ("enterprise", role.enterprise)
                    )
                    if end not in seen:
                        seen.add(end)
                        following.append(end)
                frontier = following
        return sort_roles(list(found.values()))

    # -- the rest ---------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT name, n FROM counts").fetchall()
        counts = empty_counts()
        counts.update({str(name): int(n) for name, n in rows if name in counts})
        return counts

    def iter_records(self, kind: RecordKind) -> Iterator[BaseModel]:
        # A page a query, each read on its own: a long export neither holds the store nor copies it.
        if kind in ("events", "feedback"):
            model: type[BaseModel] = EntryEvent if kind == "events" else Feedback
            place: tuple[str, int] = ("", -1)
            while True:
                with self._lock:  # the table is one of two constants
                    page = self._db.execute(
                        f"SELECT entry_id, seq, data FROM {kind} WHERE (entry_id, seq) > (?, ?) "
                        "ORDER BY entry_id, seq LIMIT ?",
                        (*place, PAGE),
                    ).fetchall()
                if not page:
                    return
                place = (page[-1][0], page[-1][1])
                for _, _, data in page:
                    yield model.model_validate_json(data)
        models: dict[str, type[BaseModel]] = {
            "enterprises": Enterprise, "persons": Person, "roles": Role, "entries": ListEntry,
        }  # fmt: skip
        table, record = kind, models[kind]
        key, last = schema.KEYS[table], ""
        while True:
            with self._lock:
                page = self._db.execute(
                    f"SELECT {key}, data FROM {table} WHERE {key} > ? ORDER BY {key} LIMIT ?", (last, PAGE)
                ).fetchall()
            if not page:
                return
            last = page[-1][0]
            for _, data in page:
                yield record.model_validate_json(data)

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
            rows = self._db.execute(
                "SELECT entry_id FROM entry_turns WHERE day = ? ORDER BY entry_id", (day.isoformat(),)
            ).fetchall()
        return [str(entry_id) for (entry_id,) in rows]

    def get_meta(self, name: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def clear(self) -> None:
        with self._transaction():
            # The change log is emptied too, but its numbering goes on (AUTOINCREMENT): a reader's
            # place in it stays meaningful.
            for table in ("enterprises", "persons", "roles", "entries", "events", "feedback", "changes",
                          "entry_persons", "entry_turns", "counts"):  # fmt: skip
                self._db.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        with self._lock:
            self._db.close()
