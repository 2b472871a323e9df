"""Snapshot export/import rates and investigation latencies on the 100,000-enterprise synthetic graph.

    .venv/bin/python bench/snapshot_investigation_bench.py --store var/bench/engine.sqlite3 [--neo4j]

The embedded store is the one bench/engine_bench.py builds (same seed and hash key). Its snapshot is
exported, imported into an empty embedded store, and with --neo4j also imported into Neo4j (cleared first;
NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD) and exported from there. Then, on each backend: equity
penetration (owners, up to 10 levels) for random enterprises, and bidder association for 20 bidders.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from graph_service.investigations.bidders import screen_bidders
from graph_service.investigations.equity import penetrate
from graph_service.snapshots.exporter import export_to_path
from graph_service.snapshots.importer import import_file
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore

KEY = "bench-key"  # the hash key bench/engine_bench.py builds its graph with
DAY = date(2026, 6, 30)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def snapshot_rates(name: str, store: GraphStore, target: GraphStore, folder: Path) -> None:
    path = folder / f"{name}.jsonl"
    start = time.perf_counter()
    exported = export_to_path(store, path)
    seconds = time.perf_counter() - start
    rate = exported.records / seconds
    print(f"| {name} | export | {exported.records:,} records | {seconds:.1f} s | {rate:,.0f}/s |")
    start = time.perf_counter()
    imported = import_file(target, path, secret=KEY, batch_size=10_000)
    seconds = time.perf_counter() - start
    print(f"| {target.backend_name} | import | {imported.records:,} records | {seconds:.1f} s "
          f"| {imported.records / seconds:,.0f}/s |")  # fmt: skip


def investigations(store: GraphStore, usccs: list[str], rng: random.Random) -> None:
    times = []
    for uscc in rng.sample(usccs, 200):
        t = time.perf_counter()
        penetrate(store, "enterprise", uscc, "up", DAY)
        times.append((time.perf_counter() - t) * 1000)
    p50, p99, mean = percentile(times, 50), percentile(times, 99), statistics.mean(times)
    print(f"| {store.backend_name} | equity penetration (owners, 200 enterprises) | p50 {p50:.1f} ms "
          f"| p99 {p99:.1f} ms | mean {mean:.1f} ms |")  # fmt: skip
    times = []
    for _ in range(20):
        bidders = rng.sample(usccs, 20)
        t = time.perf_counter()
        report = screen_bidders(store, bidders, DAY)
        times.append((time.perf_counter() - t) * 1000)
    p50, p99 = percentile(times, 50), percentile(times, 99)
    print(f"| {store.backend_name} | bidder association, 20 bidders (20 tenders) | p50 {p50:.0f} ms "
          f"| p99 {p99:.0f} ms | last: {len(report.pairs)} linked pairs |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", type=Path, default=Path("var/bench/engine.sqlite3"))
    parser.add_argument("--neo4j", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    source = EmbeddedStore(args.store)
    usccs = [e.uscc for e in source.iter_records("enterprises")]  # type: ignore[attr-defined]
    print(f"# {len(usccs):,} enterprises; {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores")
    print("| backend | measure | result | | |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        copy = EmbeddedStore(folder / "copy.sqlite3")
        snapshot_rates("embedded", source, copy, folder)
        copy.close()
        investigations(source, usccs, rng)
        if args.neo4j:
            neo = Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                             os.environ.get("NEO4J_PASSWORD", ""), batch_size=10_000)  # fmt: skip
            neo.clear()
            import_start = time.perf_counter()
            summary = import_file(neo, folder / "embedded.jsonl", secret=KEY, batch_size=10_000)
            seconds = time.perf_counter() - import_start
            rate = summary.records / seconds
            print(f"| neo4j | import | {summary.records:,} records | {seconds:.1f} s | {rate:,.0f}/s |")
            back = EmbeddedStore(folder / "back.sqlite3")
            snapshot_rates("neo4j", neo, back, folder)
            back.close()
            investigations(neo, usccs, rng)
            neo.close()
    source.close()


if __name__ == "__main__":
    main()
