"""Check latency with entry history in time, before and after: the same graph, the same events, the same
checks, measured with whichever `graph_service` is importable (run it once per version).

    .venv/bin/python bench/history_bench.py --backend embedded|neo4j --enterprises 100000 \
        --store var/bench/history-after.sqlite3 --label after
    PYTHONPATH=/path/to/older/checkout .venv/bin/python bench/history_bench.py ... --label before

The synthetic county is loaded (unless the store holds it), then one black entry in ten gets a life:
an objection filed and upheld, or a repair, dated after its listing (through the engine's life cycle, so
each version records them its own way). Then, in this order: 2,000 single checks on the store directly
(engine.check, associated risk included, as the API answers), a 10,000-subject batch check, and the
multi-list scan of the whole graph. One JSON line is printed: the figures and the versions. Neo4j comes
from NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD, and is cleared first when --fresh is given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import neo4j

from graph_service.engine import Engine
from graph_service.engine.lifecycle import transition
from graph_service.rules import load_rules
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from graph_service.synthetic import Generator, load_synthetic

KEY = "bench-key"
DAY = date(2026, 6, 30)
ACTIONS = ["public_bidding", "fiscal_funds", "air_ticket", "licence_approval", None]


def open_store(backend: str, path: Path) -> GraphStore:
    if backend == "embedded":
        return EmbeddedStore(path)
    return Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                      os.environ.get("NEO4J_PASSWORD", ""), batch_size=10_000)  # fmt: skip


def give_lives(store: GraphStore, seed: int) -> int:
    """One black entry in ten (by id, the same in every version) gets an objection or a repair."""
    rng = random.Random(seed)
    ids = sorted(e.entry_id for e in store.iter_records("entries") if getattr(e, "kind", "") == "black")  # type: ignore[attr-defined]
    done = 0
    for entry_id in ids[::10]:
        entry = store.get_entry(entry_id)
        if entry is None or entry.status != "active":
            continue
        on = entry.listed_on + timedelta(days=rng.randint(30, 300))
        if rng.random() < 0.5:
            transition(store, entry_id, "objection_filed", "bench", on, reason="异议")
            transition(store, entry_id, "objection_upheld", "bench", on + timedelta(days=30))
        else:
            transition(store, entry_id, "repaired", "bench", on, method="rectification")
        done += 1
    return done


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
    parser.add_argument("--store", type=Path, default=Path("var/bench/history.sqlite3"))
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--label", default="")
    parser.add_argument("--fresh", action="store_true", help="clear the store first")
    args = parser.parse_args()

    args.store.parent.mkdir(parents=True, exist_ok=True)
    store = open_store(args.backend, args.store)
    out: dict[str, Any] = {"label": args.label, "backend": args.backend, "day": time.strftime("%Y-%m-%d"),
                           "cores": os.cpu_count(), "python": platform.python_version(),
                           "load_before": os.getloadavg()[0]}  # fmt: skip
    if args.fresh:
        store.clear()
    if store.counts()["enterprises"] < args.enterprises:
        start = time.perf_counter()
        load_synthetic(store, Generator(args.enterprises, seed=args.seed, secret=KEY), 10_000)
        out["load_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        out["lives"] = give_lives(store, args.seed)
        out["lives_s"] = round(time.perf_counter() - start, 1)
    if isinstance(store, Neo4jStore):
        out["neo4j"] = store.server_version()
        out["driver"] = neo4j.__version__
    out["counts"] = {k: store.counts()[k] for k in ("enterprises", "persons", "roles", "entries")}
    subjects: list[tuple[str, str]] = []
    for batch in Generator(args.enterprises, seed=args.seed, secret=KEY).batches():
        subjects += [("enterprise", e.uscc) for e in batch.enterprises]
        subjects += [("person", p.person_key) for p in batch.persons]
    engine = Engine(store, load_rules())
    rng = random.Random(1)
    asked = [(rng.choice(subjects), rng.choice(ACTIONS)) for _ in range(args.checks)]
    for (kind, key), action in asked[:100]:  # warm-up
        engine.check(kind, key, DAY, action=action)  # type: ignore[arg-type]
    times, restricted = [], 0
    for (kind, key), action in asked:
        t = time.perf_counter()
        restricted += engine.check(kind, key, DAY, action=action).restricted  # type: ignore[arg-type]
        times.append((time.perf_counter() - t) * 1000)
    out["check_ms"] = {"p50": round(percentile(times, 50), 3), "p99": round(percentile(times, 99), 3),
                       "mean": round(statistics.mean(times), 3), "restricted": restricted}  # fmt: skip
    batch = rng.sample(subjects, 10_000)
    t = time.perf_counter()
    results = engine.check_many(batch, DAY, action="public_bidding")  # type: ignore[arg-type]
    out["batch_10k_s"] = round(time.perf_counter() - t, 3)
    out["batch_restricted"] = sum(r.restricted for r in results)
    t = time.perf_counter()
    multi = engine.multi_list(DAY, min_domains=2)
    out["multi_list_s"] = round(time.perf_counter() - t, 3)
    out["multi_listed"] = len(multi.subjects)
    out["load_after"] = os.getloadavg()[0]
    print(json.dumps(out, ensure_ascii=False))
    store.close()


if __name__ == "__main__":
    main()
