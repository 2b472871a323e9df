"""`credit-graph subscriptions …`: departments' subscriptions from the shell, over the same notification
file the API serves.

Reading them needs what reading the data folder needs. A change acts as the administrator: it needs an
admin key (--admin-key or CREDIT_GRAPH_ADMIN_KEY), whose holder the audit trail records it for, before
it is done. Bad input ends with one message naming the option and the reason, exit code 2, and nothing
written. Subjects to watch come from the command line or from a file (one a line, or a CSV column), up
to a subscription's 100,000 at once; an ID number among them is turned into its person key and never
kept or printed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, cast, get_args

import typer
from rich.console import Console
from rich.table import Table

from graph_service.access.audit import AuditLog, AuditUnavailableError
from graph_service.access.audit_anchor import FileAnchor, StoreAnchor
from graph_service.access.keys import KeyStore, Principal
from graph_service.notify.models import MAX_WATCHED, Subscription, SubscriptionKind, SubscriptionStatus
from graph_service.notify.storage import (
    MAX_PAGE,
    NotifyStore,
    NotifyStoreError,
    TooManyWatched,
    UnknownSubscription,
    new_secret,
)
from graph_service.notify.subjects import Key, SubjectsError, not_in_store, shown, subject_keys
from graph_service.notify.subscribing import (
    SubscribeError,
    department_of,
    endpoint_shown,
    new_subscription,
)
from graph_service.notify.views import MAX_SEQ
from graph_service.rules import RulesError, RuleSet, load_rules
from graph_service.settings import Settings, SettingsError, load_settings
from graph_service.store import StoreError, open_store
from graph_service.store.base import GraphStore
from graph_service.text_safety import mask_ids_in_text

subscriptions_app = typer.Typer(
    help="Departments' subscriptions to changes: create, list, show, watch, unwatch, pause, resume, "
    "delete, deliveries, redeliver.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
KINDS = ", ".join(get_args(SubscriptionKind))
# A field of the checks (notify/subscribing.py) as the option that gives it.
OPTIONS = {
    "list_types": "--list-type",
    "domains": "--domain",
    "measures": "--measure",
    "url": "--url",
    "description": "--description",
    "department": "--department",
}

AdminKey = Annotated[
    str | None,
    typer.Option(
        envvar="CREDIT_GRAPH_ADMIN_KEY",
        help="An admin API key: whose change it is; prefer the variable, which `ps` does not show",
    ),
]
SubId = Annotated[str, typer.Argument(metavar="ID", help="The subscription's id (`subscriptions list`)")]
AsJson = Annotated[bool, typer.Option("--json", help="As JSON")]
Subjects = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[SUBJECT]...",
        help="USCCs or person keys (ID numbers too, but a command line is seen by `ps`: use --file)",
    ),
]
SubjectFile = Annotated[
    Path | None,
    typer.Option("--file", help="One subject a line (USCC, ID number or person key), or a CSV with --column"),
]
Column = Annotated[str | None, typer.Option(help="The file is a CSV with a header; its subjects are here")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"credit-graph: {message}", markup=False, highlight=False)
    return typer.Exit(code)


def _say(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise _fail(str(exc)) from None


def _notices(settings: Settings) -> NotifyStore:
    try:
        return NotifyStore(settings.notify_file())
    except NotifyStoreError as exc:
        raise _fail(str(exc), 1) from None


def _rules(settings: Settings) -> RuleSet:
    try:
        return load_rules(settings.rules_path)
    except RulesError as exc:
        raise _fail(str(exc)) from None


def _held(notices: NotifyStore, subscription_id: str) -> Subscription:
    try:
        return notices.get(subscription_id)
    except UnknownSubscription:
        raise _fail(f"ID: no subscription {subscription_id}") from None
    except NotifyStoreError as exc:
        raise _fail(str(exc), 1) from None


def _operator(settings: Settings, key: str | None, action: str) -> Principal:
    """The administrator behind the key a change needs."""
    if not key:
        raise _fail(
            f"--admin-key: to {action} a subscription give an admin API key (--admin-key or "
            "CREDIT_GRAPH_ADMIN_KEY): the change is recorded in its holder's name"
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
            f"--admin-key: the key is {article} {found.role} key; subscriptions are changed here by admins"
        )
    return found


@dataclass
class Session:
    """What a change works with: the notification file, the store, and the audit trail anchored in both."""

    notices: NotifyStore
    store: GraphStore
    log: AuditLog
    operator: Principal

    @contextmanager
    def writing(self, action: str, subscription_id: str, summary: str) -> Iterator[None]:
        from graph_service.api.deps import Auditor  # the API's write-ahead audit, shared

        try:
            with Auditor(self.log, self.operator, None).writing(action, subscription_id, summary):
                yield
        except AuditUnavailableError as exc:
            raise _fail(f"{exc}; nothing was done", 1) from None
        except (NotifyStoreError, StoreError) as exc:
            raise _fail(str(exc), 1) from None


@contextmanager
def _session(
    settings: Settings, operator: Principal, subscription_id: str | None = None
) -> Iterator[Session]:
    """The files a change needs, opened once the subscription it is about is known to exist."""
    with ExitStack() as stack:
        notices = _notices(settings)
        stack.callback(notices.close)
        if subscription_id is not None:
            _held(notices, subscription_id)
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
        yield Session(notices, store, log, operator)


@subscriptions_app.command("create")
def create_command(
    kind: Annotated[str, typer.Option(help=f"What it hears of: {KINDS}")],
    department: Annotated[str, typer.Option(help="The department it is for")],
    url: Annotated[
        str | None, typer.Option(help="http(s) endpoint notices are posted to; none: pull only")
    ] = None,
    description: Annotated[str, typer.Option(help="What it is for")] = "",
    list_type: Annotated[list[str] | None, typer.Option("--list-type", help="A list type (repeat)")] = None,
    domain: Annotated[list[str] | None, typer.Option("--domain", help="A domain (repeat)")] = None,
    measure: Annotated[
        list[str] | None, typer.Option("--measure", help="A measure it applies (repeat)")
    ] = None,
    as_json: AsJson = False,
    admin_key: AdminKey = None,
) -> None:
    """A subscription for a department; it hears of changes from now on. Prints its signing secret,
    shown this once."""
    settings = _settings()
    if kind not in get_args(SubscriptionKind):
        raise _fail(f"--kind: {kind!r} is not a kind; one of {KINDS}")
    rules = _rules(settings)
    operator = _operator(settings, admin_key, "create")
    try:
        checked = new_subscription(
            rules,
            operator,
            department_of(operator, department),
            cast(SubscriptionKind, kind),
            url,
            description,
            list_type or (),
            domain or (),
            measure or (),
        )
    except SubscribeError as exc:
        field, _, index = exc.field.partition("[")
        raise _fail(f"{OPTIONS.get(field, field)}{'[' + index if index else ''}: {exc.reason}") from None
    with _session(settings, operator) as session:
        made = checked.model_copy(update={"from_seq": session.store.last_change()})
        secret = new_secret()
        summary = (
            f"{made.kind} for {made.department}, {endpoint_shown(made.url)}, list types "
            f"{','.join(made.list_types) or '-'}, domains {','.join(made.domains) or '-'}, measures "
            f"{','.join(made.measures) or '-'}"
        )
        with session.writing("subscription_create", made.id, summary):
            session.notices.create(made, secret)
    if as_json:
        from graph_service.notify.views import SubscriptionCreated

        _say(SubscriptionCreated(subscription=made, secret=secret).model_dump_json(indent=2))
        return
    _say(f"{made.id} created: {made.kind} for {made.department}, {endpoint_shown(made.url)}")
    _say(f"signing secret (shown this once): {secret}")


@subscriptions_app.command("list")
def list_command(
    department: Annotated[str | None, typer.Option(help="Only this department's")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line")] = False,
) -> None:
    """The subscriptions, without their secrets."""
    notices = _notices(_settings())
    try:
        found = notices.subscriptions(department)
    except NotifyStoreError as exc:
        raise _fail(str(exc), 1) from None
    finally:
        notices.close()
    if as_json:
        for s in found:
            _say(s.model_dump_json())
        return
    table = Table(title=f"subscriptions: {len(found)}")
    for column in ("id", "kind", "department", "status", "endpoint", "watched", "failures", "last delivered"):
        table.add_column(column)
    for s in found:
        delivered = f"{s.last_delivered_at:%Y-%m-%d %H:%M}" if s.last_delivered_at else "-"
        table.add_row(s.id, s.kind, s.department, s.status, s.url or "pull only", str(s.watched),
                      str(s.consecutive_failures), delivered)  # fmt: skip
    wide = out
    if not out.is_terminal:  # piped: the width the table needs, not ids cut into ellipses
        needed = out.measure(table, options=out.options.update_width(10_000)).maximum
        wide = Console(soft_wrap=True, width=max(80, needed))
    wide.print(table)


@subscriptions_app.command("show")
def show_command(subscription_id: SubId, as_json: AsJson = False) -> None:
    """A subscription: its remit, endpoint, state of delivery and how many subjects it watches."""
    notices = _notices(_settings())
    try:
        found = _held(notices, subscription_id)
    finally:
        notices.close()
    if as_json:
        _say(found.model_dump_json(indent=2))
        return
    for name, value in found.model_dump(mode="json").items():
        shown_value = ", ".join(value) if isinstance(value, list) else value
        _say(f"{name}: {shown_value if shown_value not in (None, '') else '-'}")


def _read_subjects(given: list[str], file: Path | None, column: str | None) -> tuple[list[str], list[str]]:
    """The subjects and, for each, where it came from (for messages): SUBJECT[i] or the file's line."""
    subjects, places = [f.strip() for f in given], [f"SUBJECT[{i}]" for i in range(len(given))]
    if file is None:
        if column is not None:
            raise _fail("--column: give the CSV file with --file")
        if not subjects:
            raise _fail("SUBJECT: give subjects, or a --file of them")
        return subjects, places
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise _fail(f"--file: cannot read {file}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise _fail(f"--file: {file} is neither UTF-8 nor GB18030 text") from None
    if column is None:
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                subjects.append(line.strip())
                places.append(f"--file line {number}")
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if reader.fieldnames is None or column not in reader.fieldnames:
            # A file without a header has its first subjects read as the header: never printed in clear.
            header = mask_ids_in_text(", ".join(reader.fieldnames or []))[:300] or "none"
            shown_column = mask_ids_in_text(column)
            raise _fail(f"--column: {file} has no column {shown_column!r} (its columns: {header})")
        try:
            for row in reader:
                value = (row.get(column) or "").strip()
                if value:
                    subjects.append(value)
                    places.append(f"--file line {reader.line_num}")
        except csv.Error as exc:  # a field past the reader's limit, a quote never closed
            raise _fail(f"--file line {reader.line_num}: not CSV as it can be read: {exc}") from None
    if len(subjects) > MAX_WATCHED:
        raise _fail(f"--file: at most {MAX_WATCHED:,} subjects at once, not {len(subjects):,}")
    if not subjects:
        raise _fail("SUBJECT: give subjects, or a --file of them")
    return subjects, places


def _keys(settings: Settings, given: list[str], places: list[str]) -> list[Key]:
    try:
        return subject_keys(given, settings.person_hash_key(), "subjects")
    except SubjectsError as exc:
        first = exc.bad[0]
        more = f" (and {exc.total - 1:,} more)" if exc.total > 1 else ""
        raise _fail(f"{places[first.index]}: {first.reason}{more}") from None


def _batch(given: list[str]) -> str:
    named = ", ".join(shown(g) for g in given[:5])
    return f"{named} and {len(given) - 5:,} more" if len(given) > 5 else named


def _change_watched(
    subscription_id: str,
    subjects: list[str] | None,
    file: Path | None,
    column: str | None,
    admin_key: str | None,
    adding: bool,
) -> None:
    settings = _settings()
    given, places = _read_subjects(subjects or [], file, column)
    keys = _keys(settings, given, places)
    operator = _operator(settings, admin_key, "watch subjects of" if adding else "unwatch subjects of")
    with _session(settings, operator, subscription_id) as session:
        verb = "add" if adding else "remove"
        summary = f"{verb} {len(keys)} ({_batch(given)})"
        try:
            with session.writing("subscription_watch", subscription_id, summary):
                added, removed = session.notices.change_watched(
                    subscription_id, keys if adding else [], [] if adding else keys
                )
        except TooManyWatched as exc:
            raise _fail(str(exc).replace("subjects: ", "--file: ", 1) if file else str(exc)) from None
        watching = session.notices.get(subscription_id).watched
        missing = not_in_store(session.store, set(keys)) if adding else None
    if adding:
        assert missing is not None
        _say(
            f"{subscription_id}: {added:,} newly watched, {watching:,} in all; not in the store yet: "
            f"{missing['enterprises']:,} enterprises, {missing['persons']:,} persons"
        )
    else:
        _say(f"{subscription_id}: {removed:,} no longer watched, {watching:,} in all")


@subscriptions_app.command("watch")
def watch_command(
    subscription_id: SubId,
    subjects: Subjects = None,
    file: SubjectFile = None,
    column: Column = None,
    admin_key: AdminKey = None,
) -> None:
    """Watch subjects (all or none of them: a bad one refuses the batch, naming its line)."""
    _change_watched(subscription_id, subjects, file, column, admin_key, adding=True)


@subscriptions_app.command("unwatch")
def unwatch_command(
    subscription_id: SubId,
    subjects: Subjects = None,
    file: SubjectFile = None,
    column: Column = None,
    admin_key: AdminKey = None,
) -> None:
    """Stop watching subjects."""
    _change_watched(subscription_id, subjects, file, column, admin_key, adding=False)


def _simple_change(subscription_id: str, admin_key: str | None, action: str) -> Subscription:
    settings = _settings()
    operator = _operator(settings, admin_key, action)
    with _session(settings, operator, subscription_id) as session:
        held = session.notices.get(subscription_id)
        if action == "delete":
            with session.writing(
                "subscription_delete", subscription_id, f"{held.kind} for {held.department}"
            ):
                session.notices.delete(subscription_id)
            return held
        status: SubscriptionStatus = "paused" if action == "pause" else "active"
        with session.writing("subscription_update", subscription_id, f"status {status}"):
            session.notices.set_status(subscription_id, status)
        return session.notices.get(subscription_id)


@subscriptions_app.command("pause")
def pause_command(subscription_id: SubId, admin_key: AdminKey = None) -> None:
    """Stop posting its notices for now: they wait, and stay in the pull feed."""
    _say(f"{subscription_id} {_simple_change(subscription_id, admin_key, 'pause').status}")


@subscriptions_app.command("resume")
def resume_command(subscription_id: SubId, admin_key: AdminKey = None) -> None:
    """Post its notices again, what waited at once."""
    _say(f"{subscription_id} {_simple_change(subscription_id, admin_key, 'resume').status}")


@subscriptions_app.command("delete")
def delete_command(subscription_id: SubId, admin_key: AdminKey = None) -> None:
    """It gets nothing more; its notices and delivery log stay for the statistics."""
    _simple_change(subscription_id, admin_key, "delete")
    _say(f"{subscription_id} deleted")


@subscriptions_app.command("deliveries")
def deliveries_command(
    subscription_id: SubId,
    after: Annotated[int, typer.Option(min=0, max=MAX_SEQ, help="Attempts after this cursor")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=MAX_PAGE, help="At most this many")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line")] = False,
) -> None:
    """The delivery log, oldest first: every attempt at posting a notice and its answer."""
    notices = _notices(_settings())
    try:
        _held(notices, subscription_id)
        found = notices.attempts(subscription_id, after, limit)
    except NotifyStoreError as exc:
        raise _fail(str(exc), 1) from None
    finally:
        notices.close()
    from graph_service.notify.views import DeliveryItem

    items = [DeliveryItem.of(s, a) for s, a in found]
    if as_json:
        for item in items:
            _say(item.model_dump_json())
        return
    table = Table(title=f"delivery attempts: {len(items)}")
    for column in ("cursor", "notice", "event", "at", "attempt", "status", "outcome", "ms", "error"):
        table.add_column(column)
    for i in items:
        table.add_row(i.cursor, str(i.notice), i.event_id, f"{i.at:%Y-%m-%d %H:%M:%S}", str(i.attempt),
                      str(i.status_code or "-"), i.outcome, str(i.duration_ms), i.error or "")  # fmt: skip
    out.print(table)


@subscriptions_app.command("redeliver")
def redeliver_command(
    subscription_id: SubId,
    notice: Annotated[
        list[int] | None,
        typer.Option("--notice", min=1, max=MAX_SEQ, help="Only this given-up notice (repeat)"),
    ] = None,
    admin_key: AdminKey = None,
) -> None:
    """Given-up notices (all, or these) back in the queue, due now."""
    settings = _settings()
    operator = _operator(settings, admin_key, "redeliver")
    with _session(settings, operator, subscription_id) as session:
        if session.notices.get(subscription_id).url is None:
            raise _fail(f"ID: {subscription_id} is pull only: there is nowhere to post its notices")
        which = "all given up" if not notice else f"{len(notice)} notices"
        with session.writing("subscription_redeliver", subscription_id, which):
            count = session.notices.redeliver(subscription_id, set(notice) if notice else None)
    _say(f"{subscription_id}: {count:,} notices back in the queue")
