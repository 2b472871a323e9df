"""Checks per second over HTTP with `serve --workers 1` and `--workers 2`, side by side with a bare FastAPI
endpoint that returns the same body under the same uvicorn settings (what HTTP, JSON and uvicorn cost
without the service's work: key, check, audit record).

    .venv/bin/python bench/api_workers_bench.py --backend neo4j --enterprises 2000 --seconds 20

Neo4j comes from NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD (its database is cleared); the embedded store
needs several processes to open it for --workers 2 (else that row is skipped). The client keeps 4
connections open (asyncio, httpx), each sending one check after another, and runs on the same machine:
its own CPU comes out of the two cores too. Prints a markdown table: checks/s, p50 and p99 latency, how
the CPU time spread over the workers, and the server's CPU time per check (which, unlike the rates, does
not fall much when other work shares the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import Response

from graph_service.access.keys import KeyStore
from graph_service.settings import load_settings
from graph_service.store import open_store
from graph_service.synthetic import Generator, load_synthetic

HERE = Path(__file__).parent
HASH_KEY = "api-workers-bench-key"
CONNECTIONS = 4
BODY_FILE = "CREDIT_GRAPH_BENCH_BODY"


def bare_app() -> FastAPI:
    """The bare endpoint: parses the JSON it is sent and answers with a recorded answer of the service."""
    body = Path(os.environ[BODY_FILE]).read_bytes()
    app = FastAPI()

    @app.post("/v1/checks")
    async def check(request: Request) -> Response:
        json.loads(await request.body())
        return Response(body, media_type="application/json")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(command: list[str], env: dict[str, str], base: str) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                time.sleep(5)  # every worker up, not only the first to answer
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit(f"the server did not start: {' '.join(command)}")


def own_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu(pid: int) -> list[float]:
    """CPU seconds so far of each worker uvicorn's supervisor started (not multiprocessing's helpers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        if b"spawn_main" not in Path(f"/proc/{child}/cmdline").read_bytes():
            continue
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        found.append((int(fields[11]) + int(fields[12])) / ticks)
    return found


async def drive(base: str, key: str, usccs: list[str], seconds: float) -> tuple[int, list[float], int]:
    """(checks answered 200, their latencies in ms, other answers) from CONNECTIONS connections."""
    latencies: list[float] = []
    others = 0
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(
        base_url=base, headers={"X-API-Key": key}, limits=limits, timeout=30
    ) as client:
        end = time.monotonic() + seconds

        async def one_connection() -> None:
            nonlocal others
            while time.monotonic() < end:
                body = {"subject": {"uscc": random.choice(usccs)}, "action": "public_bidding"}
                began = time.perf_counter()
                answer = await client.post("/v1/checks", json=body)
                if answer.status_code == 200:
                    latencies.append((time.perf_counter() - began) * 1000)
                else:
                    others += 1

        await asyncio.gather(*(one_connection() for _ in range(CONNECTIONS)))
    return len(latencies), latencies, others


def measure(
    pid: int, workers: int, base: str, key: str, usccs: list[str], seconds: float
) -> tuple[int, list[float], int, list[float]]:
    """drive(), and the CPU seconds each server process spent meanwhile (the one process with one worker)."""
    before = children_cpu(pid) if workers > 1 else [own_cpu(pid)]
    done, latencies, others = asyncio.run(drive(base, key, usccs, seconds))
    after = children_cpu(pid) if workers > 1 else [own_cpu(pid)]
    return done, latencies, others, [b - a for a, b in zip(before, after, strict=False)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("neo4j", "embedded"), default="neo4j")
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="credit-graph-workers-bench-"))
    data = folder / "data"
    env = {**os.environ, "CREDIT_GRAPH_DATA_DIR": str(data), "CREDIT_GRAPH_HASH_KEY": HASH_KEY,
           "CREDIT_GRAPH_AUDIT_KEY_PATH": str(folder / "keys" / "audit.key"),
           "CREDIT_GRAPH_BACKEND": args.backend}  # fmt: skip
    if args.backend == "neo4j":
        env.update(CREDIT_GRAPH_NEO4J_URI=os.environ["NEO4J_URI"],
                   CREDIT_GRAPH_NEO4J_USER=os.environ.get("NEO4J_USER", "neo4j"),
                   CREDIT_GRAPH_NEO4J_PASSWORD=os.environ.get("NEO4J_PASSWORD", ""))  # fmt: skip
    os.environ.update(env)  # the store opened here is the one the servers will open
    with open_store(load_settings()) as store:
        store.clear()
        load_synthetic(store, Generator(args.enterprises, seed=2017, secret=HASH_KEY))
        usccs = [e.uscc for e in store.iter_records("enterprises")][:5000]  # type: ignore[attr-defined]
    keys = KeyStore(data / "keys.sqlite3")
    key = keys.create("agency", "bench", department="清丰县财政局")[1]
    keys.close()

    rows: list[str] = []
    for workers in args.workers:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve = [
            sys.executable,
            "-m",
            "graph_service.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
        server = start(serve, env, base)
        try:
            answer = httpx.post(f"{base}/v1/checks", headers={"X-API-Key": key}, timeout=30,
                                json={"subject": {"uscc": usccs[0]}, "action": "public_bidding"})  # fmt: skip
            if answer.status_code != 200:
                raise SystemExit(f"serve --workers {workers}: {answer.status_code} {answer.text[:200]}")
            (folder / "body.json").write_bytes(answer.content)
            done, latencies, others, spread = measure(server.pid, workers, base, key, usccs, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=60)
        rows.append(
            _row(f"credit-graph serve --workers {workers}", done, latencies, others, args.seconds, spread)
        )

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        bare = [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "--factory",
                "api_workers_bench:bare_app", "--port", str(port), "--workers", str(workers),
                "--log-level", "warning", "--timeout-worker-healthcheck", "60"]  # fmt: skip
        server = start(bare, {**env, BODY_FILE: str(folder / "body.json")}, base)
        try:
            done, latencies, others, spread = measure(server.pid, workers, base, key, usccs, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=60)
        rows.append(_row(f"bare FastAPI, {workers} worker(s)", done, latencies, others, args.seconds, spread))

    print(
        f"# {args.backend}, {args.enterprises:,} enterprises, {CONNECTIONS} connections, "
        f"{args.seconds:.0f} s each"
    )
    print("| server | checks/s | p50 | p99 | not 200 | CPU s per worker | server CPU per check |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)


def _row(
    name: str, done: int, latencies: list[float], others: int, seconds: float, spread: list[float]
) -> str:
    per_check = sum(spread) / max(done, 1) * 1000
    return (
        f"| {name} | {done / seconds:,.0f} | {percentile(latencies, 0.5):.1f} ms "
        f"| {percentile(latencies, 0.99):.1f} ms | {others} | {', '.join(f'{s:.1f}' for s in spread)} "
        f"| {per_check:.2f} ms |"
    )


if __name__ == "__main__":
    main()
