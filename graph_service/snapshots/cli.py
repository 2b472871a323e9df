"""`credit-graph export` and `credit-graph import`, registered on the main command in graph_service/cli.py.

The main command's helpers are imported when a command runs, not when this module loads, because the main
command imports this module to register the commands.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from graph_service.access.audit import AuditLog
from graph_service.access.keys import KeyStore, Principal
from graph_service.rules import RulesError, load_rules
from graph_service.settings import Settings
from graph_service.snapshots.exporter import ExportSummary, export_snapshot, export_to_path, resolve_subject
from graph_service.snapshots.format import DATA_RECORDS, OnProgress, SnapshotError
from graph_service.snapshots.importer import ImportSummary, Reject, import_file
from graph_service.text_safety import report_cell

ID_NUMBER_WARNING = (
    "warning: the file will hold full ID numbers (personal information; docs/domain.md, 'Disclosure and "
    "personal data'): keep it as you keep the database itself, and delete it when it has served"
)
STAGES = {
    "nodes": "pass 1/3 enterprises, persons",
    "roles and entries": "pass 2/3 roles, entries",
    "events and feedback": "pass 3/3 events, feedback",
}


@contextmanager
def _progress(console: Console, in_bytes: bool) -> Iterator[OnProgress]:
    amount = DownloadColumn() if in_bytes else MofNCompleteColumn()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        amount,
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int | None) -> None:
            task = tasks.get(stage)
            if task is None:
                task = tasks[stage] = progress.add_task(STAGES.get(stage, stage), total=total)
            if total is not None:
                progress.update(task, total=total)
            progress.update(task, completed=done)

        yield report


def export_command(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="File to write (JSON Lines); - for standard output")
    ],
    subject: Annotated[
        str | None,
        typer.Option(help="Only the neighbourhood of this USCC, person key, ID number or entry id"),
    ] = None,
    hops: Annotated[
        int | None, typer.Option(min=0, max=3, help="How many steps around --subject (default 1)")
    ] = None,
    with_id_numbers: Annotated[
        bool,
        typer.Option(
            "--with-id-numbers",
            help="Include full ID numbers (default: person keys, masked numbers); needs an admin key and "
            "a purpose, and is audited",
        ),
    ] = False,
    admin_key: Annotated[
        str | None,
        typer.Option(
            envvar="CREDIT_GRAPH_ADMIN_KEY",
            help="An admin API key (with --with-id-numbers); prefer the variable, which `ps` does not show",
        ),
    ] = None,
    purpose: Annotated[
        str | None, typer.Option(help="Why the full ID numbers are exported (with --with-id-numbers)")
    ] = None,
) -> None:
    """Export the graph, or a subject's neighbourhood, as a snapshot file (docs/snapshots.md)."""
    from graph_service.cli import CliError, _settings, _store, err

    if hops is not None and subject is None:
        raise CliError("--hops: give --subject too; without it the whole graph is exported", code=2)
    if not with_id_numbers and purpose is not None:
        raise CliError("--purpose: only with --with-id-numbers (a plain export is not personal data)", code=2)
    settings = _settings()
    admin = None
    if with_id_numbers:
        admin = _admin(settings, admin_key, purpose)
        err.print(ID_NUMBER_WARNING, markup=False, highlight=False)
    to_stdout = str(file) == "-"
    with _store(settings) as store:
        target = None
        if subject is not None:
            try:
                target = resolve_subject(store, subject, settings.person_hash_key())
            except SnapshotError as exc:
                raise CliError(str(exc)) from None
        steps = 1 if hops is None else hops
        if admin is not None:
            where = "standard output" if to_stdout else str(file.resolve())
            if not to_stdout and not os.access(file.resolve().parent, os.W_OK):
                raise CliError(f"cannot write {file}: its folder is missing or not writable")
            # Recorded before the file is written: a file with the numbers may exist even if the
            # export then fails part way.
            log = AuditLog(settings.audit_file(), settings.audit_secret())
            try:
                what = f"hops={steps} to {where}" if target else f"whole graph to {where}"
                log.append(admin, "export_id_numbers", target[1] if target else None, what, purpose)
            finally:
                log.close()
        try:
            with _progress(err, in_bytes=False) as report:
                if to_stdout:
                    summary = export_snapshot(
                        store, sys.stdout, with_id_numbers=with_id_numbers, subject=target, hops=steps,
                        on_progress=report,
                    )  # fmt: skip
                else:
                    summary = export_to_path(
                        store, file, with_id_numbers=with_id_numbers, subject=target, hops=steps,
                        on_progress=report,
                    )  # fmt: skip
        except OSError as exc:
            raise CliError(f"cannot write {file}: {exc.strerror or exc}") from None
    _report_export(summary, "standard output" if to_stdout else str(file), err)


def _admin(settings: Settings, key: str | None, purpose: str | None) -> Principal:
    """The administrator behind the key an export of full ID numbers needs (docs/domain.md, "Disclosure
    and personal data")."""
    from graph_service.cli import CliError

    if not key:
        raise CliError(
            "--with-id-numbers: give an admin API key (--admin-key or CREDIT_GRAPH_ADMIN_KEY) and --purpose; "
            "the export is recorded in the audit trail",
            code=2,
        )
    if not purpose or not purpose.strip():
        raise CliError(
            "--purpose: say why the full ID numbers are exported; it goes into the audit trail", code=2
        )
    if not settings.keys_file().exists():
        raise CliError(
            f"--admin-key: no keys at {settings.keys_file()}; "
            "make one with `credit-graph keys create --role admin`",
            code=2,
        )
    keys = KeyStore(settings.keys_file())
    try:
        found = keys.check(key)
    finally:
        keys.close()
    if not isinstance(found, Principal):
        why = "expired" if found.reason == "expired" else "unknown or revoked"
        raise CliError(f"--admin-key: the key is {why}", code=2)
    if found.role != "admin":
        raise CliError(
            f"--admin-key: a {found.role} key may not export full ID numbers; an admin key may", code=2
        )
    return found


def _report_export(summary: ExportSummary, where: str, console: Console) -> None:
    shown = ", ".join(f"{summary.counts.get(k, 0):,} {k}" for k in DATA_RECORDS)
    console.print(f"exported {summary.records:,} records to {where}: {shown}", markup=False, highlight=False)
    if summary.left_out:
        console.print(
            f"warning: the neighbourhood has {summary.left_out:,} more nodes than the limit; "
            "the nearest were kept (ask for fewer --hops)",
            markup=False,
            highlight=False,
        )


def import_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Snapshot file (JSON Lines) to import")],
    reject_file: Annotated[
        Path | None,
        typer.Option(
            help="Where rejected lines are reported (CSV); default FILE.rejects.csv beside the file"
        ),
    ] = None,
) -> None:
    """Import a snapshot file into the configured store: validated, idempotent, in batches."""
    from graph_service.cli import CliError, _settings, _store, err, out

    if not file.is_file():
        raise CliError(f"{file}: no such file", code=2)
    settings = _settings()
    rejects_path = reject_file or file.with_name(file.name + ".rejects.csv")
    with _store(settings) as store:
        try:
            rejects = rejects_path.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise CliError(f"cannot write {rejects_path}: {exc.strerror or exc}", code=2) from None
        writer = csv.writer(rejects)
        writer.writerow(["line", "record", "field", "reason"])

        def on_reject(reject: Reject) -> None:
            # A file for people, opened in a spreadsheet: a reason quoting what a line held must neither
            # show an ID number nor run as a formula.
            cells = (reject.line, reject.record, reject.field, reject.reason)
            writer.writerow([report_cell(v) for v in cells])

        try:
            with rejects, _progress(err, in_bytes=True) as report:
                summary = import_file(
                    store,
                    file,
                    secret=settings.person_hash_key(),
                    batch_size=settings.batch_size,
                    on_reject=on_reject,
                    on_progress=report,
                    rules=load_rules(settings.rules_path),
                )
        except RulesError as exc:
            raise CliError(str(exc), code=2) from None
        except SnapshotError as exc:
            raise CliError(f"{file}: {exc}", code=2) from None
        except OSError as exc:
            raise CliError(f"cannot read {file}: {exc.strerror or exc}") from None
    for warning in summary.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    out.print(_import_table(summary, file))
    if summary.rejected:
        err.print(f"{summary.rejected:,} lines rejected: see {rejects_path}", markup=False, highlight=False)
    if summary.records and summary.rejected / summary.records > settings.reject_threshold:
        raise CliError(
            f"{file}: {summary.rejected:,} of {summary.records:,} records rejected, more than "
            f"CREDIT_GRAPH_REJECT_THRESHOLD ({settings.reject_threshold:.0%}); the others were imported"
        )


def _import_table(summary: ImportSummary, file: Path) -> Table:
    table = Table(title=f"imported {file.name}: {summary.records:,} records, {summary.changed:,} changed")
    for column in ("record", "created", "updated", "unchanged", "rejected"):
        table.add_column(column, justify="left" if column == "record" else "right")
    for kind, counts in summary.kinds.items():
        table.add_row(
            kind,
            f"{counts.created:,}",
            f"{counts.updated:,}",
            f"{counts.unchanged:,}",
            f"{counts.rejected:,}",
        )
    if summary.unreadable:
        table.add_row("(not a record)", "", "", "", f"{summary.unreadable:,}")
    return table
