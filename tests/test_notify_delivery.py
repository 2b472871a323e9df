"""Delivery from change to endpoint, on every backend, to a real HTTP receiver on 127.0.0.1: an endpoint down
for a while gets every event exactly once by id when it is back, in order per subject; a notice whose
signature or body was changed is refused by the documented verification."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from graph_service.engine.lifecycle import initiate, transition
from graph_service.notify.signing import InvalidSignature, verify
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.notify_world import TODAY, World, make_world


@pytest.fixture
def world(store: GraphStore, tmp_path: Path) -> Iterator[World]:
    w = make_world(store, tmp_path)
    yield w
    w.close()


def _listings(w: World, count: int) -> list[str]:
    companies = [f.enterprise(100 + n) for n in range(count)]
    w.store.upsert_enterprises(companies)
    ids = []
    for n, company in enumerate(companies):
        entry = f.entry(company, f"(2026)豫0922执{100 + n}号", listed_on=TODAY - timedelta(days=3),
                        expires_on=TODAY + timedelta(days=700))  # fmt: skip
        initiate(w.store, entry, "清丰县人民法院", TODAY, (), w.rules)
        ids.append(entry.entry_id)
    return ids


def test_an_endpoint_down_for_a_while_gets_every_event_exactly_once_when_back(world: World) -> None:
    world.subscribe(kind="measures", measures=("limit_public_bidding",))
    world.receiver.down()
    ids = _listings(world, 6)
    world.make()
    world.deliver(rounds=15)  # every attempt refused: retried with backoff, nothing lost
    assert world.receiver.accepted() == []
    attempts = world.notices.attempts(world.notices.subscriptions()[0].id, 0, 1000)
    assert attempts and all(a.status_code is None for _, a in attempts)
    transition(world.store, ids[0], "revoked", "清丰县人民法院", TODAY, reason="认定错误")
    world.make()
    world.receiver.up()
    world.deliver()
    got = world.receiver.accepted()
    event_ids = [r.headers["webhook-id"] for r in got]
    expected = [n.event_id for n in world.feed()]
    assert len(expected) == 7  # six companies newly barred from bidding, one released by the revocation
    assert sorted(event_ids) == sorted(expected) and len(set(event_ids)) == len(event_ids)
    # Per subject, in order: the revoked company's listing came before its release.
    first = next(f"enterprise:{e.subject_key}" for e in [world.store.get_entry(ids[0])] if e is not None)
    mine = [r.json for r in got if f"{r.json['subject']['kind']}:{r.json['subject']['key']}" == first]
    assert [b["after"]["restricted"] for b in mine] == [True, False]


def test_a_changed_signature_or_body_is_refused_by_the_verification(world: World) -> None:
    sub = world.subscribe(watch=(world.rep,))
    entry = f.entry(
        world.company, listed_on=TODAY - timedelta(days=3), expires_on=TODAY + timedelta(days=700)
    )
    initiate(world.store, entry, "清丰县人民法院", TODAY, (), world.rules)
    (body,) = world.run()  # accepted as sent
    (got,) = world.receiver.accepted()
    secret = world.secrets[sub.id]
    forged = {**got.headers, "webhook-signature": "v1," + "A" * 43 + "="}
    with pytest.raises(InvalidSignature):
        verify(secret, forged, got.body)
    with pytest.raises(InvalidSignature):
        verify(secret, got.headers, got.body.replace(b"true", b"fals"))
    with pytest.raises(InvalidSignature):
        verify("whsec_" + "B" * 44, got.headers, got.body)
    assert body["subject"]["key"] == world.rep.person_key
