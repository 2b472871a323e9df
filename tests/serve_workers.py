"""`credit-graph serve --workers N` as a real process on 127.0.0.1, and what its workers did: which worker
processes it runs and how much CPU each has used, read from /proc (Linux), so that a test can tell that
every worker answered without the API saying which one did."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

START_TIMEOUT = 90.0
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def workers_of(supervisor: int) -> list[int]:
    """The worker processes uvicorn's supervisor has started (not multiprocessing's helpers)."""
    try:
        children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    except FileNotFoundError:
        return []
    found = []
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in command:
            found.append(int(child))
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def settled_cpu(pids: list[int], quiet: float = 0.05, timeout: float = 60.0) -> dict[int, float]:
    """Each worker's CPU time once none of them is busy any more (still starting up, say)."""
    deadline = time.monotonic() + timeout
    before = {p: cpu_seconds(p) for p in pids}
    while True:
        time.sleep(0.5)
        now = {p: cpu_seconds(p) for p in pids}
        if all(now[p] - before[p] < quiet for p in pids) or time.monotonic() > deadline:
            return now
        before = now


@contextmanager
def serving(env: dict[str, str], workers: int) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run `serve --workers N` until the block ends (SIGTERM, then wait); yields its base URL and process
    once every worker has started."""
    at = free_port()
    command = [
        sys.executable,
        "-m",
        "graph_service.cli",
        "serve",
        "--port",
        str(at),
        "--workers",
        str(workers),
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{at}"
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError(f"serve did not start: {server.communicate()[1]}")
            try:
                healthy = httpx.get(f"{base}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                healthy = False
            if healthy and len(workers_of(server.pid)) == workers:
                break
            time.sleep(0.2)
        yield base, server
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
