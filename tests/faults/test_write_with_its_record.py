"""No write without its audit record, on both backends: an audited write's record is appended before it,
so when the trail cannot be written the write does not happen (503 with a retry hint), and a refused write
is recorded with the reason it was refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.conftest import SECRET

COMPANY = f.enterprise(1)


@pytest.fixture
def client(store: GraphStore, tmp_path: Path) -> Iterator[TestClient]:
    store.upsert_enterprises([COMPANY])
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "data")
    with TestClient(create_app(store=store, settings=settings)) as c:
        c.headers["X-API-Key"] = c.app.state.keys.create("admin", "tests")[1]  # type: ignore[attr-defined]
        yield c


def initiate_body() -> dict[str, object]:
    entry = f.entry(COMPANY, listed_on=date(2025, 1, 10), expires_on=date(2027, 1, 10))
    payload = entry.model_dump(mode="json", exclude={"history", "recorded_at", "loaded_at"})
    return {"entry": payload, "actor": "法院", "on": "2025-01-10"}


def test_a_locked_audit_trail_stops_the_write(client: TestClient, store: GraphStore, tmp_path: Path) -> None:
    body = initiate_body()
    entry_id = str(body["entry"]["entry_id"])  # type: ignore[index]
    audit_db = sqlite3.connect(tmp_path / "data" / "audit.sqlite3", isolation_level=None)
    audit_db.execute("BEGIN EXCLUSIVE")  # another process holds the trail
    try:
        refused = client.post("/v1/entries", json=body)
    finally:
        audit_db.execute("ROLLBACK")
        audit_db.close()
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "5" and "nothing was done" in refused.json()["detail"]
    assert store.get_entry(entry_id) is None
    log = client.app.state.audit  # type: ignore[attr-defined]
    assert [r for r in log.records(limit=100) if r.subject == entry_id] == []
    again = client.post("/v1/entries", json=body)
    assert again.status_code == 201, again.text
    records = [r.summary for r in log.records(limit=100) if r.subject == entry_id]
    assert records[0].startswith("requested: court_dishonest_debtor on") and records[-1] == "done"


def test_a_refused_write_is_recorded_with_its_reason(client: TestClient) -> None:
    body = initiate_body()
    entry_id = str(body["entry"]["entry_id"])  # type: ignore[index]
    assert client.post("/v1/entries", json=body).status_code == 201
    wrong = client.post(f"/v1/entries/{entry_id}/events", json={"event": "repaired", "actor": "x"})
    assert wrong.status_code == 422  # a repair names its method
    log = client.app.state.audit  # type: ignore[attr-defined]
    repaired = [r.summary for r in log.records(limit=100) if r.action == "repaired"]
    assert repaired[0].startswith("requested:")
    assert repaired[-1].startswith("not done: DomainError: method: a repair names its method")
    _, problems = log.verify()
    assert problems == []
