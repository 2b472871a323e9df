"""The capital's currency and the registration number as the API and the public record page show them."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.settings import Settings
from graph_service.store.embedded import EmbeddedStore
from tests import factories as f
from tests.conftest import SECRET


def test_the_currency_is_shown_with_the_capital(tmp_path: Path) -> None:
    usd = f.enterprise(
        1, registered_capital=120.5, capital_currency="USD", registration_number="110108000000016"
    )
    cny = f.enterprise(2, registered_capital=500.0)
    store = EmbeddedStore(tmp_path / "graph.sqlite3")
    store.upsert_enterprises([usd, cny])
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "data")  # type: ignore[arg-type]
    try:
        with TestClient(create_app(store=store, settings=settings)) as client:
            client.headers["X-API-Key"] = client.app.state.keys.create("admin", "tests")[1]  # type: ignore[attr-defined]
            body = client.get(f"/v1/enterprises/{usd.uscc}").json()
            assert (body["registered_capital"], body["capital_currency"]) == (120.5, "USD")
            assert body["registration_number"] == "110108000000016"
            assert client.get(f"/v1/enterprises/{cny.uscc}").json()["capital_currency"] == "CNY"
            assert "120.50 万 USD" in client.get(f"/credit/enterprises/{usd.uscc}").text
            assert "500.00 万元" in client.get(f"/credit/enterprises/{cny.uscc}").text
    finally:
        store.close()
