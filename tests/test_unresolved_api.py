"""/v1/unresolved over HTTP through the app, on both backends: an admin reads and decides the queue, every
other role is refused (and the refusal recorded); bad input is 404, 409 or 422 naming the field; every
decision is in the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from graph_service.access.audit import AuditLog
from graph_service.access.keys import KeyStore
from graph_service.api.app import create_app
from graph_service.model import entry_id_for
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from tests.conftest import SECRET
from tests.unresolved_world import (
    TAX_AUTHORITY,
    TAX_DECISION,
    World,
    build,
    full_id_numbers,
    load,
)


@pytest.fixture
def app(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, World, Settings, dict[str, str]]]:
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "data")
    world = build(store, tmp_path)
    load(store, "court", world.court_file, tmp_path, settings.unresolved_file())
    load(store, "list", world.tax_file, tmp_path, settings.unresolved_file())
    with TestClient(create_app(store=store, settings=settings)) as client:
        keys: KeyStore = client.app.state.keys  # type: ignore[attr-defined]
        made = {
            role: keys.create(role, f"{role} tests", "清丰县税务局")[1]
            for role in ("public", "agency", "investigator")
        }
        made["admin"] = keys.create("admin", "王科长")[1]
        yield client, world, settings, made


def as_(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def test_an_admin_lists_pages_shows_and_decides(
    app: tuple[TestClient, World, Settings, dict[str, str]],
) -> None:
    client, world, settings, keys = app
    admin = as_(keys["admin"])
    everything = client.get("/v1/unresolved", headers=admin)
    assert everything.status_code == 200, everything.text
    names = sorted(i["name"] for i in everything.json()["items"])
    assert names == ["张伟", "李四", "钱七"] and everything.json()["next_cursor"] is None
    first = client.get("/v1/unresolved", params={"limit": 2}, headers=admin).json()
    rest = client.get(
        "/v1/unresolved", params={"limit": 2, "cursor": first["next_cursor"]}, headers=admin
    ).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in everything.json()["items"]]
    court = client.get("/v1/unresolved", params={"source": "court_enforcement"}, headers=admin).json()[
        "items"
    ]
    assert [i["name"] for i in court] == ["张伟"]
    by_name = {i["name"]: i["id"] for i in everything.json()["items"]}

    shown = client.get(f"/v1/unresolved/{by_name['李四']}", headers=admin)
    assert shown.status_code == 200
    body = shown.json()
    assert body["target"]["kind"] == "entry_named" and len(body["candidates"]) == 2
    assert all("*" in c["masked"] for c in body["candidates"]) and all(c["fits"] for c in body["candidates"])

    resolved = client.post(
        f"/v1/unresolved/{by_name['李四']}/resolve",
        json={"person_key": world.finance.person_key, "reason": "稽查报告载明"},
        headers=admin,
    )
    assert resolved.status_code == 200, resolved.text
    answer = resolved.json()
    assert answer["reference"]["status"] == "resolved" and answer["decision"]["was_candidate"] is True
    assert answer["decision"]["actor"].startswith("王科长 (key ")
    entry = client.app.state.store.get_entry(entry_id_for(TAX_AUTHORITY, TAX_DECISION, world.company.uscc))  # type: ignore[attr-defined]
    assert world.finance.person_key in {n.person_key for n in entry.named_responsible}

    rejected = client.post(
        f"/v1/unresolved/{by_name['钱七']}/reject", json={"reason": "库中无此人"}, headers=admin
    )
    assert rejected.status_code == 200 and rejected.json()["reference"]["status"] == "rejected"
    open_now = client.get("/v1/unresolved", params={"status": "open"}, headers=admin).json()["items"]
    assert [i["name"] for i in open_now] == ["张伟"]
    undone = client.post(f"/v1/unresolved/{by_name['李四']}/undo", json={"reason": "误选"}, headers=admin)
    assert undone.status_code == 200 and undone.json()["reference"]["status"] == "undone"

    log: AuditLog = client.app.state.audit  # type: ignore[attr-defined]
    actions = [(r.action, r.summary.split(":")[0]) for r in log.records(subject=by_name["李四"])]
    assert ("unresolved_resolve", "requested") in actions and ("unresolved_undo", "done") in actions
    resolve_record = next(r for r in log.records(subject=by_name["李四"]) if r.action == "unresolved_resolve")
    assert world.finance.person_key in resolve_record.summary and "稽查报告载明" in resolve_record.summary
    assert any(r.action == "unresolved_reject" for r in log.records(subject=by_name["钱七"]))
    queue = settings.unresolved_file()
    assert full_id_numbers(queue, queue.with_name(queue.name + "-wal"), settings.audit_file()) == []


def test_bad_input_names_the_field(app: tuple[TestClient, World, Settings, dict[str, str]]) -> None:
    client, world, _, keys = app
    admin = as_(keys["admin"])
    ref_id = client.get("/v1/unresolved", params={"source": "court_enforcement"}, headers=admin).json()[
        "items"
    ][0]["id"]

    def problem(r: httpx.Response, status: int, field: str) -> None:
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in r.json()["errors"]], r.text

    good = {"person_key": world.one.person_key, "reason": "核实"}
    problem(client.get("/v1/unresolved/Uffffffffff", headers=admin), 404, "ref_id")
    problem(client.post("/v1/unresolved/Uffffffffff/resolve", json=good, headers=admin), 404, "id")
    problem(client.get("/v1/unresolved/not-an-id", headers=admin), 422, "ref_id")
    problem(client.get("/v1/unresolved", params={"status": "closed"}, headers=admin), 422, "status")
    problem(client.get("/v1/unresolved", params={"cursor": "abc"}, headers=admin), 422, "cursor")
    problem(
        client.post(f"/v1/unresolved/{ref_id}/resolve", json={"reason": "x"}, headers=admin),
        422,
        "person_key",
    )
    number = {**good, "person_key": "410922"}
    problem(client.post(f"/v1/unresolved/{ref_id}/resolve", json=number, headers=admin), 422, "person_key")
    problem(client.post(f"/v1/unresolved/{ref_id}/reject", json={"reason": ""}, headers=admin), 422, "reason")
    problem(client.post(f"/v1/unresolved/{ref_id}/undo", json={"reason": "x"}, headers=admin), 409, "status")
    stranger = {**good, "person_key": "P" + "0" * 32}
    problem(client.post(f"/v1/unresolved/{ref_id}/resolve", json=stranger, headers=admin), 422, "person_key")
    assert client.post(f"/v1/unresolved/{ref_id}/resolve", json=good, headers=admin).status_code == 200
    problem(client.post(f"/v1/unresolved/{ref_id}/resolve", json=good, headers=admin), 409, "status")
    problem(
        client.post(f"/v1/unresolved/{ref_id}/reject", json={"reason": "x"}, headers=admin), 409, "status"
    )


def test_other_roles_are_refused_and_the_refusal_recorded(
    app: tuple[TestClient, World, Settings, dict[str, str]],
) -> None:
    client, world, _, keys = app
    ref_id = client.get("/v1/unresolved", headers=as_(keys["admin"])).json()["items"][0]["id"]
    calls = [
        ("GET", "/v1/unresolved", None),
        ("GET", f"/v1/unresolved/{ref_id}", None),
        ("POST", f"/v1/unresolved/{ref_id}/resolve", {"person_key": world.one.person_key, "reason": "x"}),
        ("POST", f"/v1/unresolved/{ref_id}/reject", {"reason": "x"}),
        ("POST", f"/v1/unresolved/{ref_id}/undo", {"reason": "x"}),
    ]
    for role in ("public", "agency", "investigator"):
        for method, url, body in calls:
            r = client.request(method, url, json=body, headers=as_(keys[role]))
            assert r.status_code == 403, (role, url, r.text)
            assert "(unresolved)" in r.json()["detail"]
        assert client.get("/v1/unresolved").status_code == 401
    log: AuditLog = client.app.state.audit  # type: ignore[attr-defined]
    refusals = [r for r in log.records(limit=1000) if r.summary.startswith("refused 403")]
    assert {r.role for r in refusals} == {"public", "agency", "investigator"}
    assert any(r.subject == ref_id for r in refusals)
    ref = client.app.state.unresolved.get(ref_id)  # type: ignore[attr-defined]
    assert ref.status == "open" and ref.decisions == ()
