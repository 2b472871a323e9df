"""Streaming import of a snapshot: three passes over the file, each holding one batch at a time.

Pass 1 writes enterprises and persons, pass 2 roles and entries (which refer to them), pass 3 events and
feedback (which refer to entries), so records may come in any order and the file is never held whole.
Every record is validated; one that cannot be used is reported by line and skipped, never written half.
Writes are upserts, and history is compared with what the store holds, so importing a file twice
changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, Field, ValidationError

from graph_service.domain.errors import DomainError
from graph_service.engine.lifecycle import check_entry_rules
from graph_service.model import STAMPS, Enterprise, EntryEvent, Feedback, ListEntry, Person, Role
from graph_service.rules import RuleSet, load_rules
from graph_service.snapshots.format import (
    DATA_RECORDS,
    FORMAT,
    MAX_LINE_BYTES,
    VERSION,
    End,
    Header,
    Keying,
    OnProgress,
    RecordError,
    SnapshotError,
    from_validation,
    parse_enterprise,
    parse_entry,
    parse_event,
    parse_feedback,
    parse_person,
    parse_role,
    same_event,
    scrub,
)
from graph_service.store import KEY_FINGERPRINT, check_hash_key, mark_data_as_of
from graph_service.store.base import (
    ConflictError,
    GraphStore,
    MissingReferenceError,
    StoreError,
    WriteResult,
)

T = TypeVar("T", bound=BaseModel)
PROGRESS_EVERY = 2000  # lines between progress reports: often enough to watch, rarely enough to be free
_PREFIX = b'{"record":"'


@dataclass(frozen=True)
class Overlong:
    """A line longer than MAX_LINE_BYTES, skipped without being held in memory."""

    size: int


Line = bytes | str | Overlong


class LineSource(Protocol):
    """Each call reads the file again from its start, one line at a time."""

    def __call__(self) -> Iterator[Line]: ...


def file_lines(path: Path) -> LineSource:
    def lines() -> Iterator[Line]:
        with path.open("rb") as stream:
            while raw := stream.readline(MAX_LINE_BYTES + 1):
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    size = len(raw)
                    while raw and not raw.endswith(b"\n"):
                        raw = stream.readline(MAX_LINE_BYTES)
                        size += len(raw)
                    yield Overlong(size)
                    continue
                yield raw

    return lines


@dataclass(frozen=True)
class Reject:
    """One line that was not imported. Never holds a value: ID numbers stay out of reports."""

    line: int
    record: str  # the record type, empty when the line is not a record at all
    field: str
    reason: str


class KindCounts(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, result: WriteResult) -> None:
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged


def _fresh_counts() -> dict[str, KindCounts]:
    return {kind: KindCounts() for kind in DATA_RECORDS}


class ImportSummary(BaseModel):
    lines: int = 0
    records: int = 0  # every line but blank ones, the header and the end record
    unreadable: int = 0  # lines that are no usable record at all: not JSON, no or an unknown record type
    header: Header | None = None
    kinds: dict[str, KindCounts] = Field(default_factory=lambda: _fresh_counts())
    warnings: list[str] = Field(default_factory=list)

    @property
    def rejected(self) -> int:
        return self.unreadable + sum(c.rejected for c in self.kinds.values())

    @property
    def changed(self) -> int:
        return sum(c.created + c.updated for c in self.kinds.values())


@dataclass
class _Parsed:
    line: int
    kind: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Buffer(Generic[T]):
    rows: list[tuple[int, T]] = field(default_factory=list)


@dataclass
class _History(Generic[T]):
    """What the store holds for one entry (events or feedback), and which of it the file has matched."""

    entry_id: str
    held: list[T]
    matched: list[bool]


def _fast_kind(raw: Line) -> str | None:
    """The record type of a line as export writes it, read without parsing the line."""
    if isinstance(raw, bytes) and raw.startswith(_PREFIX):
        end = raw.find(b'"', len(_PREFIX))
        return raw[len(_PREFIX) : end].decode("ascii", "replace") if end > 0 else None
    if isinstance(raw, str) and raw.startswith('{"record":"'):
        end = raw.find('"', 11)
        return raw[11:end] if end > 0 else None
    return None


KEY_FIELDS = {"enterprise": "uscc", "person": "person_key", "role": "role_id", "entry": "entry_id"}


class _Import:
    def __init__(
        self,
        store: GraphStore,
        source: LineSource,
        secret: str | None,
        batch_size: int,
        size: int | None,
        on_reject: Callable[[Reject], None] | None,
        on_progress: OnProgress | None,
        rules: RuleSet,
    ) -> None:
        self.store = store
        self.rules = rules
        self.source = source
        self.secret = secret
        self.batch_size = batch_size
        self.size = size
        self.on_reject = on_reject
        self.on_progress = on_progress
        self.summary = ImportSummary()
        self.keying = Keying(secret)
        self.end: End | None = None
        self.end_line = 0
        self.header_line = 0
        self.seen: dict[str, int] = dict.fromkeys(DATA_RECORDS, 0)
        self.last_data_line = 0
        self.events: _History[EntryEvent] | None = None
        self.entry: ListEntry | None = None
        self.feedback: _History[Feedback] | None = None
        # Each record's key and a digest of its content: a conflicting repeat told from a harmless one.
        self.first_seen: dict[tuple[str, str], tuple[int, bytes]] = {}

    # -- reporting --------------------------------------------------------------------------------

    def reject(self, line: int, kind: str, field_name: str, reason: str) -> None:
        if kind in self.summary.kinds:
            self.summary.kinds[kind].rejected += 1
        else:
            self.summary.unreadable += 1
        if self.on_reject is not None:
            self.on_reject(Reject(line, kind, scrub(field_name), scrub(reason)))

    def progress(self, stage: str, done: int) -> None:
        if self.on_progress is not None:
            self.on_progress(stage, done, self.size)

    # -- reading ----------------------------------------------------------------------------------

    def _lines(self, stage: str, wanted: frozenset[str] | None) -> Iterator[_Parsed]:
        """The lines of one pass, parsed; with `wanted`, only records of those types (later passes skip
        the rest by their first bytes, which the first pass checked)."""
        done = 0
        for number, raw in enumerate(self.source(), start=1):
            self.summary.lines = max(self.summary.lines, number)
            done += raw.size if isinstance(raw, Overlong) else len(raw)
            if number % PROGRESS_EVERY == 0:
                self.progress(stage, done)
            if wanted is not None:
                fast = _fast_kind(raw)
                if fast is not None and fast not in wanted and fast in (*DATA_RECORDS, "snapshot", "end"):
                    continue
            parsed = self._parse(number, raw, report=wanted is None)
            if parsed is not None and (wanted is None or parsed.kind in wanted):
                yield parsed
        self.progress(stage, done)

    def _parse(self, number: int, raw: Line, report: bool) -> _Parsed | None:
        """The line as a record; a line that is none is rejected (in the first pass only) and skipped."""

        def bad(field_name: str, reason: str) -> None:
            if report:
                self.summary.records += 1  # a line meant as a record counts as one, readable or not
                self.reject(number, "", field_name, reason)

        if isinstance(raw, Overlong):
            bad("", f"line longer than {MAX_LINE_BYTES:,} bytes")
            return None
        if not raw.strip():
            return None
        try:
            value = json.loads(raw)
        except UnicodeDecodeError:
            bad("", "not UTF-8 text")
            return None
        except json.JSONDecodeError as err:
            bad("", f"not JSON: {err.msg} at column {err.colno}")
            return None
        if not isinstance(value, dict):
            bad("", "a line holds one JSON object")
            return None
        kind = value.pop("record", None)
        if not isinstance(kind, str):
            bad("record", "every line names its record type in `record`")
            return None
        if kind not in (*DATA_RECORDS, "snapshot", "end"):
            bad("record", f"unknown record type {kind!r}; one of {', '.join(DATA_RECORDS)}")
            return None
        fast = _fast_kind(raw)
        if fast is not None and fast != kind:
            bad("record", "the record type is given twice")
            return None
        return _Parsed(number, kind, value)

    def read_header(self) -> Header | None:
        """The header, when the first line that is not blank is one; a header that cannot be read
        refuses the whole file, since what it says decides how to read the rest."""
        for number, raw in enumerate(self.source(), start=1):
            if isinstance(raw, Overlong):
                return None
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                return None
            if not isinstance(value, dict) or value.get("record") != "snapshot":
                return None
            self.header_line = number
            if value.get("format") != FORMAT:
                raise SnapshotError(f"line {number}: not a {FORMAT} file (format {value.get('format')!r})")
            if isinstance(value.get("version"), int) and value["version"] > VERSION:
                raise SnapshotError(
                    f"line {number}: the file is format version {value['version']}; this credit-graph reads "
                    f"up to version {VERSION}: import it with a newer credit-graph"
                )
            try:
                return Header.model_validate(value)
            except ValidationError as err:
                problem = from_validation(err)
                raise SnapshotError(
                    f"line {number}: snapshot header: {problem.field}: {problem.reason}"
                ) from None
        return None

    # -- the passes -------------------------------------------------------------------------------

    def run(self) -> ImportSummary:
        header = self.read_header()
        self.summary.header = header
        self._check_keys(header)
        self._first_pass(header)
        self._second_pass()
        self._third_pass()
        self._check_end(header)
        mark_data_as_of(self.store)
        return self.summary

    def _check_keys(self, header: Header | None) -> None:
        if self.secret is not None:
            try:
                check_hash_key(self.store, self.secret)
            except StoreError as err:
                raise SnapshotError(str(err)) from None
        held = self.store.get_meta(KEY_FINGERPRINT)
        made = header.hash_key_fingerprint if header else None
        if made is None or held is None or made == held:
            return
        if header is None or not header.with_id_numbers:
            raise SnapshotError(
                f"the file's person keys were made with another hash key (fingerprint {made}; this store "
                f"{held}), so they would name nobody here: import it where CREDIT_GRAPH_HASH_KEY is the "
                "exporting installation's key, or have it exported with --with-id-numbers"
            )
        self.keying = Keying(self.secret, trust_keys=False)
        self.summary.warnings.append(
            f"the file's person keys were made with another hash key (fingerprint {made}): persons are "
            "keyed again from their ID numbers, and records naming a person without one are rejected"
        )

    def _first_pass(self, header: Header | None) -> None:
        enterprises: _Buffer[Enterprise] = _Buffer()
        persons: _Buffer[Person] = _Buffer()
        for parsed in self._lines("nodes", None):
            kind = parsed.kind
            if kind == "snapshot":
                if parsed.line != self.header_line:
                    self.summary.records += 1
                    self.reject(parsed.line, "", "record", "a snapshot header belongs on the first line only")
                continue
            if kind == "end":
                self._end_record(parsed)
                continue
            self.seen[kind] += 1
            self.summary.records += 1
            self.last_data_line = parsed.line
            if kind == "enterprise":
                self._collect(parsed, enterprises, parse_enterprise, self._write_enterprises)
            elif kind == "person":
                self._collect(parsed, persons, lambda f: parse_person(f, self.keying), self._write_persons)
        self._write_enterprises(enterprises)
        self._write_persons(persons)

    def _second_pass(self) -> None:
        roles: _Buffer[Role] = _Buffer()
        entries: _Buffer[ListEntry] = _Buffer()
        for parsed in self._lines("roles and entries", frozenset({"role", "entry"})):
            if parsed.kind == "role":
                self._collect(parsed, roles, lambda f: parse_role(f, self.keying), self._write_roles)
            else:
                self._collect(parsed, entries, self._entry, self._write_entries)
        self._write_roles(roles)
        self._write_entries(entries)

    def _third_pass(self) -> None:
        for parsed in self._lines("events and feedback", frozenset({"event", "feedback"})):
            kind = parsed.kind
            try:
                record = parse_event(parsed.fields) if kind == "event" else parse_feedback(parsed.fields)
            except RecordError as err:
                self.reject(parsed.line, kind, err.field, err.reason)
                continue
            if isinstance(record, EntryEvent):
                self._import_event(parsed.line, record)
            else:
                self._import_feedback(parsed.line, record)

    def _end_record(self, parsed: _Parsed) -> None:
        try:
            self.end = End.model_validate({"record": "end", **parsed.fields})
            self.end_line = parsed.line
        except ValidationError as err:
            problem = from_validation(err)
            self.summary.records += 1
            self.reject(parsed.line, "", problem.field, problem.reason)

    def _check_end(self, header: Header | None) -> None:
        if self.end is None:
            if header is not None:
                self.summary.warnings.append(
                    "the file has no end record: it may have been cut off (a full disk, an interrupted copy)"
                )
            return
        if self.last_data_line > self.end_line:
            self.summary.warnings.append(f"records follow the end record (line {self.end_line})")
        differ = [
            f"{kind} {self.seen.get(kind, 0)} of {n}"
            for kind, n in sorted(self.end.counts.items())
            if self.seen.get(kind, 0) != n
        ]
        if differ:
            self.summary.warnings.append(
                f"the file holds other counts than its end record says: {', '.join(differ)}"
            )

    # -- batches ----------------------------------------------------------------------------------

    def _entry(self, fields: dict[str, Any]) -> ListEntry:
        """An entry of the file, refused unless its list type is one the rules define."""
        entry = parse_entry(fields, self.keying)
        try:
            check_entry_rules(self.rules, entry)
        except DomainError as err:
            field, _, reason = str(err).partition(": ")
            raise RecordError(field, reason) from None
        return entry

    def _collect(
        self,
        parsed: _Parsed,
        buffer: _Buffer[T],
        parse: Callable[[dict[str, Any]], T],
        flush: Callable[[_Buffer[T]], None],
    ) -> None:
        kind = parsed.kind
        try:
            record = parse(parsed.fields)
        except RecordError as err:
            self.reject(parsed.line, kind, err.field, err.reason)
            return
        conflict = self._conflict(parsed.line, kind, record)
        if conflict is not None:
            self.reject(parsed.line, kind, *conflict)
            return
        buffer.rows.append((parsed.line, record))
        if len(buffer.rows) >= self.batch_size:
            flush(buffer)

    def _conflict(self, line: int, kind: str, record: BaseModel) -> tuple[str, str] | None:
        """A second record with the key of an earlier one and other content: the later is rejected, naming
        the earlier line (which is kept), as the loaders do; an identical repeat is harmless."""
        field = KEY_FIELDS[kind]
        key = str(getattr(record, field))
        digest = hashlib.blake2b(record.model_dump_json(exclude=set(STAMPS)).encode(), digest_size=8).digest()
        earlier = self.first_seen.setdefault((kind, key), (line, digest))
        if earlier[1] == digest:
            return None
        return (
            field,
            f"conflicts with line {earlier[0]}: the same {field} with other content (that line is kept)",
        )

    def _write_enterprises(self, buffer: _Buffer[Enterprise]) -> None:
        if buffer.rows:
            self.summary.kinds["enterprise"].add(self.store.upsert_enterprises([r for _, r in buffer.rows]))
            buffer.rows.clear()

    def _write_persons(self, buffer: _Buffer[Person]) -> None:
        if not buffer.rows:
            return
        rows = [r for _, r in buffer.rows]
        # A file without ID numbers must not erase the numbers the store holds for the same persons.
        keys = [p.person_key for p in rows if p.id_number is None]
        held = self.store.get_persons(keys) if keys else {}
        merged = []
        for person in rows:
            stored = held.get(person.person_key)
            if person.id_number is None and stored is not None and stored.id_number is not None:
                person = person.model_copy(
                    update={
                        "id_number": stored.id_number,
                        "id_masked": person.id_masked or stored.id_masked,
                        "birth_date": person.birth_date or stored.birth_date,
                        "region": person.region or stored.region,
                        "sex": person.sex or stored.sex,
                    }
                )
            merged.append(person)
        self.summary.kinds["person"].add(self.store.upsert_persons(merged))
        buffer.rows.clear()

    def _write_roles(self, buffer: _Buffer[Role]) -> None:
        if not buffer.rows:
            return

        def refs(r: Role) -> list[tuple[str, str, str]]:
            return [("holder_key", r.holder_kind, r.holder_key), ("enterprise", "enterprise", r.enterprise)]

        self._write_referring("role", buffer, self.store.upsert_roles, refs)

    def _write_entries(self, buffer: _Buffer[ListEntry]) -> None:
        if not buffer.rows:
            return

        def refs(e: ListEntry) -> list[tuple[str, str, str]]:
            named = [
                (f"named_responsible.{i}.person_key", "person", n.person_key)
                for i, n in enumerate(e.named_responsible)
            ]
            return [("subject_key", e.subject_kind, e.subject_key), *named]

        self._write_referring("entry", buffer, self.store.upsert_entries, refs)

    def _write_referring(
        self,
        kind: str,
        buffer: _Buffer[T],
        write: Callable[[list[T]], WriteResult],
        refs: Callable[[T], list[tuple[str, str, str]]],
    ) -> None:
        """Write a batch; a store refusing it for unknown references gets it again without the records
        that have them, which are rejected naming the reference."""
        rows = buffer.rows
        buffer.rows = []
        while rows:
            try:
                self.summary.kinds[kind].add(write([r for _, r in rows]))
                return
            except MissingReferenceError as err:
                missing = set(err.missing)
                kept = []
                for line, record in rows:
                    unknown = [(f, k, key) for f, k, key in refs(record) if (k, key) in missing]
                    if unknown:
                        f, k, key = unknown[0]
                        self.reject(line, kind, f, f"unknown {k} {key}: neither in the store nor in the file")
                    else:
                        kept.append((line, record))
                if len(kept) == len(rows):
                    raise
                rows = kept

    # -- history ----------------------------------------------------------------------------------

    def _import_event(self, line: int, event: EntryEvent) -> None:
        history = self.events
        if history is None or history.entry_id != event.entry_id:
            self.entry = self.store.get_entry(event.entry_id)
            held = self.store.events_of_entry(event.entry_id) if self.entry is not None else []
            history = self.events = _History(event.entry_id, held, [False] * len(held))
        entry = self.entry
        if entry is None:
            self.reject(line, "event", "entry_id", f"unknown entry {event.entry_id}")
            return
        counts = self.summary.kinds["event"]
        for i, held_event in enumerate(history.held):
            if not history.matched[i] and same_event(held_event, event):
                history.matched[i] = True
                counts.unchanged += 1
                return
        try:
            # The entry is written as it stands (the file's version, from the second pass) together with
            # the event, in one transaction; the expected status guards against a concurrent change.
            self.store.apply_event(entry, event, expected_status=entry.status)
        except (ConflictError, MissingReferenceError) as err:
            self.events = None
            self.reject(line, "event", "entry_id", str(err))
            return
        history.held.append(event)
        history.matched.append(True)
        counts.created += 1

    def _import_feedback(self, line: int, feedback: Feedback) -> None:
        history = self.feedback
        if history is None or history.entry_id != feedback.entry_id:
            held = self.store.feedback(feedback.entry_id)
            history = self.feedback = _History(feedback.entry_id, held, [False] * len(held))
        counts = self.summary.kinds["feedback"]
        for i, held_feedback in enumerate(history.held):
            if not history.matched[i] and held_feedback == feedback:
                history.matched[i] = True
                counts.unchanged += 1
                return
        try:
            self.store.append_feedback(feedback)
        except MissingReferenceError:
            self.reject(line, "feedback", "entry_id", f"unknown entry {feedback.entry_id}")
            return
        history.held.append(feedback)
        history.matched.append(True)
        counts.created += 1


def import_snapshot(
    store: GraphStore,
    source: LineSource,
    *,
    secret: str | None,
    batch_size: int = 5000,
    size: int | None = None,
    on_reject: Callable[[Reject], None] | None = None,
    on_progress: OnProgress | None = None,
    rules: RuleSet | None = None,
) -> ImportSummary:
    """Import a snapshot read from `source` (called once per pass) into the store. Entries of list types
    `rules` (the shipped rules when None) do not define are rejected.

    `secret` is the store's hash key: it keys persons given by ID number, and must be the key the store's
    person keys were made with (SnapshotError otherwise, before anything is written). Rejected lines go to
    `on_reject` as they are found; `size` (bytes) is the total `on_progress` reports against.
    """
    if batch_size < 1:
        raise ValueError("batch_size: must be at least 1")
    chosen = rules if rules is not None else load_rules()
    return _Import(store, source, secret, batch_size, size, on_reject, on_progress, chosen).run()


def import_file(
    store: GraphStore,
    path: Path,
    *,
    secret: str | None,
    batch_size: int = 5000,
    on_reject: Callable[[Reject], None] | None = None,
    on_progress: OnProgress | None = None,
    rules: RuleSet | None = None,
) -> ImportSummary:
    return import_snapshot(
        store,
        file_lines(path),
        secret=secret,
        batch_size=batch_size,
        size=path.stat().st_size,
        on_reject=on_reject,
        on_progress=on_progress,
        rules=rules,
    )
