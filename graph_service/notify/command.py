"""`credit-graph notify run|status`: the notifier and the dispatcher outside `serve`, for deployments that
keep them apart (CREDIT_GRAPH_NOTIFY_IN_SERVE=0), and how far they have got."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.console import Console

from graph_service.access.keys import KeyStore
from graph_service.notify.notifier import CURSOR, DAY
from graph_service.notify.runner import NotifyRunner
from graph_service.notify.storage import NotifyStore, NotifyStoreError
from graph_service.rules import RulesError, load_rules
from graph_service.settings import Settings, SettingsError, load_settings
from graph_service.store import StoreError, open_store

notify_app = typer.Typer(help="Push and watch: make and deliver notices (docs/notifications.md).")
out = Console(soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"credit-graph: {message}", markup=False, highlight=False)
    return typer.Exit(2)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise _fail(str(exc)) from None


def _notices(settings: Settings) -> NotifyStore:
    try:
        return NotifyStore(settings.notify_file())
    except NotifyStoreError as exc:
        raise _fail(str(exc)) from None


@notify_app.command("run")
def run(
    once: Annotated[
        bool, typer.Option("--once", help="Make the notices due now, post those due, and stop")
    ] = False,
) -> None:
    """Make notices from the store's change log and the passing days, and deliver them, until stopped
    (SIGTERM or Ctrl-C: a delivery under way is finished first)."""
    settings = _settings()
    try:
        rules = load_rules(settings.rules_path)
    except RulesError as exc:
        raise _fail(str(exc)) from None
    try:
        store = open_store(settings)
    except StoreError as exc:
        raise _fail(f"cannot open the {settings.backend} store: {exc}") from None
    notices = _notices(settings)
    keys = KeyStore(settings.keys_file())
    try:
        runner = NotifyRunner(store, notices, rules, settings, lapsed=keys.lapsed)
        if once:
            made = runner.catch_up()
            posted = 0
            while attempted := runner.dispatcher.run_once():
                posted += attempted
            counts = notices.delivery_counts()
            out.print(
                f"notices made: {made}; attempts: {posted}; delivered {counts['delivered']}, "
                f"pending {counts['pending']}, gave up {counts['gave_up']}, pull only {counts['pull']}"
            )
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        runner.start()
        out.print(f"notifying from the {store.backend_name} store; stop with Ctrl-C or SIGTERM")
        stop.wait()
        runner.stop()
    finally:
        keys.close()
        notices.close()
        store.close()


@notify_app.command("status")
def status() -> None:
    """How far the notifier has got in the change log, the days done, and the deliveries by state."""
    settings = _settings()
    try:
        store = open_store(settings)
    except StoreError as exc:
        raise _fail(f"cannot open the {settings.backend} store: {exc}") from None
    notices = _notices(settings)
    try:
        last = store.last_change()
        cursor = notices.get_state(CURSOR)
        out.print(f"change log: {last} changes; made into notices up to {cursor or 'none yet'}")
        out.print(f"days done up to: {notices.get_state(DAY) or 'none yet'}")
        counts = notices.delivery_counts()
        out.print("notices: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for sub in notices.subscriptions():
            if sub.status != "active":
                out.print(
                    f"subscription {sub.id} ({sub.department}): {sub.status}; last error: {sub.last_error}"
                )
    finally:
        notices.close()
        store.close()
