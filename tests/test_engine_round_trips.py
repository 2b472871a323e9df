"""A check, an affected query and a credit record each cost Neo4j one statement: counted at the driver,
on a real server, through the engine (and through the caller's filtered view, as the API asks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from graph_service.access.visible import VisibleStore
from graph_service.engine import Engine
from graph_service.engine.credit_record import credit_record
from graph_service.rules import load_rules
from graph_service.store.base import GraphStore
from graph_service.store.neo4j_store import Neo4jStore
from tests.conformance.test_facts import DAY, graph
from tests.conftest import open_backend

RULES = load_rules()


class Counted:
    """The driver's statements and sessions, counted as they pass (the server answers them as ever)."""

    def __init__(self, store: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.statements: list[str] = []
        self.sessions = 0
        run, session = store.driver.execute_query, store.driver.session

        def counted_run(query: str, *args: Any, **kw: Any) -> Any:
            self.statements.append(query)
            return run(query, *args, **kw)

        def counted_session(*args: Any, **kw: Any) -> Any:
            self.sessions += 1
            return session(*args, **kw)

        monkeypatch.setattr(store.driver, "execute_query", counted_run)
        monkeypatch.setattr(store.driver, "session", counted_session)

    def __call__(self) -> int:
        """Statements and sessions since the last call."""
        n = len(self.statements) + self.sessions
        self.statements.clear()
        self.sessions = 0
        return n


@pytest.fixture
def neo4j(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Neo4jStore]:
    store = open_backend("neo4j", tmp_path, request)
    assert isinstance(store, Neo4jStore)
    yield store


@pytest.mark.parametrize("viewed", [False, True], ids=["store", "view"])
def test_each_question_is_one_statement(
    neo4j: Neo4jStore, monkeypatch: pytest.MonkeyPatch, viewed: bool
) -> None:
    g = graph(neo4j)
    store: GraphStore = VisibleStore(neo4j, frozenset({"public"}), id_numbers=False) if viewed else neo4j
    engine = Engine(store, RULES)
    a, new = g["a"].uscc, g["new"].person_key  # type: ignore[attr-defined]
    count = Counted(neo4j, monkeypatch)

    check = engine.check("enterprise", a, DAY)
    assert check.restricted and check.associated_risk
    assert count() == 1
    engine.check("person", new, DAY, action="green_channel")
    assert count() == 1
    batch = engine.check_many([("enterprise", a), ("person", new)], DAY, action="public_bidding")
    assert [r.restricted for r in batch] == [True, True] and count() == 1
    affected = engine.affected([g["court"].entry_id], DAY)  # type: ignore[attr-defined]
    assert len(affected.affected) == 3 and count() == 1
    record = credit_record(engine, store, "person", new, DAY)
    assert record.history and record.check.reasons and count() == 1
    # Asked as known at a moment, still one.
    engine.check("enterprise", a, DAY, known_at=datetime.now(UTC))
    assert count() == 1
    credit_record(engine, store, "enterprise", a, date(2025, 1, 1), known_at=None)
    assert count() == 1
