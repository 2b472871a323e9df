"""SIGKILL of `serve` right after a decision on an unresolved reference is acknowledged: after it the
decision is in the queue, its change in the store and its records in the audit trail (the queue commits
with synchronous=FULL before the answer)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx

from graph_service.access.audit import AuditLog
from graph_service.access.keys import KeyStore
from graph_service.model import entry_id_for
from graph_service.store.embedded import EmbeddedStore
from graph_service.unresolved.queue import UnresolvedQueue
from tests.conftest import SECRET
from tests.faults.test_kill_after_writes import port, serve
from tests.unresolved_world import COURT_AUTHORITY, COURT_DECISION, build, load


def test_an_acknowledged_decision_survives_sigkill(tmp_path: Path) -> None:
    data, keys_folder = tmp_path / "data", tmp_path / "keys"
    queue_path = data / "unresolved.sqlite"
    with EmbeddedStore(data / "graph.sqlite3") as store:
        world = build(store, tmp_path)
        load(store, "court", world.court_file, tmp_path, queue_path)
    with UnresolvedQueue(queue_path) as queue:
        [ref] = queue.page()[0]
    keys = KeyStore(data / "keys.sqlite3")
    admin = {"X-API-Key": keys.create("admin", "王科长")[1]}
    keys.close()
    env = {**os.environ, "CREDIT_GRAPH_DATA_DIR": str(data), "CREDIT_GRAPH_HASH_KEY": SECRET,
           "CREDIT_GRAPH_AUDIT_KEY_PATH": str(keys_folder / "audit.key")}  # fmt: skip
    decisions = [
        ("resolve", {"person_key": world.one.person_key, "reason": "法院回函确认"}),
        ("undo", {"reason": "回函有误"}),
    ]
    for action, body in decisions:
        at = port()
        server = serve(env, at)
        url = f"http://127.0.0.1:{at}/v1/unresolved/{ref.id}/{action}"
        answer = httpx.post(url, json=body, headers=admin, timeout=30)
        assert answer.status_code == 200, answer.text
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        with UnresolvedQueue(queue_path) as queue:
            held = queue.get(ref.id)
        assert held is not None and held.decisions[-1].action == action
    assert held.status == "undone"
    with EmbeddedStore(data / "graph.sqlite3") as store:
        entry = store.get_entry(entry_id_for(COURT_AUTHORITY, COURT_DECISION, world.one.person_key))
        assert entry is not None and entry.status == "revoked"
    log = AuditLog(data / "audit.sqlite3", (keys_folder / "audit.key").read_text().strip())
    _, problems = log.verify()
    records = [(r.action, r.summary.split(":")[0]) for r in log.records(subject=ref.id)]
    log.db_only_close()
    assert problems == []
    for action, _ in decisions:
        assert (f"unresolved_{action}", "requested") in records and (
            f"unresolved_{action}",
            "done",
        ) in records
