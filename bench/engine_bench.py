"""Engine benchmark over the API: check latency, a 10,000-subject batch check and the multi-list scan.

    .venv/bin/python bench/engine_bench.py --backend embedded|neo4j --enterprises 100000 [--store PATH]

The graph is the synthetic one (loaded first unless the store already holds it). The API runs in
uvicorn on 127.0.0.1 in this process; requests go over loopback with httpx, one at a time.
Neo4j comes from NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import httpx
import uvicorn

from graph_service.api.app import create_app
from graph_service.engine import Engine
from graph_service.rules import load_rules
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from graph_service.synthetic import Generator, load_synthetic

KEY = "bench-key"
ACTIONS = ["public_bidding", "fiscal_funds", "air_ticket", "licence_approval", None]


def open_store(backend: str, path: Path) -> GraphStore:
    if backend == "embedded":
        return EmbeddedStore(path)
    return Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                      os.environ.get("NEO4J_PASSWORD", ""), batch_size=10_000)  # fmt: skip


def subjects_of(enterprises: int, seed: int) -> list[dict[str, str]]:
    """Every enterprise and person the generator makes (regenerated: cheap beside loading)."""
    out: list[dict[str, str]] = []
    for batch in Generator(enterprises, seed=seed, secret=KEY).batches():
        out += [{"uscc": e.uscc} for e in batch.enterprises]
        out += [{"person_key": p.person_key} for p in batch.persons]
    return out


def serve(store: GraphStore, port: int) -> tuple[uvicorn.Server, str]:
    """The full stack (keys, the filtered view, audit) on loopback; returns the server and an agency key."""
    settings = Settings(hash_key=KEY, data_dir=Path(tempfile.mkdtemp()))  # type: ignore[arg-type]
    app = create_app(store=store, settings=settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, app.state.keys.create("agency", "bench", department="清丰县财政局")[1]


def _client(base: str, key: str, subjects: list[dict[str, str]], seed: int, stop: float) -> int:
    rng = random.Random(seed)
    done = 0
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as c:
        while time.time() < stop:
            body = {"subject": rng.choice(subjects), "action": rng.choice(ACTIONS), "as_of": "2026-06-30"}
            c.post("/v1/checks", json=body).raise_for_status()
            done += 1
    return done


def throughput(base: str, key: str, subjects: list[dict[str, str]], clients: int, seconds: float) -> float:
    """Checks per second with `clients` client processes calling back to back for `seconds`: the clients
    run in their own processes so that they do not share the server's interpreter lock."""
    stop = time.time() + seconds
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        counts = pool.starmap(_client, [(base, key, subjects, i, stop) for i in range(clients)])
    return sum(counts) / seconds


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("embedded", "neo4j"), default="embedded")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--store", type=Path, default=Path("var/bench/engine.sqlite3"))
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    args.store.parent.mkdir(parents=True, exist_ok=True)
    store = open_store(args.backend, args.store)
    if store.counts()["enterprises"] < args.enterprises:
        start = time.perf_counter()
        load_synthetic(store, Generator(args.enterprises, seed=args.seed, secret=KEY), 10_000)
        print(f"# loaded {args.enterprises:,} enterprises in {time.perf_counter() - start:.0f}s")
    counts = store.counts()
    print(f"# {args.backend}: {counts['enterprises']:,} enterprises, {counts['persons']:,} persons, "
          f"{counts['roles']:,} roles, {counts['entries']:,} entries; {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    subjects = subjects_of(args.enterprises, args.seed)
    rng = random.Random(1)
    engine = Engine(store, load_rules())
    direct = []
    for _ in range(args.checks):
        subject = rng.choice(subjects)
        kind, key = (
            ("enterprise", subject["uscc"]) if "uscc" in subject else ("person", subject["person_key"])
        )
        t = time.perf_counter()
        engine.check(kind, key, date(2026, 6, 30), action=rng.choice(ACTIONS))  # type: ignore[arg-type]
        direct.append((time.perf_counter() - t) * 1000)
    d50, d99 = percentile(direct, 50), percentile(direct, 99)
    print(f"| {args.backend} | check on the store directly (engine), {args.checks:,} | p50 {d50:.1f} ms "
          f"| p99 {d99:.1f} ms | mean {statistics.mean(direct):.1f} ms | |")  # fmt: skip
    server, api_key = serve(store, args.port)
    base = f"http://127.0.0.1:{args.port}"
    with httpx.Client(base_url=base, timeout=600, headers={"X-API-Key": api_key}) as client:
        for _ in range(100):  # warm-up: connection pool, JIT on the server side
            client.post("/v1/checks", json={"subject": rng.choice(subjects), "as_of": "2026-06-30"})
        latencies, restricted = [], 0
        for _ in range(args.checks):
            body = {"subject": rng.choice(subjects), "action": rng.choice(ACTIONS), "as_of": "2026-06-30"}
            t = time.perf_counter()
            r = client.post("/v1/checks", json=body)
            latencies.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
            restricted += r.json()["restricted"]
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        mean = statistics.mean(latencies)
        print(f"| {args.backend} | check over HTTP (key, filtered view, audit), {args.checks:,} sequential "
              f"| p50 {p50:.1f} ms | p99 {p99:.1f} ms | mean {mean:.1f} ms | {restricted} restricted; "
              f"{p50 / d50:.1f}x the direct p50 |")  # fmt: skip
        batch = rng.sample(subjects, 10_000)
        t = time.perf_counter()
        r = client.post(
            "/v1/checks/batch", json={"subjects": batch, "action": "public_bidding", "as_of": "2026-06-30"}
        )
        r.raise_for_status()
        print(f"| {args.backend} | batch check, 10,000 subjects, one call | {time.perf_counter() - t:.2f} s "
              f"| | | {r.json()['restricted']} restricted |")  # fmt: skip
        t = time.perf_counter()
        r = client.get("/v1/multi-list", params={"min_domains": 2, "as_of": "2026-06-30", "limit": 10_000})
        r.raise_for_status()
        print(f"| {args.backend} | multi-list scan, whole graph | {time.perf_counter() - t:.2f} s | | "
              f"| {len(r.json()['subjects'])} subjects |")  # fmt: skip
    for clients in (1, 2, 4):
        rate = throughput(base, api_key, subjects, clients, seconds=10)
        label = f"checks per second, {clients} client process(es), 10 s"
        print(f"| {args.backend} | {label} | {rate:,.0f}/s | | | |")
    server.should_exit = True
    store.close()


if __name__ == "__main__":
    main()
