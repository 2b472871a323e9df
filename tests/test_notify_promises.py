"""The promises of docs/notifications.md read as hostile tests, on both backends: a notice names no entry
its subscriber could not read, however the change that made it came (a loader's batch, a day's passing);
days missed are each told once, on their own day, in order and as known when they began; a listing
revoked before its day is never told as in force."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph_service.engine.lifecycle import initiate, transition
from graph_service.identifiers import build_id_number, build_uscc, mask_id_number
from graph_service.model import Enterprise, ListEntry
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.notify_world import TODAY, World, make_world


@pytest.fixture
def world(store: GraphStore, tmp_path: Path) -> Iterator[World]:
    w = make_world(store, tmp_path)
    yield w
    w.close()


def _entry(subject: Enterprise, decision: str, listed: int, expires: int, **kw: object) -> ListEntry:
    """A court listing of the subject, its days counted from today."""
    return f.entry(subject, decision, listed_on=TODAY + timedelta(days=listed),
                   conduct_date=TODAY - timedelta(days=60), expires_on=TODAY + timedelta(days=expires),
                   **kw)  # fmt: skip


def _standing(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in bodies if b["type"] == "standing.changed"]


def test_no_notice_names_an_entry_of_a_class_its_subscriber_cannot_read(world: World) -> None:
    watcher = world.subscribe(watch=(world.company,))
    world.subscribe(kind="lists", domains=("court",))
    shared = _entry(world.company, "(2026)豫0922执11号", -30, 1, disclosure="government")
    hidden = _entry(world.company, "(2026)豫0922执12号", -30, 1, disclosure="authorized")
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


def test_three_days_missed_are_each_told_once_on_their_own_day_in_order(world: World) -> None:
    third = f.enterprise(3)
    world.store.upsert_enterprises([third])
    subjects = (world.company, world.other, third)
    watcher = world.subscribe(watch=subjects)
    world.subscribe(kind="lists", domains=("court",))
    for n, subject in enumerate(subjects, 1):
        world.store.upsert_entries([_entry(subject, f"(2026)豫0922执2{n}号", -30, n)])
    assert len(_standing(world.run())) == 3
    world.clock.days_on(3)  # the service was down for three days
    bodies = world.run()
    days = [(TODAY + timedelta(days=n)).isoformat() for n in (1, 2, 3)]
    told = [(b["as_of"], b["subject"]["key"], b["after"]["restricted"]) for b in _standing(bodies)]
    assert told == [(day, s.uscc, False) for day, s in zip(days, subjects, strict=True)]
    assert all(b["subscription"] == watcher.id for b in _standing(bodies))
    expired = [(b["as_of"], b["event"]) for b in bodies if b["type"] == "entry.changed"]
    assert expired == [(day, "expired") for day in days]
    assert world.run() == []
    world.clock.days_on(1)
    assert world.run() == []


def test_a_listing_revoked_before_its_day_is_never_told_as_in_force(world: World) -> None:
    world.subscribe(watch=(world.company, world.rep))
    lists = world.subscribe(kind="lists", domains=("court",))
    entry = _entry(world.company, "(2026)豫0922执31号", 2, 700)
    world.store.upsert_entries([entry])
    transition(world.store, entry.entry_id, "revoked", "清丰县人民法院", TODAY, reason="认定错误")
    bodies = world.run()
    assert _standing(bodies) == []
    assert [(b["event"], b["subscription"]) for b in bodies] == [
        ("recorded", lists.id),
        ("revoked", lists.id),
    ]
    for _ in range(3):
        world.clock.days_on(1)
        assert world.run() == []


def test_days_missed_are_told_as_known_when_they_began_and_before_the_changes_after_them(
    world: World,
) -> None:
    watcher = world.subscribe(watch=(world.company, world.other))
    lists = world.subscribe(kind="lists", domains=("court",))
    world.make()  # the notifier's place: the end of the log, today
    back = TODAY - timedelta(days=3)
    for sub in (watcher, lists):
        world.notices.update(world.notices.get(sub.id).model_copy(update={"from_day": back.isoformat()}))
    world.notices.set_state({"day": back.isoformat()})  # as if it had been down since
    # Loaded today: an entry that had already expired yesterday, and one in force since yesterday.
    late = _entry(world.company, "(2026)豫0922执41号", -30, -1)
    recent = _entry(world.other, "(2026)豫0922执42号", -1, 700)
    world.store.upsert_entries([late])
    world.store.upsert_entries([recent])
    bodies = world.run()
    # Yesterday's beginning knew of neither: the only change of standing is the one today's load made,
    # told once (not a second time as of yesterday, after it), and no lift of what was never told.
    told = [(b["subject"]["key"], b["as_of"], b["after"]["restricted"]) for b in _standing(bodies)]
    assert told == [(world.other.uscc, TODAY.isoformat(), True)]
    events = [
        (b["entry"]["entry_id"], b["event"], b["as_of"]) for b in bodies if b["type"] == "entry.changed"
    ]
    assert events == [
        (late.entry_id, "recorded", TODAY.isoformat()),
        (recent.entry_id, "recorded", TODAY.isoformat()),
    ]


def test_an_enterprise_whose_uscc_is_all_digits_is_named_in_its_notices(world: World) -> None:
    # Many enterprises registered before 2015 kept an organisation code of digits; about a third of their
    # USCCs are then 18 digits, the shape of an ID number. The notice must still say which enterprise.
    digits = build_uscc("9", "1", "410922", "70000002")
    assert digits.isdigit()
    number = build_id_number("410922", date(1970, 1, 1), 9)
    company = f.enterprise(1, uscc=digits, name=f"清丰县老字号有限公司（原法人证件{number}）")
    world.store.upsert_enterprises([company])
    world.subscribe(watch=(company,))
    world.subscribe(kind="lists", domains=("court",))
    entry = _entry(company, "(2026)豫0922执61号", -30, 700)
    world.store.upsert_entries([entry])
    bodies = world.run()
    (standing,) = _standing(bodies)
    assert standing["subject"]["key"] == digits
    (listed,) = [b for b in bodies if b["type"] == "entry.changed"]
    assert listed["entry"]["subject"]["key"] == digits
    text = json.dumps(bodies, ensure_ascii=False)
    assert number not in text and mask_id_number(number) in text  # one in free text stays masked


def test_two_subscriptions_posting_to_one_endpoint_each_get_their_notice(world: World) -> None:
    # One department, one endpoint: its watch list and the measure it applies both hear of the listing.
    watch = world.subscribe(watch=(world.company,))
    applies = world.subscribe(kind="measures", measures=("high_consumption_restriction",))
    courts = world.subscribe(kind="lists", domains=("court",))
    cases = world.subscribe(kind="lists", list_types=("court_dishonest_debtor",))
    initiate(world.store, _entry(world.company, "(2026)豫0922执71号", -30, 700), "清丰县人民法院", TODAY, (),
             world.rules)  # fmt: skip
    bodies = world.run()
    about_company = [
        b for b in bodies if b["type"] == "entry.changed" or b["subject"]["key"] == world.company.uscc
    ]
    assert {b["subscription"] for b in about_company} == {watch.id, applies.id, courts.id, cases.id}
    # The documented handler keeps the first notice of each webhook-id and answers 200 to the rest: what
    # it would drop must be the same notice again, never another subscription's.
    kept: dict[str, dict[str, Any]] = {}
    for request in world.receiver.accepted():
        kept.setdefault(request.headers["webhook-id"], request.json)
    assert sorted(b["subscription"] for b in kept.values()) == sorted(b["subscription"] for b in bodies)
    feed = world.feed()
    assert len({n.event_id for n in feed}) == len(feed)
