"""Neo4j stopped while the API serves checks: clear 503 answers within the driver's retry window, never a
500, a write refused whole with its audit record saying so, and full recovery once the server is back.
Needs the server scripts/neo4j-local started (it is killed and started again)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.model import RoleType
from graph_service.settings import Settings
from graph_service.store.neo4j_store import Neo4jStore
from tests import factories as f
from tests.conftest import SECRET, Neo4jServer, skip_or_fail
from tests.test_neo4j_crash import _local

COMPANY, BOSS = f.enterprise(1), f.person(1, "张建国")


def test_an_outage_answers_503_and_the_service_recovers(neo4j_server: Neo4jServer, tmp_path: Path) -> None:
    if not neo4j_server.local_dir:
        skip_or_fail("this test stops and starts the server, so it needs the one scripts/neo4j-local started")
    store = Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password, retry_seconds=3)
    store.clear()
    store.upsert_enterprises([COMPANY])
    store.upsert_persons([BOSS])
    store.upsert_roles([f.role(RoleType.LEGAL_REPRESENTATIVE_OF, BOSS, COMPANY, date(2015, 1, 1))])
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "data", audit_key="k")
    check = {"subject": {"uscc": COMPANY.uscc}, "action": "public_bidding"}
    entry = f.entry(COMPANY, listed_on=date(2025, 1, 10))
    initiate = {"entry": entry.model_dump(mode="json", exclude={"history", "recorded_at"}), "actor": "法院"}
    try:
        with TestClient(create_app(store, settings)) as client:
            client.headers["X-API-Key"] = client.app.state.keys.create("admin", "t")[1]  # type: ignore[attr-defined]
            assert client.post("/v1/checks", json=check).status_code == 200
            _local(neo4j_server, "kill")
            started = time.monotonic()
            down = client.post("/v1/checks", json=check)
            assert down.status_code == 503, down.text
            assert time.monotonic() - started < 30 and "Neo4j" in down.json()["detail"]
            refused = client.post("/v1/entries", json=initiate)
            assert refused.status_code == 503
            records = [r.summary for r in client.app.state.audit.records(limit=100) if r.action == "initiate"]  # type: ignore[attr-defined]
            assert records[0].startswith("requested") and records[-1].startswith("not done: StoreError")
            assert _local(neo4j_server, "start") == neo4j_server.uri
            deadline, answer = time.monotonic() + 60, down
            while time.monotonic() < deadline:
                answer = client.post("/v1/checks", json=check)
                if answer.status_code == 200:
                    break
                assert answer.status_code == 503, answer.text
                time.sleep(1)
            assert answer.status_code == 200
            assert client.post("/v1/entries", json=initiate).status_code == 201
    finally:
        store.close()
