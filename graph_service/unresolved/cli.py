"""`credit-graph unresolved …`: the queue of unresolved references from the shell.

Reading the queue needs what reading the data folder needs. A decision changes the graph, so, like an
export of full ID numbers, it needs an admin key (--admin-key or CREDIT_GRAPH_ADMIN_KEY): the key's
holder is the decision's actor, and the decision is recorded in the audit trail before it is applied.
Bad input ends with one message and exit code 2.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Annotated, cast, get_args

import typer
from rich.console import Console
from rich.table import Table

from graph_service.access.audit import AuditLog, AuditUnavailableError
from graph_service.access.audit_anchor import FileAnchor, StoreAnchor
from graph_service.access.keys import KeyStore, Principal
from graph_service.settings import Settings, SettingsError, load_settings
from graph_service.store import StoreError, open_store
from graph_service.text_safety import mask_ids_in_text
from graph_service.unresolved.apply import DecisionError, Decisions, Outcome
from graph_service.unresolved.queue import PAGE, QueueError, UnresolvedQueue
from graph_service.unresolved.references import Status
from graph_service.unresolved.views import DecisionAnswer, ReferenceSummary, describe

unresolved_app = typer.Typer(
    help="The queue of unresolved references: list, show, resolve, reject, undo.", no_args_is_help=True
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
STATUS_WORDS = ", ".join(get_args(Status))

AdminKey = Annotated[
    str | None,
    typer.Option(
        envvar="CREDIT_GRAPH_ADMIN_KEY",
        help="An admin API key: whose decision it is; prefer the variable, which `ps` does not show",
    ),
]
Reason = Annotated[str, typer.Option(help="Why: kept with the decision and in the audit trail")]
RefId = Annotated[str, typer.Argument(metavar="ID", help="The reference's id (`unresolved list`)")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"credit-graph: {message}", markup=False, highlight=False)
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise _fail(str(exc)) from None


def _queue(settings: Settings) -> UnresolvedQueue:
    try:
        return UnresolvedQueue(settings.unresolved_file())
    except QueueError as exc:
        raise _fail(str(exc), 1) from None


@unresolved_app.command("list")
def list_command(
    status: Annotated[
        str | None, typer.Option(help=f"Only references in this status: {STATUS_WORDS}")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only references from this source")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many")] = 1000,
) -> None:
    """References in the order they were first queued (ID numbers masked)."""
    if status is not None and status not in get_args(Status):
        raise _fail(f"--status: {status!r} is not a status; one of {STATUS_WORDS}")
    wanted = cast(Status | None, status)
    with _queue(_settings()) as queue:
        found: list[ReferenceSummary] = []
        after: int | None = 0
        while after is not None and len(found) < limit:
            page, after = queue.page(wanted, source, after, min(PAGE * 5, limit - len(found)))
            found += [ReferenceSummary.of(r) for r in page]
    if as_json:
        for item in found:
            out.print(item.model_dump_json(), markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(title=f"unresolved references: {len(found)}")
    for column in (
        "id",
        "status",
        "source",
        "file",
        "row",
        "field",
        "name",
        "number",
        "fit/considered",
        "reason",
    ):
        table.add_column(column)
    for r in found:
        table.add_row(r.id, r.status, r.source, r.file_name, str(r.row), r.field, r.name, r.masked,
                      f"{r.fitting}/{r.candidates}", r.reason)  # fmt: skip
    # Piped into grep or a file there is no terminal width: the table gets the width it needs, as
    # `keys list` does, rather than ids squeezed into ellipses.
    wide = out
    if not out.is_terminal:
        needed = out.measure(table, options=out.options.update_width(10_000)).maximum
        wide = Console(soft_wrap=True, width=max(80, needed))
    wide.print(table)


@unresolved_app.command("show")
def show_command(
    ref_id: RefId,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON")] = False,
) -> None:
    """A reference: who the source names, the candidates and why each fits or not, its decisions."""
    with _queue(_settings()) as queue:
        ref = queue.get(ref_id)
    if ref is None:
        raise _fail(f"ID: no unresolved reference {ref_id}")
    if as_json:
        out.print(ref.model_dump_json(indent=2), markup=False, highlight=False)
        return
    for line in describe(ref):
        out.print(line, markup=False, highlight=False)


@unresolved_app.command("resolve")
def resolve_command(
    ref_id: RefId,
    person: Annotated[str, typer.Option(help="The person key of the stored person the reference is")],
    reason: Reason,
    admin_key: AdminKey = None,
) -> None:
    """The reference is this stored person: the held-back entry is created with him as its subject, or
    he is added to the entry's named responsible persons."""
    _decide("resolve", ref_id, reason, admin_key, person)


@unresolved_app.command("reject")
def reject_command(ref_id: RefId, reason: Reason, admin_key: AdminKey = None) -> None:
    """No stored person is this one: later loads keep the reference unresolved without queueing it again."""
    _decide("reject", ref_id, reason, admin_key)


@unresolved_app.command("undo")
def undo_command(ref_id: RefId, reason: Reason, admin_key: AdminKey = None) -> None:
    """Withdraw the reference's decision: a person it added is taken out of the entry, an entry it created
    is revoked (never deleted). The reference can then be decided again."""
    _decide("undo", ref_id, reason, admin_key)


def _decide(action: str, ref_id: str, reason: str, admin_key: str | None, person: str | None = None) -> None:
    settings = _settings()
    if not reason.strip():
        raise _fail("--reason: say why; it goes into the audit trail")
    operator = _operator(settings, admin_key, action)
    actor = f"{operator.name} (key {operator.key_id})"
    chosen = f" person {person}" if person else ""
    summary = f"{action} {ref_id}{chosen} by {actor}: {mask_ids_in_text(reason)}"
    from graph_service.api.deps import Auditor  # the API's write-ahead audit, shared

    with ExitStack() as stack:
        queue = stack.enter_context(_queue(settings))
        try:
            store = stack.enter_context(open_store(settings))
        except StoreError as exc:
            raise _fail(f"cannot open the {settings.backend} store: {exc}", 1) from None
        log = AuditLog(
            settings.audit_file(),
            settings.audit_secret(),
            [FileAnchor(settings.audit_checkpoint_file()), StoreAnchor(store)],
        )
        stack.callback(log.close)  # before the store closes: its anchor is written on close
        decisions = Decisions(queue, store)
        try:
            with Auditor(log, operator, None).writing(f"unresolved_{action}", ref_id, summary):
                outcome = _apply(decisions, action, ref_id, reason, actor, person)
        except DecisionError as exc:
            raise _fail(str(exc)) from None
        except AuditUnavailableError as exc:
            raise _fail(f"{exc}; nothing was done", 1) from None
        except (QueueError, StoreError) as exc:
            raise _fail(str(exc), 1) from None
    answer = DecisionAnswer(reference=outcome.reference, decision=outcome.decision)
    d = answer.decision
    if action == "resolve":
        was = "a candidate" if d.was_candidate else "not one of the candidates"
        out.print(f"{ref_id} resolved: person {d.person_key} ({was})", markup=False, highlight=False)
    else:
        out.print(f"{ref_id} {answer.reference.status}", markup=False, highlight=False)
    out.print(f"applied: {d.applied}", markup=False, highlight=False)


def _apply(
    decisions: Decisions, action: str, ref_id: str, reason: str, actor: str, person: str | None
) -> Outcome:
    if action == "resolve":
        assert person is not None
        return decisions.resolve(ref_id, person, actor, reason)
    if action == "reject":
        return decisions.reject(ref_id, actor, reason)
    return decisions.undo(ref_id, actor, reason)


def _operator(settings: Settings, key: str | None, action: str) -> Principal:
    """The administrator behind the key a decision needs."""
    if not key:
        raise _fail(
            f"--admin-key: a {action} changes the graph; give an admin API key (--admin-key or "
            "CREDIT_GRAPH_ADMIN_KEY): the decision is recorded in its holder's name"
        )
    if not settings.keys_file().exists():
        raise _fail(
            f"--admin-key: no keys at {settings.keys_file()}; "
            "make one with `credit-graph keys create --role admin`"
        )
    keys = KeyStore(settings.keys_file())
    try:
        found = keys.check(key)
    finally:
        keys.close()
    if not isinstance(found, Principal):
        why = "expired" if found.reason == "expired" else "unknown or revoked"
        raise _fail(f"--admin-key: the key is {why}")
    if found.role != "admin":
        article = "an" if found.role[0] in "aeiou" else "a"
        raise _fail(
            f"--admin-key: the key is {article} {found.role} key, which may not decide unresolved references"
        )
    return found
