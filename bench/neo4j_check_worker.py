"""A check server on a pipe for bench/neo4j_check_bench.py: run with another checkout's code first on
the path (PYTHONPATH, from a folder outside this one), it answers checks with that code's engine, so one
run can time the code before and after side by side on the same subjects.

Reads `kind<TAB>key<TAB>action` lines (action `-` for none); writes the check's time in ms, one a line.
Uses only what every version of the engine has: Engine.check, load_rules, Neo4jStore.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date

from graph_service.engine import Engine
from graph_service.rules import load_rules
from graph_service.store.neo4j_store import Neo4jStore

DAY = date(2026, 6, 30)


def main() -> None:
    store = Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                       os.environ.get("NEO4J_PASSWORD", ""))  # fmt: skip
    engine = Engine(store, load_rules())
    print("ready", flush=True)
    for line in sys.stdin:
        kind, key, action = line.rstrip("\n").split("\t")
        t = time.perf_counter()
        engine.check(kind, key, DAY, action=None if action == "-" else action)  # type: ignore[arg-type]
        print(f"{(time.perf_counter() - t) * 1000:.4f}", flush=True)
    store.close()


if __name__ == "__main__":
    main()
