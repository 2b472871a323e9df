"""Personal data read leaves a trace, and so does every refused call on an audited operation, with why
(README, "Keys, roles and the audit trail")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.model import RoleType
from graph_service.settings import Settings
from graph_service.store.embedded import EmbeddedStore
from tests import factories as f
from tests.conftest import SECRET

COMPANY, BOSS = f.enterprise(1), f.person(1, "张建国")
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "data")
    with EmbeddedStore(tmp_path / "graph.sqlite3") as store, TestClient(create_app(store, settings)) as c:
        store.upsert_enterprises([COMPANY])
        store.upsert_persons([BOSS])
        store.upsert_roles([f.role(RoleType.LEGAL_REPRESENTATIVE_OF, BOSS, COMPANY, date(2015, 1, 1))])
        keys = c.app.state.keys  # type: ignore[attr-defined]
        c.headers["X-API-Key"] = keys.create("admin", "tests")[1]
        c.app.state.made = {role: keys.create(role, role, department="财政局")[1]  # type: ignore[attr-defined]
                            for role in ("public", "agency", "investigator")}  # fmt: skip
        yield c


def trail(client: TestClient) -> list[tuple[str, str | None, str, str]]:
    records = client.app.state.audit.records(limit=1000)  # type: ignore[attr-defined]
    return [(r.action, r.subject, r.role, r.summary) for r in records]


def as_(client: TestClient, role: str) -> dict[str, str]:
    return {"X-API-Key": client.app.state.made[role]}  # type: ignore[attr-defined]


def test_reading_id_numbers_and_finding_persons_is_recorded(client: TestClient) -> None:
    shown = client.get(
        f"/v1/enterprises/{COMPANY.uscc}/responsible-persons",
        headers={**as_(client, "investigator"), "X-Purpose": "%E6%A0%B8%E6%9F%A5"},
    )
    assert shown.status_code == 200 and FULL_ID.search(shown.text)
    assert (
        "responsible_persons",
        COMPANY.uscc,
        "investigator",
        f"ID numbers of 1 persons: {BOSS.person_key}",
    ) in trail(client)
    masked = client.get(f"/v1/enterprises/{COMPANY.uscc}/responsible-persons", headers=as_(client, "public"))
    assert masked.status_code == 200 and not FULL_ID.search(masked.text)
    assert len([t for t in trail(client) if t[0] == "responsible_persons"]) == 1  # masked: nothing to record
    found = client.get(
        "/v1/search", params={"q": BOSS.id_number, "kind": "person"}, headers=as_(client, "agency")
    )
    assert found.status_code == 200 and found.json()["hits"][0]["key"] == BOSS.person_key
    assert ("search_persons", BOSS.person_key, "agency", f"1 persons: {BOSS.person_key}") in trail(client)


def test_refused_calls_on_audited_operations_are_recorded_with_why(client: TestClient) -> None:
    check = {"subject": {"person_key": "P" + "0" * 32}}
    assert client.post("/v1/checks", json=check, headers=as_(client, "agency")).status_code == 404
    assert client.post("/v1/checks", json=check, headers=as_(client, "public")).status_code == 403
    assert client.post("/v1/checks", json=check, headers={"X-API-Key": "cg_0_nothing"}).status_code == 401
    assert client.post("/v1/checks", json={"subject": {}}, headers=as_(client, "agency")).status_code == 422
    record = client.get(f"/v1/persons/{BOSS.person_key}/credit-record", headers=as_(client, "agency"))
    assert record.status_code == 403  # a person's whole record is the investigators'
    refused = [(a, role, s.split(":")[0]) for a, _, role, s in trail(client) if s.startswith("refused")]
    assert ("check", "agency", "refused 404") in refused
    assert ("check", "public", "refused 403") in refused
    assert ("check", "none", "refused 401") in refused
    assert ("check", "agency", "refused 422") in refused
    assert ("person_credit_record", "agency", "refused 403") in refused
    _, problems = client.app.state.audit.verify()  # type: ignore[attr-defined]
    assert problems == []
