"""Which of the API's worker processes does the work that must happen once per installation: the notifier,
the day scheduler and the dispatcher, and the graph store's copy of the audit chain's head.

The first worker to take an exclusive flock on a file in the data folder leads; the others keep trying
every few seconds, so that when the leader dies (the kernel drops its lock with its last descriptor) one
of them takes over. A flock is only as good as the kernel that holds it: the workers, and API replicas
sharing the data folder, must run on one host (a local file system; not NFS, whose locks are advisory at
best and lost with the client).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

log = logging.getLogger("credit_graph.leadership")

RETRY_SECONDS = 2.0


class Leadership:
    """Takes the lock on `path` if free, then `on_gain` runs once (in the thread that took it); `held()`
    says whether this process leads. `stop_trying()`, then `release()` to give the lock up."""

    def __init__(self, path: Path, on_gain: Callable[[], None], retry_seconds: float = RETRY_SECONDS) -> None:
        self.path = path
        self._on_gain = on_gain
        self._retry = retry_seconds
        self._file: IO[bytes] | None = None
        self._held = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def held(self) -> bool:
        return self._held.is_set()

    def start(self) -> None:
        """Try at once (a lone process leads before it answers anything), then keep trying behind."""
        if self._try():
            return
        self._thread = threading.Thread(target=self._keep_trying, name="credit-graph-leadership", daemon=True)
        self._thread.start()

    def _try(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        held = os.fdopen(fd, "r+b")
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.close()
            return False
        # Who leads, for a person looking (the lock, not this content, decides).
        held.truncate(0)
        held.write(f"{os.getpid()}\n".encode())
        held.flush()
        self._file = held
        self._held.set()
        log.info("process %d leads: it runs the notifier and keeps the store's audit head", os.getpid())
        self._on_gain()
        return True

    def _keep_trying(self) -> None:
        while not self._stop.wait(self._retry):
            try:
                if self._try():
                    return
            except Exception:  # a passing fault (the folder briefly unwritable): the next round tries again
                log.exception("could not try for the lead")

    def stop_trying(self) -> None:
        """No more attempts; once this returns, `on_gain` has either finished or will never run."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def release(self) -> None:
        self.stop_trying()
        self._held.clear()
        if self._file is not None:
            self._file.close()  # drops the flock
            self._file = None
