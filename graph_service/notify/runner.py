"""The notification side at work: the notifier (change log and days to notices) and the dispatcher (notices
to endpoints) as two background threads, started by `serve` and by `credit-graph notify run`.

Each thread survives its own failures (a store briefly unreachable, a notification file locked): it logs
and tries again after a pause, so a fault delays notices, never loses them (they come from the durable
change log and notification file, not from memory).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from datetime import datetime

from graph_service.notify.dispatch import DeliverySettings, Dispatcher
from graph_service.notify.notifier import Notifier
from graph_service.notify.storage import NotifyStore, now_utc
from graph_service.rules import RuleSet
from graph_service.settings import Settings
from graph_service.store.base import GraphStore

log = logging.getLogger("credit_graph.notify")


class NotifyRunner:
    def __init__(
        self,
        store: GraphStore,
        notices: NotifyStore,
        rules: RuleSet,
        settings: Settings,
        clock: Callable[[], datetime] = now_utc,
        lapsed: Callable[[Collection[str]], set[str]] | None = None,
    ) -> None:
        self.notifier = Notifier(store, notices, rules, clock, lapsed)
        self.dispatcher = Dispatcher(notices, DeliverySettings.from_settings(settings), clock)
        self.poll = settings.notify_poll_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._notify_loop, name="credit-graph-notifier", daemon=True),
            threading.Thread(
                target=self.dispatcher.run, args=(self._stop,), name="credit-graph-dispatcher", daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()

    def _notify_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.notifier.run_once()
                if self.notifier.behind():
                    continue  # the log has more: go on without a pause
            except Exception:  # logged, and tried again: the change log keeps what is not yet done
                log.exception("the notifier failed; trying again in %.1f s", self.poll)
            self._stop.wait(self.poll)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop both threads (a delivery under way finishes or times out first)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self.dispatcher.close()

    def catch_up(self) -> int:
        """Make every notice due now, in this thread (notify run --once, and tests); how many were new."""
        made = self.notifier.run_once()
        while self.notifier.behind():
            made += self.notifier.run_once()
        return made
