"""The first slice of the API, driven over HTTP through the app with a real store."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from graph_service.synthetic import Answers

FULL_ID = re.compile(r"\d{17}[\dX]")


@pytest.fixture(scope="module")
def client_and_answers(
    county: tuple[GraphStore, Answers], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Answers]]:
    store, answers = county
    settings = Settings(hash_key="test-hash-key", data_dir=tmp_path_factory.mktemp("api-keys"))
    with TestClient(create_app(store=store, settings=settings)) as client:
        client.headers["X-API-Key"] = client.app.state.keys.create("admin", "tests")[1]  # type: ignore[attr-defined]
        yield client, answers


def test_get_enterprise(client_and_answers: tuple[TestClient, Answers]) -> None:
    client, answers = client_and_answers
    uscc = answers.cases["legal_rep_change"]["uscc"]
    r = client.get(f"/v1/enterprises/{uscc}")
    assert r.status_code == 200
    body = r.json()
    assert (
        body["uscc"] == uscc and body["name"] == "清丰县顺达建筑工程有限公司" and body["division"] == "410922"
    )


def test_full_width_and_lower_case_codes_are_normalised(
    client_and_answers: tuple[TestClient, Answers],
) -> None:
    client, answers = client_and_answers
    uscc = str(answers.cases["legal_rep_change"]["uscc"])
    wide = "".join(chr(ord(c) + 0xFEE0) for c in uscc.lower())
    assert client.get(f"/v1/enterprises/{wide}").json()["uscc"] == uscc


@pytest.mark.parametrize(
    ("code", "check"),
    [
        ("91110000600037341M", "check_character"),
        ("9111000060003734", "length"),
        ("91110000600037341I", "charset"),
        ("91990000600037341L", "division"),
        ("x" * 64, "length"),
    ],
)
def test_malformed_uscc_is_422_naming_the_check(
    client_and_answers: tuple[TestClient, Answers], code: str, check: str
) -> None:
    client, _ = client_and_answers
    for path in (f"/v1/enterprises/{code}", f"/v1/enterprises/{code}/responsible-persons"):
        r = client.get(path)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["errors"][0]["field"] == "uscc"
        assert problem["errors"][0]["check"] == check
        assert problem["detail"]


def test_unknown_uscc_is_404(client_and_answers: tuple[TestClient, Answers]) -> None:
    client, _ = client_and_answers
    r = client.get("/v1/enterprises/91110000600037341L")
    assert r.status_code == 404
    assert r.json()["status"] == 404 and "91110000600037341L" in r.json()["detail"]


def test_responsible_persons_at_a_date(client_and_answers: tuple[TestClient, Answers]) -> None:
    client, answers = client_and_answers
    case = answers.cases["legal_rep_change"]
    url = f"/v1/enterprises/{case['uscc']}/responsible-persons"
    before = client.get(url, params={"as_of": "2020-11-10", "role": "LEGAL_REPRESENTATIVE_OF"}).json()
    assert [r["holder"]["key"] for r in before["roles"]] == [case["former_legal_rep"]]
    after = client.get(url, params={"as_of": "2021-07-01", "role": "LEGAL_REPRESENTATIVE_OF"}).json()
    assert [r["holder"]["key"] for r in after["roles"]] == [case["current_legal_rep"]]
    assert after["roles"][0]["role_zh"] == "法定代表人"
    everyone = client.get(url, params={"as_of": "2020-11-10"}).json()
    assert {r["role"] for r in everyone["roles"]} == {"LEGAL_REPRESENTATIVE_OF", "SHAREHOLDER_OF"}


def test_planted_answers_through_the_api(client_and_answers: tuple[TestClient, Answers]) -> None:
    client, answers = client_and_answers
    for expected in answers.responsible_at[:60]:
        r = client.get(
            f"/v1/enterprises/{expected.uscc}/responsible-persons",
            params={"as_of": expected.as_of.isoformat(), "role": expected.role.value},
        )
        assert sorted(role["holder"]["key"] for role in r.json()["roles"]) == expected.holders


def test_no_full_id_number_in_responses(client_and_answers: tuple[TestClient, Answers]) -> None:
    client, answers = client_and_answers
    case = answers.cases["finance_head"]
    public = {"X-API-Key": client.app.state.keys.create("public", "a citizen")[1]}  # type: ignore[attr-defined]
    r = client.get(
        f"/v1/enterprises/{case['uscc']}/responsible-persons", params={"as_of": "2024-01-01"}, headers=public
    )
    assert r.status_code == 200
    assert not FULL_ID.search(r.text)
    assert all(role["holder"]["id_number"] is None for role in r.json()["roles"])
    masked = [role["holder"]["id_masked"] for role in r.json()["roles"]]
    assert masked and all(m and "*" in m for m in masked)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "2021-02-30"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"role": "BOSS_OF"}, "role[0]"),
    ],
)
def test_bad_query_is_422_naming_the_field(
    client_and_answers: tuple[TestClient, Answers], params: dict[str, str], field: str
) -> None:
    client, answers = client_and_answers
    r = client.get(
        f"/v1/enterprises/{answers.cases['finance_head']['uscc']}/responsible-persons", params=params
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field


def test_health(client_and_answers: tuple[TestClient, Answers]) -> None:
    client, _ = client_and_answers
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/no/such/path").status_code == 404
