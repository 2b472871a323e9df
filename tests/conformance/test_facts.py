"""The facts a check, an affected query and a credit record are decided from, each in one store call, on
every backend: the same as the store's own methods composed (GraphStore's defaults), and as the domain
says (roles on the reference day, as known at a moment, named responsible persons, what lies near)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest

from graph_service.domain.associated import near_entries
from graph_service.engine.decisions import ASSOCIATED_HOPS, ASSOCIATED_LIMIT, covers_of
from graph_service.model import RoleType
from graph_service.rules import load_rules
from graph_service.store.base import CheckFacts, GraphStore
from tests import factories as f

R = RoleType
COVERS = covers_of(load_rules())
DAY = date(2024, 6, 30)


def graph(store: GraphStore) -> dict[str, object]:
    """A company whose legal representative changed on 2021-07-01, listed for conduct before that and
    naming the new one; the owner also heads a second listed company; the finance manager is listed."""
    a, b, parent = f.enterprise(1), f.enterprise(2), f.enterprise(3)
    old, new, fin, owner = f.person(1, "张建国"), f.person(2, "李志强"), f.person(3, "王丽娟"), f.person(4)
    store.upsert_enterprises([a, b, parent])
    store.upsert_persons([old, new, fin, owner])
    store.upsert_roles(
        [
            f.role(R.LEGAL_REPRESENTATIVE_OF, old, a, date(2015, 3, 1), date(2021, 7, 1)),
            f.role(R.LEGAL_REPRESENTATIVE_OF, new, a, date(2021, 7, 1)),
            f.role(R.SENIOR_MANAGER_OF, fin, a, date(2018, 1, 1), position="财务负责人"),
            f.role(R.SHAREHOLDER_OF, parent, a, date(2015, 3, 1), ratio=0.7),
            f.role(R.SHAREHOLDER_OF, owner, a, date(2015, 3, 1), ratio=0.3),
            f.role(R.LEGAL_REPRESENTATIVE_OF, owner, b, date(2019, 1, 1)),
        ]
    )
    court = f.entry(
        a,
        "(2024)豫0922执7号",
        named=((new, "法定代表人"),),
        conduct_date=date(2021, 3, 1),
        listed_on=date(2024, 3, 15),
        expires_on=date(2027, 3, 15),
    )
    tax = f.entry(
        b,
        "(2024)豫0922执8号",
        listed_on=date(2024, 1, 10),
        expires_on=date(2027, 1, 10),
    )
    fined = f.entry(
        fin,
        "(2024)豫0922执9号",
        listed_on=date(2024, 2, 1),
        expires_on=date(2027, 2, 1),
        disclosure="government",
    )
    store.upsert_entries([court, tax, fined])
    return {"a": a, "b": b, "parent": parent, "old": old, "new": new, "fin": fin, "owner": owner,
            "court": court, "tax": tax, "fined": fined}  # fmt: skip


def composed(store: GraphStore, *args: object, **kw: object) -> CheckFacts:
    """The same question answered by the contract's default, from the backend's other methods."""
    return GraphStore.check_facts(store, *args, **kw)  # type: ignore[arg-type]


def test_check_facts_are_the_reach_rows_their_entries_and_the_names(store: GraphStore) -> None:
    g = graph(store)
    a, old, new = g["a"].uscc, g["old"].person_key, g["new"].person_key  # type: ignore[attr-defined]
    subjects = [("enterprise", a), ("person", old), ("person", new), ("person", "P" + "0" * 32)]
    facts = store.check_facts(subjects, COVERS, DAY)  # type: ignore[arg-type]
    assert facts == composed(store, subjects, COVERS, DAY)
    court = g["court"].entry_id  # type: ignore[attr-defined]
    assert facts.rows == store.reaching_many(subjects, COVERS, DAY)  # type: ignore[arg-type]
    by_subject = {(r.reached_key, r.via, r.reference) for r in facts.rows if r.entry_id == court}
    # The old representative is reached for the conduct of 2021-03-01, by the role that ended since;
    # the new one as named, and as representative now.
    assert by_subject == {(a, "subject", None), (old, "role", "conduct_date"),
                          (new, "named_responsible", None), (new, "role", "current")}  # fmt: skip
    [ended] = [r for r in facts.rows if r.reached_key == old]
    assert (ended.role, ended.valid_from, ended.valid_to, ended.reference_date) == (
        "LEGAL_REPRESENTATIVE_OF",
        date(2015, 3, 1),
        date(2021, 7, 1),
        date(2021, 3, 1),
    )
    [named] = [r for r in facts.rows if r.via == "named_responsible"]
    assert named.role == "法定代表人"
    assert set(facts.entries) == {court}
    assert [n.name for n in facts.entries[court].named_responsible] == ["李志强"]
    assert set(facts.persons) == {old, new} and set(facts.enterprises) == {a}
    assert facts.persons[old].name == "张建国"
    assert facts.nearby == []


def test_check_facts_near_the_subject_are_the_black_entries_and_their_distances(store: GraphStore) -> None:
    g = graph(store)
    a = g["a"].uscc  # type: ignore[attr-defined]
    subjects = [("enterprise", a), ("enterprise", f.uscc(404))]
    facts = store.check_facts(subjects, COVERS, DAY, None, ASSOCIATED_HOPS, ASSOCIATED_LIMIT)  # type: ignore[arg-type]
    assert facts == composed(store, subjects, COVERS, DAY, None, ASSOCIATED_HOPS, ASSOCIATED_LIMIT)
    [here, unknown] = facts.nearby
    assert (unknown.key, unknown.entries) == (f.uscc(404), None)
    assert here.entries is not None and here.key == a
    ids = {g[k].entry_id: k for k in ("court", "tax", "fined")}  # type: ignore[attr-defined]
    # Its own entry names it (1); the finance manager's names a holder of its role (2); the owner's other
    # company's is one more role edge away (3).
    assert [(ids[n.entry_id], n.distance) for n in here.entries] == [("court", 1), ("fined", 2), ("tax", 3)]
    assert set(facts.entries) == set(ids)  # the near ones with the reaching one
    # The same entries at the same distances as domain.associated finds them in the neighbourhood.
    hood = store.neighbourhood("enterprise", a, ASSOCIATED_HOPS, ASSOCIATED_LIMIT, DAY)
    assert hood is not None
    walked = near_entries(hood, ("enterprise", a), ASSOCIATED_HOPS)
    assert {i: n.distance for i, n in walked.items()} == {n.entry_id: n.distance for n in here.entries}
    # Their listed subjects are named, for the answer to show them.
    assert g["fin"].person_key in facts.persons and g["b"].uscc in facts.enterprises  # type: ignore[attr-defined]
    # Only roles holding on the day are walked: before the owner headed B, B's entry is not near.
    early = store.check_facts(subjects[:1], COVERS, date(2018, 6, 1), None, 3, 300)  # type: ignore[arg-type]
    assert early == composed(store, subjects[:1], COVERS, date(2018, 6, 1), None, 3, 300)
    assert [ids[n.entry_id] for n in early.nearby[0].entries or []] == ["court", "fined"]
    # Two hops reach one role edge out; the limit keeps the nearest.
    two = store.check_facts(subjects[:1], COVERS, DAY, None, 2, 2)  # type: ignore[arg-type]
    assert two == composed(store, subjects[:1], COVERS, DAY, None, 2, 2)
    assert [ids[n.entry_id] for n in two.nearby[0].entries or []] == ["court", "fined"]
    one = store.check_facts(subjects[:1], COVERS, DAY, None, 3, 1)  # type: ignore[arg-type]
    assert [ids[n.entry_id] for n in one.nearby[0].entries or []] == ["court"]
    # A caller who may not see a disclosure class is not shown its entries.
    hidden = store.check_facts(subjects[:1], COVERS, DAY, None, 3, 300, classes=["public"])  # type: ignore[arg-type]
    assert hidden == composed(store, subjects[:1], COVERS, DAY, None, 3, 300, classes=["public"])
    assert [ids[n.entry_id] for n in hidden.nearby[0].entries or []] == ["court", "tax"]


def test_check_facts_as_known_at_a_moment(store: GraphStore) -> None:
    g = graph(store)
    a = g["a"].uscc  # type: ignore[attr-defined]
    deputy = f.person(5, "赵一鸣")
    store.upsert_persons([deputy])
    store.upsert_roles([f.role(R.LEGAL_REPRESENTATIVE_OF, deputy, g["a"], date(2019, 1, 1))])  # type: ignore[arg-type]
    time.sleep(0.002)
    moment = datetime.now(UTC)
    time.sleep(0.002)
    later = f.entry(g["a"], "(2024)豫0922执10号", listed_on=date(2024, 5, 1), expires_on=date(2027, 5, 1))  # type: ignore[arg-type]
    store.upsert_entries([later])
    # The deputy's role is learnt, after the moment, to have ended in 2020.
    ended = f.role(R.LEGAL_REPRESENTATIVE_OF, deputy, g["a"], date(2019, 1, 1), date(2020, 1, 1))  # type: ignore[arg-type]
    store.upsert_roles([ended])
    subjects = [("enterprise", a), ("person", deputy.person_key)]
    now = store.check_facts(subjects, COVERS, DAY)  # type: ignore[arg-type]
    then = store.check_facts(subjects, COVERS, DAY, moment)  # type: ignore[arg-type]
    assert now == composed(store, subjects, COVERS, DAY)
    assert then == composed(store, subjects, COVERS, DAY, moment)
    assert later.entry_id in now.entries and later.entry_id not in then.entries
    assert not [r for r in now.rows if r.reached_key == deputy.person_key]
    as_then = {(r.reference, r.valid_to) for r in then.rows if r.reached_key == deputy.person_key}
    assert as_then == {("conduct_date", None), ("current", None)}  # open then, on both days


def test_affected_facts_are_the_reach_of_the_entries_with_names(store: GraphStore) -> None:
    g = graph(store)
    court = g["court"].entry_id  # type: ignore[attr-defined]
    facts = store.affected_facts([court, "missing"], COVERS, DAY)
    assert facts == GraphStore.affected_facts(store, [court, "missing"], COVERS, DAY)
    assert facts.rows == store.reach(COVERS, DAY, [court])
    assert {(r.reached_kind, r.reached_key) for r in facts.rows} == {
        ("enterprise", g["a"].uscc),  # type: ignore[attr-defined]
        ("person", g["old"].person_key),  # type: ignore[attr-defined]
        ("person", g["new"].person_key),  # type: ignore[attr-defined]
    }
    assert set(facts.entries) == {court}
    assert set(facts.persons) == {g["old"].person_key, g["new"].person_key}  # type: ignore[attr-defined]
    assert set(facts.enterprises) == {g["a"].uscc}  # type: ignore[attr-defined]
    assert store.affected_facts([], COVERS, DAY).rows == []


def test_record_facts_add_the_subjects_entries_and_their_events(store: GraphStore) -> None:
    from graph_service.engine.lifecycle import transition

    g = graph(store)
    new, court = g["new"].person_key, g["court"].entry_id  # type: ignore[attr-defined]
    transition(store, court, "objection_filed", "法院", date(2024, 5, 1), reason="异议申请")
    facts = store.record_facts("person", new, COVERS, DAY, None, 3, 300)
    assert facts == GraphStore.record_facts(store, "person", new, COVERS, DAY, None, 3, 300)
    assert [(link.entry.entry_id, link.relation, link.role) for link in facts.links] == [
        (court, "named_responsible", "法定代表人")
    ]
    assert [e.event for e in facts.events[court]] == ["objection_filed"]
    assert facts.rows == store.reaching("person", new, COVERS, DAY)


def test_near_hops_out_of_range_are_refused(store: GraphStore) -> None:
    with pytest.raises(ValueError, match="hops"):
        store.check_facts([("person", "P" + "0" * 32)], COVERS, DAY, None, 4, 300)
