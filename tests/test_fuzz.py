"""schemathesis against the app's own OpenAPI schema, with each role's key: no input answers 500 and every
documented response matches its schema, whoever calls. Bounded: a fixed number of examples per operation
and role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from graph_service.api.app import create_app
from graph_service.settings import Settings
from graph_service.store.embedded import EmbeddedStore
from graph_service.synthetic import Generator, load_synthetic

KEYS: dict[str, str] = {}
EXAMPLES = {"admin": 30, "investigator": 10, "agency": 10, "public": 10}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    folder = tmp_path_factory.mktemp("fuzz")
    store = EmbeddedStore(folder / "graph.sqlite3")
    load_synthetic(store, Generator(150, seed=3, secret="fuzz-key"))
    app = create_app(store=store, settings=Settings(hash_key="fuzz-key", data_dir=folder))  # type: ignore[arg-type]
    with TestClient(app):  # runs the app's start-up, so keys and audit exist for the fuzzed calls
        for role in EXAMPLES:
            KEYS[role] = app.state.keys.create(role, "fuzzing", department="清丰县财政局")[1]
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    store.close()


@pytest.mark.parametrize("role", list(EXAMPLES))
def test_no_input_makes_the_service_fail(api_schema: schemathesis.BaseSchema, role: str) -> None:
    # Each operation gets its own bounded Hypothesis run; the pytest plugin of schemathesis is not used
    # because it does not follow this pytest's collection internals.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    headers = {"X-API-Key": KEYS[role]}
    for operation in operations:

        @given(operation.as_strategy())
        @settings(
            max_examples=EXAMPLES[role], deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        run()
