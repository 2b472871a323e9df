"""Engine benchmark over the API: check latency, a 10,000-subject batch check and the multi-list scan.

    .venv/bin/python bench/engine_bench.py --backend embedded|neo4j --enterprises 100000 [--store PATH]

The graph is the synthetic one (loaded first unless the store already holds it). The API runs in
uvicorn on 127.0.0.1 in this process; requests go over loopback with httpx, one at a time.
Neo4j comes from NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from graph_service.api.app import create_app
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


def serve(store: GraphStore, port: int) -> uvicorn.Server:
    settings = Settings(hash_key=KEY, data_dir=Path(tempfile.mkdtemp()))  # type: ignore[arg-type]
    config = uvicorn.Config(
        create_app(store=store, settings=settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


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
    server = serve(store, args.port)
    base = f"http://127.0.0.1:{args.port}"
    with httpx.Client(base_url=base, timeout=600) as client:
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
        print(f"| {args.backend} | check over HTTP, {args.checks:,} sequential | p50 {p50:.1f} ms "
              f"| p99 {p99:.1f} ms | mean {mean:.1f} ms | {restricted} restricted |")  # fmt: skip
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
    server.should_exit = True
    store.close()


if __name__ == "__main__":
    main()
