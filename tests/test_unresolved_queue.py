"""The queue of unresolved references through its real path, on both backends: a list load queues what it
cannot resolve with the candidates and why; a decision changes the store at once, is kept for later loads
of the same source, and is undone through the entry's life cycle."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from graph_service.engine import Engine
from graph_service.model import entry_id_for
from graph_service.rules import load_rules
from graph_service.store.base import GraphStore
from graph_service.unresolved.apply import AlreadyDecided, Decisions, InvalidDecision, UnknownReference
from graph_service.unresolved.queue import UnresolvedQueue
from graph_service.unresolved.references import EntryNamed, EntrySubject, QueuedReference, Status
from loaders.common import disagreement, visible
from tests import factories as f
from tests.unresolved_world import (
    COURT_AUTHORITY,
    COURT_DECISION,
    TAX_AUTHORITY,
    TAX_DECISION,
    World,
    build,
    full_id_numbers,
    load,
    masked,
)


@pytest.fixture
def world(store: GraphStore, tmp_path: Path) -> World:
    return build(store, tmp_path)


def only(queue: UnresolvedQueue, status: Status | None = None) -> list[QueuedReference]:
    page, _ = queue.page(status, None)
    return [r for r in (queue.get(p.id) for p in page) if r is not None]


def test_the_reasons_say_which_visible_character_differs() -> None:
    person = f.person(7)
    number = person.id_number or ""
    assert disagreement(masked(number), person) is None
    wrong = number[:14] + ("0" if number[14] != "0" else "1") + number[15:]
    assert disagreement(masked(wrong), person) == f"visible character 15 is {wrong[14]}, stored {number[14]}"
    # A character the stored person's own masked number hides is not told.
    shows_more = number[:6] + "*" * 8 + ("0" if number[14] != "0" else "1") + number[15:]
    inner = number[:5] + ("0" if number[5] != "0" else "1") + "*" * 8 + number[14:]
    assert (
        disagreement(shows_more, person) == f"visible character 15 is {shows_more[14]}, stored {number[14]}"
    )
    assert disagreement(inner, person) == f"visible character 6 is {inner[5]}, the stored one differs"
    assert disagreement("4109****1234", person) == "the number has 12 characters, the stored one 18"
    assert visible("4109**********1234") == "4109…1234"


def test_a_masked_subject_two_persons_fit_is_queued_with_both_and_why(
    store: GraphStore, world: World, tmp_path: Path
) -> None:
    queue_path = tmp_path / "unresolved.sqlite"
    report = load(store, "court", world.court_file, tmp_path, queue_path)
    assert report.counters.held == 1
    with UnresolvedQueue(queue_path) as queue:
        [ref] = only(queue)
    assert (
        ref.status == "open" and ref.source == "court_enforcement" and ref.file_name == world.court_file.name
    )
    assert ref.row == 2 and ref.field == "身份证号码/组织机构代码" and ref.name == "张伟"
    assert ref.masked == masked(world.one.id_number) and "ambiguous" in ref.reason
    by_key = {c.person_key: c for c in ref.candidates}
    assert set(by_key) == {world.one.person_key, world.two.person_key, world.other.person_key}
    shown = visible(masked(world.one.id_number))
    for fitting in (world.one, world.two):
        c = by_key[fitting.person_key]
        assert c.fits and c.why == f"same name; visible characters {shown} agree"
        assert c.masked == masked(fitting.id_number)
    misfit = by_key[world.other.person_key]
    assert not misfit.fits and misfit.why.startswith("same name; visible character 15 is ")
    assert isinstance(ref.target, EntrySubject)
    assert ref.target.entry["decision_number"] == COURT_DECISION and ref.target.entry["status"] == "active"
    assert "subject_key" not in ref.target.entry
    assert full_id_numbers(queue_path, queue_path.with_name(queue_path.name + "-wal")) == []


def test_resolve_creates_the_entry_a_reload_keeps_it_undo_revokes_it(
    store: GraphStore, world: World, tmp_path: Path
) -> None:
    queue_path = tmp_path / "unresolved.sqlite"
    load(store, "court", world.court_file, tmp_path, queue_path)
    entry_id = entry_id_for(COURT_AUTHORITY, COURT_DECISION, world.two.person_key)
    with UnresolvedQueue(queue_path) as queue:
        [ref] = only(queue)
        outcome = Decisions(queue, store).resolve(ref.id, world.two.person_key, "王科长", "法院回函确认")
    assert outcome.reference.status == "resolved" and outcome.reference.person_key == world.two.person_key
    assert (
        outcome.decision.was_candidate and outcome.decision.changed and entry_id in outcome.decision.applied
    )
    entry = store.get_entry(entry_id)
    assert entry is not None and entry.subject_key == world.two.person_key and entry.status == "active"
    check = Engine(store, load_rules()).check("person", world.two.person_key, date.today())
    assert check.restricted and entry_id in {r.entry.entry_id for r in check.reasons}
    assert not Engine(store, load_rules()).check("person", world.one.person_key, date.today()).restricted

    again = load(store, "court", world.court_file, tmp_path, queue_path)
    assert again.counters.held == 0 and again.counters.unresolved == 0
    assert again.counters.results["entries"].unchanged == 1 and again.changed == 0
    with UnresolvedQueue(queue_path) as queue:
        assert only(queue, "open") == [] and len(only(queue)) == 1
        undone = Decisions(queue, store).undo(ref.id, "王科长", "回函有误")
    assert undone.reference.status == "undone" and undone.decision.changed
    entry = store.get_entry(entry_id)
    assert entry is not None and entry.status == "revoked"
    [event] = [e for e in store.events_of_entry(entry_id) if e.event == "revoked"]
    assert event.actor == "王科长" and ref.id in event.reason and "回函有误" in event.reason
    assert not Engine(store, load_rules()).check("person", world.two.person_key, date.today()).restricted

    # Undone: the next load holds the entry back again, queues nothing new, and the entry stays ended.
    third = load(store, "court", world.court_file, tmp_path, queue_path)
    assert third.counters.held == 1
    with UnresolvedQueue(queue_path) as queue:
        [held] = only(queue)
        assert held.status == "undone" and len(held.decisions) == 2
        # Decided again, on the other candidate: a second entry; the revoked one is left as it is.
        redo = Decisions(queue, store).resolve(ref.id, world.one.person_key, "王科长", "复核")
    assert redo.reference.status == "resolved"
    assert store.get_entry(entry_id_for(COURT_AUTHORITY, COURT_DECISION, world.one.person_key)) is not None
    revoked = store.get_entry(entry_id)
    assert revoked is not None and revoked.status == "revoked"


def test_a_named_person_resolved_joins_the_entry_where_the_row_names_him(
    store: GraphStore, world: World, tmp_path: Path
) -> None:
    queue_path = tmp_path / "unresolved.sqlite"
    report = load(store, "list", world.tax_file, tmp_path, queue_path)
    assert report.counters.held == 0 and report.counters.unresolved == 2
    entry_id = entry_id_for(TAX_AUTHORITY, TAX_DECISION, world.company.uscc)
    entry = store.get_entry(entry_id)
    assert entry is not None
    assert [n.person_key for n in entry.named_responsible] == [world.boss.person_key, world.clerk.person_key]
    with UnresolvedQueue(queue_path) as queue:
        refs = {r.name: r for r in only(queue)}
    li, qian = refs["李四"], refs["钱七"]
    assert (
        isinstance(li.target, EntryNamed)
        and li.target.entry_id == entry_id
        and li.target.role == "财务负责人"
    )
    assert li.enterprise == world.company.uscc and "ambiguous" in li.reason
    whys = {c.person_key: c.why for c in li.candidates}
    assert whys[world.finance.person_key].endswith(f"agree; holds 董事 in {world.company.uscc}")
    assert whys[world.namesake.person_key].endswith(f"agree; holds 监事 in {world.company.uscc}")
    assert qian.candidates == () and "no person named 钱七" in qian.reason

    with UnresolvedQueue(queue_path) as queue:
        decisions = Decisions(queue, store)
        done = decisions.resolve(li.id, world.finance.person_key, "王科长", "稽查报告载明")
        decisions.reject(qian.id, "王科长", "系外单位人员，库中无此人")
    assert done.decision.was_candidate
    entry = store.get_entry(entry_id)
    assert entry is not None
    named = [(n.person_key, n.role) for n in entry.named_responsible]
    assert named == [
        (world.boss.person_key, "法定代表人"),
        (world.finance.person_key, "财务负责人"),
        (world.clerk.person_key, "直接责任人员"),
    ]
    affected = Engine(store, load_rules()).affected([entry_id], date.today()).affected
    reached = {a.subject.key for a in affected if any(r.rule.via == "named_responsible" for r in a.reasons)}
    assert world.finance.person_key in reached

    # A reload: the decision is used, the rejected one stays out and unresolved, nothing is queued again.
    again = load(store, "list", world.tax_file, tmp_path, queue_path)
    assert again.changed == 0 and again.counters.unresolved == 1
    with UnresolvedQueue(queue_path) as queue:
        assert only(queue, "open") == [] and len(only(queue)) == 2
        rejected = queue.get(qian.id)
        assert rejected is not None and rejected.status == "rejected"
        undone = Decisions(queue, store).undo(li.id, "王科长", "误选")
    assert undone.decision.changed
    entry = store.get_entry(entry_id)
    assert entry is not None
    assert [n.person_key for n in entry.named_responsible] == [world.boss.person_key, world.clerk.person_key]


def test_an_entry_named_decision_keeps_the_entrys_life(
    store: GraphStore, world: World, tmp_path: Path
) -> None:
    from graph_service.engine.lifecycle import transition

    queue_path = tmp_path / "unresolved.sqlite"
    load(store, "list", world.tax_file, tmp_path, queue_path)
    entry_id = entry_id_for(TAX_AUTHORITY, TAX_DECISION, world.company.uscc)
    transition(store, entry_id, "objection_filed", "清丰县某公司", date.today(), reason="已补缴")
    with UnresolvedQueue(queue_path) as queue:
        li = next(r for r in only(queue) if r.name == "李四")
        Decisions(queue, store).resolve(li.id, world.namesake.person_key, "王科长", "核实")
    entry = store.get_entry(entry_id)
    assert (
        entry is not None
        and entry.status == "under_objection"
        and entry.history[-1].event == "objection_filed"
    )
    assert world.namesake.person_key in {n.person_key for n in entry.named_responsible}


def test_bad_decisions_are_refused_naming_the_field(store: GraphStore, world: World, tmp_path: Path) -> None:
    queue_path = tmp_path / "unresolved.sqlite"
    load(store, "court", world.court_file, tmp_path, queue_path)
    stranger = f.person(99, "孙八")
    store.upsert_persons([stranger])
    with UnresolvedQueue(queue_path) as queue:
        [ref] = only(queue)
        decisions = Decisions(queue, store)
        with pytest.raises(UnknownReference, match="no unresolved reference Uffffffffff"):
            decisions.resolve("Uffffffffff", world.one.person_key, "a", "b")
        with pytest.raises(InvalidDecision) as bad:
            decisions.resolve(ref.id, "P" + "0" * 32, "a", "b")
        assert bad.value.field == "person_key" and "no person" in bad.value.reason
        with pytest.raises(InvalidDecision, match="reason: say why"):
            decisions.reject(ref.id, "a", " ")
        with pytest.raises(AlreadyDecided, match="no decision to undo"):
            decisions.undo(ref.id, "a", "b")
        # Any stored person may be chosen; the answer says he was not a candidate.
        chosen = decisions.resolve(ref.id, stranger.person_key, "a", "问询笔录")
        assert chosen.decision.was_candidate is False
        with pytest.raises(AlreadyDecided, match="undo its decision before deciding again"):
            decisions.resolve(ref.id, world.one.person_key, "a", "b")
        with pytest.raises(AlreadyDecided):
            decisions.reject(ref.id, "a", "b")
        assert queue.get(ref.id) == chosen.reference  # a refused decision leaves no trace in the queue


def test_an_id_number_in_a_reason_is_kept_masked(store: GraphStore, world: World, tmp_path: Path) -> None:
    queue_path = tmp_path / "unresolved.sqlite"
    load(store, "court", world.court_file, tmp_path, queue_path)
    load(store, "list", world.tax_file, tmp_path, queue_path)
    with UnresolvedQueue(queue_path) as queue:
        ref = only(queue)[0]
        outcome = Decisions(queue, store).reject(ref.id, "王科长", f"身份证{world.one.id_number}不符")
    assert masked(world.one.id_number) in outcome.reference.decisions[-1].reason
    files = [queue_path, queue_path.with_name(queue_path.name + "-wal")]
    assert full_id_numbers(*files) == []
