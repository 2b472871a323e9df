"""`credit-graph serve --workers 2` as real processes on 127.0.0.1, on both backends: requests from several
keys are answered by both workers, the audit trail stays one intact chain with every check recorded once,
a key made or revoked from the shell counts in every worker at once, and notices go out once, from the one
worker that leads, also after the leader is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from graph_service.access.audit import AuditLog
from graph_service.access.audit_anchor import STORE_META, Head
from graph_service.access.keys import KeyStore
from graph_service.model import Enterprise, Person, RoleType
from graph_service.notify.models import Subscription
from graph_service.notify.storage import NotifyStore, new_secret, new_subscription_id
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from tests import factories as f
from tests.conftest import BACKENDS, SECRET, Neo4jServer, open_backend
from tests.serve_workers import serving, settled_cpu, workers_of
from tests.webhook_receiver import Receiver

WORKERS = 2
COMPANIES = 6


@dataclass
class Installation:
    backend: str
    store: GraphStore
    data: Path
    env: dict[str, str]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "graph_service.cli", *args]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=120, check=False)

    def served(self) -> None:
        """Hand the store over to the server's processes (the embedded one is closed here first)."""
        if isinstance(self.store, EmbeddedStore):
            self.store.close()


@pytest.fixture(params=BACKENDS)
def installation(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Installation]:
    data = tmp_path / "data"
    env = {**os.environ, "CREDIT_GRAPH_DATA_DIR": str(data), "CREDIT_GRAPH_HASH_KEY": SECRET,
           "CREDIT_GRAPH_AUDIT_KEY_PATH": str(tmp_path / "keys" / "audit.key"),
           "CREDIT_GRAPH_NOTIFY_POLL_SECONDS": "0.1", "CREDIT_GRAPH_NOTIFY_TIMEOUT_SECONDS": "2",
           "CREDIT_GRAPH_NOTIFY_RETRY_BASE_SECONDS": "0.2", "CREDIT_GRAPH_NOTIFY_RETRY_MAX_SECONDS": "1",
           "CREDIT_GRAPH_BACKEND": request.param}  # fmt: skip
    if request.param == "embedded":
        data.mkdir(parents=True)
    else:
        server: Neo4jServer = request.getfixturevalue("neo4j_server")
        env.update(CREDIT_GRAPH_NEO4J_URI=server.uri, CREDIT_GRAPH_NEO4J_USER=server.user,
                   CREDIT_GRAPH_NEO4J_PASSWORD=server.password)  # fmt: skip
    store = open_backend(request.param, data, request)
    yield Installation(request.param, store, data, env)
    if isinstance(store, EmbeddedStore):
        store.close()


def checks(base: str, keys: list[str], uscc: str, count: int) -> list[int]:
    """`count` checks spread over the keys, 8 at a time, each on a connection of its own so that the
    kernel hands them to whichever worker accepts first."""

    def one(n: int) -> int:
        body = {"subject": {"uscc": uscc}, "action": "public_bidding"}
        headers = {"X-API-Key": keys[n % len(keys)]}
        return httpx.post(f"{base}/v1/checks", json=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def busy_workers(server: subprocess.Popen[str], before: dict[int, float]) -> set[int]:
    """The workers that used CPU since `before` (requests reach a worker, not the supervisor)."""
    now = settled_cpu(workers_of(server.pid))
    return {p for p, spent in now.items() if p in before and spent - before[p] > 0.02}


def test_workers_share_keys_and_one_audit_chain(installation: Installation) -> None:
    company = f.enterprise(1)
    installation.store.upsert_enterprises([company])
    keys = KeyStore(installation.data / "keys.sqlite3")
    made = [keys.create("agency", "财政局", department="财政局")[1], keys.create("investigator", "检察院")[1],
            keys.create("admin", "信用办")[1]]  # fmt: skip
    keys.close()
    installation.served()
    asked: Counter[int] = Counter()
    with serving(installation.env, WORKERS) as (base, server):
        pids = workers_of(server.pid)
        before = settled_cpu(pids)
        assert set(checks(base, made, company.uscc, 120)) == {200}
        asked.update(n % len(made) for n in range(120))
        assert busy_workers(server, before) == set(pids), "every worker answered"

        created = installation.cli(
            "keys", "create", "--role", "agency", "--name", "税务局", "--department", "税务局"
        )
        assert created.returncode == 0, created.stderr
        new_key = created.stdout.strip()
        before = settled_cpu(pids)
        assert set(checks(base, [new_key], company.uscc, 40)) == {200}, "a new key counts in every worker"
        assert busy_workers(server, before) == set(pids)

        key_id = new_key.split("_")[1]
        revoked = installation.cli("keys", "revoke", key_id)
        assert revoked.returncode == 0, revoked.stderr
        before = settled_cpu(pids)
        assert set(checks(base, [new_key], company.uscc, 40)) == {401}, "a revoked key is refused by all"
        assert busy_workers(server, before) == set(pids)
        assert workers_of(server.pid) == pids  # no worker died and was replaced on the way
    assert server.returncode == 0, server.stderr.read() if server.stderr else ""

    verified = installation.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit trail intact" in verified.stdout
    secret = (installation.data.parent / "keys" / "audit.key").read_text().strip()
    log = AuditLog(installation.data / "audit.sqlite3", secret)
    records = log.records(limit=10_000)
    log.db_only_close()
    by_key = Counter(r.key_id for r in records if r.action == "check")
    # The refusals of the revoked key are recorded too, under no key ("-").
    expected = {made[n].split("_")[1]: asked[n] for n in range(len(made))} | {key_id: 40, "-": 40}
    assert dict(by_key) == expected, "every check recorded once, by whichever worker answered it"
    # Both anchors hold the chain's real head, not the last one some worker wrote.
    head = records[-1]
    checkpoint = Head.parse((installation.data / "audit.head").read_text(), secret.encode())
    assert (checkpoint.seq, checkpoint.hash) == (head.seq, head.hash)
    store = installation.store
    if isinstance(store, EmbeddedStore):
        store = EmbeddedStore(installation.data / "graph.sqlite3")
    in_store = store.get_meta(STORE_META)
    if store is not installation.store:
        store.close()
    assert in_store is not None
    held = Head.parse(in_store, secret.encode())
    assert (held.seq, held.hash) == (head.seq, head.hash)


def _companies(store: GraphStore, numbers: range) -> list[Person]:
    """Companies with a legal representative each, listed two days ago: one notice per representative."""
    today = date.today()
    companies: list[Enterprise] = [f.enterprise(n) for n in numbers]
    reps = [f.person(n) for n in numbers]
    store.upsert_enterprises(companies)
    store.upsert_persons(reps)
    store.upsert_roles(
        [f.role(RoleType.LEGAL_REPRESENTATIVE_OF, p, c) for p, c in zip(reps, companies, strict=True)]
    )
    store.upsert_entries(
        [
            f.entry(c, f"(2026)豫0922执{n}号", listed_on=today - timedelta(days=2),
                    expires_on=today + timedelta(days=700))
            for n, c in zip(numbers, companies, strict=True)
        ]
    )  # fmt: skip
    return reps


def _wait_ids(receiver: Receiver, count: int, timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(set(receiver.ids())) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # long enough for a second notifier or dispatcher, had there been one, to send again
    return receiver.ids()


@pytest.mark.slow
def test_notices_go_out_once_from_the_leading_worker(installation: Installation) -> None:
    receiver = Receiver()
    today = date.today()
    notices = NotifyStore(installation.data / "notify.sqlite")
    sub = Subscription(id=new_subscription_id(), kind="subjects", department="县市场监管局", key_id="k",
                       role="agency", classes=("public", "government"), url=receiver.url,
                       created_at=datetime.now(UTC), from_seq=0,
                       from_day=(today - timedelta(days=1)).isoformat())  # fmt: skip
    notices.create(sub, new_secret())
    reps = _companies(installation.store, range(1, COMPANIES + 1))
    notices.watch(sub.id, [("person", p.person_key) for p in reps])
    installation.served()
    try:
        with serving(installation.env, WORKERS) as (_, server):
            ids = _wait_ids(receiver, COMPANIES)
            assert len(ids) == len(set(ids)) == COMPANIES, "each notice once, not once per worker"

            leader = int((installation.data / "serve.lead").read_text())
            assert leader in workers_of(server.pid)
            os.kill(leader, signal.SIGKILL)
            later = range(COMPANIES + 1, 2 * COMPANIES + 1)
            if isinstance(installation.store, EmbeddedStore):  # written beside the running server
                with EmbeddedStore(installation.data / "graph.sqlite3") as store:
                    more = _companies(store, later)
            else:
                more = _companies(installation.store, later)
            notices.watch(sub.id, [("person", p.person_key) for p in more])
            ids = _wait_ids(receiver, 2 * COMPANIES, timeout=90)
            assert len(ids) == len(set(ids)) == 2 * COMPANIES, "another worker took the lead, and only one"
            assert int((installation.data / "serve.lead").read_text()) != leader
    finally:
        notices.close()
        receiver.down()
