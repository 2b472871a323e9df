"""`credit-graph keys …` and `credit-graph audit …`: API keys and the audit trail, from the shell."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from graph_service.access.audit import AuditLog
from graph_service.access.audit_anchor import STORE_META, FileAnchor
from graph_service.access.keys import ROLES, KeysError, KeyStore
from graph_service.settings import Settings, SettingsError, load_settings

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
audit_app = typer.Typer(help="Verify and read the audit trail.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        err.print(f"credit-graph: {exc}", markup=False)
        raise typer.Exit(2) from None


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"credit-graph: {message}", markup=False, highlight=False)
    return typer.Exit(code)


@keys_app.command("create")
def create(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}")],
    name: Annotated[str, typer.Option(help="Whose key: a department, a system or a person")],
    department: Annotated[str | None, typer.Option(help="Department (required for agency keys)")] = None,
    expires_in_days: Annotated[
        int | None, typer.Option(help="Refuse the key this many days from now (default: never)")
    ] = None,
) -> None:
    """Make a key; it is printed once and only its hash is kept."""
    expires_at = None
    if expires_in_days is not None:
        # Checked here rather than with typer's min=1 so that the message reads like every other failure.
        if expires_in_days < 1:
            raise _fail("--expires-in-days: must be a whole number of days, 1 or more")
        try:
            expires_at = datetime.now(UTC) + timedelta(days=expires_in_days)
        except OverflowError:
            raise _fail("--expires-in-days: too far in the future") from None
    keys = KeyStore(_settings().keys_file())
    try:
        key_id, key = keys.create(role, name, department, expires_at)
    except KeysError as exc:
        raise _fail(str(exc)) from None
    finally:
        keys.close()
    until = f", expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
    err.print(f"key {key_id} ({role}) made{until}; it is shown this once:", markup=False, highlight=False)
    out.print(key, markup=False, highlight=False)


@keys_app.command("list")
def list_keys() -> None:
    """Every key with its role, department, whether it is revoked and when it expires (never the key
    itself). Times are UTC."""
    keys = KeyStore(_settings().keys_file())
    table = Table()
    for column in ("key id", "role", "department", "name", "created", "revoked", "expires"):
        table.add_column(column)
    now = datetime.now(UTC)
    for k in keys.list():
        expires = ""
        if k.expires_at:
            expires = f"{k.expires_at:%Y-%m-%d %H:%M}" + (" (expired)" if k.expires_at <= now else "")
        table.add_row(k.key_id, k.role, k.department or "", k.name, f"{k.created_at:%Y-%m-%d %H:%M}",
                      f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "", expires)  # fmt: skip
    keys.close()
    # Piped into grep or a file there is no terminal width, and Rich would squeeze seven columns into 80,
    # wrapping ids and dates; there the table gets the width it needs.
    if out.is_terminal:
        wide = out
    else:
        needed = out.measure(table, options=out.options.update_width(10_000)).maximum
        wide = Console(soft_wrap=True, width=max(80, needed))
    wide.print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key id shown by `keys list`")]) -> None:
    """Revoke a key at once."""
    keys = KeyStore(_settings().keys_file())
    try:
        keys.revoke(key_id)
    except KeysError as exc:
        raise _fail(str(exc), code=1) from None
    finally:
        keys.close()
    err.print(f"key {key_id} revoked")


@audit_app.command("verify")
def verify(
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            help="A checkpoint handed over earlier (`audit checkpoint`): the log must still hold it"
        ),
    ] = None,
) -> None:
    """Check the whole chain and its head kept outside the log (the checkpoint file, the graph store, and
    any checkpoint given); names every altered, removed or inserted record (exit 1 if any)."""
    settings = _settings()
    handed: list[tuple[str, str]] = []
    for path in checkpoint or []:
        try:
            handed.append((f"checkpoint {path}", path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(
                f"--checkpoint: cannot read {path}: {getattr(exc, 'strerror', None) or exc}"
            ) from None
    in_store, note = _store_head(settings)
    if in_store is not None:
        handed.append(("graph store", in_store))
    anchored = [FileAnchor(settings.audit_checkpoint_file())]
    if not settings.audit_file().exists() and not (handed or settings.audit_checkpoint_file().exists()):
        raise _fail(f"no audit trail at {settings.audit_file()}", code=1)
    log = AuditLog(settings.audit_file(), settings.audit_secret(), anchored)
    try:
        count, problems = log.verify(handed)
    finally:
        log.db_only_close()
    for problem in problems:
        out.print(f"record {problem.seq}: {problem.problem}", markup=False)
    if note:
        err.print(f"credit-graph: {note}", markup=False, highlight=False)
    if problems:
        raise _fail(f"audit trail damaged: {len(problems)} problem(s) in {count} records", code=1)
    out.print(f"audit trail intact: {count} records")


def _store_head(settings: Settings) -> tuple[str | None, str | None]:
    """The head the graph store keeps, and a note when the store could not be asked."""
    from graph_service.store import open_store
    from graph_service.store.base import StoreError

    try:
        store = open_store(settings)
    except (StoreError, OSError) as exc:
        return None, f"the graph store's copy of the head was not compared ({exc})"
    try:
        return store.get_meta(STORE_META), None
    finally:
        store.close()


@audit_app.command("checkpoint")
def checkpoint_command() -> None:
    """Print the chain's signed head (sequence number, hash, time, signature) as JSON, to keep elsewhere
    or hand to another department; `audit verify --checkpoint FILE` later proves the log still holds it."""
    settings = _settings()
    if not settings.audit_file().exists():
        raise _fail(f"no audit trail at {settings.audit_file()}", code=1)
    log = AuditLog(
        settings.audit_file(), settings.audit_secret(), [FileAnchor(settings.audit_checkpoint_file())]
    )
    head = log.checkpoint()
    log.db_only_close()
    if head is None:
        raise _fail("the audit trail is empty: no head to hand over", code=1)
    out.print(json.dumps(head), markup=False, highlight=False)


@audit_app.command("list")
def list_records(
    subject: Annotated[
        str | None, typer.Option(help="Only this subject (uscc, person key, entry id)")
    ] = None,
    key_id: Annotated[str | None, typer.Option(help="Only this key")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
) -> None:
    """Audit records, oldest first."""
    settings = _settings()
    log = AuditLog(settings.audit_file(), settings.audit_secret())
    for r in log.records(subject=subject, key_id=key_id, limit=limit):
        out.print(f"{r.seq} {r.at:%Y-%m-%d %H:%M:%S} {r.key_id} {r.role} {r.department or '-'} "
                  f"{r.action} {r.subject or '-'} {r.purpose or '-'} {r.summary}", markup=False)  # fmt: skip
    log.close()
