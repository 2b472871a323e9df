"""Properties of the engine over random small graphs (embedded backend; the conformance suite shows
the Neo4j backend answers the same primitives identically)."""

from __future__ import annotations

import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_service.domain.history import in_force_on
from graph_service.engine import Engine
from graph_service.engine.lifecycle import transition
from graph_service.model import Enterprise, ListEntry, Person, Role, RoleType
from graph_service.rules import load_rules
from graph_service.store.embedded import EmbeddedStore
from tests import factories as f

RULES = load_rules()
LISTS = [("court_dishonest_debtor", "court"), ("major_tax_violation", "tax"), ("work_safety", "safety"),
         ("environment", "environment"), ("market_serious_violation", "market")]  # fmt: skip
ROLES = [
    (RoleType.LEGAL_REPRESENTATIVE_OF, None),
    (RoleType.SENIOR_MANAGER_OF, "财务负责人"),
    (RoleType.SENIOR_MANAGER_OF, "经理"),
    (RoleType.PRINCIPAL_OF, None),
    (RoleType.DIRECTOR_OF, "董事"),
]
START = date(2015, 1, 1)


def day(n: int) -> date:
    return START + timedelta(days=n)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Enterprise], list[Person], list[Role], list[ListEntry], date]:
    enterprises = [f.enterprise(i) for i in range(draw(st.integers(1, 4)))]
    persons = [f.person(i + 1) for i in range(draw(st.integers(1, 5)))]
    roles = []
    for _ in range(draw(st.integers(0, 10))):
        type_, position = draw(st.sampled_from(ROLES))
        begin = draw(st.integers(0, 3000))
        end = draw(st.one_of(st.none(), st.integers(begin + 1, 4000)))
        roles.append(
            f.role(type_, draw(st.sampled_from(persons)), draw(st.sampled_from(enterprises)), day(begin),
                   None if end is None else day(end), position=position)
        )  # fmt: skip
    entries = []
    for i in range(draw(st.integers(1, 5))):
        list_type, domain = draw(st.sampled_from(LISTS))
        subject: Enterprise | Person = draw(st.sampled_from([*enterprises, *persons]))
        listed = draw(st.integers(1000, 3500))
        named = draw(st.lists(st.sampled_from(persons), max_size=2, unique_by=lambda p: p.person_key))
        status = draw(
            st.sampled_from(["active", "active", "active", "under_objection", "repaired", "revoked"])
        )
        entries.append(
            f.entry(
                subject,
                f"决定〔{i}〕号",
                named=tuple((p, "直接责任人员") for p in named),
                list_type=list_type,
                domain=domain,
                listed_on=day(listed),
                conduct_date=day(listed - draw(st.integers(0, 900))),
                expires_on=day(listed + draw(st.integers(1, 1200))),
                status=status,
            )
        )
    # One version of each role: two drawn with the same identity (type, holder, organisation, start) but
    # other ends would make the answer depend on which was written last, which is not what is tested.
    unique = list({r.role_id: r for r in reversed(roles)}.values())
    return enterprises, persons, unique, entries, day(draw(st.integers(900, 4200)))


def load(world: tuple[list[Enterprise], list[Person], list[Role], list[ListEntry], date], folder: str,
         shuffle: int | None = None) -> EmbeddedStore:  # fmt: skip
    enterprises, persons, roles, entries, _ = world
    store = EmbeddedStore(Path(folder) / f"g{shuffle}.sqlite3")
    rng = random.Random(shuffle)
    ordered = [list(x) for x in (enterprises, persons, roles, entries)]
    if shuffle is not None:
        for part in ordered:
            rng.shuffle(part)
    store.upsert_enterprises(ordered[0])  # type: ignore[arg-type]
    store.upsert_persons(ordered[1])  # type: ignore[arg-type]
    for role in ordered[2]:  # one at a time, in the shuffled order
        store.upsert_roles([role])  # type: ignore[list-item]
    for entry in ordered[3]:
        store.upsert_entries([entry])  # type: ignore[list-item]
    return store


def subjects(
    world: tuple[list[Enterprise], list[Person], list[Role], list[ListEntry], date],
) -> list[tuple[str, str]]:
    return [("enterprise", e.uscc) for e in world[0]] + [("person", p.person_key) for p in world[1]]


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(worlds())
def test_reasons_lead_back_to_entries_in_force(world: tuple) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        store = load(world, tmp)
        engine, as_of = Engine(store, RULES), world[4]
        for kind, key in subjects(world):
            result = engine.check(kind, key, as_of)  # type: ignore[arg-type]
            assert result.restricted == bool(result.reasons)
            for reason in result.reasons:
                entry = store.get_entry(reason.entry.entry_id)
                assert entry is not None and entry.kind == "black" and in_force_on(entry, as_of)
                assert reason.measures
        for listed in engine.multi_list(as_of, min_domains=1).subjects:
            for reason in listed.reasons:
                assert in_force_on(store.get_entry(reason.entry.entry_id), as_of)  # type: ignore[arg-type]
        store.close()


@SETTINGS
@given(worlds(), st.sampled_from(["revoked", "repaired"]), st.integers(0, 10))
def test_revoking_or_repairing_leaves_no_restriction_citing_the_entry(
    world: tuple,
    event: str,
    pick: int,  # type: ignore[type-arg]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = load(world, tmp)
        engine, as_of = Engine(store, RULES), world[4]
        active = [e for e in world[3] if e.status == "active"]
        if not active:
            store.close()
            return
        target = active[pick % len(active)]
        on = max(as_of, target.listed_on)  # a change takes effect on or after the listing
        transition(store, target.entry_id, event, "认定部门", on, reason="复核", method="rectification")  # type: ignore[arg-type]
        for kind, key in subjects(world):
            result = engine.check(kind, key, as_of)  # type: ignore[arg-type]
            assert target.entry_id not in {r.entry.entry_id for r in result.reasons}
        cited = {
            r.entry.entry_id for s in engine.multi_list(as_of, min_domains=1).subjects for r in s.reasons
        }
        assert target.entry_id not in cited
        assert all(a.measures == [] for a in engine.affected([target.entry_id], as_of).affected)
        store.close()


@SETTINGS
@given(worlds(), st.integers(1, 1000))
def test_answers_do_not_depend_on_load_order(world: tuple, seed: int) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        first, second = load(world, tmp), load(world, tmp, shuffle=seed)
        as_of = world[4]
        one, two = Engine(first, RULES), Engine(second, RULES)
        for kind, key in subjects(world):
            assert one.check(kind, key, as_of).model_dump() == two.check(kind, key, as_of).model_dump()  # type: ignore[arg-type]
        assert one.multi_list(as_of, 1).model_dump() == two.multi_list(as_of, 1).model_dump()
        first.close()
        second.close()
