"""`credit-graph load`, `export-admin` and `import-offline`: the loaders from the command line.

Bad arguments, settings, mappings and unreadable files end with one message and exit code 2; a load
whose share of rejected rows is above CREDIT_GRAPH_REJECT_THRESHOLD ends with exit code 1 after its
summary. Neither prints a traceback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.exceptions import TyperException

from graph_service.settings import Settings, SettingsError, load_settings
from graph_service.store import GraphStore, StoreError, open_store
from graph_service.store.base import MissingReferenceError
from graph_service.store.embedded import EmbeddedStore
from loaders import LOADERS, InputError, LoadOptions, LoadReport, MappingError, Tick, run_load
from loaders.admin_export import AdminExport, write_admin_import
from loaders.offline_import import (
    LOCAL_DATABASE,
    LOCAL_PASSWORD,
    LocalNeo4j,
    OfflineImportError,
    answers,
    java_command,
    loopback_port,
    node_count,
    run_import_tool,
    same_server,
)
from loaders.readers import normalise_encoding

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
KINDS_HELP = ", ".join(LOADERS) + " (loaders/README.md says what each holds)"


class LoadError(TyperException):
    """Ends the command with this message and exit code. A TyperException, so that `credit-graph`'s
    main turns it into one line and the code, however the command module was started."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code


def _fail(message: str, code: int) -> LoadError:
    return LoadError(message, code)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise _fail(str(exc), 2) from None


class _Bar:
    """A rich progress bar over the file's bytes (rows for XLSX), with rows per second."""

    def __init__(self, label: str) -> None:
        self.progress = Progress(
            TextColumn(f"[bold]{label}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]:>10,} rows"),
            TextColumn("{task.fields[rate]:>8,.0f} rows/s"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.task = self.progress.add_task(label, total=None, rows=0, rate=0.0)
        self.started = time.perf_counter()

    def __enter__(self) -> _Bar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def tick(self, tick: Tick) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        self.progress.update(
            self.task, completed=tick.position, total=tick.total, rows=tick.rows, rate=tick.rows / elapsed
        )


def summarise(report: LoadReport) -> None:
    c = report.counters
    what = LOADERS[report.kind].summary
    table = Table(title=f"{what}: {report.file} ({report.encoding or 'xlsx'}, source {report.source})")
    table.add_column("rows")
    table.add_column("count", justify="right")
    for label, value in (
        ("read", c.rows),
        ("loaded", c.loaded),
        ("rejected", c.rejected),
        ("kept flagged (id_valid=false)", c.kept_flagged),
        ("loaded with a bad optional field left empty", c.left_empty),
        ("with unresolved references", c.unresolved_rows),
        ("held back, unresolved", c.held),
        ("skipped (nothing the graph keeps)", c.skipped),
    ):
        table.add_row(label, f"{value:,}")
    if report.resumed_batches:
        table.add_row("batches resumed past", f"{report.resumed_batches:,}")
    out.print(table)
    writes = Table(title="writes")
    for column in ("kind", "created", "updated", "unchanged"):
        writes.add_column(column, justify="right" if column != "kind" else "left")
    for kind, r in c.results.items():
        writes.add_row(kind, f"{r.created:,}", f"{r.updated:,}", f"{r.unchanged:,}")
    out.print(writes)
    if c.removed:
        out.print(f"entries no longer in the source, removed from the source on its day: {c.removed:,}")
    if c.ended:
        out.print(f"entries the source publishes as ended (移出), ended on their day: {c.ended:,}")
    if c.relisted:
        out.print(f"entries in the source again, relisted on its day: {c.relisted:,}")
    if report.removal_skipped and report.kind in ("court", "list"):
        out.print(f"entries missing from this snapshot were not marked removed: {report.removal_skipped}")
    if report.mapping_why:
        out.print(f"mapping: {report.mapping_why}", markup=False, highlight=False)
    elif report.mapping is not None:
        out.print(f"mapping: {report.mapping}", markup=False, highlight=False)
    if report.unused_columns:
        out.print(
            f"columns the mapping does not read: {', '.join(report.unused_columns)}",
            markup=False,
            highlight=False,
        )
    out.print(f"rejects: {report.reject_file}")
    out.print(f"unresolved references: {report.unresolved_file}")
    rate = c.rows / report.seconds if report.seconds else 0.0
    out.print(
        f"load {report.kind} {report.file.name}: {c.rows} rows, {c.loaded} loaded, {c.rejected} rejected, "
        f"{c.unresolved} unresolved, {report.changed} changes, {c.removed} removed, "
        f"{report.seconds:.1f}s ({rate:,.0f} rows/s)",
        markup=False,
        highlight=False,
    )


def _options(
    settings: Settings,
    encoding: str | None,
    keep_invalid_codes: bool,
    batch_size: int | None,
    **more: object,
) -> LoadOptions:
    return LoadOptions(
        secret=settings.person_hash_key(),
        batch_size=batch_size or settings.batch_size,
        reject_threshold=settings.reject_threshold,
        keep_invalid_codes=keep_invalid_codes,
        encoding=encoding,
        rules_path=settings.rules_path,
        **more,  # type: ignore[arg-type]
    )


def _run(
    store: GraphStore, kind: str, file: Path, options: LoadOptions, mapping: Path | None, folder: Path
) -> LoadReport:
    try:
        with _Bar(f"{kind} {file.name}") as bar:
            return run_load(store, kind, file, options, mapping, folder, bar.tick)
    except (MappingError, InputError) as exc:
        raise _fail(str(exc), 2) from None
    except MissingReferenceError as exc:
        raise _fail(f"{file}: {exc}", 1) from None
    except OSError as exc:
        raise _fail(f"{exc.filename or file}: {exc.strerror}", 2) from None


def _threshold(report: LoadReport) -> None:
    if report.failed:
        raise _fail(
            f"{report.counters.rejected:,} of {report.counters.rows:,} rows rejected "
            f"({report.reject_rate:.1%}), above CREDIT_GRAPH_REJECT_THRESHOLD={report.threshold:g}; "
            f"see {report.reject_file}",
            1,
        )


def load(
    kind: Annotated[str, typer.Argument(help=f"What the file holds: {KINDS_HELP}")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB18030), XLSX or JSON Lines")],
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="Column mapping (YAML); if absent, the shipped layout of the kind whose headers fit the file"
        ),
    ] = None,
    reject_file: Annotated[
        Path | None,
        typer.Option(help="Where rejected rows go (CSV); <data_dir>/loads/<file>.rejects.csv if absent"),
    ] = None,
    unresolved_file: Annotated[
        Path | None,
        typer.Option(help="Where unresolved references go (CSV); beside the reject file if absent"),
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="utf-8 or gb18030; detected when absent")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet; the first if absent")] = None,
    source: Annotated[
        str | None, typer.Option(help="Source name the records carry; the mapping's if absent")
    ] = None,
    snapshot_date: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Day a list snapshot was published (YYYY-MM-DD); today if absent"
        ),
    ] = None,
    keep_invalid_codes: Annotated[
        bool,
        typer.Option(
            help="Keep codes that fail their check, flagged id_valid=false, instead of rejecting the row"
        ),
    ] = False,
    batch_size: Annotated[
        int | None, typer.Option(min=1, max=100_000, help="Rows per batch; CREDIT_GRAPH_BATCH_SIZE if absent")
    ] = None,
    restart: Annotated[
        bool,
        typer.Option(
            help="Start from the first row even when an interrupted load of the same file could resume"
        ),
    ] = False,
) -> None:
    """Load a file of registration data, a published list or a practitioner register."""
    if kind not in LOADERS:
        raise _fail(f"unknown kind {kind!r}; one of {', '.join(LOADERS)}", 2)
    if encoding is not None:  # before the store is opened: a refused load writes nothing
        try:
            normalise_encoding(encoding)
        except InputError as exc:
            raise _fail(str(exc), 2) from None
    settings = _settings()
    options = _options(
        settings,
        encoding,
        keep_invalid_codes,
        batch_size,
        sheet=sheet,
        source=source,
        snapshot_date=snapshot_date.date() if snapshot_date else None,
        reject_file=reject_file,
        unresolved_file=unresolved_file,
        resume=not restart,
        queue_path=settings.unresolved_file(),
    )
    try:
        store = open_store(settings)
    except StoreError as exc:
        raise _fail(f"cannot open the {settings.backend} store: {exc}", 1) from None
    with store:
        report = _run(store, kind, file, options, mapping, settings.data_dir / "loads")
    summarise(report)
    _threshold(report)


def export_admin(
    folder: Annotated[Path, typer.Argument(help="Where the neo4j-admin import files go")],
    inputs: Annotated[
        list[str], typer.Argument(help="KIND=FILE, in load order, e.g. enterprises=e.csv personnel=p.csv")
    ],
    keep_invalid_codes: Annotated[
        bool, typer.Option(help="Keep codes that fail their check, flagged id_valid=false")
    ] = False,
    batch_size: Annotated[int | None, typer.Option(min=1, max=100_000, help="Rows per batch")] = None,
    database: Annotated[str, typer.Option(help="Database the printed command imports into")] = "neo4j",
) -> None:
    """Validate files as a load would and write them as neo4j-admin import CSV files (for a first load
    of large data into an empty Neo4j); prints the import command. The files are loaded into a staging
    embedded store under FOLDER/staging first, so they hold exactly what a load would write.
    `credit-graph import-offline` does the whole first load into the project's local Neo4j."""
    pairs = _pairs(inputs)
    settings = _settings()
    staged = _stage(settings, folder, pairs, keep_invalid_codes, batch_size, database)
    export = staged.export
    _print_export(staged)
    out.print("With the database stopped (this replaces it), run:")
    out.print(export.command(), markup=False, highlight=False)
    out.print(
        "then start Neo4j and give every client the same CREDIT_GRAPH_HASH_KEY; the service creates its "
        "constraints and indexes at start."
    )


def _pairs(inputs: list[str]) -> list[tuple[str, Path]]:
    pairs: list[tuple[str, Path]] = []
    for item in inputs:
        kind, sep, name = item.partition("=")
        if not sep or kind not in LOADERS:
            raise _fail(f"{item!r}: expected KIND=FILE with KIND one of {', '.join(LOADERS)}", 2)
        pairs.append((kind, Path(name)))
    return pairs


@dataclass
class Staged:
    """What a staged export gives: the import files, the rows read, the staging store's counts."""

    export: AdminExport
    rows: int
    counts: dict[str, int]
    seconds: float


def _stage(
    settings: Settings,
    folder: Path,
    pairs: list[tuple[str, Path]],
    keep_invalid_codes: bool,
    batch_size: int | None,
    database: str,
) -> Staged:
    """Loads the files into a staging embedded store under FOLDER/staging (the loaders' own checks and
    reject reports) and writes neo4j-admin import files from it under FOLDER/import."""
    from graph_service.store import check_hash_key

    # Checked before anything is written: the folder, and every input file.
    held = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if held is not None and not held.is_dir():
        raise _fail(f"FOLDER: {folder} is {'a file' if held == folder else f'under {held}, a file'}", 2)
    for kind, path in pairs:
        if not path.is_file():
            raise _fail(f"{kind}={path}: no such file", 2)
    staging_path = folder / "staging" / "graph.sqlite3"
    for leftover in staging_path.parent.glob("graph.sqlite3*"):
        leftover.unlink()  # a staging store from an earlier export would mix into this one
    try:
        staging = EmbeddedStore(staging_path)
    except StoreError as exc:
        raise _fail(f"cannot open the staging store: {exc}", 1) from None
    check_hash_key(staging, settings.person_hash_key())
    started = time.perf_counter()
    rows = 0
    with staging:
        for kind, path in pairs:
            options = _options(
                settings,
                None,
                keep_invalid_codes,
                batch_size,
                reject_file=folder / "reports" / f"{path.name}.rejects.csv",
                resume=False,
            )
            report = _run(staging, kind, path, options, None, folder / "reports")
            rows += report.counters.rows
            summarise(report)
            _threshold(report)
        export = write_admin_import(staging, folder / "import", database)
        counts = staging.counts()
    return Staged(export, rows, counts, time.perf_counter() - started)


def _print_export(staged: Staged) -> None:
    export, rows, seconds = staged.export, staged.rows, staged.seconds
    for label, written, n in export.nodes:
        out.print(f"{label:<18} {n:>10,} nodes          {written}")
    for type_, written, n in export.relationships:
        out.print(f"{type_ or '(by :TYPE)':<18} {n:>10,} relationships  {written}")
    out.print(f"exported {rows:,} rows in {seconds:.1f}s ({rows / seconds if seconds else 0:,.0f} rows/s)")


def _offline_target(settings: Settings, local: LocalNeo4j) -> tuple[str, str]:
    """The local server's URI (started if none runs) and password; refuses any other server."""
    if settings.neo4j_database != LOCAL_DATABASE:
        raise _fail(
            f"CREDIT_GRAPH_NEO4J_DATABASE={settings.neo4j_database}: the local server serves only the "
            f"database {LOCAL_DATABASE}",
            2,
        )
    password = settings.neo4j_password.get_secret_value() or LOCAL_PASSWORD
    given = "neo4j_uri" in settings.model_fields_set
    running = local.uri()
    if running is not None:
        if given and not same_server(settings.neo4j_uri, running):
            raise _fail(
                f"CREDIT_GRAPH_NEO4J_URI={settings.neo4j_uri} is not the project's local Neo4j (that one "
                f"runs at {running}); an offline import needs the database's files: on that server, stop "
                "the database and run neo4j-admin database import full there (README, Offline first load)",
                2,
            )
        return running, password
    port = loopback_port(settings.neo4j_uri) if given else None
    if given and (port is None or answers(settings.neo4j_uri)):
        raise _fail(
            f"CREDIT_GRAPH_NEO4J_URI={settings.neo4j_uri} is not the project's local Neo4j"
            f"{' and it is running' if port is not None else ''}; an offline import needs the database's "
            "files: on that server, stop the database and run neo4j-admin database import full there "
            "(README, Offline first load)",
            2,
        )
    err.print("starting the local Neo4j (scripts/neo4j-local) ...")
    return local.start(port), password


def import_offline(
    folder: Annotated[Path, typer.Argument(help="Work folder: staging store, reports, import files, logs")],
    inputs: Annotated[
        list[str], typer.Argument(help="KIND=FILE, in load order, e.g. enterprises=e.csv personnel=p.csv")
    ],
    keep_invalid_codes: Annotated[
        bool, typer.Option(help="Keep codes that fail their check, flagged id_valid=false")
    ] = False,
    batch_size: Annotated[int | None, typer.Option(min=1, max=100_000, help="Rows per batch")] = None,
) -> None:
    """First load of large data into the EMPTY database of the project's local Neo4j
    (scripts/neo4j-local), by Neo4j's own import tool: validates the files as a load would (same
    reports), writes the import files, stops the server, imports, starts it on the result, applies the
    schema and checks the counts. Refuses a database that holds anything, or a server that is not local."""
    from graph_service.store.neo4j_store import Neo4jStore

    pairs = _pairs(inputs)
    settings = _settings()
    local = LocalNeo4j()
    try:
        java_command()  # before anything is loaded: a missing Java is known at once
        uri, password = _offline_target(settings, local)
        held = node_count(uri, settings.neo4j_user, password, LOCAL_DATABASE)
        if held:
            raise _fail(
                f"the database {LOCAL_DATABASE} at {uri} holds {held:,} nodes: an offline import is for an "
                "empty database (use `credit-graph load` to add to it, or `scripts/neo4j-local stop` to "
                "discard a throwaway one)",
                1,
            )
        staged = _stage(settings, folder, pairs, keep_invalid_codes, batch_size, LOCAL_DATABASE)
        _print_export(staged)
        started = time.perf_counter()
        classpath = local.classpath()
        home = local.home()
        err.print(f"stopping the local Neo4j ({uri}) for the import ...")
        local.halt()
        err.print("importing with neo4j-admin database import full ...")
        log = run_import_tool(staged.export, home, classpath, folder / "neo4j-admin")
        imported = time.perf_counter()
        uri = local.start()
    except OfflineImportError as exc:
        raise _fail(str(exc), exc.code) from None
    try:
        store = Neo4jStore(uri, settings.neo4j_user, password, LOCAL_DATABASE, settings.batch_size)
    except StoreError as exc:
        raise _fail(f"the imported database does not open: {exc}", 1) from None
    with store:  # opening applied the schema (cypher/schema.cypher) and the derived properties
        counts = store.counts()
    if counts != staged.counts:
        wrong = {k: (v, counts.get(k)) for k, v in staged.counts.items() if counts.get(k) != v}
        raise _fail(
            f"the imported database's counts differ from the validated files' (staged, imported): {wrong}", 1
        )
    seconds = time.perf_counter() - started
    out.print(
        f"imported {counts['enterprises']:,} enterprises, {counts['persons']:,} persons, "
        f"{counts['entries']:,} list entries and {counts['roles']:,} roles in {imported - started:.1f}s; "
        f"queryable after {seconds:.1f}s (tool log {log})",
        markup=False,
        highlight=False,
    )
    out.print(f"Neo4j serves it at {uri}: CREDIT_GRAPH_BACKEND=neo4j CREDIT_GRAPH_NEO4J_URI={uri}")
