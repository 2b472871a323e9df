"""Bounds and headers every route keeps: a request body larger than the service reads is refused (413),
JSON answers carry nosniff, HEAD is answered wherever GET is, two credentials are refused, a body that is
not JSON is a 400, and the OpenAPI schema says what a USCC is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.settings import Settings
from graph_service.store.embedded import EmbeddedStore
from tests.conftest import SECRET


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "data", max_body_bytes=64 * 1024)
    with EmbeddedStore(tmp_path / "graph.sqlite3") as store, TestClient(create_app(store, settings)) as c:
        c.headers["X-API-Key"] = c.app.state.keys.create("admin", "tests")[1]  # type: ignore[attr-defined]
        yield c


def test_a_body_beyond_the_limit_is_refused(client: TestClient) -> None:
    big = b'{"subjects": [' + b'{"uscc": "91110000600037341L"},' * 4000 + b"]}"
    declared = client.post("/v1/checks/batch", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413 and "at most 65,536 bytes" in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    streamed = client.post("/v1/checks/batch", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    small = client.post("/v1/checks", json={"subject": {"uscc": "91110000600037341L"}})
    assert small.status_code == 404  # read whole and answered: no such enterprise


def test_headers_head_credentials_and_bodies(client: TestClient) -> None:
    health = client.get("/health")
    assert health.headers["x-content-type-options"] == "nosniff"
    for path in ("/", "/health"):
        head = client.head(path)
        assert head.status_code == 200 and head.content == b"", path
    both = client.get("/v1/me", headers={"Authorization": "Bearer x"})
    assert both.status_code == 400 and both.json()["reason"] == "two_credentials"
    broken = client.post("/v1/checks", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 400 and broken.json()["title"] == "Body is not valid JSON"
    clash = client.get("/v1/investigations/controllers/write-back")
    assert clash.status_code == 405 and clash.headers["allow"] == "POST"


def test_the_schema_says_a_uscc_has_18_characters(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    params = schema["paths"]["/v1/enterprises/{uscc}"]["get"]["parameters"]
    uscc = next(p for p in params if p["name"] == "uscc")["schema"]
    assert (uscc["minLength"], uscc["maxLength"]) == (18, 18)
    too_long = client.get("/v1/enterprises/" + "9" * 19)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["check"] == "length"
