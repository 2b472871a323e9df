"""SIGKILL of `serve` right after every kind of acknowledged write: after a restart each write is there,
with its audit records, and the chain verifies (the embedded store commits with synchronous=FULL before
it answers; the trail's record comes before the write)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from graph_service.access.audit import AuditLog
from graph_service.access.keys import KeyStore
from graph_service.model import RoleType
from graph_service.store.embedded import EmbeddedStore
from tests import factories as f

KEY = "kill-test-key"


def port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], at: int) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "graph_service.cli", "serve", "--port", str(at)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{at}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError(f"serve did not start: {server.communicate()[1]}")


def test_every_acknowledged_write_survives_sigkill(tmp_path: Path) -> None:
    data, keys_folder = tmp_path / "data", tmp_path / "keys"
    company, owner = f.enterprise(1), f.person(1, "张建国")
    with EmbeddedStore(data / "graph.sqlite3") as store:
        store.upsert_enterprises([company])
        store.upsert_persons([owner])
        store.upsert_roles([f.role(RoleType.SHAREHOLDER_OF, owner, company, date(2015, 1, 1), ratio=0.9)])
    keys = KeyStore(data / "keys.sqlite3")
    admin = keys.create("admin", "t")[1]
    agency = keys.create("agency", "t", department="财政局")[1]
    keys.close()
    env = {**os.environ, "CREDIT_GRAPH_DATA_DIR": str(data), "CREDIT_GRAPH_HASH_KEY": KEY,
           "CREDIT_GRAPH_AUDIT_KEY_PATH": str(keys_folder / "audit.key")}  # fmt: skip
    entry = f.entry(company, listed_on=date(2025, 1, 10), expires_on=date(2027, 1, 10))
    entry_json = entry.model_dump(mode="json", exclude={"history", "recorded_at", "loaded_at"})
    writes = [
        ("POST", "/v1/entries", admin, {"entry": entry_json, "actor": "法院", "on": "2025-01-10"}),
        ("POST", f"/v1/entries/{entry.entry_id}/events", admin,
         {"event": "objection_filed", "actor": "企业", "reason": "已履行", "on": "2025-02-01"}),
        ("POST", f"/v1/entries/{entry.entry_id}/feedback", agency,
         {"department": "财政局", "measure": "limit_fiscal_funds", "outcome": "applied"}),
        ("POST", "/v1/investigations/controllers/write-back", admin, {"usccs": [company.uscc]}),
    ]  # fmt: skip
    for method, path, key, body in writes:
        at = port()
        server = serve(env, at)
        answer = httpx.request(method, f"http://127.0.0.1:{at}{path}", json=body, headers={"X-API-Key": key})
        assert answer.status_code in (200, 201), (path, answer.text)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    with EmbeddedStore(data / "graph.sqlite3") as store:
        held = store.get_entry(entry.entry_id)
        assert held is not None and held.status == "under_objection"
        assert [e.event for e in store.events_of_entry(entry.entry_id)] == ["initiated", "objection_filed"]
        assert [fb.measure for fb in store.feedback(entry.entry_id)] == ["limit_fiscal_funds"]
        controllers = store.roles_of_enterprise(company.uscc, {RoleType.ACTUAL_CONTROLLER_OF})
        assert [r.holder_key for r in controllers] == [owner.person_key]
    log = AuditLog(data / "audit.sqlite3", (keys_folder / "audit.key").read_text().strip())
    count, problems = log.verify()
    records = log.records(limit=100)
    log.db_only_close()
    assert problems == [] and count == len(records)
    for action in ("initiate", "objection_filed", "feedback", "controllers_write_back"):
        summaries = [r.summary for r in records if r.action == action]
        assert summaries and summaries[0].startswith("requested"), (action, summaries)
