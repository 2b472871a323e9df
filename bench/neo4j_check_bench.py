"""One round trip per check on Neo4j: check latency through the engine, side by side in one run with the
same engine over the contract's default composition (a statement per store method), a hand-written single
statement answering the same question (bench/neo4j_check_bench.cypher), and `RETURN 1`.

    .venv/bin/python bench/neo4j_check_bench.py --enterprises 100000 [--checks 2000] [--load-only]
        [--before-code DIR]

With --before-code (a checkout of the code before, e.g. `git archive main | tar -x -C DIR`), that code's
engine is asked too, in a child process (bench/neo4j_check_worker.py with DIR first on its path) that
times its own checks: the same subjects, in the same rotation.

The graph is the synthetic one (loaded first unless the server already holds it). Neo4j comes from
NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD. Each sampled subject is asked all four ways, in a rotating
order, so that the machine's load falls on them alike.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import neo4j

from graph_service.engine import Engine
from graph_service.engine.decisions import ASSOCIATED_HOPS, ASSOCIATED_LIMIT
from graph_service.rules import load_rules
from graph_service.store.base import CheckFacts, Cover, GraphStore
from graph_service.store.cypher_queries import parse_queries
from graph_service.store.neo4j_store import Neo4jStore
from graph_service.synthetic import Generator, load_synthetic

KEY = "bench-key"
DAY = date(2026, 6, 30)
ACTIONS = ["public_bidding", "fiscal_funds", "air_ticket", "licence_approval", None]
HAND = parse_queries(
    (Path(__file__).parent / "neo4j_check_bench.cypher").read_text(encoding="utf-8"), "bench"
)
Subject = tuple[Literal["person", "enterprise"], str]


class Composed(Neo4jStore):
    """The same server and methods, but a check's facts gathered as the contract's default gathers
    them (reaching_many, get_entries, get_persons, get_enterprises, and for associated risk the roles
    and entries of each node walked, one statement each): what one statement saves over the methods."""

    def check_facts(
        self,
        subjects: Sequence[Subject],
        covers: Sequence[Cover],
        as_of: date,
        known_at: datetime | None = None,
        near_hops: int = 0,
        near_limit: int = 50,
        classes: Any = None,
    ) -> CheckFacts:
        return GraphStore.check_facts(self, subjects, covers, as_of, known_at, near_hops, near_limit, classes)


def open_store(cls: type[Neo4jStore]) -> Neo4jStore:
    return cls(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
               os.environ.get("NEO4J_PASSWORD", ""), batch_size=10_000)  # fmt: skip


def subjects_of(enterprises: int, seed: int) -> list[Subject]:
    """Every enterprise and person the generator makes (regenerated: cheap beside loading)."""
    out: list[Subject] = []
    for batch in Generator(enterprises, seed=seed, secret=KEY).batches():
        out += [("enterprise", e.uscc) for e in batch.enterprises]
        out += [("person", p.person_key) for p in batch.persons]
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(work: Callable[[], object]) -> float:
    t = time.perf_counter()
    work()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--before-code", type=Path)
    args = parser.parse_args()

    store = open_store(Neo4jStore)
    if store.counts()["enterprises"] < args.enterprises:
        start = time.perf_counter()
        load_synthetic(store, Generator(args.enterprises, seed=args.seed, secret=KEY), 10_000)
        print(f"# loaded {args.enterprises:,} enterprises in {time.perf_counter() - start:.0f}s")
    if args.load_only:
        return
    counts = store.counts()
    print(f"# neo4j: {counts['enterprises']:,} enterprises, {counts['persons']:,} persons, "
          f"{counts['roles']:,} roles, {counts['entries']:,} entries; {store.server_version()}; "
          f"driver {neo4j.__version__}; Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d %H:%M')} UTC; {os.cpu_count()} cores; "
          f"load {Path('/proc/loadavg').read_text().split()[:3]}")  # fmt: skip
    rules = load_rules()
    engine = Engine(store, rules)
    before = Engine(open_store(Composed), rules)
    covers = engine.covers
    by_key: dict[str, list[dict[str, Any]]] = {}
    for c in covers:
        by_key.setdefault(f"{c.list_type}|{c.role.value}", []).append(c.model_dump(mode="json"))
    driver = store.driver

    def hand(kind: str, key: str) -> object:
        records, _, _ = driver.execute_query(
            HAND["hand_check"], kind=kind, key=key, covers_by_key=by_key, as_of=DAY, limit=ASSOCIATED_LIMIT,
            routing_=neo4j.RoutingControl.READ,
        )  # fmt: skip
        return records

    def one() -> object:
        return driver.execute_query("RETURN 1", routing_=neo4j.RoutingControl.READ)

    subjects = subjects_of(args.enterprises, args.seed)
    rng = random.Random(1)
    ways: dict[str, Callable[[Subject, str | None], object]] = {
        "engine, one statement (after)": lambda s, a: engine.check(s[0], s[1], DAY, action=a),
        "engine, the contract's defaults (a statement per method)": lambda s, a: before.check(
            s[0], s[1], DAY, action=a
        ),
        "hand-written single statement": lambda s, a: hand(s[0], s[1]),
        "RETURN 1": lambda s, a: one(),
    }
    worker = None
    if args.before_code is not None:
        worker = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve().parent / "neo4j_check_worker.py")],
            env={**os.environ, "PYTHONPATH": str(args.before_code.resolve())},
            cwd="/tmp",  # not this checkout, so that the other code is the one imported
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert worker.stdin is not None and worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    worker_times: list[float] = []

    def before_code(s: Subject, a: str | None) -> None:
        assert worker is not None and worker.stdin is not None and worker.stdout is not None
        worker.stdin.write(f"{s[0]}\t{s[1]}\t{a or '-'}\n")
        worker.stdin.flush()
        worker_times.append(float(worker.stdout.readline()))

    if worker is not None:
        ways["engine, the code before (main, its own process)"] = before_code
    for _ in range(100):  # warm-up: plans cached, connections pooled
        s, a = rng.choice(subjects), rng.choice(ACTIONS)
        for way in ways.values():
            way(s, a)
    worker_times.clear()
    times: dict[str, list[float]] = {name: [] for name in ways}
    names = list(ways)
    near = 0
    for i in range(args.checks):
        s, a = rng.choice(subjects), rng.choice(ACTIONS)
        turn = i % len(names)
        for name in names[turn:] + names[:turn]:
            times[name].append(timed(lambda: ways[name](s, a)))  # noqa: B023 - called at once
        near += bool(engine.check(s[0], s[1], DAY).associated_risk) if i < 200 else 0
    if worker is not None:  # the child's own timings, without the pipe
        times["engine, the code before (main, its own process)"] = worker_times
        assert worker.stdin is not None
        worker.stdin.close()
        worker.wait()
    hand_p50 = percentile(times["hand-written single statement"], 50)
    print(f"# {args.checks:,} subjects sampled (persons and enterprises), each asked {len(names)} ways; "
          f"associated risk walked {ASSOCIATED_HOPS} hops; {near} of the first 200 have some")  # fmt: skip
    print("| way | p50 | p99 | mean | p50 / hand-written |")
    print("|---|---|---|---|---|")
    for name, values in times.items():
        p50, p99 = percentile(values, 50), percentile(values, 99)
        print(f"| {name} | {p50:.2f} ms | {p99:.2f} ms | {statistics.mean(values):.2f} ms "
              f"| {p50 / hand_p50:.2f}x |")  # fmt: skip
    print(f"# load after: {Path('/proc/loadavg').read_text().split()[:3]}")
    store.close()


if __name__ == "__main__":
    main()
