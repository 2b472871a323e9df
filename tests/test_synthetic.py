"""The synthetic generator: deterministic, valid codes, and planted answers the store agrees with."""

from __future__ import annotations

from datetime import date

from graph_service.domain.history import in_force_on
from graph_service.identifiers import is_valid_id_number, is_valid_uscc
from graph_service.model import RoleType
from graph_service.store.base import GraphStore
from graph_service.synthetic import Answers, Generator, load_synthetic

SECRET = "test-hash-key"


def _digest(n: int, seed: int) -> list[str]:
    gen = Generator(n, seed=seed, secret=SECRET)
    return [row.model_dump_json() for batch in gen.batches() for row in (*batch.enterprises, *batch.roles)]


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert _digest(300, 5) == _digest(300, 5)
    assert _digest(300, 5) != _digest(300, 6)


def test_codes_are_valid_unique_and_in_henan() -> None:
    gen = Generator(2500, seed=11, secret=SECRET, block_size=1000)
    usccs, keys = [], []
    for batch in gen.batches():
        usccs += [e.uscc for e in batch.enterprises]
        for p in batch.persons:
            assert p.id_number is not None and is_valid_id_number(p.id_number)
            assert p.id_masked and "*" in p.id_masked
            keys.append(p.person_key)
    assert all(is_valid_uscc(u) for u in usccs)
    assert all(u[2:4] == "41" for u in usccs)
    assert len(set(usccs)) == len(usccs) >= 2500
    assert len(set(keys)) == len(keys)
    assert len(gen.answers.cycles) == 3  # one ring per full block


def test_realistic_shape(county: tuple[GraphStore, Answers]) -> None:
    store, _ = county
    counts = store.counts()
    for role in RoleType:
        assert counts[role.value] > 0, f"no {role.value} edges generated"
    assert counts["persons"] > counts["enterprises"]
    # Role history: some enterprises had more than one legal representative.
    assert counts["LEGAL_REPRESENTATIVE_OF"] > counts["enterprises"] * 0.9


def test_planted_responsible_persons_match_the_store(county: tuple[GraphStore, Answers]) -> None:
    store, answers = county
    assert len(answers.responsible_at) >= 50
    for expected in answers.responsible_at:
        roles = store.roles_of_enterprise(expected.uscc, {expected.role}, expected.as_of)
        assert sorted(r.holder_key for r in roles) == expected.holders, expected


def test_planted_legal_representative_change(county: tuple[GraphStore, Answers]) -> None:
    store, answers = county
    case = answers.cases["legal_rep_change"]
    at_conduct = store.roles_of_enterprise(
        str(case["uscc"]), {RoleType.LEGAL_REPRESENTATIVE_OF}, date(2020, 11, 10)
    )
    assert [r.holder_key for r in at_conduct] == [case["former_legal_rep"]]
    now = store.roles_of_enterprise(
        str(case["uscc"]), {RoleType.LEGAL_REPRESENTATIVE_OF}, answers.reference_date
    )
    assert [r.holder_key for r in now] == [case["current_legal_rep"]]
    entry = store.get_entry(str(case["entry_id"]))
    assert entry is not None and entry.named_responsible[0].person_key == case["current_legal_rep"]


def test_planted_multi_listed_subjects_are_in_the_store(county: tuple[GraphStore, Answers]) -> None:
    store, answers = county
    day = answers.reference_date
    planted = {("enterprise", answers.cases["multi_listed_enterprise"]["uscc"]),
               ("person", answers.cases["multi_listed_person"]["person"])}  # fmt: skip
    listed = {(m.kind, m.key) for m in answers.multi_listed_direct}
    assert planted <= listed
    for m in answers.multi_listed_direct:
        links = store.entries_of_subject(m.kind, m.key)  # type: ignore[arg-type]
        domains = {
            link.entry.domain
            for link in links
            if link.relation == "subject" and link.entry.kind == "black" and in_force_on(link.entry, day)
        }
        assert sorted(domains) == m.domains
    same = answers.cases["same_domain_twice"]
    assert ("enterprise", same["uscc"]) not in listed
    assert ("enterprise", answers.cases["expired_entry"]["uscc"]) not in listed


def test_ownership_chain_and_cycles_are_stored(county: tuple[GraphStore, Answers]) -> None:
    store, answers = county
    chain = answers.cases["ownership_chain"]
    _, h2, h3 = chain["chain"]  # type: ignore[misc]
    owners_of_h3 = store.roles_of_enterprise(h3, {RoleType.SHAREHOLDER_OF})
    assert [(r.holder_key, r.ratio) for r in owners_of_h3 if r.holder_kind == "enterprise"] == [(h2, 0.6)]
    for ring in answers.cycles:
        for owner, owned in zip(ring, ring[1:] + ring[:1], strict=True):
            held = store.roles_of_holder("enterprise", owner, {RoleType.SHAREHOLDER_OF})
            assert owned in {r.enterprise for r in held}


def test_loading_the_county_again_changes_nothing(county: tuple[GraphStore, Answers]) -> None:
    store, answers = county
    before = store.counts()
    _, results = load_synthetic(store, Generator(answers.enterprises, seed=answers.seed, secret=SECRET))
    assert all(r.changed == 0 for r in results.values()), results
    assert sum(r.unchanged for r in results.values()) > 0
    assert store.counts() == before
