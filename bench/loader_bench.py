"""Loader benchmark: registration files of N synthetic enterprises (enterprises with their legal
representatives, key personnel, shareholders, branches, change records) loaded end to end, from the
files to the store, into each backend, and exported as neo4j-admin import files.

    .venv/bin/python bench/loader_bench.py --enterprises 100000 [--backend embedded|neo4j|both|none]

Rows per second count source rows (one line of a file), from opening the file to its last committed
batch: reading, checking, resolving and writing. The time spent inside the store's upsert calls is shown
apart, so what the loaders cost and what the store costs can be told apart. Neo4j comes from NEO4J_URI /
NEO4J_USER / NEO4J_PASSWORD (e.g. `scripts/neo4j-local start`); its database is cleared first. The files
are made once per size and seed under --data (default var/bench-loaders) and reused.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import neo4j
import networkx
import openpyxl

from graph_service.store import check_hash_key
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from loaders import LoadOptions, run_load
from loaders.admin_export import write_admin_import
from loaders.samples import SampleWriter

FILES = [
    ("enterprises", "enterprises.csv"),
    ("personnel", "personnel.csv"),
    ("shareholders", "shareholders.csv"),
    ("branches", "branches.csv"),
    ("changes", "changes.csv"),
]
SECRET = "bench-key"


class Timed:
    """The store with the time spent in its upsert calls counted."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.store, name)
        if not name.startswith("upsert_"):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def make_files(folder: Path, enterprises: int, seed: int) -> float:
    marker = folder / f"done-{enterprises}-{seed}"
    if marker.exists():
        return 0.0
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    SampleWriter(folder, enterprises, seed).write()  # every file in one pass over the generator
    marker.touch()
    return time.perf_counter() - start


Result = tuple[str, int, float, float, float]  # file, rows, seconds, seconds in store upserts, CPU seconds


def load_all(store: GraphStore, folder: Path, batch_size: int, reports: Path) -> list[Result]:
    results = []
    for kind, name in FILES:
        timed = Timed(store)
        options = LoadOptions(
            secret=SECRET, batch_size=batch_size, reject_file=reports / f"{name}.rejects.csv", resume=False
        )
        start, cpu = time.perf_counter(), time.process_time()
        report = run_load(timed, kind, folder / name, options, default_dir=reports)  # type: ignore[arg-type]
        wall = time.perf_counter() - start
        results.append((kind, report.counters.rows, wall, timed.seconds, time.process_time() - cpu))
    return results


def table(name: str, results: list[Result]) -> None:
    total = ("all", sum(r[1] for r in results), *(sum(r[i] for r in results) for i in (2, 3, 4)))
    for kind, rows, seconds, in_store, cpu in [*results, total]:
        rate = rows / seconds
        print(f"| {name} | {kind} | {rows:,} | {seconds:.1f} | {in_store:.1f} | {cpu:.1f} | {rate:,.0f} |")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--backend", choices=("embedded", "neo4j", "both", "none"), default="both")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--data", type=Path, default=Path("var") / "bench-loaders")
    args = parser.parse_args()

    folder = args.data / f"{args.enterprises}-{args.seed}"
    made = make_files(folder, args.enterprises, args.seed)
    sizes = ", ".join(f"{name} {(folder / name).stat().st_size / 1e6:.1f} MB" for _, name in FILES)
    print(f"# {args.enterprises:,} enterprises: {sizes}" + (f"; made in {made:.0f}s" if made else ""))
    print(
        f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"networkx {networkx.__version__}, neo4j driver {neo4j.__version__}, openpyxl {openpyxl.__version__}"
    )
    print("| backend | file | rows | seconds | in store upserts | CPU seconds (this process) | rows/s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.backend in ("embedded", "both"):
            store = EmbeddedStore(tmp / "bench.sqlite3")
            table("embedded", load_all(store, folder, args.batch_size, tmp / "reports-embedded"))
            store.close()
        if args.backend in ("neo4j", "both"):
            neo = Neo4jStore(
                os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"),
                os.environ.get("NEO4J_USER", "neo4j"),
                os.environ.get("NEO4J_PASSWORD", ""),
                batch_size=args.batch_size,
            )
            neo.clear()
            print(f"# {neo.server_version()}")
            table("neo4j", load_all(neo, folder, args.batch_size, tmp / "reports-neo4j"))
            neo.close()
        if not args.no_export:
            # What `credit-graph export-admin` does: load into a staging store, then write the files.
            start = time.perf_counter()
            staging = EmbeddedStore(tmp / "staging.sqlite3")
            check_hash_key(staging, SECRET)
            results = load_all(staging, folder, args.batch_size, tmp / "reports-export")
            loaded = time.perf_counter() - start
            export = write_admin_import(staging, tmp / "import")
            total = time.perf_counter() - start
            staging.close()
            rows = sum(r[1] for r in results)
            written = sum(n for _, _, n in export.nodes) + sum(n for _, _, n in export.relationships)
            size = sum(p.stat().st_size for p in (tmp / "import").iterdir()) / 1e6
            print(
                f"| export | all | {rows:,} | {total:.1f} | staging {loaded:.1f}, files {total - loaded:.1f} "
                f"| {sum(r[4] for r in results):.1f} (staging) | {rows / total:,.0f} |"
            )
            files = total - loaded
            print(f"# export: {written:,} nodes and relationships, {size:.0f} MB of CSV in {files:.1f}s")


if __name__ == "__main__":
    main()
