"""`credit-graph keys …` and `credit-graph audit …`: API keys and the audit trail, from the shell."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from graph_service.access.audit import AuditLog
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
) -> None:
    """Make a key; it is printed once and only its hash is kept."""
    keys = KeyStore(_settings().keys_file())
    try:
        key_id, key = keys.create(role, name, department)
    except KeysError as exc:
        raise _fail(str(exc)) from None
    finally:
        keys.close()
    err.print(f"key {key_id} ({role}) made; it is shown this once:")
    out.print(key, markup=False, highlight=False)


@keys_app.command("list")
def list_keys() -> None:
    """Every key with its role, department and whether it is revoked (never the key itself)."""
    keys = KeyStore(_settings().keys_file())
    table = Table()
    for column in ("key id", "role", "department", "name", "created", "revoked"):
        table.add_column(column)
    for k in keys.list():
        table.add_row(k.key_id, k.role, k.department or "", k.name, f"{k.created_at:%Y-%m-%d %H:%M}",
                      f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "")  # fmt: skip
    keys.close()
    out.print(table)


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
def verify() -> None:
    """Check the whole chain; names every altered, removed or inserted record (exit 1 if any)."""
    settings = _settings()
    if not settings.audit_file().exists():
        raise _fail(f"no audit trail at {settings.audit_file()}", code=1)
    log = AuditLog(settings.audit_file(), settings.audit_secret())
    count, problems = log.verify()
    log.close()
    for problem in problems:
        out.print(f"record {problem.seq}: {problem.problem}", markup=False)
    if problems:
        raise _fail(f"audit trail damaged: {len(problems)} problem(s) in {count} records", code=1)
    out.print(f"audit trail intact: {count} records")


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
