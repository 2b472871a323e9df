"""Loaders against what the data allows: the registration files of N synthetic enterprises (enterprises
with their legal representatives, and key personnel) loaded four ways in one run, on the same files:

    (a) credit-graph end to end into the embedded store;
    (b) a baseline: pandas, the same identifier checks (graph_service/identifier_columns.py), and
        sqlite3 executemany into three plain tables;
    (c) credit-graph end to end into Neo4j;
    (d) a baseline: pandas, the same checks, and `UNWIND $rows MERGE` with the official driver (statements
        in bench/baseline.cypher).

    .venv/bin/python bench/loader_speed_bench.py --enterprises 20000 [--only a,b,c,d] [--batch-size N]

Rows per second count source rows. The baselines keep no reject report, no resume, no history, no
unresolved report and no mapping: they are the speed of the data with its checks, not a loader. The files
come from bench/loader_bench.py's maker (the same folder, made once per size and seed). Neo4j comes from
NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD; its database is cleared first.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pandas as pd
import pyarrow

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loader_bench import SECRET, make_files

from graph_service.identifier_columns import id_number_verdicts, uscc_verdicts
from graph_service.store.base import GraphStore
from graph_service.store.cypher_queries import parse_queries
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from loaders import LoadOptions, run_load

FILES = [("enterprises", "enterprises.csv"), ("personnel", "personnel.csv")]
BASELINE = parse_queries((Path(__file__).parent / "baseline.cypher").read_text(encoding="utf-8"), "baseline")
ENTERPRISE_COLUMNS = ("统一社会信用代码", "企业名称", "类型", "登记状态", "成立日期", "住所")
POSITIONS = {
    "董事长": "DIRECTOR_OF",
    "董事": "DIRECTOR_OF",
    "执行董事": "DIRECTOR_OF",
    "监事": "SUPERVISOR_OF",
    "监事会主席": "SUPERVISOR_OF",
    "经理": "SENIOR_MANAGER_OF",
    "总经理": "SENIOR_MANAGER_OF",
    "财务总监": "SENIOR_MANAGER_OF",
    "财务负责人": "SENIOR_MANAGER_OF",
}


def _key(number: str) -> str:
    return "P" + hmac.new(SECRET.encode(), f"resident_id:{number}".encode(), hashlib.sha256).hexdigest()[:32]


def _role_id(*parts: str) -> str:
    return "R" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def prepared(folder: Path) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows read, and the enterprises, persons and roles of the files, with the same checks as the loaders
    (a row failing one is dropped: a baseline keeps no reject report)."""
    ent = pd.read_csv(folder / "enterprises.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    ent = ent[uscc_verdicts(ent["统一社会信用代码"].tolist())].drop_duplicates("统一社会信用代码")
    per = pd.read_csv(folder / "personnel.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    rows = len(ent) + len(per)
    per = per[uscc_verdicts(per["统一社会信用代码"].tolist()) & id_number_verdicts(per["证件号码"].tolist())]
    per = per[per["职务"].isin(list(POSITIONS))]
    enterprises = [
        {"uscc": u, "name": n, "legal_form": f, "status": s, "established_on": d, "address": a}
        for u, n, f, s, d, a in zip(*(ent[c] for c in ENTERPRISE_COLUMNS), strict=True)
    ]  # fmt: skip
    reps = ent[id_number_verdicts(ent["法定代表人证件号码"].tolist())]
    persons: dict[str, dict[str, Any]] = {}
    roles: list[dict[str, Any]] = []
    for uscc, name, number, since in zip(
        reps["统一社会信用代码"],
        reps["法定代表人"],
        reps["法定代表人证件号码"],
        reps["成立日期"],
        strict=True,
    ):
        key = _key(number)
        persons.setdefault(key, {"person_key": key, "name": name, "id_number": number})
        roles.append(
            {
                "role_id": _role_id("LEGAL_REPRESENTATIVE_OF", "person", key, uscc, since, ""),
                "type": "LEGAL_REPRESENTATIVE_OF",
                "holder_key": key,
                "enterprise": uscc,
                "position": None,
                "valid_from": since or None,
                "valid_to": None,
            }
        )
    columns = ("统一社会信用代码", "姓名", "证件号码", "职务", "任职起始日期", "任职终止日期")
    for uscc, name, number, position, since, until in zip(*(per[c] for c in columns), strict=True):
        key = _key(number)
        persons.setdefault(key, {"person_key": key, "name": name, "id_number": number})
        kind = POSITIONS[position]
        roles.append(
            {
                "role_id": _role_id(kind, "person", key, uscc, since, position),
                "type": kind,
                "holder_key": key,
                "enterprise": uscc,
                "position": position,
                "valid_from": since or None,
                "valid_to": until or None,
            }
        )
    return rows, enterprises, list(persons.values()), roles


def baseline_sqlite(folder: Path, db: Path) -> int:
    rows, enterprises, persons, roles = prepared(folder)
    con = sqlite3.connect(db)
    con.executescript(
        """
        CREATE TABLE enterprise (uscc TEXT PRIMARY KEY, name TEXT, legal_form TEXT, status TEXT,
                                 established_on TEXT, address TEXT);
        CREATE TABLE person (person_key TEXT PRIMARY KEY, name TEXT, id_number TEXT);
        CREATE TABLE role (role_id TEXT PRIMARY KEY, type TEXT, holder_key TEXT, enterprise TEXT,
                           position TEXT, valid_from TEXT, valid_to TEXT);
        """
    )
    with con:
        con.executemany(
            "INSERT INTO enterprise VALUES (:uscc, :name, :legal_form, :status, :established_on, :address) "
            "ON CONFLICT(uscc) DO UPDATE SET name = excluded.name",
            enterprises,
        )
        con.executemany(
            "INSERT INTO person VALUES (:person_key, :name, :id_number) ON CONFLICT(person_key) DO NOTHING",
            persons,
        )
        con.executemany(
            "INSERT INTO role VALUES (:role_id, :type, :holder_key, :enterprise, :position, :valid_from, "
            ":valid_to) ON CONFLICT(role_id) DO UPDATE SET valid_to = excluded.valid_to",
            roles,
        )
    con.close()
    return rows


def baseline_neo4j(folder: Path, driver: neo4j.Driver, batch: int) -> int:
    rows, enterprises, persons, roles = prepared(folder)
    with driver.session() as session:
        for name, records in (
            ("baseline_enterprises", enterprises),
            ("baseline_persons", persons),
            ("baseline_roles", roles),
        ):
            for start in range(0, len(records), batch):
                chunk = records[start : start + batch]
                session.execute_write(lambda tx, q=BASELINE[name], c=chunk: tx.run(q, rows=c).consume())
    return rows


def credit_graph(store: GraphStore, folder: Path, batch: int, reports: Path) -> int:
    rows = 0
    for kind, name in FILES:
        options = LoadOptions(
            secret=SECRET, batch_size=batch, reject_file=reports / f"{name}.rejects.csv", resume=False
        )
        rows += run_load(store, kind, folder / name, options, default_dir=reports).counters.rows
    return rows


def timed(work: Callable[[], int]) -> tuple[int, float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    rows = work()
    return rows, time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--only", default="a,b,c,d")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=Path("var") / "bench-loaders")
    args = parser.parse_args()
    runs = set(args.only.split(","))
    folder = args.data / f"{args.enterprises}-{args.seed}"
    make_files(folder, args.enterprises, args.seed)
    with open("/proc/loadavg", encoding="ascii") as f:
        load = f.read().split()[:3]
    print(
        f"# {args.enterprises:,} enterprises, batch {args.batch_size:,}; {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{os.cpu_count()} cores, load {' '.join(load)}, Python {platform.python_version()}, pandas "
        f"{pd.__version__}, numpy {np.__version__}, pyarrow {pyarrow.__version__}, "
        f"neo4j driver {neo4j.__version__}"
    )
    results: dict[str, tuple[int, float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if "b" in runs:
            results["b"] = timed(lambda: baseline_sqlite(folder, tmp / "baseline.sqlite3"))
        if "a" in runs:
            store = EmbeddedStore(tmp / "bench.sqlite3")
            results["a"] = timed(lambda: credit_graph(store, folder, args.batch_size, tmp / "reports-a"))
            store.close()
        if runs & {"c", "d"}:
            uri = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
            auth = (os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""))
            neo = Neo4jStore(uri, *auth, batch_size=args.batch_size)
            neo.clear()
            print(f"# {neo.server_version()}")
            if "d" in runs:
                with neo4j.GraphDatabase.driver(uri, auth=auth) as driver:
                    for name in ("baseline_enterprise_key", "baseline_person_key"):
                        driver.execute_query(BASELINE[name])
                    results["d"] = timed(lambda: baseline_neo4j(folder, driver, args.batch_size))
                    with driver.session() as session:  # CALL … IN TRANSACTIONS needs an implicit one
                        session.run(BASELINE["baseline_clear"]).consume()
            if "c" in runs:
                results["c"] = timed(lambda: credit_graph(neo, folder, args.batch_size, tmp / "reports-c"))
            neo.close()
    names = {
        "a": "(a) credit-graph → embedded",
        "b": "(b) pandas + checks + sqlite3 executemany",
        "c": "(c) credit-graph → Neo4j",
        "d": "(d) pandas + checks + UNWIND $rows MERGE",
    }
    print("| run | rows | seconds | CPU seconds (this process) | rows/s |")
    print("|---|---:|---:|---:|---:|")
    for key in sorted(results):
        rows, wall, cpu = results[key]
        print(f"| {names[key]} | {rows:,} | {wall:.1f} | {cpu:.1f} | {rows / wall:,.0f} |")
    rate = {k: r[0] / r[1] for k, r in results.items()}
    if "a" in rate and "b" in rate:
        print(f"# (a)/(b) = {rate['a'] / rate['b']:.2f}")
    if "c" in rate and "d" in rate:
        print(f"# (c)/(d) = {rate['c'] / rate['d']:.2f}")


if __name__ == "__main__":
    main()
