"""Offline first load benchmark: N synthetic enterprises' sample files to a queryable Neo4j database by
`credit-graph import-offline` (validation into a staging store, import files, Neo4j's import tool, the
server started on the result, schema applied, counts checked), beside writing the files themselves.

    .venv/bin/python bench/offline_load_bench.py --enterprises 100000 [--online]

Each step runs as its own process, so its peak memory (the largest resident set of it and the processes
it waited for, the import tool's JVM included) is its own. The local Neo4j (scripts/neo4j-local) lives
under --data/neo4j-local, a server of the benchmark's own, stopped (and its data discarded) at the end.
With --online the same files are also loaded with `credit-graph load` into a fresh local server, for the
ratio measured in the same run. The files are made once per size and seed and reused.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import neo4j

from graph_service.engine import Engine
from graph_service.model import Enterprise
from graph_service.rules import load_rules
from graph_service.store.neo4j_store import Neo4jStore
from loaders.offline_import import LOCAL_PASSWORD, LOCAL_SCRIPT, LocalNeo4j

FILES = [
    ("enterprises", "enterprises.csv"),
    ("personnel", "personnel.csv"),
    ("shareholders", "shareholders.csv"),
    ("branches", "branches.csv"),
    ("changes", "changes.csv"),
    ("court", "court_2024-06.csv"),
    ("list", "lists_gb18030.csv"),
    ("practitioners", "practitioners.xlsx"),
]
SECRET = "bench-key"
CLI = [sys.executable, "-c", "from graph_service.cli import main; main()"]


def timed(command: list[str], env: dict[str, str], log: Path) -> tuple[float, int, str]:
    """Runs a command to its end: wall seconds, peak resident set in MB (of it and the processes it
    waited for), its output (also kept in the log)."""
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    text = log.read_text(encoding="utf-8")
    if child.returncode != 0:
        sys.exit(f"{command[3:5]} failed (exit {child.returncode}); log {log}:\n{text[-3000:]}")
    return seconds, usage.ru_maxrss // 1024, text


def server_peak_mb(local: LocalNeo4j, env: dict[str, str]) -> int:
    pid = subprocess.run([str(LOCAL_SCRIPT), "pid"], env=env, capture_output=True, text=True).stdout.strip()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines() if pid else []:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def queried(uri: str) -> tuple[dict[str, int], float]:
    """The database's counts and the median time of one engine check of an enterprise, in ms."""
    store = Neo4jStore(uri, "neo4j", LOCAL_PASSWORD)
    try:
        counts = store.counts()
        engine = Engine(store, load_rules())
        subjects = [
            e.uscc
            for e in itertools.islice(store.iter_records("enterprises"), 200)
            if isinstance(e, Enterprise)
        ]
        times = []
        for uscc in subjects:
            start = time.perf_counter()
            engine.check("enterprise", uscc, date(2024, 7, 1))
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        return counts, times[len(times) // 2] if times else 0.0
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--online", action="store_true", help="also load the same files online")
    parser.add_argument("--data", type=Path, default=Path("var") / "bench-offline")
    args = parser.parse_args()

    data = args.data.resolve()
    folder = data / f"files-{args.enterprises}-{args.seed}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDIT_GRAPH_", "NEO4J_"))}
    env.update(
        CREDIT_GRAPH_NEO4J_LOCAL_DIR=str(data / "neo4j-local"),
        CREDIT_GRAPH_HASH_KEY=SECRET,
        CREDIT_GRAPH_DATA_DIR=str(data / "service"),
        CREDIT_GRAPH_NEO4J_HEAP=os.environ.get("CREDIT_GRAPH_NEO4J_HEAP", "2g"),
        CREDIT_GRAPH_NEO4J_PAGECACHE=os.environ.get("CREDIT_GRAPH_NEO4J_PAGECACHE", "2g"),
    )
    data.mkdir(parents=True, exist_ok=True)
    local = LocalNeo4j(env=env)
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, load {' '.join(load_before)} "
        f"(other work on the machine), Python {platform.python_version()}, neo4j driver {neo4j.__version__}"
    )
    marker = folder / "done"
    if not marker.exists():
        seconds, peak, _ = timed(
            [sys.executable, "-m", "loaders.samples", str(folder), "--enterprises", str(args.enterprises),
             "--seed", str(args.seed)],
            env,
            data / "samples.log",
        )  # fmt: skip
        marker.touch()
        print(f"| sample files ({args.enterprises:,} enterprises) | {seconds:.0f} s | peak {peak:,} MB |")
    rows = sum(1 for kind, name in FILES if name.endswith(".csv") for _ in (folder / name).open("rb")) - 7
    size = sum((folder / name).stat().st_size for _, name in FILES) / 1e6
    print(f"# files: {size:.0f} MB, about {rows:,} CSV data rows")
    inputs = [f"{kind}={folder / name}" for kind, name in FILES]

    subprocess.run([str(LOCAL_SCRIPT), "stop"], env=env, capture_output=True)
    work = data / "work"
    seconds, peak, text = timed(
        [*CLI, "import-offline", str(work), *inputs], env, data / "import-offline.log"
    )
    exported = re.search(r"exported ([\d,]+) rows in ([\d.]+)s", text)
    imported = re.search(r"in ([\d.]+)s; queryable after ([\d.]+)s", text)
    uri = local.uri() or ""
    server = server_peak_mb(local, env)
    counts, check_ms = queried(uri)
    print("| step | seconds | peak memory |")
    print("|---|---:|---:|")
    if exported:
        n, s = exported.group(1), float(exported.group(2))
        print(f"| validate {n} rows into the staging store, write import files | {s:.0f} | |")
    if imported:
        print(f"| stop, neo4j-admin import, start | {float(imported.group(1)):.0f} | |")
        print(f"| schema, counts checked | {float(imported.group(2)) - float(imported.group(1)):.0f} | |")
    print(f"| import-offline, files to queryable | {seconds:.0f} | {peak:,} MB (CLI and import tool) |")
    print(f"# Neo4j server peak resident {server:,} MB; {counts['enterprises']:,} enterprises, "
          f"{counts['persons']:,} persons, {counts['roles']:,} roles, {counts['entries']:,} entries; "
          f"check p50 {check_ms:.1f} ms")  # fmt: skip
    subprocess.run([str(LOCAL_SCRIPT), "stop"], env=env, capture_output=True)

    if args.online:
        online_env = {**env, "CREDIT_GRAPH_BACKEND": "neo4j"}
        uri = local.start()
        online_env.update(CREDIT_GRAPH_NEO4J_URI=uri, CREDIT_GRAPH_NEO4J_PASSWORD=LOCAL_PASSWORD)
        total = 0.0
        for item in inputs:
            kind, _, name = item.partition("=")
            s, _, _ = timed([*CLI, "load", kind, name, "--restart"], online_env, data / f"online-{kind}.log")
            total += s
        print(f"| credit-graph load, the same files online into Neo4j | {total:.0f} | |")
        print(f"# offline is {total / seconds:.1f}x faster, files to queryable")
        subprocess.run([str(LOCAL_SCRIPT), "stop"], env=env, capture_output=True)
    with open("/proc/loadavg") as f:
        print(f"# load after: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
