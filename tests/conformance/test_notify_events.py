"""Both backends make the same notices for the same history: the same subjects, causes, standings before and
after, actions, measures, reasons and paths, in the same order. Only what names a moment or a place in
one installation's log (ids made from it, stamps) may differ."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from graph_service.engine.lifecycle import initiate, transition
from graph_service.model import RoleType
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from tests import factories as f
from tests.notify_world import TODAY, make_world

# Keys whose values are moments or positions in one installation's log, not what happened.
LOCAL = frozenset({"id", "at", "created_at", "recorded_at", "change", "subscription"})


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in sorted(value.items()) if k not in LOCAL}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _history(store: GraphStore, tmp: Path) -> list[Any]:
    w = make_world(store, tmp)
    try:
        w.subscribe(watch=(w.rep, w.newcomer, w.company))
        w.subscribe(kind="lists", domains=("court", "tax"))
        w.subscribe(
            kind="measures",
            measures=("limit_public_bidding",),
            classes=("authorized", "government", "public"),
        )
        days = {"listed_on": -10, "conduct_date": -40, "expires_on": 3}
        dates = {name: TODAY + timedelta(days=n) for name, n in days.items()}
        entry = f.entry(w.company, "(2026)豫0922执3号", **dates)
        bodies = []
        initiate(store, entry, "清丰县人民法院", TODAY, ("县发改委",), w.rules)
        bodies += w.run()
        transition(store, entry.entry_id, "objection_filed", "清丰县人民法院", TODAY, reason="已履行")
        bodies += w.run()
        transition(store, entry.entry_id, "objection_upheld", "清丰县人民法院", TODAY, reason="异议不成立")
        bodies += w.run()
        old = store.roles_of_holder("person", w.rep.person_key)[0]
        successor = f.role(RoleType.LEGAL_REPRESENTATIVE_OF, w.newcomer, w.company, valid_from=TODAY)
        store.upsert_roles([old.model_copy(update={"valid_to": TODAY}), successor])
        bodies += w.run()
        store.upsert_roles([f.role(RoleType.DIRECTOR_OF, w.bystander, w.company, valid_from=TODAY)])
        bodies += w.run()
        w.clock.days_on(3)
        bodies += w.run()
        return [_normal(b) for b in bodies]
    finally:
        w.close()


@pytest.mark.neo4j
def test_same_notices_on_both_backends(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    embedded = EmbeddedStore(tmp_path / "graph.sqlite3")
    try:
        (tmp_path / "e").mkdir()
        on_embedded = _history(embedded, tmp_path / "e")
    finally:
        embedded.close()
    neo4j: GraphStore = request.getfixturevalue("neo4j_store")
    neo4j.clear()
    (tmp_path / "n").mkdir()
    on_neo4j = _history(neo4j, tmp_path / "n")
    assert len(on_embedded) >= 8
    kinds = [(b["type"], b["cause"]["kind"]) for b in on_embedded]
    assert ("standing.changed", "day_reached") in kinds and ("entry.changed", "entry_event") in kinds
    assert ("standing.changed", "roles_changed") in kinds
    assert on_neo4j == on_embedded
