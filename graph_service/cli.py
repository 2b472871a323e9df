"""The `credit-graph` command. Bad input ends with one message and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.exceptions import TyperException

from graph_service.access.cli import audit_app, keys_app
from graph_service.access.keys import KeyStore
from graph_service.identifiers import IdentifierError, validate_uscc
from graph_service.investigations.cli import controllers_command
from graph_service.model import ROLE_NAMES_ZH
from graph_service.notify.cli import subscriptions_app
from graph_service.notify.command import notify_app
from graph_service.persons import displayed_id
from graph_service.private_files import readable_by_others
from graph_service.rules import DEFAULT_RULES, RulesError, load_rules
from graph_service.settings import Settings, SettingsError, load_settings
from graph_service.snapshots.cli import export_command, import_command
from graph_service.store import GraphStore, StoreError, open_store
from graph_service.synthetic import Answers, Generator, load_synthetic
from graph_service.unresolved.cli import unresolved_app
from loaders.cli import export_admin, import_offline, load

app = typer.Typer(
    help="credit-graph: enterprises, the people responsible for them, and joint punishment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class CliError(Exception):
    """Ends the command with this message and exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise CliError(str(exc), code=2) from None


def _store(settings: Settings) -> GraphStore:
    try:
        return open_store(settings)
    except StoreError as exc:
        raise CliError(f"cannot open the {settings.backend} store: {exc}") from None


def _generate(store: GraphStore, settings: Settings, enterprises: int, seed: int) -> Answers:
    generator = Generator(enterprises, seed=seed, secret=settings.person_hash_key())
    with Progress(
        TextColumn("[bold]generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("enterprises"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("load", total=enterprises)
        answers, results = load_synthetic(
            store, generator, settings.batch_size, lambda done, _: progress.update(task, completed=done)
        )
    summary = ", ".join(f"{kind} {r.created} new/{r.updated} updated" for kind, r in results.items())
    err.print(f"loaded: {summary}")
    return answers


app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(unresolved_app, name="unresolved")
app.add_typer(subscriptions_app, name="subscriptions")


@app.command()
def generate(
    enterprises: Annotated[int, typer.Option(min=1, max=10_000_000, help="How many enterprises")] = 1000,
    seed: Annotated[int, typer.Option(help="Same seed, same data")] = 2017,
    answers: Annotated[Path | None, typer.Option(help="Write the planted answers (JSON) here")] = None,
) -> None:
    """Generate synthetic Henan data into the configured store."""
    settings = _settings()
    if answers is not None:  # checked before anything is generated
        if answers.is_dir():
            raise CliError(f"--answers: {answers} is a folder; give a file name in it", code=2)
        if not answers.parent.is_dir():
            raise CliError(f"--answers: the folder {answers.parent} does not exist", code=2)
    with _store(settings) as store:
        result = _generate(store, settings, enterprises, seed)
    if answers is not None:
        answers.write_text(result.model_dump_json(indent=2), encoding="utf-8")
        err.print(f"planted answers written to {answers}")


@app.command()
def stats() -> None:
    """Counts of nodes and role edges in the configured store."""
    settings = _settings()
    with _store(settings) as store:
        counts = store.counts()
    table = Table(title=f"credit-graph ({settings.backend})")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in counts.items():
        label = ROLE_NAMES_ZH.get(name, "")  # type: ignore[call-overload]
        table.add_row(f"{name} {label}".strip(), f"{value:,}")
    out.print(table)


@app.command()
def responsible(
    uscc: Annotated[str, typer.Argument(help="统一社会信用代码")],
    as_of: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Day (YYYY-MM-DD)")] = None,
) -> None:
    """Who held which role in an enterprise on a day (ID numbers masked)."""
    try:
        code = validate_uscc(uscc)
    except IdentifierError as exc:
        raise CliError(f"uscc: {exc}", code=2) from None
    day = as_of.date() if as_of else date.today()
    settings = _settings()
    with _store(settings) as store:
        enterprise = store.get_enterprise(code)
        if enterprise is None:
            raise CliError(f"no enterprise with USCC {code}")
        table = Table(title=f"{enterprise.name} {code} on {day.isoformat()}")
        for column in ("role", "position", "holder", "ID (masked)", "from", "to"):
            table.add_column(column)
        roles = store.roles_of_enterprise(code, as_of=day)
        persons = store.get_persons([r.holder_key for r in roles if r.holder_kind == "person"])
        orgs = store.get_enterprises([r.holder_key for r in roles if r.holder_kind == "enterprise"])
        for role in roles:
            person, org = persons.get(role.holder_key), orgs.get(role.holder_key)
            table.add_row(
                ROLE_NAMES_ZH[role.type],
                role.position or "",
                person.name if person else (org.name if org else role.holder_key),
                (displayed_id(person) or "") if person else role.holder_key,
                str(role.valid_from or ""),
                str(role.valid_to or ""),
            )
    out.print(table)


@app.command()
def rules(
    path: Annotated[
        Path | None, typer.Argument(help="Rules file to check; the configured one if absent")
    ] = None,
) -> None:
    """Check a rules file and summarise it: list types, measures, actions."""
    chosen = path or _settings().rules_path
    try:
        ruleset = load_rules(chosen)
    except RulesError as exc:
        raise CliError(str(exc), code=2) from None
    out.print(f"rules: {chosen or DEFAULT_RULES}")
    for t in ruleset.list_types:
        covers = ", ".join(
            f"{c.role.value}{'/' + c.position if c.position else ''}@{c.reference}" for c in t.covers
        )
        measures = ", ".join(m.code for m in ruleset.measures_for(t))
        out.print(f"{t.code} {t.name_zh} [{t.domain}, {t.kind}]")
        out.print(f"    covers: {covers or '-'}; measures: {measures or '-'}")
    out.print(f"{len(ruleset.measures)} measures, {len(ruleset.actions)} actions")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=256, help="Worker processes; the number of cores if absent")
    ] = None,
) -> None:
    """Serve the API over the configured store, in one worker process per core."""
    import uvicorn

    from graph_service.api.app import create_app
    from graph_service.api.workers import SUPERVISOR_PID

    settings = _settings()
    if settings.audit_key_beside_log() and not settings.demo:
        folder = settings.audit_file().resolve().parent
        raise CliError(
            f"the audit key would be kept beside the audit trail, in {folder}: whoever can write the trail "
            "could then re-chain it. Set CREDIT_GRAPH_AUDIT_KEY_PATH to a file in a folder only the service "
            "reads (or CREDIT_GRAPH_AUDIT_KEY), or CREDIT_GRAPH_DEMO=1 for a demonstration",
            code=2,
        )
    for held in (
        settings.store_path(),
        settings.keys_file(),
        settings.audit_file(),
        settings.unresolved_file(),
    ):
        if readable_by_others(held):
            err.print(
                f"credit-graph: warning: {held} is readable by other users of this machine; "
                f"it holds personal data: chmod 600 {held}",
                markup=False,
                highlight=False,
            )
    try:
        load_rules(settings.rules_path)
    except RulesError as exc:
        raise CliError(str(exc), code=2) from None
    # Opened here, not in the app's start-up, so an unreachable store is one message, not a traceback.
    with _store(settings) as store:
        count = _worker_count(workers)
        if count == 1:
            uvicorn.run(
                create_app(store=store, settings=settings),
                host=host or settings.api_host,
                port=port or settings.api_port,
            )
            return
    # Each worker builds its own app from the environment (graph_service/api/workers.py).
    os.environ[SUPERVISOR_PID] = str(os.getpid())
    uvicorn.run(
        "graph_service.api.workers:worker_app",
        factory=True,
        workers=count,
        host=host or settings.api_host,
        port=port or settings.api_port,
        # The supervisor kills a worker that does not answer its ping in time, and a worker answers only
        # once its interpreter has imported the service: seconds on a busy machine, beyond uvicorn's 5.
        timeout_worker_healthcheck=WORKER_PING_SECONDS,
    )


WORKER_PING_SECONDS = 60


def cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _worker_count(asked: int | None) -> int:
    """How many workers serve: as asked, else one per core (both stores serve several processes)."""
    return asked or cores()


@app.command()
def demo(
    enterprises: Annotated[int, typer.Option(min=100, max=100_000, help="Size of the county")] = 2000,
    seed: Annotated[int, typer.Option(help="Same seed, same data")] = 2017,
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API afterwards")] = True,
) -> None:
    """Generate a small county into the embedded store and serve the API on 127.0.0.1."""
    import uvicorn

    from graph_service.api.app import create_app

    settings = _settings().model_copy(update={"backend": "embedded"})
    store = _store(settings)
    answers = _generate(store, settings, enterprises, seed)
    answers_path = settings.data_dir / "demo-answers.json"
    answers_path.write_text(answers.model_dump_json(indent=2), encoding="utf-8")
    case = answers.cases["legal_rep_change"]
    base = f"http://127.0.0.1:{port}"
    enterprises_held = store.counts()["enterprises"]
    out.print(f"[bold]credit-graph demo[/bold]: {enterprises_held:,} enterprises in {settings.store_path()}")
    out.print(f"  public credit lookup   {base}/  (a subject: {base}/credit/enterprises/{case['uscc']})")
    out.print(f"  investigator explorer  {base}/explorer  (enter the admin key printed below)")
    out.print(f"  API documentation      {base}/docs")
    out.print(f"  an enterprise          {base}/v1/enterprises/{case['uscc']}")
    roles_url = f"{base}/v1/enterprises/{case['uscc']}/responsible-persons"
    out.print(f"  its people on the day of the misconduct  {roles_url}?as_of=2020-11-10")
    out.print(f"  and today              {roles_url}")
    out.print(f"  planted cases          {answers_path}")
    keys = KeyStore(settings.keys_file())
    key = keys.create("admin", "demo")[1]
    keys.close()
    out.print(f"  an admin key for this demo (in /docs: Authorize)  {key}")
    out.print(f"  try   curl -H 'X-API-Key: {key}' {roles_url}")
    if serve_api:
        uvicorn.run(create_app(store=store, settings=settings), host="127.0.0.1", port=port)
    store.close()


app.command("load")(load)
app.command("export-admin")(export_admin)
app.command("import-offline")(import_offline)
app.command("controllers")(controllers_command)
app.command("export")(export_command)
app.command("import")(import_command)
app.add_typer(notify_app, name="notify")


def main() -> None:
    try:
        code = app(standalone_mode=False)
        # Without standalone mode, click hands back the code of a typer.Exit instead of exiting with it.
        if isinstance(code, int) and code:
            sys.exit(code)
    except CliError as exc:
        err.print(f"credit-graph: {exc}", markup=False, highlight=False)
        sys.exit(exc.code)
    except StoreError as exc:
        err.print(f"credit-graph: the store failed: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except TyperException as exc:  # usage errors: bad option values, unknown commands
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"credit-graph: {exc}", markup=False, highlight=False)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except Exception as exc:  # anything unforeseen: a message, not a traceback
        if os.environ.get("CREDIT_GRAPH_DEBUG"):
            raise
        err.print(f"credit-graph: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
