"""The store contract, run on every backend: same inputs, same answers."""

from __future__ import annotations

from datetime import date

import pytest

from graph_service.model import RoleType
from graph_service.store.base import Cover, GraphStore, MissingReferenceError, ReachRow, SearchHit
from tests import factories as f

R = RoleType


def small_graph(store: GraphStore) -> dict[str, object]:
    """Two companies, a parent, four people; a legal representative who changed on 2021-07-01."""
    a, b, parent = f.enterprise(1), f.enterprise(2), f.enterprise(3, name="清丰县控股有限公司")
    old, new, fin, owner = (
        f.person(1, "张建国"),
        f.person(2, "李志强"),
        f.person(3, "王丽娟"),
        f.person(4, "钱德润"),
    )
    store.upsert_enterprises([a, b, parent])
    store.upsert_persons([old, new, fin, owner])
    store.upsert_roles(
        [
            f.role(R.LEGAL_REPRESENTATIVE_OF, old, a, date(2015, 3, 1), date(2021, 7, 1)),
            f.role(R.LEGAL_REPRESENTATIVE_OF, new, a, date(2021, 7, 1)),
            f.role(R.SENIOR_MANAGER_OF, fin, a, date(2018, 1, 1), position="财务负责人"),
            f.role(R.SHAREHOLDER_OF, parent, a, date(2015, 3, 1), ratio=0.7),
            f.role(R.SHAREHOLDER_OF, owner, a, date(2015, 3, 1), ratio=0.3),
            f.role(R.SHAREHOLDER_OF, owner, parent, date(2010, 1, 1), ratio=1.0),
            f.role(R.LEGAL_REPRESENTATIVE_OF, new, b, date(2019, 1, 1)),
        ]
    )
    e1 = f.entry(a, "(2022)豫0922执7号", named=((new, "法定代表人"),), listed_on=date(2022, 3, 15))
    store.upsert_entries([e1])
    return {"a": a, "b": b, "parent": parent, "old": old, "new": new, "fin": fin, "owner": owner, "e1": e1}


def test_get_by_key_round_trips_every_field(store: GraphStore) -> None:
    g = small_graph(store)
    assert store.get_enterprise(g["a"].uscc) == g["a"]  # type: ignore[attr-defined]
    assert store.get_person(g["old"].person_key) == g["old"]  # type: ignore[attr-defined]
    assert f.unstamped(store.get_entry(g["e1"].entry_id)) == g["e1"]  # type: ignore[attr-defined, type-var]
    assert store.get_enterprise(f.uscc(999)) is None
    assert store.get_person("P" + "0" * 32) is None
    assert store.get_entry("missing") is None


def test_counts(store: GraphStore) -> None:
    assert store.counts()["enterprises"] == 0
    small_graph(store)
    counts = store.counts()
    assert (counts["enterprises"], counts["persons"], counts["entries"], counts["roles"]) == (3, 4, 1, 7)
    assert counts["SHAREHOLDER_OF"] == 3
    assert counts["LEGAL_REPRESENTATIVE_OF"] == 3
    assert counts["BRANCH_OF"] == 0


def test_loading_the_same_batch_twice_changes_nothing(store: GraphStore) -> None:
    g = small_graph(store)
    before = store.counts()
    again = store.upsert_enterprises([g["a"], g["b"]])  # type: ignore[list-item]
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (
        store.upsert_roles([f.role(R.LEGAL_REPRESENTATIVE_OF, g["new"], g["b"], date(2019, 1, 1))]).changed
        == 0
    )  # type: ignore[arg-type]
    assert store.upsert_entries([g["e1"]]).changed == 0  # type: ignore[list-item]
    assert store.counts() == before


def test_update_replaces_and_closing_a_role_keeps_one_edge(store: GraphStore) -> None:
    g = small_graph(store)
    renamed = g["b"].model_copy(update={"name": "清丰县新名称有限公司"})  # type: ignore[attr-defined]
    assert store.upsert_enterprises([renamed]).updated == 1
    assert store.get_enterprise(renamed.uscc).name == "清丰县新名称有限公司"  # type: ignore[union-attr]
    closed = f.role(R.LEGAL_REPRESENTATIVE_OF, g["new"], g["b"], date(2019, 1, 1), date(2024, 1, 1))  # type: ignore[arg-type]
    result = store.upsert_roles([closed])
    assert (result.created, result.updated) == (0, 1)
    roles = store.roles_of_enterprise(g["b"].uscc)  # type: ignore[attr-defined]
    assert [r.valid_to for r in roles] == [date(2024, 1, 1)]
    assert store.roles_of_enterprise(g["b"].uscc, as_of=date(2024, 1, 1)) == []  # type: ignore[attr-defined]


def test_unknown_ends_reject_the_whole_batch(store: GraphStore) -> None:
    g = small_graph(store)
    stranger = f.person(50)
    before = store.counts()
    good = f.role(R.DIRECTOR_OF, g["old"], g["b"], date(2020, 1, 1))  # type: ignore[arg-type]
    bad = f.role(R.DIRECTOR_OF, stranger, g["b"], date(2020, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(MissingReferenceError) as info:
        store.upsert_roles([good, bad])
    assert ("person", stranger.person_key) in info.value.missing
    with pytest.raises(MissingReferenceError):
        store.upsert_entries([f.entry(f.enterprise(77))])
    with pytest.raises(MissingReferenceError):
        store.upsert_entries([f.entry(g["b"], named=((stranger, "直接责任人员"),))])  # type: ignore[arg-type]
    assert store.counts() == before


def test_roles_of_enterprise_at_a_date_and_by_type(store: GraphStore) -> None:
    g = small_graph(store)
    a = g["a"].uscc  # type: ignore[attr-defined]

    def holders(day: date) -> list[str]:
        return [r.holder_key for r in store.roles_of_enterprise(a, {R.LEGAL_REPRESENTATIVE_OF}, day)]

    assert holders(date(2020, 11, 10)) == [g["old"].person_key]  # type: ignore[attr-defined]
    assert holders(date(2021, 6, 30)) == [g["old"].person_key]  # type: ignore[attr-defined]
    assert holders(date(2021, 7, 1)) == [g["new"].person_key]  # type: ignore[attr-defined]
    assert holders(date(2015, 2, 28)) == []
    all_roles = store.roles_of_enterprise(a)
    assert len(all_roles) == 5
    assert [r.type for r in all_roles] == sorted(r.type.value for r in all_roles)
    finance = store.roles_of_enterprise(a, {R.SENIOR_MANAGER_OF}, date(2017, 12, 31))
    assert finance == []
    owners = store.roles_of_enterprise(a, {R.SHAREHOLDER_OF})
    assert {(r.holder_kind, r.ratio) for r in owners} == {("enterprise", 0.7), ("person", 0.3)}


def test_roles_of_holder(store: GraphStore) -> None:
    g = small_graph(store)
    new = store.roles_of_holder("person", g["new"].person_key)  # type: ignore[attr-defined]
    assert sorted(r.enterprise for r in new) == sorted([g["a"].uscc, g["b"].uscc])  # type: ignore[attr-defined]
    assert (
        store.roles_of_holder("person", g["new"].person_key, as_of=date(2020, 1, 1))[0].enterprise
        == g["b"].uscc
    )  # type: ignore[attr-defined]
    held = store.roles_of_holder("enterprise", g["parent"].uscc, {R.SHAREHOLDER_OF})  # type: ignore[attr-defined]
    assert [r.enterprise for r in held] == [g["a"].uscc]  # type: ignore[attr-defined]
    assert store.roles_of_holder("person", "P" + "1" * 32) == []


def test_entries_of_subject_as_subject_and_as_named_person(store: GraphStore) -> None:
    g = small_graph(store)
    e1 = g["e1"]
    as_subject = store.entries_of_subject("enterprise", g["a"].uscc)  # type: ignore[attr-defined]
    assert [(link.entry.entry_id, link.relation) for link in as_subject] == [(e1.entry_id, "subject")]  # type: ignore[attr-defined]
    named = store.entries_of_subject("person", g["new"].person_key)  # type: ignore[attr-defined]
    assert [(link.relation, link.role) for link in named] == [("named_responsible", "法定代表人")]
    assert store.entries_of_subject("person", g["old"].person_key) == []  # type: ignore[attr-defined]
    # Re-listing with a different named person moves the NAMED_RESPONSIBLE edge.
    moved = e1.model_copy(update={"named_responsible": ()})  # type: ignore[attr-defined]
    store.upsert_entries([moved])
    assert store.entries_of_subject("person", g["new"].person_key) == []  # type: ignore[attr-defined]


def test_neighbourhood_hops_cap_and_dates(store: GraphStore) -> None:
    g = small_graph(store)
    a, new = g["a"].uscc, g["new"].person_key  # type: ignore[attr-defined]
    one = store.neighbourhood("enterprise", a, hops=1, limit=100)
    assert one is not None
    assert one.nodes[0].key == a and one.nodes[0].distance == 0
    keys = {(n.kind, n.key) for n in one.nodes}
    assert ("entry", g["e1"].entry_id) in keys  # type: ignore[attr-defined]
    assert ("enterprise", g["b"].uscc) not in keys  # type: ignore[attr-defined]
    assert len(one.nodes) == 7 and one.more == 0
    two = store.neighbourhood("enterprise", a, hops=2, limit=100)
    assert two is not None
    assert ("enterprise", g["b"].uscc) in {(n.kind, n.key) for n in two.nodes}  # type: ignore[attr-defined]
    capped = store.neighbourhood("enterprise", a, hops=2, limit=3)
    assert capped is not None
    assert len(capped.nodes) == 3 and capped.more == len(two.nodes) - 3
    assert [n.key for n in capped.nodes] == [n.key for n in two.nodes[:3]]
    assert all(e.source in {n.key for n in capped.nodes} for e in capped.edges)
    dated = store.neighbourhood("enterprise", a, hops=1, limit=100, as_of=date(2016, 1, 1))
    assert dated is not None
    dated_keys = {n.key for n in dated.nodes}
    assert g["old"].person_key in dated_keys  # type: ignore[attr-defined]
    assert new not in dated_keys  # legal representative only from 2021, and the entry is a hop further
    assert g["fin"].person_key not in dated_keys  # type: ignore[attr-defined]
    types = {e.type for e in one.edges}
    assert {"NAMES", "NAMED_RESPONSIBLE", "SHAREHOLDER_OF", "LEGAL_REPRESENTATIVE_OF"} <= types
    assert store.neighbourhood("enterprise", f.uscc(999)) is None


def test_neighbourhood_without_hidden_entries(store: GraphStore) -> None:
    """An entry of a class the caller may not see is not walked through, shown or counted."""
    g = small_graph(store)
    a = g["a"].uscc  # type: ignore[attr-defined]
    stranger = f.person(77)
    store.upsert_persons([stranger])
    hidden = f.entry(g["a"], "内部文号1", named=((stranger, "直接责任人员"),), disclosure="authorized")  # type: ignore[arg-type]
    store.upsert_entries([hidden])
    everything = store.neighbourhood("enterprise", a, hops=2, limit=100)
    assert everything is not None
    assert {hidden.entry_id, stranger.person_key} <= {n.key for n in everything.nodes}
    public = store.neighbourhood("enterprise", a, hops=2, limit=100, classes={"public", "government"})
    assert public is not None
    keys = {n.key for n in public.nodes}
    assert hidden.entry_id not in keys and stranger.person_key not in keys
    assert keys == {n.key for n in everything.nodes} - {hidden.entry_id, stranger.person_key}
    assert all(hidden.entry_id not in (e.source, e.target) for e in public.edges)
    capped = store.neighbourhood("enterprise", a, hops=2, limit=2, classes={"public"})
    assert capped is not None and capped.more == len(public.nodes) - 2
    from_stranger = store.neighbourhood("person", stranger.person_key, hops=2, limit=100, classes={"public"})
    assert from_stranger is not None and [n.key for n in from_stranger.nodes] == [stranger.person_key]


def test_neighbourhood_edges_carry_role_details(store: GraphStore) -> None:
    g = small_graph(store)
    hood = store.neighbourhood("person", g["owner"].person_key, hops=1)  # type: ignore[attr-defined]
    assert hood is not None
    by_target = {e.target: e for e in hood.edges}
    assert by_target[g["a"].uscc].ratio == 0.3  # type: ignore[attr-defined]
    assert by_target[g["parent"].uscc].type == "SHAREHOLDER_OF"  # type: ignore[attr-defined]
    assert by_target[g["a"].uscc].valid_from == date(2015, 3, 1)  # type: ignore[attr-defined]


def test_duplicates_within_a_batch_count_once(store: GraphStore) -> None:
    e = f.enterprise(5)
    result = store.upsert_enterprises([e, e.model_copy(update={"name": "后写者"})])
    assert result.created == 1
    assert store.get_enterprise(e.uscc).name == "后写者"  # type: ignore[union-attr]


def test_get_many(store: GraphStore) -> None:
    g = small_graph(store)
    keys = [g["old"].person_key, g["new"].person_key, "P" + "2" * 32]  # type: ignore[attr-defined]
    persons = store.get_persons(keys)
    assert sorted(persons) == sorted(keys[:2]) and persons[keys[0]] == g["old"]
    orgs = store.get_enterprises([g["a"].uscc, f.uscc(404)])  # type: ignore[attr-defined]
    assert list(orgs) == [g["a"].uscc] and orgs[g["a"].uscc] == g["a"]  # type: ignore[attr-defined]
    assert store.get_persons([]) == {} and store.get_enterprises([]) == {}


def test_meta_values_are_kept(store: GraphStore) -> None:
    assert store.get_meta("hash_key_fingerprint") is None
    store.set_meta("hash_key_fingerprint", "abc")
    store.set_meta("hash_key_fingerprint", "def")
    assert store.get_meta("hash_key_fingerprint") == "def"


def test_persons_named_and_entries_of_list(store: GraphStore) -> None:
    g = small_graph(store)
    twin = f.person(60, "张建国")
    store.upsert_persons([twin])
    named = store.persons_named("张建国")
    assert [p.person_key for p in named] == sorted([g["old"].person_key, twin.person_key])  # type: ignore[attr-defined]
    store.upsert_persons([twin.model_copy(update={"name": "张建新"})])
    assert [p.person_key for p in store.persons_named("张建国")] == [g["old"].person_key]  # type: ignore[attr-defined]
    assert store.persons_named("无此人") == []
    other = f.entry(g["b"], "(2024)豫0922执9号", source="court-2024.csv")  # type: ignore[arg-type]
    store.upsert_entries([other])
    court = store.entries_of_list("court_dishonest_debtor")
    assert [e.entry_id for e in court] == sorted([g["e1"].entry_id, other.entry_id])  # type: ignore[attr-defined]
    assert [
        f.unstamped(e) for e in store.entries_of_list("court_dishonest_debtor", source="court-2024.csv")
    ] == [other]
    assert store.entries_of_list("major_tax_violation") == []


COVERS = [
    Cover(list_type="court_dishonest_debtor", role=R.LEGAL_REPRESENTATIVE_OF, reference="current"),
    Cover(list_type="major_tax_violation", role=R.LEGAL_REPRESENTATIVE_OF, reference="conduct_date"),
    Cover(
        list_type="major_tax_violation",
        role=R.SENIOR_MANAGER_OF,
        position="财务负责人",
        reference="conduct_date",
    ),
    Cover(list_type="major_tax_violation", role=R.SHAREHOLDER_OF, reference="listing_date"),
]


def _reached(rows: list[ReachRow]) -> set[tuple[str, str, str | None]]:
    return {(r.reached_key, r.via, r.role) for r in rows}


def test_reach_follows_the_rules_and_the_reference_day(store: GraphStore) -> None:
    g = small_graph(store)
    a, old, new, fin = g["a"].uscc, g["old"].person_key, g["new"].person_key, g["fin"].person_key  # type: ignore[attr-defined]
    tax = f.entry(
        g["a"], "税稽罚〔2022〕5号", list_type="major_tax_violation", domain="tax",  # type: ignore[arg-type]
        conduct_date=date(2020, 11, 10), listed_on=date(2022, 3, 15), expires_on=date(2027, 1, 1),
    )  # fmt: skip
    store.upsert_entries([tax])
    rows = store.reach(COVERS, date(2024, 1, 1), [tax.entry_id])
    assert _reached(rows) == {
        (a, "subject", None),
        (old, "role", "LEGAL_REPRESENTATIVE_OF"),  # in post on the conduct date, left since
        (fin, "role", "SENIOR_MANAGER_OF"),
        (g["owner"].person_key, "role", "SHAREHOLDER_OF"),  # type: ignore[attr-defined]
        (g["parent"].uscc, "role", "SHAREHOLDER_OF"),  # type: ignore[attr-defined]
    }
    legal = next(r for r in rows if r.role == "LEGAL_REPRESENTATIVE_OF")
    assert (legal.reference, legal.reference_date, legal.valid_to) == (
        "conduct_date",
        date(2020, 11, 10),
        date(2021, 7, 1),
    )
    court = store.reach(COVERS, date(2024, 1, 1), [g["e1"].entry_id])  # type: ignore[attr-defined]
    assert _reached(court) == {
        (a, "subject", None),
        (new, "named_responsible", "法定代表人"),
        (new, "role", "LEGAL_REPRESENTATIVE_OF"),  # the current one, for the court's list
    }
    assert store.reach([], date(2024, 1, 1), [tax.entry_id]) == [r for r in rows if r.via != "role"]


def test_reach_of_everything_in_force(store: GraphStore) -> None:
    g = small_graph(
        store
    )  # e1: court entry listed 2023-03-01? see factories: listed_on 2022-03-15, expires 2025-03-01
    inside = store.reach(COVERS, date(2024, 6, 1))
    assert {r.entry_id for r in inside} == {g["e1"].entry_id}  # type: ignore[attr-defined]
    assert store.reach(COVERS, date(2025, 3, 1)) == []  # expired on that day
    assert store.reach(COVERS, date(2022, 3, 14)) == []  # not yet listed
    objected = g["e1"].model_copy(update={"status": "under_objection"})  # type: ignore[attr-defined]
    store.upsert_entries([objected])
    assert store.reach(COVERS, date(2024, 6, 1)) == []
    assert store.reach(COVERS, date(2024, 6, 1), [objected.entry_id]) == inside  # asked for by id: any status


def test_reaching_a_subject_through_its_roles(store: GraphStore) -> None:
    g = small_graph(store)
    new, old = g["new"].person_key, g["old"].person_key  # type: ignore[attr-defined]
    rows = store.reaching("person", new, COVERS, date(2024, 1, 1))
    assert {(r.entry_id, r.via) for r in rows} == {
        (g["e1"].entry_id, "named_responsible"),
        (g["e1"].entry_id, "role"),
    }  # type: ignore[attr-defined]
    assert all(r.reached_key == new for r in rows)
    assert store.reaching("person", old, COVERS, date(2024, 1, 1)) == []  # left before the court's "current"
    assert store.reaching("person", old, COVERS, date(2021, 1, 1))[0].via == "role"
    assert [r.via for r in store.reaching("enterprise", g["a"].uscc, COVERS, date(2024, 1, 1))] == ["subject"]  # type: ignore[attr-defined]
    assert store.reaching("person", "P" + "3" * 32, COVERS, date(2024, 1, 1)) == []


def test_get_entries(store: GraphStore) -> None:
    g = small_graph(store)
    got = store.get_entries([g["e1"].entry_id, "nope"])  # type: ignore[attr-defined]
    assert {k: f.unstamped(e) for k, e in got.items()} == {g["e1"].entry_id: g["e1"]}  # type: ignore[attr-defined]


def test_iter_records_streams_everything_in_key_order(store: GraphStore) -> None:
    g = small_graph(store)
    enterprises = list(store.iter_records("enterprises"))
    assert [e.uscc for e in enterprises] == sorted(e.uscc for e in (g["a"], g["b"], g["parent"]))  # type: ignore[attr-defined]
    assert enterprises[0] == store.get_enterprise(enterprises[0].uscc)  # type: ignore[attr-defined]
    persons = list(store.iter_records("persons"))
    assert len(persons) == 4 and [p.person_key for p in persons] == sorted(p.person_key for p in persons)  # type: ignore[attr-defined]
    roles = list(store.iter_records("roles"))
    assert len(roles) == 7 and [r.role_id for r in roles] == sorted(r.role_id for r in roles)  # type: ignore[attr-defined]
    assert set(roles) == {r for e in (g["a"], g["b"], g["parent"]) for r in store.roles_of_enterprise(e.uscc)}  # type: ignore[attr-defined]
    assert [f.unstamped(e) for e in store.iter_records("entries")] == [g["e1"]]
    assert list(store.iter_records("events")) == [] and list(store.iter_records("feedback")) == []


def test_search_names_normalised_paged_and_ordered(store: GraphStore) -> None:
    g = small_graph(store)
    store.upsert_enterprises(
        [f.enterprise(20, name="清丰县（测试）控股有限公司"), f.enterprise(21, name="ＡＢＣ 测试")]
    )
    total, hits = store.search_names("测试", ["enterprise"], limit=2, offset=0)
    assert total == 4
    assert [h.name for h in hits] == ["ＡＢＣ 测试", "清丰县测试1有限公司"]  # shortest first, then by name
    _, rest = store.search_names("测试", ["enterprise"], limit=10, offset=2)
    assert [h.name for h in rest] == ["清丰县测试2有限公司", "清丰县（测试）控股有限公司"]
    assert store.search_names("(测试)控股", ["enterprise"], 10, 0)[0] == 1  # brackets and blanks alike
    assert store.search_names("abc测试", ["enterprise"], 10, 0)[0] == 1  # full width and case alike
    people = store.search_names("张建", ["person"], 10, 0)
    assert people == (1, [SearchHit(kind="person", key=g["old"].person_key, name="张建国")])  # type: ignore[attr-defined]
    assert store.search_names("张建", ["enterprise"], 10, 0) == (0, [])
    assert store.search_names("测试", ["enterprise", "person"], 100, 0)[0] == 4


def test_reaching_many_is_reaching_for_each(store: GraphStore) -> None:
    g = small_graph(store)
    asked = [("person", g["new"].person_key), ("enterprise", g["a"].uscc), ("person", g["old"].person_key),  # type: ignore[attr-defined]
             ("person", "P" + "4" * 32)]  # fmt: skip
    many = store.reaching_many(asked, COVERS, date(2021, 1, 1))
    one_by_one = [row for kind, key in asked for row in store.reaching(kind, key, COVERS, date(2021, 1, 1))]  # type: ignore[arg-type]
    assert many == sorted(
        one_by_one,
        key=lambda r: (
            r.entry_id,
            r.reached_kind,
            r.reached_key,
            r.via,
            r.role or "",
            r.role_id or "",
            r.reference or "",
        ),
    )
    assert {r.reached_key for r in many} == {g["new"].person_key, g["a"].uscc, g["old"].person_key}  # type: ignore[attr-defined]
    assert store.reaching_many([], COVERS, date(2021, 1, 1)) == []
