"""The promises of docs/notifications.md read as hostile tests, on both backends: a notice names no entry
its subscriber could not read, however the change that made it came (a loader's batch, a day's passing)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from graph_service.store.base import GraphStore
from tests import factories as f
from tests.notify_world import TODAY, World, make_world


@pytest.fixture
def world(store: GraphStore, tmp_path: Path) -> Iterator[World]:
    w = make_world(store, tmp_path)
    yield w
    w.close()


def _standing(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in bodies if b["type"] == "standing.changed"]


def test_no_notice_names_an_entry_of_a_class_its_subscriber_cannot_read(world: World) -> None:
    watcher = world.subscribe(watch=(world.company,))
    world.subscribe(kind="lists", domains=("court",))
    ends = TODAY + timedelta(days=1)
    dates = {
        "listed_on": TODAY - timedelta(days=30),
        "conduct_date": TODAY - timedelta(days=60),
        "expires_on": ends,
    }
    shared = f.entry(world.company, "(2026)豫0922执11号", disclosure="government", **dates)
    hidden = f.entry(world.company, "(2026)豫0922执12号", disclosure="authorized", **dates)
    # One loader batch: one change naming both entries.
    world.store.upsert_entries([shared, hidden])
    bodies = world.run()
    (standing,) = _standing(bodies)
    assert standing["subscription"] == watcher.id and standing["after"]["restricted"] is True
    assert [b["entry"]["entry_id"] for b in bodies if b["type"] == "entry.changed"] == [shared.entry_id]
    world.clock.days_on(1)  # both expire on the same day: one day's cause
    later = world.run()
    assert [b["cause"]["kind"] for b in _standing(later)] == ["day_reached"]
    assert [b["event"] for b in later if b["type"] == "entry.changed"] == ["expired"]
    for body in bodies + later:
        assert body["cause"]["entry_ids"] == [shared.entry_id], body["type"]
        assert hidden.entry_id not in json.dumps(body, ensure_ascii=False)
    for name in ("notify.sqlite", "notify.sqlite-wal"):
        path = world.notices.path.with_name(name)
        assert not path.exists() or hidden.entry_id.encode() not in path.read_bytes(), name
