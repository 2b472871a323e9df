"""The pages over HTTP without a browser: what they are served with, what they must never contain, and the
API additions they rely on (`/v1/me`, `code_problem`, the data-as-of stamp)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.access.log_mask import MaskIdNumbers
from graph_service.api.app import create_app
from graph_service.model import Enterprise
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from graph_service.synthetic import Answers
from graph_service.web.pages import STATIC
from tests.conftest import SECRET

WEB = Path(__file__).parents[1] / "graph_service" / "web"


@pytest.fixture(scope="module")
def client(
    county: tuple[GraphStore, Answers], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    store, _ = county
    settings = Settings(hash_key=SECRET, data_dir=tmp_path_factory.mktemp("pages"))
    with TestClient(create_app(store=store, settings=settings)) as c:
        yield c


def test_nothing_is_loaded_from_elsewhere() -> None:
    """Closed networks: every script, style and image comes from the service itself."""
    for path in [*WEB.glob("templates/*.html"), *STATIC.glob("*.js"), *STATIC.glob("*.css")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "url(http" not in text and "@import" not in text, path


def test_pages_are_served_with_a_strict_policy(client: TestClient) -> None:
    for url in ("/", "/explorer", "/credit/search?q=清丰"):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        policy = r.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy and "http" not in policy
    assert client.get("/static/explorer.js").status_code == 200
    vendor = client.get("/static/vendor/cytoscape.min.js")  # built by scripts/setup-web from npm
    assert vendor.status_code == 200 and len(vendor.content) > 100_000


def test_pages_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if not p.startswith(("/v1/", "/health"))]


def test_bad_page_input_is_a_4xx_page(client: TestClient) -> None:
    assert client.get("/credit/search?q=").status_code == 422
    assert client.get("/credit/search?q=" + "企" * 101).status_code == 422
    assert client.get("/credit/search?q=清丰&page=0").status_code == 422
    assert client.get("/credit/search?q=清丰&page=abc").status_code == 422
    r = client.get("/credit/enterprises/not-a-code")
    assert r.status_code == 422 and "统一社会信用代码格式错误" in r.text
    assert client.get("/credit/enterprises/91110000600037341L/report").status_code == 404


def test_exact_code_goes_straight_to_the_subject(
    client: TestClient, county: tuple[GraphStore, Answers]
) -> None:
    uscc = county[1].cases["legal_rep_change"]["uscc"]
    r = client.get(f"/credit/search?q={uscc.lower()}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/credit/enterprises/{uscc}"


def test_public_pages_show_public_entries_only(
    client: TestClient, county: tuple[GraphStore, Answers]
) -> None:
    store, answers = county
    for case in ("repaired_entry", "revoked_entry"):
        uscc, entry_id = answers.cases[case]["uscc"], answers.cases[case]["entry_id"]
        entry = store.get_entry(entry_id)
        assert entry is not None
        page = client.get(f"/credit/enterprises/{uscc}").text
        assert entry.decision_number not in page and "不再公示" in page
    objection = answers.cases["objection_in_progress"]
    entry = store.get_entry(objection["entry_id"])
    assert entry is not None
    page = client.get(f"/credit/enterprises/{objection['uscc']}").text
    assert entry.decision_number in page and "异议核查中" in page


def test_me_names_the_key_and_what_it_may_do(client: TestClient) -> None:
    assert client.get("/v1/me").json()["reason"] == "missing"
    key = client.app.state.keys.create("investigator", "me")[1]  # type: ignore[attr-defined]
    me = client.get("/v1/me", headers={"X-API-Key": key}).json()
    assert me["role"] == "investigator" and "explore" in me["may"] and "audit" not in me["may"]
    assert key not in str(me)


def test_search_says_why_a_code_failed(client: TestClient, county: tuple[GraphStore, Answers]) -> None:
    key = client.app.state.keys.create("public", "search")[1]  # type: ignore[attr-defined]
    uscc = county[1].cases["legal_rep_change"]["uscc"]
    bad = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    page = client.get("/v1/search", params={"q": bad}, headers={"X-API-Key": key}).json()
    assert page["total"] == 0 and "GB 32100" in page["code_problem"]
    assert (
        client.get("/v1/search", params={"q": uscc}, headers={"X-API-Key": key}).json()["code_problem"]
        is None
    )


def test_odd_page_input_is_a_chinese_4xx_page(client: TestClient) -> None:
    for url in ("/credit/search?q=清丰&page=²", "/credit/search?q=清丰&page=①", "/credit/search?q=%E2%80%8B",
                "/credit/search?q=%C2%AD", "/credit/search?q=清丰&page=99999"):  # fmt: skip
        r = client.get(url)
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), url
    r = client.get("/credit/search?q=清丰&page=9999")
    assert r.status_code == 404 and "页码超出范围" in r.text
    for method, url, status in (("GET", "/credit/nothing", 404), ("GET", "/credit/enterprises/", 404),
                                ("POST", "/credit/search", 405)):  # fmt: skip
        r = client.request(method, url)
        assert r.status_code == status and r.headers["content-type"].startswith("text/html"), url
        assert "<h1>" in r.text and "credit-graph" in r.text
    assert "GET" in client.post("/credit/search").headers["allow"]  # a 405 says what is allowed
    # API addresses keep answering problem+json.
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_invisible_characters_are_not_a_search(client: TestClient) -> None:
    key = client.app.state.keys.create("public", "invisible")[1]  # type: ignore[attr-defined]
    r = client.get("/v1/search", params={"q": "\u200b"}, headers={"X-API-Key": key})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "q"


def test_a_flagged_code_is_still_shown(client: TestClient, county: tuple[GraphStore, Answers]) -> None:
    store, _ = county
    kept = Enterprise(
        uscc="91410922MA00000000", name="清丰县代码存疑商贸有限公司", id_valid=False, source="test"
    )
    store.upsert_enterprises([kept])
    r = client.get(f"/credit/enterprises/{kept.uscc}")
    assert r.status_code == 200 and kept.name in r.text
    found = client.get("/credit/search", params={"q": "代码存疑"}).text
    assert f"/credit/enterprises/{kept.uscc}" in found


def test_records_not_for_the_public_stay_off_the_pages(
    client: TestClient, county: tuple[GraphStore, Answers]
) -> None:
    store, answers = county
    uscc = answers.cases["same_domain_twice"]["uscc"]
    before = client.get(f"/credit/enterprises/{uscc}").text
    entry = store.get_entry(answers.cases["same_domain_twice"]["entry_ids"][0])
    assert entry is not None
    hidden = [
        entry.model_copy(
            update={"entry_id": f"{entry.entry_id}-{c}", "decision_number": f"内部文号{c}", "disclosure": c}
        )
        for c in ("government", "authorized")
    ]
    store.upsert_entries(hidden)
    for url in (f"/credit/enterprises/{uscc}", f"/credit/enterprises/{uscc}/report"):
        page = client.get(url).text
        assert "内部文号" not in page
    after = client.get(f"/credit/enterprises/{uscc}").text
    assert after.count('class="entry ') == before.count('class="entry ')


def test_the_access_log_masks_id_numbers() -> None:
    # Every spelling the search reads as the number: plain, blanks around or inside, full-width digits.
    for path in ("/v1/search?q=11010519491231002X&kind=all", "/v1/search?q=%2011010519491231002X",
                 "/v1/search?q=110105%2019491231%20002X", "/v1/search?q=%EF%BC%911010519491231002X",
                 "/credit/search?q=110105+19491231+002x"):  # fmt: skip
        record = logging.LogRecord(
            "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None
        )
        record.args = ("127.0.0.1:5000", "GET", path, "1.1", 200)
        MaskIdNumbers().filter(record)
        line = record.getMessage()
        assert "1101**********002X" in line and "19491231" not in line, line
    # Next to a name, after a prefix, several in one value, percent-encoded around them, in the path.
    for path in ("/v1/search?q=%E5%BC%A0%E4%B8%89410923195102167673&kind=person",
                 "/v1/search?q=id%3A410923195102167673",
                 "/v1/search?q=410922198001010121%2C410923195102167673",
                 "/v1/persons/410923195102167673/credit-record"):  # fmt: skip
        record = logging.LogRecord(
            "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None
        )
        record.args = ("127.0.0.1:5000", "GET", path, "1.1", 200)
        MaskIdNumbers().filter(record)
        line = record.getMessage()
        assert "195102167673" not in line and "198001010121" not in line, line
        assert "4109**********7673" in line, line
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s", ("/v1/search?q=清丰",), None
    )
    MaskIdNumbers().filter(record)
    assert record.getMessage() == "/v1/search?q=清丰"
