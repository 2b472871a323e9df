"""The embedded store at province scale: write rate, open time, memory and check latency.

    .venv/bin/python bench/embedded_store_bench.py --enterprises 100000 [--before] [--checks 10000]

The synthetic graph is written by the project's generator (graph_service.synthetic, streamed a block at
a time) into a fresh store file, unless the file holds it already. Each measurement runs in a process of
its own, so that its memory (VmRSS after opening, VmHWM at the end of the checks, from /proc/self/status)
is its own: open the store, then `Engine.check` on random enterprises and persons, straight on the engine
(no HTTP). With --before, the same is done with the networkx store as it was before
(graph_service/store/embedded.py at commit 74b20ef, from git, in a temporary copy) on the same file (it
reads only the key and JSON columns, which schema 3 keeps as they were), or with --before-load on a
file it loaded itself; the two stores' check answers are compared by digest.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from graph_service.engine import Engine
from graph_service.rules import load_rules
from graph_service.store import mark_data_as_of
from graph_service.store.base import GraphStore
from graph_service.synthetic import Generator

KEY = "bench-key"
ACTIONS = ["public_bidding", "fiscal_funds", "air_ticket", "licence_approval", None]
AS_OF = date(2026, 6, 30)
# The last commit whose embedded store held the graph in networkx (--before opens its embedded.py).
NETWORKX_STORE = "74b20ef"


def store_class(impl: str) -> Any:
    if impl == "sqlite":
        from graph_service.store.embedded import EmbeddedStore

        return EmbeddedStore
    # The networkx store as it was before the SQLite-native one (NETWORKX_STORE), imported from a copy
    # beside this run's files.
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "-C", str(root), "show", f"{NETWORKX_STORE}:graph_service/store/embedded.py"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    copy = Path(tempfile.mkdtemp()) / "embedded_networkx.py"
    copy.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("embedded_networkx", copy)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EmbeddedStore


def memory() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in MiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) // 1024
    return found


def load(impl: str, path: Path, enterprises: int, seed: int, batch_size: int = 10_000) -> dict[str, Any]:
    """Stream the generator's blocks into the store as load_synthetic does (nodes before the edges
    that need them); the generator's own time is counted apart: the rate is that of the store."""
    store: GraphStore = store_class(impl)(path)
    generating = writing = 0.0
    rows = 0
    batches = Generator(enterprises, seed=seed, secret=KEY).batches()
    while True:
        t = time.perf_counter()
        batch = next(batches, None)
        generating += time.perf_counter() - t
        if batch is None:
            break
        t = time.perf_counter()
        for write, records in (
            (store.upsert_enterprises, batch.enterprises),
            (store.upsert_persons, batch.persons),
            (store.upsert_roles, batch.roles),
            (store.upsert_entries, batch.entries),
        ):
            for i in range(0, len(records), batch_size):
                write(records[i : i + batch_size])  # type: ignore[operator]
            rows += len(records)
        writing += time.perf_counter() - t
    mark_data_as_of(store)
    store.close()
    return {"rows": rows, "writing_s": writing, "generating_s": generating,
            "rows_per_s": rows / writing, "memory": memory()}  # fmt: skip


def subjects_of(path: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """n random enterprises and persons of the store file (read with sqlite3 alone)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    keys = [("enterprise", k) for (k,) in db.execute("SELECT uscc FROM enterprises")]
    keys += [("person", k) for (k,) in db.execute("SELECT person_key FROM persons")]
    db.close()
    return random.Random(seed).sample(keys, min(n, len(keys)))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def measure(impl: str, path: Path, checks: int, seed: int) -> dict[str, Any]:
    subjects = subjects_of(path, checks, seed)
    start = time.perf_counter()
    store: GraphStore = store_class(impl)(path)
    opened = time.perf_counter() - start
    after_open = memory()
    engine = Engine(store, load_rules())
    rng = random.Random(seed)
    digest = hashlib.sha256()
    latencies = []
    restricted = 0
    for kind, key in subjects:
        action = rng.choice(ACTIONS)
        t = time.perf_counter()
        result = engine.check(kind, key, AS_OF, action=action)  # type: ignore[arg-type]
        latencies.append((time.perf_counter() - t) * 1000)
        restricted += result.restricted
        digest.update(result.model_dump_json().encode())
    counts = store.counts()
    store.close()
    return {"impl": impl, "open_s": opened, "after_open": after_open, "end": memory(),
            "checks": len(latencies),
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
            "mean_ms": sum(latencies) / len(latencies), "restricted": restricted,
            "digest": digest.hexdigest()[:16], "counts": counts}  # fmt: skip


def child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--checks", type=int, default=10_000)
    parser.add_argument("--folder", type=Path, default=Path("var/bench"))
    parser.add_argument("--before", action="store_true", help="also the networkx store as it was")
    parser.add_argument(
        "--before-load",
        action="store_true",
        help="load the networkx store's own file (else it opens the file this store wrote)",
    )
    parser.add_argument("--step", choices=("load", "measure"), help=argparse.SUPPRESS)
    parser.add_argument("--impl", default="sqlite", help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "load":
        print(json.dumps(load(args.impl, args.store, args.enterprises, args.seed)))
        return
    if args.step == "measure":
        print(json.dumps(measure(args.impl, args.store, args.checks, args.seed)))
        return
    args.folder.mkdir(parents=True, exist_ok=True)
    common = ["--enterprises", str(args.enterprises), "--seed", str(args.seed), "--checks", str(args.checks)]
    for impl in ("sqlite", "networkx") if args.before else ("sqlite",):
        own = impl == "sqlite" or args.before_load
        path = args.folder / f"store-{impl if own else 'sqlite'}-{args.enterprises}.sqlite3"
        if not path.exists():
            loaded = child(*common, "--step", "load", "--impl", impl, "--store", str(path))
            print(json.dumps({"impl": impl, "load": loaded}), flush=True)
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        found = child(*common, "--step", "measure", "--impl", impl, "--store", str(path))
        print(json.dumps({**found, "file_mib": size // 2**20}), flush=True)


if __name__ == "__main__":
    main()
