"""Time over HTTP, on both backends: a check on a past day, as known at a past moment, the audit keeping
what each answer was based on, and entries of undefined list types refused (docs/domain.md, "Time")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.model import RoleType
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.conftest import SECRET

COMPANY, BOSS = f.enterprise(1), f.person(1, "张建国")


@pytest.fixture
def client(store: GraphStore, tmp_path: Path) -> Iterator[TestClient]:
    store.upsert_enterprises([COMPANY])
    store.upsert_persons([BOSS])
    store.upsert_roles([f.role(RoleType.LEGAL_REPRESENTATIVE_OF, BOSS, COMPANY, date(2015, 1, 1))])
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "data")
    with TestClient(create_app(store=store, settings=settings)) as c:
        c.headers["X-API-Key"] = c.app.state.keys.create("admin", "tests")[1]  # type: ignore[attr-defined]
        yield c


def entry_json(**kw: object) -> dict[str, object]:
    entry = f.entry(COMPANY, listed_on=date(2025, 1, 10), expires_on=date(2027, 1, 10))
    return {**entry.model_dump(mode="json", exclude={"history", "recorded_at", "loaded_at"}), **kw}


def check(client: TestClient, **kw: object) -> dict[str, object]:
    body = {"subject": {"uscc": COMPANY.uscc}, "action": "public_bidding", **kw}
    answer = client.post("/v1/checks", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_past_day_and_a_past_moment_over_http(client: TestClient) -> None:
    made = client.post("/v1/entries", json={"entry": entry_json(), "actor": "法院", "on": "2025-01-10"})
    assert made.status_code == 201, made.text
    entry_id = made.json()["entry"]["entry_id"]
    time.sleep(0.002)
    before_objection = datetime.now(UTC)
    time.sleep(0.002)
    filed = client.post(
        f"/v1/entries/{entry_id}/events",
        json={"event": "objection_filed", "actor": "企业", "reason": "已履行", "on": "2025-05-01"},
    )
    assert filed.status_code == 200, filed.text
    # Was it restricted on the day of a tender in April? Yes: the objection came later.
    assert check(client, as_of="2025-04-01")["restricted"] is True
    assert check(client, as_of="2025-06-01")["restricted"] is False
    # What would the service have said on 2025-06-01, before the objection was recorded? Restricted.
    then = check(client, as_of="2025-06-01", as_known_at=before_objection.isoformat())
    assert then["restricted"] is True and then["known_at"] is not None
    affected = client.get(
        f"/v1/entries/{entry_id}/affected",
        params={"as_of": "2025-06-01", "as_known_at": before_objection.isoformat()},
    )
    assert affected.status_code == 200 and affected.json()["affected"][0]["measures"]
    multi = client.get("/v1/multi-list", params={"min_domains": 1, "as_of": "2025-06-01"})
    assert multi.status_code == 200 and multi.json()["subjects"] == []
    record = client.get(
        f"/v1/enterprises/{COMPANY.uscc}/credit-record",
        params={"as_of": "2025-06-01", "as_known_at": before_objection.isoformat()},
    )
    assert record.status_code == 200
    assert [e["event"] for e in record.json()["history"][entry_id]] == ["initiated"]
    audit = client.app.state.audit.records(limit=1000)  # type: ignore[attr-defined]
    checks = [r.summary for r in audit if r.action == "check"]
    assert all(" data_as_of=" in s and " as_of=" in s for s in checks)
    assert any(f"known_at={before_objection.isoformat()}" in s for s in checks)


@pytest.mark.parametrize("moment", ["2025-06-01T00:00:00", "yesterday", "2025-13-01T00:00:00Z"])
def test_a_moment_needs_its_time_zone(client: TestClient, moment: str) -> None:
    answer = client.post("/v1/checks", json={"subject": {"uscc": COMPANY.uscc}, "as_known_at": moment})
    assert answer.status_code == 422
    assert "as_known_at" in answer.text
    got = client.get("/v1/multi-list", params={"as_known_at": moment})
    assert got.status_code == 422 and "as_known_at" in got.text


def test_an_entry_of_an_undefined_list_type_is_refused_over_http(client: TestClient) -> None:
    answer = client.post("/v1/entries", json={"entry": entry_json(list_type="made_up_list"), "actor": "法院"})
    assert answer.status_code == 422
    assert "list_type: 'made_up_list' is not a list type of the rules in" in answer.json()["detail"]
    wrong_kind = client.post("/v1/entries", json={"entry": entry_json(kind="red"), "actor": "法院"})
    assert wrong_kind.status_code == 422 and "kind:" in wrong_kind.json()["detail"]
    assert client.get("/v1/multi-list", params={"min_domains": 1}).json()["subjects"] == []
