"""The FastAPI application: routers, error handlers and the store it serves."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel

from graph_service import __version__
from graph_service.access.audit import AuditLog
from graph_service.access.audit_anchor import Anchor, FileAnchor, StoreAnchor
from graph_service.access.keys import KeyStore
from graph_service.access.log_mask import mask_access_log
from graph_service.api.errors import install_error_handlers, problem_responses
from graph_service.api.hardening import Hardening
from graph_service.api.leadership import Leadership
from graph_service.api.routers import checks, enterprises, entries, explore
from graph_service.api.routers import investigations as investigations_router
from graph_service.api.routers import subscriptions as subscriptions_router
from graph_service.api.routers import unresolved as unresolved_router
from graph_service.notify.runner import NotifyRunner
from graph_service.notify.storage import NotifyStore
from graph_service.rules import load_rules
from graph_service.settings import Settings, get_settings
from graph_service.store import GraphStore, open_store
from graph_service.unresolved.queue import UnresolvedQueue
from graph_service.web.pages import install_pages


class Health(BaseModel):
    status: str
    backend: str
    version: str


def lead_file(settings: Settings) -> Path:
    """The lock whose holder leads, beside the notification file the notifier works on."""
    return settings.notify_file().with_name("serve.lead")


def create_app(store: GraphStore | None = None, settings: Settings | None = None) -> FastAPI:
    """An app over `store`, or over the store the settings name (opened at start, closed at stop)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        config = settings or get_settings()
        app.state.settings = config
        # Rules are read at start so that a bad rules file stops the service before it answers anything.
        app.state.rules = load_rules(config.rules_path)
        if owned:
            app.state.store = open_store(config)
        app.state.hash_key = config.person_hash_key()
        app.state.keys = KeyStore(config.keys_file())
        # One process of several (serve --workers, replicas on one host) leads: it alone runs the notifier
        # and writes the store's copy of the audit head (graph_service/api/leadership.py).
        runners: list[NotifyRunner] = []
        closing = threading.Event()

        def lead() -> None:
            if config.notify_in_serve and not closing.is_set():
                runner = NotifyRunner(
                    app.state.store, app.state.notices, app.state.rules, config, lapsed=app.state.keys.lapsed
                )
                runner.start()
                runners.append(runner)

        leadership = Leadership(lead_file(config), lead)
        app.state.leadership = leadership
        # The chain's head is anchored in a checkpoint file and in the graph store itself, so that
        # removing the newest records shows (access/audit_anchor.py).
        in_store = StoreAnchor(app.state.store, leading=leadership.held)
        anchors: list[Anchor] = [FileAnchor(config.audit_checkpoint_file()), in_store]
        app.state.audit = AuditLog(config.audit_file(), config.audit_secret(), anchors)
        in_store.follow(app.state.audit.newest, config.audit_secret().encode())
        app.state.unresolved = UnresolvedQueue(config.unresolved_file())
        app.state.notices = NotifyStore(config.notify_file())
        # The notifier, the day scheduler and the dispatcher (graph_service/notify), unless a separate
        # `credit-graph notify run` does that work: started by whichever process leads.
        leadership.start()
        mask_access_log()  # after the server has set its logging up
        try:
            yield
        finally:
            closing.set()
            leadership.stop_trying()
            for runner in runners:
                runner.stop()
            app.state.keys.close()
            app.state.audit.close()  # while still leading: the store gets the last head
            leadership.release()
            app.state.unresolved.close()
            app.state.notices.close()
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="credit-graph",
        version=__version__,
        summary="Enterprises, the people responsible for them, and joint punishment for serious dishonesty.",
        lifespan=lifespan,
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 503),
    )
    if store is not None:
        app.state.store = store
    app.add_middleware(Hardening, max_body_bytes=(settings or get_settings()).max_body_bytes)
    install_error_handlers(app)
    app.include_router(enterprises.router)
    app.include_router(checks.router)
    app.include_router(entries.router)
    app.include_router(explore.router)
    app.include_router(investigations_router.router)
    app.include_router(unresolved_router.router)
    app.include_router(subscriptions_router.router)
    install_pages(app)

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        """Whether the service is up, and which backend it serves."""
        return Health(status="ok", backend=app.state.store.backend_name, version=__version__)

    return app
