"""A bounded load test: the service on 127.0.0.1 over a synthetic county, mixed calls from all four roles
with locust for a fixed time, then the audit chain verified and counted against the calls.

    .venv/bin/python bench/load_test.py --enterprises 20000 --users 20 --seconds 120

Needs locust (`pip install -e '.[bench]'`). Prints locust's table per endpoint (throughput, p50/p99,
failures) as markdown, the 5xx count (must be 0), and whether the audit trail verifies with one record per
audited read (the mix has no writes)."""

from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from graph_service.access.audit import AuditLog
from graph_service.access.keys import KeyStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.synthetic import Generator, load_synthetic

HERE = Path(__file__).parent
KEY = "load-test-key"
# Endpoints whose every call (answered or refused) leaves one audit record, in the locust names used.
AUDITED = {
    "/v1/search (persons)",
    "/v1/checks",
    "/v1/enterprises/{uscc}/affected",
    "/v1/graph/{kind}/{key}",
    "/v1/persons/{key}/credit-record",
    "/v1/investigations/equity/{uscc}",
    "/v1/multi-list",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="credit-graph-load-"))
    data, keys_folder = folder / "data", folder / "keys"
    with EmbeddedStore(data / "graph.sqlite3") as store:
        load_synthetic(store, Generator(args.enterprises, seed=2017, secret=KEY))
        subjects = [f"enterprise {e.uscc}" for e in store.iter_records("enterprises")][:5000]  # type: ignore[attr-defined]
        subjects += [f"person {p.person_key}" for p in store.iter_records("persons")][:5000]  # type: ignore[attr-defined]
    (folder / "subjects.txt").write_text("\n".join(subjects), encoding="utf-8")
    env = {
        **os.environ,
        "CREDIT_GRAPH_DATA_DIR": str(data),
        "CREDIT_GRAPH_HASH_KEY": KEY,
        "CREDIT_GRAPH_AUDIT_KEY_PATH": str(keys_folder / "audit.key"),
        "CG_SUBJECTS": str(folder / "subjects.txt"),
    }
    keys = KeyStore(data / "keys.sqlite3")
    for role in ("public", "agency", "investigator", "admin"):
        env[f"CG_KEY_{role.upper()}"] = keys.create(role, "load test", department="清丰县财政局")[1]
    keys.close()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "graph_service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        started = time.time()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(HERE / "load_locustfile.py"),
                "--headless",
                "--host",
                base,
                "-u",
                str(args.users),
                "-r",
                str(max(1, args.users // 5)),
                "-t",
                f"{args.seconds}s",
                "--csv",
                str(folder / "locust"),
                "--only-summary",
            ],
            env=env,
            check=False,
            timeout=args.seconds + 120,
            stdout=subprocess.DEVNULL,
        )
        elapsed = time.time() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = list(csv.DictReader((folder / "locust_stats.csv").open(encoding="utf-8")))
    failures = list(csv.DictReader((folder / "locust_failures.csv").open(encoding="utf-8")))
    server_errors = sum(
        int(f["Occurrences"]) for f in failures if " 5" in f["Error"] or "50" in f["Error"][:40]
    )
    size = f"{args.enterprises:,} enterprises, {args.users} users"
    print(f"# {size}, {args.seconds} s ({elapsed:.0f} s with ramp-up)")
    print("| endpoint | requests | failures | per second | p50 | p99 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['Name']} | {r['Request Count']} | {r['Failure Count']} | {float(r['Requests/s']):.1f} "
            f"| {r['50%']} ms | {r['99%']} ms |"
        )
    print(
        f"5xx answers: {server_errors}; failures by kind: "
        + "; ".join(f"{f['Name']}: {f['Error'][:80]} x{f['Occurrences']}" for f in failures)
    )
    log = AuditLog(data / "audit.sqlite3", (keys_folder / "audit.key").read_text().strip())
    count, problems = log.verify()
    by_action: dict[str, int] = {}
    for record in log.records(limit=10_000_000):
        by_action[record.action] = by_action.get(record.action, 0) + 1
    log.db_only_close()
    print("audit records by action: " + ", ".join(f"{a} {n}" for a, n in sorted(by_action.items())))
    calls = sum(int(r["Request Count"]) for r in rows if r["Name"] in AUDITED)
    print(f"audit trail: {count} records, {len(problems)} problems; audited calls made: {calls}")


if __name__ == "__main__":
    main()
