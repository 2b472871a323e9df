"""Push and watch benchmark: a list load of N entries while a notifier and a dispatcher run in the same
process, against the same load with nobody subscribed.

    .venv/bin/python bench/notify_bench.py [--backend embedded|neo4j] [--enterprises 40000] [--entries 10000]
        [--watched 100000] [--batch-size 100] [--control] [--notifier thread|process] [--rows N]
    OLDER/.venv/bin/python bench/notify_bench.py --only baseline --label before --data $PWD/var/bench-notify

The synthetic county (graph_service.synthetic) is made once per size and seed under --data, with two list
files in the tax authority's published layout of major tax violation cases (重大税收违法失信案件, read by
loaders/mappings/list.tax_major_cases.yaml), each naming N distinct companies of the county (sets A and B,
disjoint; companies on no list yet, each with its legal representative and finance head named as the
bureaus publish them), and the subjects a subscription watches: B's companies and everyone list B can
reach (legal representatives, principals, actual controllers, finance heads), then other enterprises and
persons of the county up to --watched.

Run 1 loads list A with no subscription and no notifier. Run 2 makes a subscription of kind subjects
watching the subjects above and one of kind measures, both posting to a real HTTP server on 127.0.0.1 that
counts what it is sent by webhook-id; a NotifyRunner (the notifier and the dispatcher, as `serve` runs
them) runs in this process while list B is loaded, until every notice is delivered. Embedded: each run
starts from a copy of the county's SQLite file. Neo4j (NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD): the
database is cleared and the county loaded once per call; run 2 then finds list A loaded too, and each
list has its own source, so that one list's snapshot does not end the other's entries.

`--notifier process` (Neo4j) runs the notifier and the dispatcher as `credit-graph notify run` in a process
of their own instead, as a deployment with CREDIT_GRAPH_NOTIFY_IN_SERVE=0 does. `--rows N` loads only the
first N rows of each list (the same county and watched subjects). `--batch-size` is the loader's batch: a
batch is one change of the log, and the cause a notice carries lists the change's entries, so the bodies
grow with it.

`--only baseline` runs run 1 alone and imports nothing of the notification side, so the same script run
with an older checkout's own Python (OLDER, its graph_service and loaders) measures the code from before
the change log on the same county and list. One JSON line is printed at the end: every figure, the
versions, the machine's load.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import neo4j
import networkx

import graph_service
from graph_service.model import Enterprise, Person, RoleType
from graph_service.store import check_hash_key
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from graph_service.synthetic import Generator, load_synthetic
from graph_service.synthetic.generator import Batch
from loaders import LoadOptions, run_load

KEY = "bench-key"
FINANCE_HEAD = "财务负责人"
# The roles a major tax violation reaches (rules.yaml, major_tax_violation covers).
REACHED = {RoleType.LEGAL_REPRESENTATIVE_OF, RoleType.PRINCIPAL_OF, RoleType.ACTUAL_CONTROLLER_OF}
HEADER = [
    "纳税人名称",
    "纳税人识别号",
    "组织机构代码",
    "注册地址",
    "法定代表人或者负责人姓名、性别、证件名称及号码",
    "负有直接责任的财务负责人姓名、性别、证件名称及号码",
    "负有直接责任的中介机构信息及其从业人员信息",
    "案件性质",
    "主要违法事实",
    "相关法律依据及税务处理处罚情况",
    "实施检查的单位",
    "公布日期",
]
CASES = [
    ("偷税", "《中华人民共和国税收征收管理法》第六十三条第一款"),
    ("虚开增值税专用发票", "《中华人民共和国发票管理办法》第二十二条"),
    ("逃避追缴欠税", "《中华人民共和国税收征收管理法》第六十五条"),
]
BUREAUS = ["郑州市", "濮阳市", "洛阳市", "新乡市", "安阳市"]
SEX = {"male": "男", "female": "女"}
MEASURE = "limit_public_bidding"  # the measure subscription's: every black list of a company triggers it


# -- the county and its two lists -----------------------------------------------------------------------


@dataclass
class County:
    """What the generator made that the lists and the subscription need, gathered as it streams."""

    companies: dict[str, Enterprise] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    subjects: list[tuple[str, str]] = field(default_factory=list)  # every enterprise and person, in order
    legal: dict[str, str] = field(default_factory=dict)  # uscc -> the current legal representative
    finance: dict[str, str] = field(default_factory=dict)  # uscc -> the current finance head
    reached: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    listed: set[str] = field(default_factory=set)  # subjects on a list already
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def take(self, batch: Batch) -> None:
        for e in batch.enterprises:
            self.subjects.append(("enterprise", e.uscc))
            if e.org_type == "company":
                self.companies[e.uscc] = e
        for p in batch.persons:
            self.subjects.append(("person", p.person_key))
            self.persons[p.person_key] = p
        for r in batch.roles:
            if r.valid_to is not None or r.holder_kind != "person":
                continue
            finance = r.type == RoleType.SENIOR_MANAGER_OF and r.position == FINANCE_HEAD
            if r.type in REACHED or finance:
                self.reached[r.enterprise].add(r.holder_key)
            if r.type == RoleType.LEGAL_REPRESENTATIVE_OF:
                self.legal[r.enterprise] = r.holder_key
            if finance:
                self.finance[r.enterprise] = r.holder_key
        self.listed.update(e.subject_key for e in batch.entries)
        for name, rows in (("enterprises", batch.enterprises), ("persons", batch.persons),
                           ("roles", batch.roles), ("entries", batch.entries)):  # fmt: skip
            self.counts[name] += len(rows)


class Gathering(Generator):
    """The generator, handing each block to the county as load_synthetic writes it."""

    def __init__(self, enterprises: int, seed: int, county: County) -> None:
        super().__init__(enterprises, seed=seed, secret=KEY)
        self.county = county

    def batches(self) -> Iterator[Batch]:
        for batch in super().batches():
            self.county.take(batch)
            yield batch


def _person_cell(person: Person) -> str:
    """A named person as the bureaus publish one: name, sex, document, number in one cell."""
    return f"{person.name}，{SEX.get(person.sex or '', '男')}，居民身份证，{person.id_number}"


def write_list(path: Path, county: County, usccs: list[str], published: date, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for uscc in usccs:
            e = county.companies[uscc]
            nature, law = rng.choice(CASES)
            amount = rng.randrange(100_000, 5_000_000)
            bureau = rng.choice(BUREAUS)
            writer.writerow(
                [
                    e.name,
                    uscc,
                    "",
                    e.address or "",
                    _person_cell(county.persons[county.legal[uscc]]),
                    _person_cell(county.persons[county.finance[uscc]]),
                    "",
                    nature,
                    f"经检查，该单位于2024年1月至2025年12月期间，{nature}，涉及税款{amount}元。",
                    f"依照{law}的规定，追缴税款{amount}元，并处罚款",
                    f"国家税务总局{bureau}税务局第一稽查局",
                    published.isoformat(),
                ]
            )


@dataclass
class Files:
    base: Path  # the embedded county
    list_a: Path
    list_b: Path
    watched: Path
    county: dict[str, Any]


def prepare(folder: Path, enterprises: int, seed: int, entries: int, watched: int) -> Files:
    """Make the county, its lists and the watched subjects once per size and seed; reused after."""
    files = Files(folder / "county.sqlite3", folder / "list_a.csv", folder / "list_b.csv",
                  folder / "watched.tsv", {})  # fmt: skip
    marker = folder / "county.json"
    if marker.exists():
        files.county = json.loads(marker.read_text(encoding="utf-8"))
        return files
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    county = County()
    start = time.perf_counter()
    store = EmbeddedStore(files.base)
    check_hash_key(store, KEY)
    load_synthetic(store, Gathering(enterprises, seed, county), 10_000)
    store.close()
    made = time.perf_counter() - start
    candidates = sorted(
        uscc
        for uscc in county.companies
        if uscc in county.legal
        and uscc in county.finance
        and uscc not in county.listed
        and not county.reached[uscc] & county.listed
    )
    if len(candidates) < 2 * entries:
        raise SystemExit(
            f"--entries: the county has {len(candidates):,} companies to list, not {2 * entries:,}"
        )
    rng = random.Random(seed)
    chosen = rng.sample(candidates, 2 * entries)
    set_a, set_b = chosen[:entries], chosen[entries:]
    published = date.today() - timedelta(days=7)
    write_list(files.list_a, county, set_a, published, rng)
    write_list(files.list_b, county, set_b, published, rng)
    # B's companies and everyone B reaches first, then the rest of the county in the order it was made.
    wanted = [("enterprise", uscc) for uscc in set_b]
    wanted += sorted({("person", key) for uscc in set_b for key in county.reached[uscc]})
    reached_b = len(wanted)
    seen = set(wanted)
    for subject in county.subjects:
        if len(wanted) >= watched:
            break
        if subject not in seen:
            wanted.append(subject)
            seen.add(subject)
    if len(wanted) < watched:
        raise SystemExit(f"--watched: the county has {len(wanted):,} subjects, not {watched:,}")
    files.watched.write_text("".join(f"{k}\t{v}\n" for k, v in wanted), encoding="utf-8")
    files.county = {
        **county.counts,
        "subjects": len(county.subjects),
        "companies_listable": len(candidates),
        "watched": len(wanted),
        "watched_reached_by_b": reached_b,
        "made_seconds": round(made, 1),
    }
    marker.write_text(json.dumps(files.county), encoding="utf-8")
    return files


def first_rows(listing: Path, rows: int | None, work: Path) -> Path:
    """The list file, or a copy of its header and first `rows` rows (a smaller load of the same list)."""
    if rows is None:
        return listing
    work.mkdir(parents=True, exist_ok=True)
    lines = listing.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    part = work / f"{listing.stem}-{rows}.csv"
    part.write_text("".join(lines[: rows + 1]), encoding="utf-8-sig")
    return part


def read_watched(path: Path) -> list[tuple[str, str]]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(kind, key) for kind, key in rows]


# -- the departments' endpoint --------------------------------------------------------------------------


class Hooks:
    """The departments' endpoints: a real HTTP server on 127.0.0.1 (keep-alive, as a receiver behind a
    load balancer would be) that answers 200 and counts what it is posted, by path and webhook-id."""

    def __init__(self) -> None:
        self.ids: defaultdict[str, set[str]] = defaultdict(set)
        self.posts = 0
        self.first: float | None = None
        self.last: float | None = None
        self._lock = threading.Lock()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.perf_counter()
                with hooks._lock:
                    hooks.posts += 1
                    hooks.ids[self.path].add(self.headers.get("webhook-id", ""))
                    hooks.first = hooks.first or now
                    hooks.last = now
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def received(self) -> int:
        with self._lock:
            return sum(len(ids) for ids in self.ids.values())

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- one load -------------------------------------------------------------------------------------------


def open_store(backend: str, path: Path | None, batch_size: int) -> GraphStore:
    if backend == "embedded":
        assert path is not None
        return EmbeddedStore(path)
    uri = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
    user, password = os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "")
    return Neo4jStore(uri, user, password, batch_size=batch_size)


def load(store: GraphStore, listing: Path, work: Path, source: str, batch_size: int) -> tuple[float, int]:
    """Load one list file; its wall seconds and the entries it created."""
    options = LoadOptions(secret=KEY, batch_size=batch_size, source=source, resume=False,
                          reject_file=work / "rejects.csv",
                          unresolved_file=work / "unresolved.csv")  # fmt: skip
    start = time.perf_counter()
    report = run_load(store, "list", listing, options, default_dir=work)
    seconds = time.perf_counter() - start
    created = report.counters.results["entries"].created
    if report.counters.rejected or created == 0:
        raise SystemExit(
            f"{listing.name}: {report.counters.rejected} rows rejected, {created} entries created"
        )
    return seconds, created


def notify_process(work: Path) -> subprocess.Popen[bytes]:
    """`credit-graph notify run` in a process of its own on the same Neo4j database and notification
    file, as a deployment with CREDIT_GRAPH_NOTIFY_IN_SERVE=0 runs it; returns once it is notifying."""
    env = {
        **os.environ,
        "CREDIT_GRAPH_BACKEND": "neo4j",
        "CREDIT_GRAPH_DATA_DIR": str(work),
        "CREDIT_GRAPH_HASH_KEY": KEY,
        "CREDIT_GRAPH_NEO4J_URI": os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"),
        "CREDIT_GRAPH_NEO4J_USER": os.environ.get("NEO4J_USER", "neo4j"),
        "CREDIT_GRAPH_NEO4J_PASSWORD": os.environ.get("NEO4J_PASSWORD", ""),
        "CREDIT_GRAPH_NOTIFY_POLL_SECONDS": "0.1",
    }
    log = work / "notify-run.log"
    with log.open("wb") as out:
        # The working folder holds no .env, so the settings are these alone.
        proc = subprocess.Popen([sys.executable, "-m", "graph_service.cli", "notify", "run"], env=env,
                                cwd=work, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 120
    while "notifying from" not in log.read_text(encoding="utf-8", errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"credit-graph notify run did not start: {log.read_text(encoding='utf-8')}")
        time.sleep(0.1)
    return proc


def with_notifier(
    store: GraphStore,
    listing: Path,
    work: Path,
    source: str,
    batch_size: int,
    watched: list[tuple[str, str]],
    separate: bool = False,
) -> dict[str, Any]:
    """Run 2: subscriptions, the notifier and the dispatcher in this process (or, `separate`, in a
    `credit-graph notify run` of their own), the list loaded meanwhile; waits until every notice is
    delivered."""
    from datetime import UTC, datetime

    from graph_service.notify.models import Subscription
    from graph_service.notify.notifier import CURSOR, Notifier
    from graph_service.notify.runner import NotifyRunner
    from graph_service.notify.storage import NotifyStore, new_secret, new_subscription_id
    from graph_service.rules import load_rules
    from graph_service.settings import Settings

    spans: list[tuple[float, float, int]] = []  # each notifier step: start, end, notices made

    class TimedNotifier(Notifier):
        def run_once(self, limit: int = 200) -> int:
            start = time.perf_counter()
            made = super().run_once(limit)
            spans.append((start, time.perf_counter(), made))
            return made

    settings = Settings(data_dir=work, hash_key=KEY, notify_poll_seconds=0.1)
    notices = NotifyStore(settings.notify_file())
    hooks = Hooks()
    today = date.today().isoformat()

    def subscribe(kind: str, path: str, department: str, **kw: Any) -> Subscription:
        sub = Subscription(id=new_subscription_id(), kind=kind, department=department, key_id="bench",
                           role="agency", classes=("government", "public"), url=hooks.url(path),
                           created_at=datetime.now(UTC), from_seq=store.last_change(), from_day=today,
                           **kw)  # fmt: skip
        return notices.create(sub, new_secret())

    start = time.perf_counter()
    subjects_sub = subscribe("subjects", "/hooks/subjects", "县市场监管局")
    notices.watch(subjects_sub.id, watched)
    subscribe("measures", "/hooks/measures", "县公共资源交易中心", measures=(MEASURE,))
    watch_seconds = time.perf_counter() - start
    rules = load_rules(settings.rules_path)
    runner = NotifyRunner(store, notices, rules, settings)
    runner.notifier = TimedNotifier(store, notices, rules)
    proc = notify_process(work) if separate else None
    if proc is None:
        runner.start()
    clock_offset = time.time() - time.perf_counter()
    try:
        begun = time.perf_counter()
        seconds, created = load(store, listing, work, source, batch_size)
        ended = begun + seconds
        # Watched from outside the notification file as far as it can be (the receiver's count against the
        # notices made), so that waiting takes as little as possible of the lock the dispatcher needs.
        deadline = time.monotonic() + 3600
        for tick in itertools.count():
            if time.monotonic() > deadline:
                raise SystemExit(f"not delivered within an hour: {notices.delivery_counts()}")
            time.sleep(0.2)
            cursor = notices.get_state(CURSOR)
            if cursor is None or int(cursor) < store.last_change():
                continue
            if proc is None and hooks.received() >= sum(n for _, _, n in spans):
                break
            if (proc is not None or tick % 25 == 0) and notices.delivery_counts()["pending"] == 0:
                break  # all delivered (or some given up: nothing more will come)
    finally:
        if proc is None:
            runner.stop()
        else:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    counts = notices.delivery_counts()
    with closing(sqlite3.connect(f"file:{settings.notify_file()}?mode=ro", uri=True)) as held:
        mean_body, max_body, recorded, newest = held.execute(
            "SELECT avg(length(body)), max(length(body)), count(*), max(created_at) FROM notices"
        ).fetchone()
    made = sum(n for _, _, n in spans) if proc is None else recorded
    last_made = max((end for _, end, n in spans if n), default=ended)
    if proc is not None and newest:
        last_made = datetime.fromisoformat(newest).timestamp() - clock_offset
    busy_during = sum(max(0.0, min(e, ended) - max(s, begun)) for s, e, _ in spans)
    busy_after = sum(max(0.0, e - max(s, ended)) for s, e, _ in spans)
    first, last = hooks.first or ended, hooks.last or ended
    out = {
        "load_s": round(seconds, 2),
        "entries_created": created,
        "changes_logged": store.last_change() - subjects_sub.from_seq,
        "watch_100k_s": round(watch_seconds, 2),
        "notices_made": made,
        "delivered": counts["delivered"],
        "gave_up": counts["gave_up"],
        "received": {path: len(ids) for path, ids in sorted(hooks.ids.items())},
        "posts": hooks.posts,
        "body_chars_mean": round(mean_body or 0),
        "body_chars_max": max_body or 0,
        # The steps that made notices (reach, standings before and after, bodies, the record), apart from
        # the polls that found the log caught up.
        "notifier": "process" if separate else "thread",
        "notifier_making_s": round(sum(e - s for s, e, n in spans if n), 2) if proc is None else None,
        "notifier_busy_during_load_s": round(busy_during, 2) if proc is None else None,
        "notifier_busy_after_load_s": round(busy_after, 2) if proc is None else None,
        "load_end_to_notices_made_s": round(last_made - ended, 2),
        "first_delivery_after_load_end_s": round(first - ended, 2),
        "load_end_to_last_delivery_s": round(last - ended, 2),
        "dispatch_s": round(last - first, 2),
        "delivered_per_s_from_load_end": round(counts["delivered"] / max(last - ended, 1e-9), 1),
        "delivered_per_s_dispatching": round(counts["delivered"] / max(last - first, 1e-9), 1),
    }
    hooks.close()
    notices.close()
    return out


# -- the runs -------------------------------------------------------------------------------------------


def fresh_copy(files: Files, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    target = work / "graph.sqlite3"
    shutil.copyfile(files.base, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("embedded", "neo4j"), default="embedded")
    parser.add_argument("--enterprises", type=int, default=40_000)
    parser.add_argument("--entries", type=int, default=10_000, help="entries of each list")
    parser.add_argument("--watched", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument(
        "--batch-size", type=int, default=10_000, help="rows per batch (the service's default)"
    )
    parser.add_argument("--rows", type=int, help="load only the first ROWS rows of each list")
    parser.add_argument("--only", choices=("baseline", "notify", "both"), default="both")
    parser.add_argument(
        "--control", action="store_true", help="embedded: also load list B with nobody subscribed"
    )
    where = "run 2: the NotifyRunner in this process, or `credit-graph notify run` (Neo4j)"
    parser.add_argument("--notifier", choices=("thread", "process"), default="thread", help=where)
    parser.add_argument("--label", default="")
    parser.add_argument("--data", type=Path, default=Path("var") / "bench-notify")
    args = parser.parse_args()
    if args.notifier == "process" and args.backend != "neo4j":
        parser.error("--notifier process: the embedded store belongs to one process; use --backend neo4j")

    folder = args.data / f"{args.enterprises}-{args.entries}-{args.watched}-{args.seed}"
    files = prepare(folder, args.enterprises, args.seed, args.entries, args.watched)
    out: dict[str, Any] = {
        "label": args.label,
        "code": str(Path(graph_service.__file__).resolve().parent.parent),
        "backend": args.backend,
        "day": time.strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "networkx": networkx.__version__,
        "neo4j_driver": neo4j.__version__,
        "batch_size": args.batch_size,
        "rows": args.rows or args.entries,
        "county": files.county,
        "load_average_before": os.getloadavg(),
    }
    print(f"# county and lists in {folder}: {json.dumps(files.county)}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="notify-bench-") as tmp_name:
        tmp = Path(tmp_name)
        list_a = first_rows(files.list_a, args.rows, tmp / "lists")
        list_b = first_rows(files.list_b, args.rows, tmp / "lists")
        neo: GraphStore | None = None
        if args.backend == "neo4j":
            neo = open_store("neo4j", None, args.batch_size)
            assert isinstance(neo, Neo4jStore)
            out["neo4j"] = neo.server_version()
            start = time.perf_counter()
            neo.clear()
            check_hash_key(neo, KEY)
            load_synthetic(neo, Generator(args.enterprises, seed=args.seed, secret=KEY), 10_000)
            out["neo4j_county_s"] = round(time.perf_counter() - start, 1)

        def store_for(name: str) -> GraphStore:
            if neo is not None:
                return neo
            start = time.perf_counter()
            store = open_store("embedded", fresh_copy(files, tmp / name), args.batch_size)
            out[f"{name}_open_s"] = round(time.perf_counter() - start, 1)
            return store

        if args.only in ("baseline", "both"):
            store = store_for("run1")
            seconds, created = load(store, list_a, tmp / "run1", "tax_major_cases.a", args.batch_size)
            out["run1"] = {"load_s": round(seconds, 2), "entries_created": created}
            print(f"# run 1 (list A, nobody subscribed): {seconds:.2f} s", file=sys.stderr)
            if neo is None:
                store.close()
        if args.control and neo is None:
            store = store_for("control")
            seconds, created = load(store, list_b, tmp / "control", "tax_major_cases.b", args.batch_size)
            out["control"] = {"load_s": round(seconds, 2), "entries_created": created}
            print(f"# control (list B, nobody subscribed): {seconds:.2f} s", file=sys.stderr)
            store.close()
        if args.only in ("notify", "both"):
            store = store_for("run2")
            watched = read_watched(files.watched)
            separate = args.notifier == "process"
            run2 = with_notifier(
                store, list_b, tmp / "run2", "tax_major_cases.b", args.batch_size, watched, separate
            )
            out["run2"] = run2
            print(f"# run 2 (list B, watched and notified): {json.dumps(run2)}", file=sys.stderr)
            if neo is None:
                store.close()
            if "run1" in out:
                out["run2_over_run1"] = round(run2["load_s"] / out["run1"]["load_s"], 3)
            if "control" in out:
                out["run2_over_control"] = round(run2["load_s"] / out["control"]["load_s"], 3)
        if neo is not None:
            neo.close()
    out["load_average_after"] = os.getloadavg()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
