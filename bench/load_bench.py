"""Load benchmark: synthetic data into each backend, rows per second by kind.

    .venv/bin/python bench/load_bench.py --enterprises 100000 [--backend embedded|neo4j|both]

Neo4j comes from NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD (e.g. `scripts/neo4j-local start`); its
database is cleared first. Generation is timed apart from loading, so the figures are the store's.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import neo4j
import networkx

from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from graph_service.synthetic import Batch, Generator


def generate(enterprises: int, seed: int) -> tuple[list[Batch], float]:
    start = time.perf_counter()
    batches = list(Generator(enterprises, seed=seed, secret="bench-key").batches())
    return batches, time.perf_counter() - start


def load(store: GraphStore, batches: list[Batch], batch_size: int) -> dict[str, tuple[int, float]]:
    timings: dict[str, tuple[int, float]] = {}
    # Nodes first, everywhere, then relationships: the order a bulk load of a whole snapshot takes.
    for kind in ("enterprises", "persons", "roles", "entries"):
        rows = [row for batch in batches for row in getattr(batch, kind)]
        write = getattr(store, f"upsert_{kind}")
        start = time.perf_counter()
        for i in range(0, len(rows), batch_size):
            write(rows[i : i + batch_size])
        timings[kind] = (len(rows), time.perf_counter() - start)
    return timings


def report(name: str, timings: dict[str, tuple[int, float]]) -> None:
    total_rows = sum(n for n, _ in timings.values())
    total_time = sum(t for _, t in timings.values())
    for kind, (n, t) in timings.items():
        print(f"| {name} | {kind} | {n:,} | {t:.1f} | {n / t:,.0f} |")
    print(f"| {name} | all | {total_rows:,} | {total_time:.1f} | {total_rows / total_time:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--backend", choices=("embedded", "neo4j", "both"), default="both")
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()

    batches, gen_time = generate(args.enterprises, args.seed)
    rows = sum(len(b) for b in batches)
    print(f"# {args.enterprises:,} enterprises, {rows:,} rows generated in {gen_time:.1f}s")
    print(f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"networkx {networkx.__version__}, neo4j driver {neo4j.__version__}")  # fmt: skip
    print("| backend | kind | rows | seconds | rows/s |")
    print("|---|---|---:|---:|---:|")
    if args.backend in ("embedded", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            store = EmbeddedStore(Path(tmp) / "bench.sqlite3")
            report("embedded", load(store, batches, args.batch_size))
            start = time.perf_counter()
            store.close()
            reopened = EmbeddedStore(Path(tmp) / "bench.sqlite3")
            print(f"# embedded: rebuilt in memory from SQLite in {time.perf_counter() - start:.1f}s")
            reopened.close()
    if args.backend in ("neo4j", "both"):
        uri = os.environ.get("NEO4J_URI")
        if not uri:
            sys.exit("NEO4J_URI is not set: start a server with scripts/neo4j-local start")
        neo = Neo4jStore(uri, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""),
                         batch_size=args.batch_size)  # fmt: skip
        print(f"# {neo.server_version()}")
        neo.clear()
        report("neo4j", load(neo, batches, args.batch_size))
        neo.close()


if __name__ == "__main__":
    main()
