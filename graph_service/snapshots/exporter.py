"""Streaming export of the whole graph, or of the neighbourhood of one subject, as a snapshot file."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from graph_service.identifiers import IdentifierError, is_valid_id_number, normalize_code, person_key
from graph_service.model import (
    PERSON_KEY,
    Enterprise,
    EntryEvent,
    Feedback,
    ListEntry,
    NodeKind,
    Person,
    Role,
)
from graph_service.private_files import open_private
from graph_service.snapshots.format import (
    DATA_RECORDS,
    End,
    Header,
    OnProgress,
    SnapshotError,
    enterprise_fields,
    entry_fields,
    event_fields,
    feedback_fields,
    person_fields,
    persons_referred,
    role_fields,
    scrub,
    to_line,
)
from graph_service.store import KEY_FINGERPRINT
from graph_service.store.base import MAX_LIMIT, GraphStore, RecordKind

T = TypeVar("T")
CHUNK = 1000  # records per store read while exporting
PROGRESS_EVERY = 2000


class Sink(Protocol):
    def write(self, text: str, /) -> Any: ...


class ExportSummary(BaseModel):
    header: Header
    counts: dict[str, int]
    # Nodes of a neighbourhood beyond the store's limit, left out (the nearest are kept).
    left_out: int = 0

    @property
    def records(self) -> int:
        return sum(self.counts.values())


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Writer:
    def __init__(self, sink: Sink, on_progress: OnProgress | None) -> None:
        self.sink = sink
        self.on_progress = on_progress
        self.counts: dict[str, int] = dict.fromkeys(DATA_RECORDS, 0)

    def write(self, fields: dict[str, Any]) -> None:
        self.sink.write(to_line(fields))
        kind = str(fields["record"])
        done = self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.on_progress is not None and done % PROGRESS_EVERY == 0:
            self.on_progress(kind, done, None)

    def stage_done(self, kind: str, total: int | None = None) -> None:
        if self.on_progress is not None:
            self.on_progress(kind, self.counts.get(kind, 0), total)


def resolve_subject(store: GraphStore, key: str, secret: str | None) -> tuple[NodeKind, str]:
    """What `--subject` names: a person key, an ID number (made into its key), a USCC or an entry id."""
    text = key.strip()
    code = normalize_code(text)
    if re.fullmatch(PERSON_KEY, text):
        if store.get_person(text) is None:
            raise SnapshotError(f"subject: no person with key {text}")
        return "person", text
    if is_valid_id_number(code):
        if secret is None:
            raise SnapshotError("subject: no hash key to find a person by ID number")
        try:
            found = person_key(code, secret)
        except IdentifierError as err:
            raise SnapshotError(f"subject: {err}") from None
        if store.get_person(found) is None:
            raise SnapshotError("subject: no person with this ID number")  # the number is not echoed
        return "person", found
    if store.get_enterprise(code) is not None:
        return "enterprise", code
    if store.get_entry(text) is not None:
        return "entry", text
    raise SnapshotError(f"subject: no person, enterprise or entry with key {scrub(text[:64])}")


def export_snapshot(
    store: GraphStore,
    sink: Sink,
    *,
    with_id_numbers: bool = False,
    subject: tuple[NodeKind, str] | None = None,
    hops: int = 1,
    on_progress: OnProgress | None = None,
) -> ExportSummary:
    """Write the whole graph (or the neighbourhood of `subject` within `hops`) to `sink`, one record a
    line, reading the store a chunk at a time. Without `with_id_numbers` persons carry their key and the
    masked number only."""
    header = Header(
        exported_at=datetime.now(UTC),
        backend=store.backend_name,
        hash_key_fingerprint=store.get_meta(KEY_FINGERPRINT),
        with_id_numbers=with_id_numbers,
        subject_kind=subject[0] if subject else None,
        subject_key=subject[1] if subject else None,
        hops=hops if subject else None,
    )
    writer = _Writer(sink, on_progress)
    writer.sink.write(to_line(header.model_dump(mode="json", exclude_none=True)))
    left_out = 0
    if subject is None:
        _whole(store, writer, with_id_numbers)
    else:
        left_out = _neighbourhood(store, writer, with_id_numbers, subject, hops)
    writer.sink.write(to_line(End(counts=dict(writer.counts)).model_dump(mode="json")))
    return ExportSummary(header=header, counts=dict(writer.counts), left_out=left_out)


def _lookup(
    store: GraphStore, records: Sequence[Role | ListEntry], with_id_numbers: bool
) -> dict[str, Person] | None:
    """The persons a chunk of roles or entries refers to, when their ID numbers go into the file."""
    if not with_id_numbers:
        return None
    return store.get_persons({k for r in records for k in persons_referred(r)})


def _whole(store: GraphStore, writer: _Writer, with_id_numbers: bool) -> None:
    totals = store.counts()
    plan: list[tuple[RecordKind, str, int | None]] = [
        ("enterprises", "enterprise", totals.get("enterprises")),
        ("persons", "person", totals.get("persons")),
        ("roles", "role", totals.get("roles")),
        ("entries", "entry", totals.get("entries")),
        ("events", "event", None),
        ("feedback", "feedback", None),
    ]
    for kind, record, total in plan:
        writer.stage_done(record, total)
        for chunk in _chunks(store.iter_records(kind), CHUNK):
            _write_chunk(store, writer, chunk, with_id_numbers)
        writer.stage_done(record, writer.counts.get(record, 0))


def _write_chunk(
    store: GraphStore, writer: _Writer, chunk: Sequence[BaseModel], with_id_numbers: bool
) -> None:
    referring = [r for r in chunk if isinstance(r, Role | ListEntry)]
    persons = _lookup(store, referring, with_id_numbers)
    for record in chunk:
        writer.write(_fields(record, persons, with_id_numbers))


def _fields(record: BaseModel, persons: dict[str, Person] | None, with_id_numbers: bool) -> dict[str, Any]:
    if isinstance(record, Enterprise):
        return enterprise_fields(record)
    if isinstance(record, Person):
        return person_fields(record, with_id_numbers)
    if isinstance(record, Role):
        return role_fields(record, persons)
    if isinstance(record, ListEntry):
        return entry_fields(record, persons)
    if isinstance(record, EntryEvent):
        return event_fields(record)
    if isinstance(record, Feedback):
        return feedback_fields(record)
    raise TypeError(f"not a snapshot record: {type(record).__name__}")


def _neighbourhood(
    store: GraphStore, writer: _Writer, with_id_numbers: bool, subject: tuple[NodeKind, str], hops: int
) -> int:
    """The subject's neighbourhood, closed so that the file loads on its own: the listed subject and the
    named persons of every entry in it come along even when they lie further out."""
    kind, key = subject
    hood = store.neighbourhood(kind, key, hops=hops, limit=MAX_LIMIT)
    if hood is None:
        raise SnapshotError(f"subject: no {kind} {key}")
    usccs = {n.key for n in hood.nodes if n.kind == "enterprise"}
    person_keys = {n.key for n in hood.nodes if n.kind == "person"}
    entries: dict[str, ListEntry] = {}
    for chunk in _chunks(sorted(n.key for n in hood.nodes if n.kind == "entry"), CHUNK):
        entries.update(store.get_entries(chunk))
    for entry in entries.values():
        (person_keys if entry.subject_kind == "person" else usccs).add(entry.subject_key)
        person_keys.update(n.person_key for n in entry.named_responsible)
    roles: dict[str, Role] = {}
    for uscc in sorted(usccs):
        for role in store.roles_of_enterprise(uscc):
            if role.holder_key in (person_keys if role.holder_kind == "person" else usccs):
                roles[role.role_id] = role
    persons: dict[str, Person] = {}
    for chunk in _chunks(sorted(person_keys), CHUNK):
        persons.update(store.get_persons(chunk))
    ids = persons if with_id_numbers else None
    for chunk in _chunks(sorted(usccs), CHUNK):
        found = store.get_enterprises(chunk)
        for uscc in chunk:
            if uscc in found:
                writer.write(enterprise_fields(found[uscc]))
    for person_key_ in sorted(persons):
        writer.write(person_fields(persons[person_key_], with_id_numbers))
    for role_id in sorted(roles):
        writer.write(role_fields(roles[role_id], ids))
    for entry_id in sorted(entries):
        writer.write(entry_fields(entries[entry_id], ids))
    for entry_id in sorted(entries):
        for event in store.events_of_entry(entry_id):
            writer.write(event_fields(event))
    for entry_id in sorted(entries):
        for feedback in store.feedback(entry_id):
            writer.write(feedback_fields(feedback))
    for record in ("enterprise", "person", "role", "entry", "event", "feedback"):
        writer.stage_done(record, writer.counts.get(record, 0))
    return hood.more


def export_to_path(
    store: GraphStore,
    path: Path,
    *,
    with_id_numbers: bool = False,
    subject: tuple[NodeKind, str] | None = None,
    hops: int = 1,
    on_progress: OnProgress | None = None,
) -> ExportSummary:
    """Export into a file that appears whole or not at all: written beside it, synced, then renamed, so an
    interrupted export never leaves a partial file that looks like a backup."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        # Owner-only whatever the umask: a snapshot holds who is listed, and may hold ID numbers.
        with open_private(tmp, newline="\n") as out:
            summary = export_snapshot(
                store,
                out,
                with_id_numbers=with_id_numbers,
                subject=subject,
                hops=hops,
                on_progress=on_progress,
            )
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return summary
