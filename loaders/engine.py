"""The load loop every loader shares: read in batches, check each row, resolve, write, record progress.

A batch is written to the store (nodes before the edges that need them), then its reject and unresolved
lines are appended and synced, then the progress file records it as committed. A load killed part-way
resumes after its last committed batch; a batch written but not yet recorded is written again, which
changes nothing because every write is an idempotent upsert.
"""

from __future__ import annotations

import abc
import csv
import gc
import hashlib
import itertools
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, TextIO, TypeVar

from graph_service.model import Enterprise, EntryEvent, EntryStatus, ListEntry, Person, Role
from graph_service.store import mark_data_as_of
from graph_service.store.base import GraphStore, WriteResult
from graph_service.text_safety import report_cell
from graph_service.unresolved.queue import UnresolvedQueue
from graph_service.unresolved.references import Reference
from loaders.fields import Memo, Problem, Row, shown_value
from loaders.mapping import LoadedMapping, Resolved, pick_mapping
from loaders.readers import Reader, SourceRow

P = TypeVar("P")
KINDS = ("enterprises", "persons", "roles", "entries")
PROGRESS_VERSION = 1


@dataclass
class LoadOptions:
    secret: str
    batch_size: int = 10_000
    reject_threshold: float = 0.05
    keep_invalid_codes: bool = False
    encoding: str | None = None
    sheet: str | None = None
    source: str | None = None  # overrides the mapping's source
    snapshot_date: date | None = None  # the day a list snapshot was published; today when absent
    reject_file: Path | None = None
    unresolved_file: Path | None = None
    rules_path: Path | None = None
    resume: bool = True
    # The unresolved-reference queue (graph_service/unresolved): references are queued there too, and the
    # decisions taken on them are used. None: the report file only.
    queue_path: Path | None = None


@dataclass
class Unresolved:
    """A reference the loader could not tie to one node without guessing, or a conflict it did not
    settle; the row's other data loads."""

    row: int
    field: str
    name: str
    document: str  # masked
    enterprise: str
    reason: str
    candidates: int = 0
    reference: Reference | None = None  # what the queue keeps of it, for a reference a decision can settle


@dataclass
class BatchOut:
    enterprises: list[Enterprise] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    entries: list[ListEntry] = field(default_factory=list)
    removed: list[ListEntry] = field(default_factory=list)  # written already, with their removal event
    # Dated changes to entries (a removal the file publishes, a relisting, a status the source now
    # publishes), each with the status it starts from: applied after the batch's records are written.
    events: list[tuple[ListEntry, EntryEvent, EntryStatus]] = field(default_factory=list)
    rejects: list[tuple[int, Problem]] = field(default_factory=list)
    unreadable: int = 0
    unresolved: list[Unresolved] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    flagged_rows: set[int] = field(default_factory=set)  # loaded with a code kept flagged
    left_empty_rows: set[int] = field(default_factory=set)  # loaded with a bad optional field left empty
    skipped_rows: set[int] = field(default_factory=set)  # rows that say nothing the graph keeps
    held_rows: set[int] = field(default_factory=set)  # rows held back whole as unresolved references

    def reject(self, row: Row, name: str, reason: str, value: str | None = None) -> None:
        row.problem(name, reason, value)
        self.rejects.append((row.number, row.problems[-1]))
        self.rejected_rows.add(row.number)

    def unresolved_ref(self, item: Unresolved) -> None:
        self.unresolved.append(item)


@dataclass
class Counters:
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    kept_flagged: int = 0
    left_empty: int = 0
    unresolved_rows: int = 0
    unresolved: int = 0
    held: int = 0
    skipped: int = 0
    removed: int = 0
    relisted: int = 0
    ended: int = 0
    unreadable: int = 0  # rows the reader could not read (what they list is not known)
    results: dict[str, WriteResult] = field(default_factory=lambda: {k: WriteResult() for k in KINDS})

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "results"}
        data["results"] = {k: r.model_dump() for k, r in self.results.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Counters:
        counters = cls(**{k: v for k, v in data.items() if k != "results"})
        counters.results = {k: WriteResult.model_validate(v) for k, v in data["results"].items()}
        return counters


@dataclass
class LoadReport:
    kind: str
    file: Path
    source: str
    counters: Counters
    reject_file: Path
    unresolved_file: Path
    seconds: float
    resumed_batches: int
    failed: bool
    threshold: float
    encoding: str
    removal_skipped: str | None = None
    mapping: Path | None = None
    mapping_why: str | None = None  # why the shipped mapping was picked, when none was given
    unused_columns: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(r.changed for r in self.counters.results.values())

    @property
    def reject_rate(self) -> float:
        return self.counters.rejected / self.counters.rows if self.counters.rows else 0.0


class Context:
    """What every loader of one run shares: the store, the options, the mapping and the run's time."""

    def __init__(
        self, store: GraphStore, options: LoadOptions, mapping: LoadedMapping, resolved: Resolved
    ) -> None:
        self.store = store
        self.options = options
        self.mapping = mapping.mapping
        self.resolved = resolved
        self.source = options.source or mapping.mapping.source
        self.loaded_at = datetime.now(UTC).replace(microsecond=0)
        self.secret = options.secret
        self.snapshot_date = options.snapshot_date or date.today()
        self.queue: UnresolvedQueue | None = None  # opened by the engine for the run

    def option(self, name: str, default: Any = None) -> Any:
        return self.mapping.options.get(name, default)


class Loader(abc.ABC, Generic[P]):
    """One source kind. parse() reads a row without the store; apply() resolves a batch of parsed rows
    against the store and fills the batch's records."""

    kind: ClassVar[str]
    summary: ClassVar[str]
    # Field name → required; the mapping maps these to the file's headers.
    fields: ClassVar[dict[str, bool]]
    # Groups of fields of which a file must give at least one (a personnel table names its enterprise by
    # USCC, registry subject id or 注册号).
    one_of: ClassVar[tuple[tuple[str, ...], ...]] = ()
    # Fields holding personal document numbers: always masked in reject and unresolved files.
    sensitive: ClassVar[frozenset[str]] = frozenset()
    # Which field a duplicate's reject line names (an instance may name another, from its file's columns).
    key_field: str = ""
    # Fields read as enterprise codes (Row.enterprise_code) and as documents (Row.document): a batch's
    # values of them are checked together (Memo.precheck) before its rows are read one by one.
    code_fields: ClassVar[tuple[str, ...]] = ()
    document_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @abc.abstractmethod
    def parse(self, row: Row) -> P | None:
        """The row's content, or None (with problems recorded on the row)."""

    def key(self, parsed: P) -> str | None:
        """What makes two rows of one file the same record: a later one is a duplicate."""
        return None

    def seen(self, values: dict[str, str | None]) -> str | None:
        """For list snapshots: what identifies the listing a row is about, even a row that is rejected."""
        return None

    @abc.abstractmethod
    def apply(self, items: list[tuple[Row, P]], out: BatchOut) -> None:
        """Resolve parsed rows against the store and put the records to write into `out`."""

    def finish(self, seen: set[int], out: BatchOut) -> str | None:
        """After every batch of a successful run (list snapshots mark what disappeared). Returns why a
        step was skipped, if one was."""
        return None


# -- files written beside a load ------------------------------------------------------------------

REJECT_HEADER = ["row", "field", "value", "reason", "outcome"]
UNRESOLVED_HEADER = ["row", "field", "name", "document", "enterprise", "reason", "candidates"]


def _open_appending(path: Path, header: list[str], truncate_to: int | None) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    if truncate_to is None or not path.exists():
        handle = path.open("w", encoding="utf-8-sig", newline="")
        csv.writer(handle).writerow(header)
        handle.flush()
        return handle
    with path.open("r+b") as raw:
        raw.truncate(truncate_to)
    return path.open("a", encoding="utf-8", newline="")


def _sync(handle: TextIO) -> int:
    handle.flush()
    os.fsync(handle.fileno())
    return handle.tell()


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class ProgressFile:
    """Which batches of one input (by its SHA-256) under one mapping and options are committed."""

    def __init__(self, path: Path, identity: dict[str, Any]) -> None:
        self.path = path
        self.identity = identity
        self.batches_done = 0
        self.reject_bytes: int | None = None
        self.unresolved_bytes: int | None = None
        self.counters = Counters()

    def load(self) -> bool:
        """True when a previous run of the same input stopped part-way and can be resumed."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if data.get("version") != PROGRESS_VERSION or data.get("identity") != self.identity:
            return False
        self.batches_done = int(data["batches_done"])
        self.reject_bytes = int(data["reject_bytes"])
        self.unresolved_bytes = int(data["unresolved_bytes"])
        self.counters = Counters.from_json(data["counters"])
        return True

    def commit(self, batches_done: int, reject_bytes: int, unresolved_bytes: int, counters: Counters) -> None:
        data = {
            "version": PROGRESS_VERSION,
            "identity": self.identity,
            "batches_done": batches_done,
            "reject_bytes": reject_bytes,
            "unresolved_bytes": unresolved_bytes,
            "counters": counters.to_json(),
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


# -- the loop -------------------------------------------------------------------------------------


@dataclass
class Tick:
    """What a progress display needs after each batch."""

    rows: int
    position: int
    total: int | None
    batches: int
    resumed: bool


def _chunks(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    chunk: list[SourceRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write(store: GraphStore, out: BatchOut, counters: Counters) -> None:
    # Nodes first: the edges of this batch may need them.
    if out.enterprises:
        counters.results["enterprises"] += store.upsert_enterprises(out.enterprises)
    if out.persons:
        counters.results["persons"] += store.upsert_persons(out.persons)
    if out.roles:
        counters.results["roles"] += store.upsert_roles(out.roles)
    if out.entries:
        counters.results["entries"] += store.upsert_entries(out.entries)
    for entry, event, expected in out.events:
        store.apply_event(entry, event, expected_status=expected)
        counters.ended += event.event == "removed_from_source"
        counters.relisted += event.event == "relisted"


class Engine:
    def __init__(
        self,
        store: GraphStore,
        loader_type: type[Loader[Any]],
        path: Path,
        mapping: LoadedMapping | None,
        options: LoadOptions,
        default_dir: Path,
        progress: Callable[[Tick], None] | None = None,
        after_write: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.loader_type = loader_type
        self.path = path
        self.mapping = mapping
        self.options = options
        self.progress = progress
        # Called with the batch number once its records and report lines are written, before it is
        # recorded as committed: where a crash leaves the most to undo, which is where tests kill.
        self.after_write = after_write
        self.memo = Memo()
        self.reject_file = options.reject_file or default_dir / f"{path.name}.rejects.csv"
        self.unresolved_file = options.unresolved_file or self.reject_file.with_name(
            self.reject_file.name.removesuffix(".csv").removesuffix(".rejects") + ".unresolved.csv"
        )

    def run(self) -> LoadReport:
        # A load makes millions of small objects, few of them in cycles, beside a store that may hold a
        # whole graph in memory: the collector scanning all of that again and again took a third of a
        # load's time. Objects alive at the start are left out of its scans (gc.freeze) and it runs less
        # often; both are restored when the load ends.
        threshold = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(max(threshold[0], 50_000), *threshold[1:])
        try:
            return self._run()
        finally:
            gc.set_threshold(*threshold)
            gc.unfreeze()

    def _run(self) -> LoadReport:
        started = time.perf_counter()
        options = self.options
        reader = Reader(self.path, options.encoding, options.sheet)
        rows = reader.rows()
        # Reading the first row reads the header; JSON Lines learn their keys from the first record that
        # parses, so lines before it that do not are kept to be reported as rows.
        lead: list[SourceRow] = []
        first = next(rows, None)
        while first is not None and not reader.header and first.error is not None:
            lead.append(first)
            first = next(rows, None)
        if first is not None:
            lead.append(first)
        picked_why: str | None = None
        if self.mapping is None:
            # No --mapping: the shipped layout of this kind whose headers fit the file.
            self.mapping, picked_why = pick_mapping(
                self.loader_type.kind,
                reader.header,
                self.loader_type.fields,
                str(self.path),
                self.loader_type.one_of,
            )
        origin = f"{self.path} (mapping {self.mapping.path})"
        resolved = Resolved(
            self.mapping.mapping, reader.header, self.loader_type.fields, origin, self.loader_type.one_of
        )
        ctx = Context(self.store, options, self.mapping, resolved)
        loader = self.loader_type(ctx)

        identity = {
            "kind": loader.kind,
            "input_sha256": file_digest(self.path),
            "mapping_sha256": self.mapping.digest,
            "source": ctx.source,
            "batch_size": options.batch_size,
            "keep_invalid_codes": options.keep_invalid_codes,
            "encoding": reader.encoding,
            "sheet": options.sheet,
        }
        progress_file = ProgressFile(
            self.reject_file.with_name(self.reject_file.name + ".progress.json"), identity
        )
        resuming = options.resume and progress_file.load()
        counters = progress_file.counters if resuming else Counters()
        skip = progress_file.batches_done if resuming else 0
        rejects = _open_appending(
            self.reject_file, REJECT_HEADER, progress_file.reject_bytes if resuming else None
        )
        unresolved = _open_appending(
            self.unresolved_file, UNRESOLVED_HEADER, progress_file.unresolved_bytes if resuming else None
        )
        reject_writer, unresolved_writer = csv.writer(rejects), csv.writer(unresolved)
        duplicates: dict[int, int] = {}
        seen: set[int] = set()
        all_rows = itertools.chain(lead, rows)
        columns = len(reader.header)
        batch_no = 0
        try:
            ctx.queue = UnresolvedQueue(options.queue_path) if options.queue_path is not None else None
            for batch_no, chunk in enumerate(_chunks(all_rows, options.batch_size), start=1):
                committed = batch_no <= skip
                out = BatchOut()
                if len(reader.header) != columns:
                    # A JSON record with keys the first did not have: map them too.
                    columns = len(reader.header)
                    resolved = Resolved(
                        self.mapping.mapping,
                        reader.header,
                        self.loader_type.fields,
                        origin,
                        self.loader_type.one_of,
                    )
                    ctx.resolved = resolved
                items = self._parse(loader, resolved, chunk, duplicates, seen, out)
                if committed:
                    # Already written and counted: read only to know its duplicates and listings.
                    self._tick(reader, counters, batch_no, resumed=True)
                    continue
                loader.apply(items, out)
                _write(self.store, out, counters)
                self._count(chunk, items, out, counters)
                # Every cell as a report may show it: anything shaped like an ID number masked, in free
                # text and reasons too, and formulas defused for whoever opens the file in a spreadsheet.
                for number, problem in sorted(out.rejects, key=lambda item: item[0]):
                    reject_writer.writerow(
                        [
                            report_cell(c)
                            for c in (number, problem.field, problem.value, problem.reason, problem.outcome)
                        ]
                    )
                for u in sorted(out.unresolved, key=lambda item: item.row):
                    unresolved_writer.writerow(
                        [
                            report_cell(c)
                            for c in (
                                u.row,
                                u.field,
                                u.name,
                                u.document,
                                u.enterprise,
                                u.reason,
                                u.candidates,
                            )
                        ]
                    )
                if ctx.queue is not None:
                    queued = [u.reference for u in out.unresolved if u.reference is not None]
                    ctx.queue.record(queued, self.path.name)
                reject_bytes, unresolved_bytes = _sync(rejects), _sync(unresolved)
                if self.after_write is not None:
                    self.after_write(batch_no)
                progress_file.commit(batch_no, reject_bytes, unresolved_bytes, counters)
                self._tick(reader, counters, batch_no, resumed=False)
            failed = counters.rows > 0 and counters.rejected / counters.rows > options.reject_threshold
            removal_skipped: str | None = None
            if failed:
                removal_skipped = "the load failed its reject threshold"
            elif counters.rows == 0:
                removal_skipped = "the file has no data rows"
            elif counters.unreadable:
                # A row that cannot be read may be a listing the snapshot still has: nothing is marked
                # removed on the strength of a file with holes in it.
                removal_skipped = f"{counters.unreadable:,} rows could not be read"
            else:
                out = BatchOut()
                removal_skipped = loader.finish(seen, out)
                counters.removed += len(out.removed)
                _write(self.store, out, counters)
            _sync(rejects)
            _sync(unresolved)
        finally:
            rejects.close()
            unresolved.close()
            if ctx.queue is not None:
                ctx.queue.close()
        progress_file.remove()
        if counters.rows:
            mark_data_as_of(self.store)
        return LoadReport(
            kind=loader.kind,
            file=self.path,
            source=ctx.source,
            counters=counters,
            reject_file=self.reject_file,
            unresolved_file=self.unresolved_file,
            seconds=time.perf_counter() - started,
            resumed_batches=skip if resuming else 0,
            failed=failed,
            threshold=options.reject_threshold,
            encoding=reader.encoding,
            removal_skipped=removal_skipped,
            mapping=self.mapping.path,
            mapping_why=picked_why,
            unused_columns=resolved.unused,
        )

    def _parse(
        self,
        loader: Loader[Any],
        resolved: Resolved,
        chunk: Sequence[SourceRow],
        duplicates: dict[int, int],
        seen: set[int],
        out: BatchOut,
    ) -> list[tuple[Row, Any]]:
        items: list[tuple[Row, Any]] = []
        options = self.options
        read: list[tuple[dict[str, str | None], dict[str, str]]] = []
        for source_row in chunk:
            fallbacks: dict[str, str] = {}
            read.append((resolved.values_of(source_row.cells, fallbacks), fallbacks))
        if loader.code_fields or loader.document_fields:
            self.memo.precheck([values for values, _ in read], loader.code_fields, loader.document_fields)
        for source_row, (values, fallbacks) in zip(chunk, read, strict=True):
            seen_key = loader.seen(values)
            if seen_key is not None:
                seen.add(hash(seen_key))
            row = Row(
                source_row.number,
                values,
                resolved,
                keep_invalid_codes=options.keep_invalid_codes,
                sensitive=loader.sensitive,
                memo=self.memo,
                fallbacks=fallbacks,
            )
            if source_row.error is not None:
                out.unreadable += 1
                row.problem(source_row.column or "(row)", source_row.error, "")
                parsed = None
            else:
                parsed = loader.parse(row)
            if parsed is not None and not row.bad:
                key = loader.key(parsed)
                if key is not None:
                    digest = hash(key)
                    first = duplicates.setdefault(digest, row.number)
                    if first != row.number:
                        row.problem(loader.key_field, f"duplicate: the same record as row {first}")
            for problem in row.problems:
                out.rejects.append((row.number, problem))
            if row.bad or parsed is None:
                out.rejected_rows.add(row.number)
                continue
            if row.problems:
                outcomes = {p.outcome for p in row.problems}
                if "kept_flagged" in outcomes:
                    out.flagged_rows.add(row.number)
                if "left_empty" in outcomes:
                    out.left_empty_rows.add(row.number)
            items.append((row, parsed))
        return items

    @staticmethod
    def _count(
        chunk: Sequence[SourceRow], items: list[tuple[Row, Any]], out: BatchOut, counters: Counters
    ) -> None:
        counters.rows += len(chunk)
        counters.unreadable += out.unreadable
        counters.rejected += len(out.rejected_rows)
        counters.kept_flagged += len(out.flagged_rows - out.rejected_rows)
        counters.left_empty += len(out.left_empty_rows - out.rejected_rows)
        skipped = out.skipped_rows - out.rejected_rows
        held = out.held_rows - out.rejected_rows - skipped
        counters.skipped += len(skipped)
        counters.held += len(held)
        counters.unresolved += len(out.unresolved)
        counters.unresolved_rows += len({u.row for u in out.unresolved})
        counters.loaded += len(chunk) - len(out.rejected_rows) - len(skipped) - len(held)

    def _tick(self, reader: Reader, counters: Counters, batches: int, resumed: bool) -> None:
        if self.progress is not None:
            self.progress(Tick(counters.rows, reader.position, reader.total, batches, resumed))


__all__ = [
    "KINDS",
    "BatchOut",
    "Context",
    "Counters",
    "Engine",
    "LoadOptions",
    "LoadReport",
    "Loader",
    "Tick",
    "Unresolved",
    "shown_value",
]
