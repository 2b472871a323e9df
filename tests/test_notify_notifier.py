"""What is notified, on every backend: a change of a subject's standing (also through a role), every event of
an entry for the lists' subscribers, the days of expiry and of a future listing, and nothing for a change
that alters no one's standing. The loop of 国办发〔2016〕33号 (seed 000): 发起响应、信息推送、执行反馈."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph_service.access.keys import KeyStore
from graph_service.engine.lifecycle import initiate, transition
from graph_service.model import RoleType
from graph_service.notify.notifier import day_began
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.notify_world import TODAY, World, make_world


@pytest.fixture
def world(store: GraphStore, tmp_path: Path) -> Iterator[World]:
    w = make_world(store, tmp_path)
    yield w
    w.close()


def _listing(w: World, decision: str = "(2026)豫0922执1号", **kw: object) -> Any:
    fields: dict[str, object] = {
        "listed_on": TODAY - timedelta(days=30),
        "conduct_date": TODAY - timedelta(days=60),
        "expires_on": TODAY + timedelta(days=700),
    }
    fields.update(kw)
    return f.entry(w.company, decision, **fields)


def _standing(bodies: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [b for b in bodies if b["type"] == "standing.changed" and b["subject"]["key"] == key]


def test_a_listing_notifies_the_watcher_of_its_legal_representative_with_the_path(world: World) -> None:
    sub = world.subscribe(watch=(world.rep,))
    entry = _listing(world)
    initiate(world.store, entry, "清丰县人民法院", TODAY, ("县市场监管局",), world.rules)
    bodies = world.run()
    (notice,) = bodies  # the watcher hears of his standing once, not of the push that followed
    assert notice["subscription"] == sub.id and notice["type"] == "standing.changed"
    assert notice["subject"]["key"] == world.rep.person_key and notice["subject"]["name"] == "张三"
    assert notice["before"] == {"restricted": False, "measures": []}
    assert notice["after"]["restricted"] is True
    assert "high_consumption_restriction" in notice["after"]["measures"]
    air = next(a for a in notice["actions"] if a["action"] == "air_ticket")
    assert (air["before"], air["after"]) == ("eligible", "restricted")
    assert notice["cause"]["kind"] == "entry_event" and notice["cause"]["event"] == "initiated"
    reason = next(r for r in notice["reasons"] if r["rule"]["reference"] == "current")
    assert reason["entry"]["entry_id"] == entry.entry_id
    nodes = [n["key"] for n in reason["path"]["nodes"]]
    assert nodes == [entry.entry_id, world.company.uscc, world.rep.person_key]
    edge = reason["path"]["edges"][-1]
    assert edge["type"] == "LEGAL_REPRESENTATIVE_OF" and edge["valid_from"] == "2015-01-01"
    # Nothing was in force before: every measure now in force is one the department is expected to apply.
    assert notice["expected_measures"] == notice["after"]["measures"]
    assert notice["id"].startswith("ev_")


def test_every_life_cycle_event_notifies_and_lifts(world: World) -> None:
    sub = world.subscribe(watch=(world.company,))
    lists = world.subscribe(kind="lists", list_types=("court_dishonest_debtor",))
    entry = _listing(world)
    initiate(world.store, entry, "清丰县人民法院", TODAY, (), world.rules)
    assert len(world.run()) == 2  # the company's standing, and the new entry for the list's subscriber

    transition(world.store, entry.entry_id, "objection_filed", "清丰县人民法院", TODAY, reason="已履行")
    bodies = world.run()
    events = [b for b in bodies if b["type"] == "entry.changed"]
    assert [(b["event"], b["status_after"], b["subscription"]) for b in events] == [
        ("objection_filed", "under_objection", lists.id)
    ]
    (suspended,) = _standing(bodies, world.company.uscc)
    assert suspended["after"] == {"restricted": False, "measures": []}  # measures wait on the objection
    assert suspended["subscription"] == sub.id and suspended["measures_lifted"]

    transition(world.store, entry.entry_id, "objection_upheld", "清丰县人民法院", TODAY, reason="异议不成立")
    bodies = world.run()
    assert [b["event"] for b in bodies if b["type"] == "entry.changed"] == ["objection_upheld"]
    (resumed,) = _standing(bodies, world.company.uscc)
    assert resumed["after"]["restricted"] is True

    transition(world.store, entry.entry_id, "repaired", "清丰县人民法院", TODAY, method="rectification")
    bodies = world.run()
    assert [b["event"] for b in bodies if b["type"] == "entry.changed"] == ["repaired"]
    (repaired,) = _standing(bodies, world.company.uscc)
    assert repaired["after"]["restricted"] is False and repaired["ended_reasons"]


def test_a_revocation_notifies(world: World) -> None:
    world.subscribe(watch=(world.rep,))
    entry = _listing(world)
    initiate(world.store, entry, "清丰县人民法院", TODAY, (), world.rules)
    world.run()
    transition(world.store, entry.entry_id, "revoked", "清丰县人民法院", TODAY, reason="认定错误")
    (notice,) = world.run()
    assert notice["cause"]["event"] == "revoked" and notice["after"]["restricted"] is False


def test_an_expiry_notifies_on_its_day_with_the_clock_moved(world: World) -> None:
    world.subscribe(watch=(world.company,))
    lists = world.subscribe(kind="lists", domains=("court",))
    ends = TODAY + timedelta(days=2)
    entry = _listing(world, expires_on=ends)
    initiate(world.store, entry, "清丰县人民法院", TODAY, (), world.rules)
    world.run()
    world.clock.days_on(1)
    assert world.run() == []  # the day before: nothing has changed
    world.clock.days_on(1)
    bodies = world.run()
    (standing,) = _standing(bodies, world.company.uscc)
    assert standing["cause"] == {
        "kind": "day_reached",
        "day": ends.isoformat(),
        "at": day_began(ends).isoformat(),
        "entry_ids": [entry.entry_id],
    }
    assert standing["before"]["restricted"] and not standing["after"]["restricted"]
    assert standing["as_of"] == ends.isoformat()
    (expired,) = [b for b in bodies if b["type"] == "entry.changed"]
    assert (expired["event"], expired["subscription"], expired["state_after"]) == (
        "expired",
        lists.id,
        "expired",
    )
    world.clock.days_on(1)
    assert world.run() == []


def test_a_future_listing_day_notifies_on_the_day(world: World) -> None:
    world.subscribe(watch=(world.rep,))
    start = TODAY + timedelta(days=1)
    entry = _listing(world, listed_on=start, conduct_date=TODAY - timedelta(days=5))
    world.store.upsert_entries([entry])
    assert world.run() == []  # recorded, but not yet in force
    world.clock.days_on(1)
    (notice,) = world.run()
    assert notice["cause"]["kind"] == "day_reached" and notice["after"]["restricted"] is True


def test_a_change_record_making_a_new_legal_representative_restricted_notifies_his_watchers(
    world: World,
) -> None:
    newcomer_watch = world.subscribe(watch=(world.newcomer,), department="县发改委")
    old_watch = world.subscribe(watch=(world.rep,))
    entry = _listing(world)
    initiate(world.store, entry, "清丰县人民法院", TODAY, (), world.rules)
    world.run()
    # The registry's change record: the legal representative changes today.
    old = world.store.roles_of_holder("person", world.rep.person_key)[0]
    ended = old.model_copy(update={"valid_to": TODAY})
    successor = f.role(RoleType.LEGAL_REPRESENTATIVE_OF, world.newcomer, world.company, valid_from=TODAY)
    successor = successor.model_copy(update={"source": "变更记录"})
    world.store.upsert_roles([ended, successor])
    bodies = world.run()
    (new_rep,) = _standing(bodies, world.newcomer.person_key)
    assert new_rep["subscription"] == newcomer_watch.id and new_rep["department"] == "县发改委"
    assert new_rep["after"]["measures"] == ["high_consumption_restriction"]  # reached @current only
    assert new_rep["cause"]["kind"] == "roles_changed"
    assert {r["source"] for r in new_rep["cause"]["roles"]} == {"test", "变更记录"}
    (old_rep,) = _standing(bodies, world.rep.person_key)
    assert old_rep["subscription"] == old_watch.id
    # He led the company on the conduct date: the conduct-date measures stay, the current one goes.
    assert [m["code"] for m in old_rep["measures_lifted"]] == ["high_consumption_restriction"]
    assert old_rep["after"]["restricted"] is True


def test_nothing_is_sent_for_a_change_that_alters_no_ones_standing(world: World) -> None:
    world.subscribe(watch=(world.rep, world.bystander, world.company))
    world.subscribe(kind="measures", measures=("high_consumption_restriction",))
    # A director appointed in a company with no listing; a reload of what is stored; an enterprise's name.
    world.store.upsert_roles(
        [f.role(RoleType.DIRECTOR_OF, world.rep, world.other, valid_from=date(2020, 1, 1))]
    )
    world.store.upsert_roles(world.store.roles_of_enterprise(world.company.uscc))
    world.store.upsert_enterprises([world.other.model_copy(update={"name": "清丰县新名有限公司"})])
    assert world.run() == []
    # A listing of the other company reaches only its subject (a director is not covered by court lists).
    entry = f.entry(world.other, "(2026)豫0922执7号", listed_on=TODAY, expires_on=TODAY + timedelta(days=700))
    initiate(world.store, entry, "清丰县人民法院", TODAY, (), world.rules)
    bodies = world.run()
    # The other company itself is restricted, but no one watches it and its measures are not the
    # measure subscription's (the consumption restriction reaches it, so that one hears).
    assert {b["subject"]["key"] for b in bodies} == {world.other.uscc}


def test_a_measure_subscription_hears_of_every_subject_newly_reached(world: World) -> None:
    sub = world.subscribe(kind="measures", measures=("high_consumption_restriction",), department="民航局")
    initiate(world.store, _listing(world), "清丰县人民法院", TODAY, (), world.rules)
    bodies = world.run()
    assert {b["subject"]["key"] for b in bodies} == {world.company.uscc, world.rep.person_key}
    assert all(b["subscription"] == sub.id for b in bodies)
    assert all(b["expected_measures"] == ["high_consumption_restriction"] for b in bodies)


def test_notices_never_carry_more_than_the_subscribers_classes(world: World) -> None:
    world.subscribe(watch=(world.rep,), classes=("public",))
    secret = _listing(world, disclosure="authorized")
    initiate(world.store, secret, "清丰县人民法院", TODAY, (), world.rules)
    assert world.run() == []
    body_text = world.notices.path.read_bytes()
    assert secret.entry_id.encode() not in body_text


def test_a_notifier_started_again_repeats_nothing(world: World) -> None:
    world.subscribe(watch=(world.rep,))
    initiate(world.store, _listing(world), "清丰县人民法院", TODAY, (), world.rules)
    first = world.run()
    # Its place is lost (as if it died before recording it): the same events, the same ids, not again.
    world.notices.set_state({"cursor": "0"})
    assert world.run() == []
    assert len(first) == 1


def test_a_subscription_hears_nothing_once_its_key_is_revoked(world: World, tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys.sqlite3")
    key_id, _ = keys.create("agency", "县市场监管局", department="县市场监管局")
    world.notifier.lapsed = keys.lapsed
    sub = world.subscribe(watch=(world.rep,))
    made = world.notices.get(sub.id).model_copy(update={"key_id": key_id})
    world.notices.update(made)
    initiate(world.store, _listing(world), "清丰县人民法院", TODAY, (), world.rules)
    assert len(world.run()) == 1
    keys.revoke(key_id)
    transition(world.store, _listing(world).entry_id, "revoked", "清丰县人民法院", TODAY, reason="认定错误")
    assert world.run() == []
    keys.close()


def test_a_notice_of_a_batch_names_only_its_own_entries_in_its_cause(world: World) -> None:
    companies = [f.enterprise(300 + n) for n in range(3)]
    world.store.upsert_enterprises(companies)
    world.subscribe(watch=tuple(companies))
    days = {"listed_on": TODAY - timedelta(days=30), "expires_on": TODAY + timedelta(days=700)}
    entries = [f.entry(c, f"(2026)豫0922执{300 + n}号", **days) for n, c in enumerate(companies)]
    world.store.upsert_entries(entries)  # one loader batch: one change naming the three entries
    bodies = world.run()
    assert len(bodies) == 3
    for body in bodies:
        mine = next(e.entry_id for e in entries if e.subject_key == body["subject"]["key"])
        assert body["cause"]["kind"] == "entries_recorded" and body["cause"]["entry_ids"] == [mine]
