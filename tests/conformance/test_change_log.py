"""The change log (the notifications' outbox) on every backend: each write that changed records leaves one
change naming exactly those records, stamped with the moment the records were stamped with; a write that
changed nothing leaves none; a batch that fails leaves none; the numbering goes on after clear()."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from graph_service.engine.lifecycle import initiate, transition
from graph_service.model import RoleType
from graph_service.rules import load_rules
from graph_service.store.base import GraphStore, MissingReferenceError, RoleChange
from tests import factories as f


def _seed(store: GraphStore) -> None:
    store.upsert_enterprises([f.enterprise(1), f.enterprise(2)])
    store.upsert_persons([f.person(1), f.person(2)])


def test_roles_entries_and_events_are_logged_with_their_stamps(store: GraphStore) -> None:
    _seed(store)
    start = store.last_change()
    assert store.changes_after(start) == []  # enterprises and persons alone alter nobody's standing
    a, b = f.person(1), f.person(2)
    company = f.enterprise(1)
    rep = f.role(RoleType.LEGAL_REPRESENTATIVE_OF, a, company)
    director = f.role(RoleType.DIRECTOR_OF, b, company)
    assert store.upsert_roles([rep, director]).created == 2
    listing = f.entry(company, listed_on=date(2026, 1, 5), expires_on=date(2029, 1, 5))
    store.upsert_entries([listing])
    changes = store.changes_after(start)
    assert [c.kind for c in changes] == ["roles", "entries"]
    assert [c.seq for c in changes] == [start + 1, start + 2]
    assert changes[0].roles == tuple(
        sorted(
            [
                RoleChange(role_id=rep.role_id, holder_kind="person", holder_key=a.person_key),
                RoleChange(role_id=director.role_id, holder_kind="person", holder_key=b.person_key),
            ],
            key=lambda r: r.role_id,
        )
    )
    assert changes[1].entry_ids == (listing.entry_id,)
    # The change's moment is the one its records carry: the store as known just before it lacks them.
    stored = store.get_entry(listing.entry_id)
    assert stored is not None and stored.recorded_at == changes[1].at
    held = store.roles_of_enterprise(company.uscc)
    assert {r.recorded_at for r in held} == {changes[0].at}
    assert store.last_change() == start + 2

    # The same rows again change nothing, and log nothing.
    assert store.upsert_roles([rep, director]).unchanged == 2
    store.upsert_entries([listing])
    assert store.last_change() == start + 2

    # Ending one role logs that role only, at the moment its end was learnt.
    ended = rep.model_copy(update={"valid_to": date(2026, 6, 1)})
    store.upsert_roles([ended, director])
    (change,) = store.changes_after(start + 2)
    assert change.kind == "roles" and [r.role_id for r in change.roles] == [rep.role_id]
    again = {r.role_id: r for r in store.roles_of_enterprise(company.uscc)}
    assert again[rep.role_id].end_recorded_at == change.at


def test_life_cycle_events_are_logged_with_their_name(store: GraphStore) -> None:
    _seed(store)
    rules = load_rules()
    start = store.last_change()
    listing = f.entry(f.enterprise(2), listed_on=date(2026, 1, 5), expires_on=date(2029, 1, 5))
    initiate(store, listing, "县法院", date(2026, 1, 5), ("县市场监管局",), rules)
    transition(store, listing.entry_id, "objection_filed", "县法院", date(2026, 2, 1), reason="异议")
    changes = store.changes_after(start)
    assert [(c.kind, c.event, c.entry_ids) for c in changes] == [
        ("event", "initiated", (listing.entry_id,)),
        ("event", "pushed", (listing.entry_id,)),
        ("event", "objection_filed", (listing.entry_id,)),
    ]
    events = store.events_of_entry(listing.entry_id)
    assert [c.at for c in changes] == [e.recorded_at for e in events]


def test_a_refused_batch_logs_nothing(store: GraphStore) -> None:
    _seed(store)
    start = store.last_change()
    stranger = f.enterprise(99)  # never stored
    with pytest.raises(MissingReferenceError):
        store.upsert_roles([f.role(RoleType.DIRECTOR_OF, f.person(1), stranger)])
    with pytest.raises(MissingReferenceError):
        store.upsert_entries([f.entry(stranger)])
    assert store.last_change() == start and store.changes_after(start) == []


def test_the_numbering_goes_on_after_clear_and_pages_are_kept(store: GraphStore) -> None:
    _seed(store)
    for n in range(1, 6):
        store.upsert_roles(
            [f.role(RoleType.DIRECTOR_OF, f.person(1), f.enterprise(1), valid_from=date(2015, n, 1))]
        )
    last = store.last_change()
    assert [c.seq for c in store.changes_after(last - 5, limit=2)] == [last - 4, last - 3]
    store.clear()
    assert store.last_change() == last and store.changes_after(0) == []
    _seed(store)
    store.upsert_roles([f.role(RoleType.DIRECTOR_OF, f.person(2), f.enterprise(2))])
    assert [c.seq for c in store.changes_after(0)] == [last + 1]


def test_entries_turning_on_a_day(store: GraphStore) -> None:
    _seed(store)
    soon = f.entry(
        f.enterprise(1), "(2026)豫0922执9号", listed_on=date(2026, 12, 10), expires_on=date(2029, 12, 10)
    )
    ending = f.entry(
        f.enterprise(2), "(2023)豫0922执8号", listed_on=date(2023, 12, 1), expires_on=date(2026, 12, 10)
    )
    store.upsert_entries([soon, ending])
    assert store.entries_turning_on(date(2026, 12, 10)) == sorted([soon.entry_id, ending.entry_id])
    assert store.entries_turning_on(date(2023, 12, 1)) == [ending.entry_id]
    assert store.entries_turning_on(date(2026, 12, 9)) == []
    # A repair ends counting on its day: the day is found from the entry's history.
    transition(store, ending.entry_id, "repaired", "县法院", date(2026, 3, 2), method="rectification")
    assert store.entries_turning_on(date(2026, 3, 2)) == [ending.entry_id]
    assert store.entries_turning_on(date(2026, 12, 10)) == [soon.entry_id]
    assert datetime.now(UTC) >= store.changes_after(0)[-1].at
