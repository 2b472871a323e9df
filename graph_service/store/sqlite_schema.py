"""The embedded store's SQLite schema: each record as its JSON in `data`, beside copies of the fields the
store's questions select on, indexed, and the tables that answer the rest (who an entry names, the days
entries turn, the counts). Also the migration of a store written by an earlier version.

Every derived column and table is a function of the JSON alone (the `*_row` functions below), so a
migration rebuilds them from the records and nothing else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date

from graph_service.domain.history import OPEN_END, counting_periods
from graph_service.model import Enterprise, ListEntry, Person, Role
from graph_service.store.base import empty_counts, search_form

# 1: records as (key, data) only. 2: the enterprises' other codes (find_enterprises). 3: every question
# answered from SQLite itself: the columns and tables below, no graph held in memory.
SCHEMA_VERSION = "3"

TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS enterprises (uscc TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS persons (person_key TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS roles (role_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS entries (entry_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL, "
    "data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS feedback (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL, "
    "data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL)",
    # The persons a decision names as responsible: entries_of_subject and reaching from the person.
    "CREATE TABLE IF NOT EXISTS entry_persons (entry_id TEXT NOT NULL, person_key TEXT NOT NULL, "
    "role TEXT NOT NULL, PRIMARY KEY (entry_id, person_key)) WITHOUT ROWID",
    # The days an entry starts or stops counting on (entries_turning_on).
    "CREATE TABLE IF NOT EXISTS entry_turns (day TEXT NOT NULL, entry_id TEXT NOT NULL, "
    "PRIMARY KEY (day, entry_id)) WITHOUT ROWID",
    # Records by kind and roles by type, kept in the transaction that writes them: counting a million
    # rows on each call would take a second.
    "CREATE TABLE IF NOT EXISTS counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID",
)

# The columns each record table holds beside (key, data), all copied from the record.
COLUMNS: dict[str, tuple[str, ...]] = {
    "enterprises": ("org_code", "registration_number", "registry_id", "name", "search"),
    "persons": ("name", "search"),
    "roles": ("type", "holder_kind", "holder_key", "enterprise", "valid_from", "valid_to"),
    "entries": ("subject_kind", "subject_key", "list_type", "source", "kind"),
}
KEYS = {"enterprises": "uscc", "persons": "person_key", "roles": "role_id", "entries": "entry_id"}

INDEXES = (
    "CREATE INDEX IF NOT EXISTS enterprise_org_code ON enterprises (org_code)",
    "CREATE INDEX IF NOT EXISTS enterprise_registration_number ON enterprises (registration_number)",
    "CREATE INDEX IF NOT EXISTS enterprise_registry_id ON enterprises (registry_id)",
    "CREATE INDEX IF NOT EXISTS person_name ON persons (name)",
    # search_names scans the search forms: these narrow copies rather than the tables with their JSON.
    "CREATE INDEX IF NOT EXISTS enterprise_search ON enterprises (search, name, uscc)",
    "CREATE INDEX IF NOT EXISTS person_search ON persons (search, name, person_key)",
    # Reach: the roles of the listed enterprise, by type; reaching: the roles a holder has.
    "CREATE INDEX IF NOT EXISTS role_in_enterprise ON roles (enterprise, type)",
    "CREATE INDEX IF NOT EXISTS role_of_holder ON roles (holder_kind, holder_key, type)",
    "CREATE INDEX IF NOT EXISTS entry_of_subject ON entries (subject_kind, subject_key)",
    "CREATE INDEX IF NOT EXISTS entry_of_list ON entries (list_type, source)",
    "CREATE INDEX IF NOT EXISTS entry_kind ON entries (kind)",
    "CREATE INDEX IF NOT EXISTS entry_person ON entry_persons (person_key, entry_id)",
    "CREATE INDEX IF NOT EXISTS entry_turn ON entry_turns (entry_id)",
    "CREATE INDEX IF NOT EXISTS event_of_entry ON events (entry_id, seq)",
    "CREATE INDEX IF NOT EXISTS feedback_of_entry ON feedback (entry_id, seq)",
)


def _upsert(table: str) -> str:
    names = (KEYS[table], "data", *COLUMNS[table])
    return f"INSERT OR REPLACE INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


UPSERT = {table: _upsert(table) for table in COLUMNS}

Row = tuple[str | None, ...]


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def enterprise_row(e: Enterprise) -> Row:
    return (e.uscc, e.model_dump_json(), e.org_code, e.registration_number, e.registry_id, e.name,
            search_form(e.name))  # fmt: skip


def person_row(p: Person) -> Row:
    return (p.person_key, p.model_dump_json(), p.name, search_form(p.name))


def role_row(r: Role) -> Row:
    return (r.role_id, r.model_dump_json(), r.type.value, r.holder_kind, r.holder_key, r.enterprise,
            _day(r.valid_from), _day(r.valid_to))  # fmt: skip


def entry_row(e: ListEntry) -> Row:
    return (e.entry_id, e.model_dump_json(), e.subject_kind, e.subject_key, e.list_type, e.source, e.kind)


def entry_person_rows(e: ListEntry) -> list[tuple[str, str, str]]:
    return [(e.entry_id, n.person_key, n.role) for n in e.named_responsible]


def entry_turn_rows(e: ListEntry) -> list[tuple[str, str]]:
    starts, ends = counting_periods(e)
    return [(day.isoformat(), e.entry_id) for day in sorted({*starts, *ends} - {OPEN_END})]


def write_entry_links(db: sqlite3.Connection, entries: list[ListEntry]) -> None:
    """Replace the named persons and turning days of these entries (inside the caller's transaction)."""
    ids = [(e.entry_id,) for e in entries]
    db.executemany("DELETE FROM entry_persons WHERE entry_id = ?", ids)
    db.executemany("DELETE FROM entry_turns WHERE entry_id = ?", ids)
    db.executemany(
        "INSERT INTO entry_persons VALUES (?, ?, ?)", [r for e in entries for r in entry_person_rows(e)]
    )
    db.executemany("INSERT INTO entry_turns VALUES (?, ?)", [r for e in entries for r in entry_turn_rows(e)])


def add_counts(db: sqlite3.Connection, added: dict[str, int]) -> None:
    db.executemany(
        "INSERT INTO counts VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = n + excluded.n",
        [(name, n) for name, n in added.items() if n],
    )


def _version(db: sqlite3.Connection) -> str | None:
    try:
        row = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
    except sqlite3.OperationalError:  # no meta table: a new file
        return None
    return None if row is None else str(row[0])


def up_to_date(db: sqlite3.Connection) -> bool:
    """Of this version, with every index (one added later is made at the next start)."""
    if _version(db) != SCHEMA_VERSION:
        return False
    held = {str(name) for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return all(statement.split()[5] in held for statement in INDEXES)


def _pages(db: sqlite3.Connection, table: str) -> Iterator[list[str]]:
    """The records' JSON in pages by key, each page read whole before the caller changes its rows."""
    key, last = KEYS[table], ""
    while True:
        # The table and key names are this module's own constants.
        page = db.execute(
            f"SELECT {key}, data FROM {table} WHERE {key} > ? ORDER BY {key} LIMIT 10000", (last,)
        ).fetchall()
        if not page:
            return
        last = page[-1][0]
        yield [data for _, data in page]


def _update(table: str) -> str:
    sets = ", ".join(f"{name} = ?" for name in ("data", *COLUMNS[table]))
    return f"UPDATE {table} SET {sets} WHERE {KEYS[table]} = ?"


def prepare(db: sqlite3.Connection) -> None:
    """Create the schema, or bring a store of an earlier version to it, in one transaction: the missing
    columns are added and every derived column and table is filled from the records' JSON. A store of
    this version is left as it is."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if not up_to_date(db):  # asked again under the write lock: another process may have done it
            migrating = _version(db) != SCHEMA_VERSION
            for statement in TABLES:
                db.execute(statement)
            for table, columns in COLUMNS.items():
                present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for name in columns:  # names from this module's own constants
                    if name not in present:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {name} TEXT")
            if migrating:
                _refill(db)
            for statement in INDEXES:
                db.execute(statement)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _refill(db: sqlite3.Connection) -> None:
    counts = dict.fromkeys(empty_counts(), 0)

    def refill(table: str, rows: list[Row]) -> None:
        # UPDATE in place (the row keeps its place): the pages after it read as they were.
        db.executemany(_update(table), [(*row[1:], row[0]) for row in rows])
        counts[table] += len(rows)

    for page in _pages(db, "enterprises"):
        refill("enterprises", [enterprise_row(Enterprise.model_validate_json(d)) for d in page])
    for page in _pages(db, "persons"):
        refill("persons", [person_row(Person.model_validate_json(d)) for d in page])
    for page in _pages(db, "roles"):
        roles = [Role.model_validate_json(d) for d in page]
        refill("roles", [role_row(r) for r in roles])
        for role in roles:
            counts[role.type.value] += 1
    for page in _pages(db, "entries"):
        entries = [ListEntry.model_validate_json(d) for d in page]
        refill("entries", [entry_row(e) for e in entries])
        write_entry_links(db, entries)
    db.execute("DELETE FROM counts")
    add_counts(db, counts)
