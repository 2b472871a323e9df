"""A department's endpoint for the tests: a real HTTP server on 127.0.0.1 in the test process that keeps
what it is sent, answers with the status the test sets, and can be taken down and brought back up on
the same port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


class Receiver:
    def __init__(self, port: int = 0) -> None:
        self.received: list[Received] = []
        self.status: Callable[[Received], int] = lambda _: 200
        self.delay = 0.0  # seconds before answering: a slow endpoint
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = port
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/credit-graph"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                got = Received({k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length),
                               time.monotonic())  # fmt: skip
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status(got)
                if 200 <= status < 300:
                    with receiver._lock:
                        receiver.received.append(got)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        """Stop listening: connections are refused until up() again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.accepted()]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.accepted()
            if len(found) >= count:
                return found
            time.sleep(0.02)
        return self.accepted()
