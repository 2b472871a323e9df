"""neo4j-admin import files for first loads of large data into an empty Neo4j database.

The files are written from any store through the contract's iter_records, in constant memory. For a
first load, `credit-graph export-admin` runs the loaders into a staging embedded store and exports
that, so the files hold exactly what a load would write: validated, resolved, deduplicated. They carry
the properties the Neo4j backend itself writes (cypher/writes.cypher, neo4j_store._flat): a node's
model fields that are set, plus `fingerprint` (and an enterprise's `org_code`); a role relationship's
fields without its ends (holder_kind, holder_key, enterprise) and its type, plus `role_id` and
`fingerprint`; an entry's NAMES and NAMED_RESPONSIBLE {role, name, ordinal} relationships. A later load
of the same data into the imported database therefore changes nothing. Listing events and feedback are
not exported: a first load has none.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, TextIO, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel

from graph_service.model import Enterprise, ListEntry, Person, Role
from graph_service.store import KEY_FINGERPRINT
from graph_service.store.base import GraphStore, RecordKind
from graph_service.store.neo4j_store import entry_history_properties, fingerprint

M = TypeVar("M", bound=BaseModel)


def _records(store: GraphStore, kind: RecordKind, model: type[M]) -> Iterator[M]:
    for record in store.iter_records(kind):
        if not isinstance(record, model):
            raise TypeError(f"{kind}: the store gave a {type(record).__name__}")
        yield record


# -- the files ------------------------------------------------------------------------------------


def _neo_type(annotation: Any) -> str:
    """The neo4j-admin header type of a model field, as the Python driver would have stored it."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _neo_type(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return _neo_type(next(a for a in get_args(annotation) if a is not type(None)))
    if origin is Literal:
        return _neo_type(type(get_args(annotation)[0]))
    if isinstance(annotation, type):
        if issubclass(annotation, datetime):
            return "datetime"
        if issubclass(annotation, date):
            return "date"
        if issubclass(annotation, bool):
            return "boolean"
        if issubclass(annotation, int) and not issubclass(annotation, Enum):
            return "long"
        if issubclass(annotation, float):
            return "float"
    return ""


def _columns(model: type[BaseModel], exclude: Collection[str]) -> list[tuple[str, str]]:
    return [(name, _neo_type(f.annotation)) for name, f in model.model_fields.items() if name not in exclude]


def _cell(value: Any) -> str:
    if value is None:
        return ""  # an empty, unquoted field: no property, as the driver leaves a None out
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return '"' + text.replace('"', '""') + '"'


def _header(columns: list[tuple[str, str]]) -> list[str]:
    return [f"{name}:{kind}" if kind else name for name, kind in columns]


class _File:
    def __init__(self, folder: Path, name: str, header: list[str]) -> None:
        self.path = folder / name
        self.handle: TextIO = self.path.open("w", encoding="utf-8", newline="")
        self.handle.write(",".join(header) + "\n")
        self.rows = 0

    def write(self, cells: Iterable[str]) -> None:
        self.handle.write(",".join(cells) + "\n")
        self.rows += 1

    def close(self) -> None:
        self.handle.close()


@dataclass
class AdminExport:
    folder: Path
    nodes: list[tuple[str, Path, int]]  # label, file, rows
    relationships: list[tuple[str | None, Path, int]]  # type (None: in the file), file, rows
    database: str

    def command(self) -> str:
        # The database name goes first: --nodes and --relationships take any number of values, so a
        # name after them is read as one more file ("File 'neo4j' doesn't exist" since Neo4j 5.19).
        parts = [f"neo4j-admin database import full {self.database}", "--overwrite-destination"]
        parts += [f"--nodes={label}={path}" for label, path, _ in self.nodes]
        parts += [
            f"--relationships={type_}={path}" if type_ else f"--relationships={path}"
            for type_, path, _ in self.relationships
        ]
        return " \\\n    ".join(parts)


ROLE_EXCLUDE = ("type", "holder_kind", "holder_key", "enterprise")
# An entry's history and counting periods as the Neo4j backend stores them (Neo4jStore._entry_payload).
ENTRY_DERIVED = ("history", "count_from:date[]", "count_to:date[]")


def _entry_history(entry: ListEntry) -> list[str]:
    held = entry_history_properties(entry)
    history = held.get("history")
    return [
        _cell(history) if history else "",
        ";".join(d.isoformat() for d in held["count_from"]),
        ";".join(d.isoformat() for d in held["count_to"]),
    ]


# The organisation code an enterprise node carries beside its USCC (neo4j_store._searchable).
ENTERPRISE_DERIVED = ("org_code",)


def _enterprise_codes(enterprise: Enterprise) -> list[str]:
    return [_cell(enterprise.org_code)]


def write_admin_import(store: GraphStore, folder: Path, database: str = "neo4j") -> AdminExport:
    """Node and relationship files in the neo4j-admin header format, and the command that imports them."""
    folder.mkdir(parents=True, exist_ok=True)
    folder = folder.resolve()
    nodes: list[tuple[str, Path, int]] = []
    rels: list[tuple[str | None, Path, int]] = []

    def node_file(
        label: str,
        name: str,
        key: str,
        model: type[BaseModel],
        records: Iterable[BaseModel],
        exclude: Collection[str] = (),
        derived: Callable[[Any], list[str]] | None = None,
        derived_header: Sequence[str] = (),
    ) -> None:
        columns = _columns(model, exclude)
        header = [
            f"{key}:ID({label})" if n == key else h
            for (n, _), h in zip(columns, _header(columns), strict=True)
        ]
        out = _File(folder, name, [*header, "fingerprint", *derived_header])
        for record in records:
            data = record.model_dump(exclude=set(exclude))
            cells = [*(_cell(data[n]) for n, _ in columns), _cell(fingerprint(record))]
            out.write(cells + (derived(record) if derived else []))
        out.close()
        nodes.append((label, out.path, out.rows))

    node_file(
        "Enterprise",
        "enterprises.csv",
        "uscc",
        Enterprise,
        _records(store, "enterprises", Enterprise),
        derived=_enterprise_codes,
        derived_header=ENTERPRISE_DERIVED,
    )
    node_file("Person", "persons.csv", "person_key", Person, _records(store, "persons", Person))
    entries = _records(store, "entries", ListEntry)
    node_file(
        "ListEntry",
        "entries.csv",
        "entry_id",
        ListEntry,
        entries,
        ("named_responsible", "history"),
        _entry_history,
        ENTRY_DERIVED,
    )
    meta = _File(folder, "store_meta.csv", ["name:ID(StoreMeta)", "value"])
    # Which hash key made the person keys: the service refuses a database made with another.
    held = store.get_meta(KEY_FINGERPRINT)
    if held is not None:
        meta.write([_cell(KEY_FINGERPRINT), _cell(held)])
    meta.close()
    nodes.append(("StoreMeta", meta.path, meta.rows))

    role_columns = _columns(Role, ROLE_EXCLUDE)
    role_header = _header(role_columns)
    role_files = {
        kind: _File(
            folder,
            f"roles_{kind}.csv",
            [f":START_ID({label})", ":END_ID(Enterprise)", ":TYPE", "role_id", *role_header, "fingerprint"],
        )
        for kind, label in (("person", "Person"), ("enterprise", "Enterprise"))
    }
    for r in _records(store, "roles", Role):
        data = r.model_dump(exclude=set(ROLE_EXCLUDE))
        role_files[r.holder_kind].write(
            [
                _cell(r.holder_key),
                _cell(r.enterprise),
                r.type.value,
                _cell(r.role_id),
                *(_cell(data[n]) for n, _ in role_columns),
                _cell(fingerprint(r)),
            ]
        )
    for f in role_files.values():
        f.close()
        rels.append((None, f.path, f.rows))

    names = {
        kind: _File(folder, f"names_{kind}.csv", [":START_ID(ListEntry)", f":END_ID({label})"])
        for kind, label in (("enterprise", "Enterprise"), ("person", "Person"))
    }
    named = _File(
        folder,
        "named_responsible.csv",
        [":START_ID(ListEntry)", ":END_ID(Person)", "role", "name", "ordinal:long"],
    )
    for e in _records(store, "entries", ListEntry):
        names[e.subject_kind].write([_cell(e.entry_id), _cell(e.subject_key)])
        for i, n in enumerate(e.named_responsible):
            named.write([_cell(e.entry_id), _cell(n.person_key), _cell(n.role), _cell(n.name), str(i)])
    for f in names.values():
        f.close()
        rels.append(("NAMES", f.path, f.rows))
    named.close()
    rels.append(("NAMED_RESPONSIBLE", named.path, named.rows))
    return AdminExport(folder, nodes, rels, database)
