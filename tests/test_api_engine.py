"""Checks, who else is restricted, multi-list and the listing life cycle over HTTP, on both backends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from graph_service.synthetic import Answers
from tests.conftest import SECRET

FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
DAY = "2026-06-30"
AGENCY: dict[str, str] = {}  # headers of an agency key, made with the client


@pytest.fixture(scope="module")
def api(
    county: tuple[GraphStore, Answers], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, GraphStore, Answers]]:
    store, answers = county
    settings = Settings(hash_key=SECRET, data_dir=Path(tmp_path_factory.mktemp("api")))  # type: ignore[arg-type]
    with TestClient(create_app(store=store, settings=settings)) as client:
        keys = client.app.state.keys  # type: ignore[attr-defined]
        client.headers["X-API-Key"] = keys.create("admin", "tests")[1]
        AGENCY["X-API-Key"] = keys.create("agency", "清丰县财政局", department="清丰县财政局")[1]
        yield client, store, answers


def test_check_by_each_kind_of_identifier(api: tuple[TestClient, GraphStore, Answers]) -> None:
    client, store, answers = api
    case = answers.cases["legal_rep_change"]
    by_uscc = client.post(
        "/v1/checks", json={"subject": {"uscc": case["uscc"]}, "action": "public_bidding", "as_of": DAY}
    )
    assert by_uscc.status_code == 200, by_uscc.text
    body = by_uscc.json()
    assert body["restricted"] is True
    reason = body["reasons"][0]
    assert reason["entry"]["entry_id"] == case["entry_id"] and reason["entry"]["state"] == "in_force"
    assert reason["path"]["edges"][0]["type"] == "NAMES"
    person = store.get_person(str(case["current_legal_rep"]))
    assert person is not None and person.id_number
    by_id = client.post(
        "/v1/checks",
        json={"subject": {"id_number": person.id_number}, "action": "air_ticket", "as_of": DAY},
        headers=AGENCY,
    )
    assert by_id.status_code == 200 and by_id.json()["restricted"] is True
    assert not FULL_ID.search(by_id.text), "a full ID number in the response"
    by_key = client.post(
        "/v1/checks",
        json={"subject": {"person_key": case["former_legal_rep"]}, "action": "air_ticket", "as_of": DAY},
    )
    assert by_key.json()["restricted"] is False


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"subject": {"uscc": "91110000600037341M"}}, 422, "subject.uscc"),
        ({"subject": {"id_number": "34052419800230001X"}}, 422, "subject.id_number"),
        ({"subject": {"uscc": "91110000600037341L", "person_key": "P" + "0" * 32}}, 422, "subject"),
        ({"subject": {}}, 422, "subject"),
        ({"subject": {"person_key": "not-a-key"}}, 422, "subject.person_key"),
        ({"subject": {"uscc": "91110000600037341L"}}, 404, None),
        ({"subject": {"id_number": "34052419800101001X"}}, 404, None),
        ({"subject": {"uscc": "{uscc}"}, "action": "fly_to_moon"}, 422, "action"),
        ({"subject": {"uscc": "{uscc}"}, "as_of": "2026-02-30"}, 422, "as_of"),
    ],
)
def test_bad_checks_are_4xx_naming_the_field(
    api: tuple[TestClient, GraphStore, Answers], body: dict[str, object], status: int, field: str | None
) -> None:
    client, _, answers = api
    text = str(body).replace("'", '"').replace("{uscc}", str(answers.cases["finance_head"]["uscc"]))
    import json

    r = client.post("/v1/checks", json=json.loads(text))
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert r.json()["errors"][0]["field"] == field
    assert "34052419800101001X" not in r.text


def test_batch_check(api: tuple[TestClient, GraphStore, Answers]) -> None:
    client, _, answers = api
    cases = answers.cases
    subjects = [
        {"uscc": cases["finance_head"]["uscc"]},
        {"uscc": cases["bidders"]["unrelated"]},
        {"uscc": cases["revoked_entry"]["uscc"]},
    ]
    r = client.post("/v1/checks/batch", json={"subjects": subjects, "action": "fiscal_funds", "as_of": DAY})
    assert r.status_code == 200, r.text
    assert [x["restricted"] for x in r.json()["results"]] == [True, False, False]
    assert r.json()["restricted"] == 1
    bad = client.post("/v1/checks/batch", json={"subjects": [subjects[0], {"uscc": "123"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "subjects[1].uscc"


def test_affected_endpoints(api: tuple[TestClient, GraphStore, Answers]) -> None:
    client, _, answers = api
    case = answers.cases["finance_head"]
    by_entry = client.get(f"/v1/entries/{case['entry_id']}/affected", params={"as_of": DAY}, headers=AGENCY)
    assert by_entry.status_code == 200
    keys = {a["subject"]["key"] for a in by_entry.json()["affected"]}
    assert {case["uscc"], case["finance_head"], case["legal_rep"]} == keys
    by_company = client.get(f"/v1/enterprises/{case['uscc']}/affected", params={"as_of": DAY})
    assert {a["subject"]["key"] for a in by_company.json()["affected"]} == keys
    assert client.get("/v1/entries/nope/affected").status_code == 404
    assert not FULL_ID.search(by_entry.text)


def test_multi_list_endpoint(api: tuple[TestClient, GraphStore, Answers]) -> None:
    client, _, answers = api
    r = client.get("/v1/multi-list", params={"min_domains": 2, "as_of": DAY}, headers=AGENCY)
    assert r.status_code == 200
    keys = {s["subject"]["key"] for s in r.json()["subjects"]}
    assert answers.cases["multi_listed_via_organisations"]["person"] in keys
    assert client.get("/v1/multi-list", params={"min_domains": 0}).status_code == 422
    assert not FULL_ID.search(r.text)


def test_one_subjects_domains_agree_with_the_multi_list(api: tuple[TestClient, GraphStore, Answers]) -> None:
    client, _, answers = api
    listed = client.get("/v1/multi-list", params={"min_domains": 1, "as_of": DAY}, headers=AGENCY).json()
    by_key = {s["subject"]["key"]: s for s in listed["subjects"]}
    person = answers.cases["multi_listed_via_organisations"]["person"]
    clean = answers.cases["bidders"]["unrelated"]
    for kind, key in [("person", person), ("enterprise", answers.cases["multi_listed_enterprise"]["uscc"]),
                      ("enterprise", clean)]:  # fmt: skip
        r = client.get(f"/v1/multi-list/{kind}/{key}", params={"as_of": DAY}, headers=AGENCY)
        assert r.status_code == 200
        one = r.json()
        expected = by_key.get(key, {"domains": [], "reasons": []})
        assert one["domains"] == expected["domains"]
        ids = sorted(x["entry"]["entry_id"] for x in one["reasons"])
        assert ids == sorted(x["entry"]["entry_id"] for x in expected["reasons"])
    assert len(client.get(f"/v1/multi-list/person/{person}", headers=AGENCY).json()["domains"]) >= 2
    assert client.get("/v1/multi-list/enterprise/91110000600037341L", headers=AGENCY).status_code == 404


def test_life_cycle_over_http(api: tuple[TestClient, GraphStore, Answers]) -> None:
    client, _, answers = api
    uscc = answers.cases["bidders"]["unrelated"]
    entry = {
        "entry_id": "L-api-test-1",
        "list_type": "public_resource_trading",
        "domain": "bidding",
        "kind": "black",
        "authority": "清丰县公共资源交易中心",
        "decision_number": "清公交〔2026〕1号",
        "subject_kind": "enterprise",
        "subject_key": uscc,
        "listed_on": "2026-05-01",
        "expires_on": "2029-05-01",
        "conduct": "串通投标",
    }
    initiate = {
        "entry": entry,
        "actor": "清丰县公共资源交易中心",
        "on": "2026-05-01",
        "pushed_to": ["清丰县财政局"],
    }
    made = client.post("/v1/entries", json=initiate)
    assert made.status_code == 201, made.text
    assert [e["event"] for e in made.json()["events"]] == ["initiated", "pushed"]
    again = client.post("/v1/entries", json={"entry": entry, "actor": "x"})
    assert again.status_code == 409
    check = {"subject": {"uscc": uscc}, "action": "public_bidding", "as_of": DAY}
    assert client.post("/v1/checks", json=check).json()["restricted"] is True
    filed = client.post(
        "/v1/entries/L-api-test-1/events",
        json={"event": "objection_filed", "actor": "企业", "reason": "非本单位", "on": "2026-06-01"},
    )
    assert filed.status_code == 200 and filed.json()["entry"]["status"] == "under_objection"
    assert client.post("/v1/checks", json=check).json()["restricted"] is False
    wrong = client.post(
        "/v1/entries/L-api-test-1/events", json={"event": "repaired", "actor": "x", "method": "training"}
    )
    assert wrong.status_code == 409 and "under_objection" in wrong.json()["detail"]
    revoked = client.post(
        "/v1/entries/L-api-test-1/events",
        json={"event": "objection_revoked", "actor": "中心", "reason": "核实有误"},
    )
    assert revoked.json()["entry"]["status"] == "revoked"
    assert client.post("/v1/checks", json=check).json()["restricted"] is False
    assert (
        client.post("/v1/entries/L-api-test-1/events", json={"event": "explode", "actor": "x"}).status_code
        == 422
    )
    assert client.get("/v1/entries/L-api-test-1").json()["events"][-1]["event"] == "objection_revoked"


def test_feedback_over_http(api: tuple[TestClient, GraphStore, Answers]) -> None:
    client, _, answers = api
    entry_id = answers.cases["finance_head"]["entry_id"]
    url = f"/v1/entries/{entry_id}/feedback"
    applied = {"department": "清丰县财政局", "measure": "limit_fiscal_funds", "outcome": "applied"}
    ok = client.post(url, json=applied)
    assert ok.status_code == 201, ok.text
    missing_reason = client.post(url, json={**applied, "outcome": "not_applied"})
    assert missing_reason.status_code == 422 and missing_reason.json()["errors"][0]["field"] == "reason"
    stats = client.get("/v1/stats/feedback").json()
    assert any(r["key"] == "清丰县财政局" and r["applied"] >= 1 for r in stats["by_department"])
