"""An enterprise's other codes on every backend: the registration number, the registry's own id and the
capital's currency stored and returned, and find_enterprises finding enterprises by them and by the
organisation code their USCC embeds, also for records written before the codes were kept."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from pathlib import Path

from graph_service.identifiers import build_registration_number, build_uscc
from graph_service.model import Enterprise
from graph_service.snapshots import export_snapshot, import_snapshot
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from tests import factories as f
from tests.conftest import SECRET

REG = build_registration_number("410922", "00012345")
OTHER_REG = build_registration_number("410922", "00012346")


def coded(n: int, **kw: object) -> Enterprise:
    fields: dict[str, object] = {
        "registration_number": build_registration_number("410922", f"{n:08d}"),
        "registry_id": f"ID-{n:04d}-quanguo",
        "capital_currency": "USD",
        "registered_capital": 120.5,
    }
    fields.update(kw)
    return f.enterprise(n, **fields)


def test_the_new_fields_are_stored_and_returned(store: GraphStore) -> None:
    a, plain = coded(1), f.enterprise(2)
    assert store.upsert_enterprises([a, plain]).created == 2
    assert store.get_enterprise(a.uscc) == a
    assert store.get_enterprises([a.uscc, plain.uscc]) == {a.uscc: a, plain.uscc: plain}
    assert list(store.iter_records("enterprises")) == [a, plain]
    held = store.get_enterprise(plain.uscc)
    assert held is not None and (held.registration_number, held.registry_id, held.capital_currency) == (
        None,
        None,
        None,
    )
    again = store.upsert_enterprises([a, plain])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # CNY is the currency of a record that names none: the same record, unchanged.
    assert store.upsert_enterprises([plain.model_copy(update={"capital_currency": None})]).unchanged == 1
    assert store.upsert_enterprises([f.enterprise(2, capital_currency="CNY")]).unchanged == 1
    hkd = a.model_copy(update={"capital_currency": "HKD"})
    assert store.upsert_enterprises([hkd]).updated == 1
    assert store.get_enterprise(a.uscc) == hkd


def test_find_by_each_kind_of_code(store: GraphStore) -> None:
    a, b = coded(1), coded(2, registry_id="4109220000000002")
    store.upsert_enterprises([a, b, f.enterprise(3)])
    assert a.org_code is not None and b.org_code is not None
    found = store.find_enterprises(
        org_codes=[a.org_code[:8] + "-" + a.org_code[8], " " + b.org_code.lower()],
        registration_numbers=[a.registration_number or ""],
        registry_ids=["  4109220000000002 "],
    )
    assert found == {
        a.org_code: [a],
        b.org_code: [b],
        a.registration_number: [a],
        "4109220000000002": [b],
    }


def test_codes_matching_nothing_are_absent(store: GraphStore) -> None:
    a = coded(1)
    store.upsert_enterprises([a])
    assert store.find_enterprises() == {}
    assert store.find_enterprises(org_codes=["", " "]) == {}
    assert (
        store.find_enterprises(
            org_codes=["MA0000999"],
            registration_numbers=[OTHER_REG, "not a number"],
            registry_ids=["ID-0001-QUANGUO"],  # compared as given: the case is part of an opaque id
        )
        == {}
    )


def test_a_code_of_two_enterprises_returns_both_for_the_caller_to_decide(store: GraphStore) -> None:
    # One organisation code in two USCCs (re-registered in another county), one registration number given
    # to two records (a source's mistake), one registry id twice.
    here = Enterprise(uscc=build_uscc("9", "1", "410922", "MA3X0001"), name="清丰县甲公司",
                      registration_number=REG, registry_id="same")  # fmt: skip
    there = Enterprise(uscc=build_uscc("9", "1", "410100", "MA3X0001"), name="郑州市甲公司",
                       registration_number=REG, registry_id="same")  # fmt: skip
    store.upsert_enterprises([there, here])
    expected = sorted([here, there], key=lambda e: e.uscc)
    assert store.find_enterprises(org_codes=["MA3X0001" + (here.org_code or "")[8]]) == {
        here.org_code: expected
    }
    assert store.find_enterprises(registration_numbers=[REG], registry_ids=["same"]) == {
        REG: expected,
        "same": expected,
    }


def test_a_code_kept_although_it_fails_its_check_has_no_organisation_code(store: GraphStore) -> None:
    good = f.enterprise(1)
    kept = Enterprise(
        uscc=good.uscc[:17] + ("0" if good.uscc[17] != "0" else "1"), name="保留", id_valid=False
    )
    store.upsert_enterprises([kept])
    assert kept.org_code is None
    assert store.find_enterprises(org_codes=[good.uscc[8:17]]) == {}


def test_ten_thousand_codes_in_one_call(store: GraphStore) -> None:
    held = [coded(n) for n in range(1, 201)]
    store.upsert_enterprises(held)
    wanted = [e.org_code or "" for e in held] + [f"{n:08d}X" for n in range(10_000 - len(held))]
    started = time.perf_counter()
    found = store.find_enterprises(
        org_codes=wanted, registration_numbers=[e.registration_number or "" for e in held]
    )
    assert time.perf_counter() - started < 10
    assert len(found) == 2 * len(held)
    assert all(found[e.org_code or ""] == [e] for e in held)


def test_enterprises_written_before_org_code_are_found_after_the_migration(
    store: GraphStore, tmp_path: Path
) -> None:
    a = coded(1)
    if isinstance(store, Neo4jStore):
        store.upsert_enterprises([a])
        # A node as an earlier version wrote it: no org_code.
        store.driver.execute_query(
            "MATCH (e:Enterprise {uscc: $uscc}) REMOVE e.org_code", uscc=a.uscc, database_=store.database
        )
        assert store.find_enterprises(org_codes=[a.org_code or ""]) == {}
        store.apply_schema()
        migrated: GraphStore = store
    else:
        path = tmp_path / "old.sqlite3"
        _version_1_store(path, [a])
        migrated = EmbeddedStore(path)
    try:
        assert migrated.find_enterprises(
            org_codes=[a.org_code or ""], registration_numbers=[a.registration_number or ""]
        ) == {a.org_code: [a], a.registration_number: [a]}
        assert migrated.get_enterprise(a.uscc) == a
        assert migrated.upsert_enterprises([a]).unchanged == 1
    finally:
        if migrated is not store:
            migrated.close()


def _version_1_store(path: Path, enterprises: list[Enterprise]) -> None:
    """An embedded store file as version 1 of its schema wrote it: enterprises as (uscc, data) only."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE enterprises (uscc TEXT PRIMARY KEY, data TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        """
    )
    db.executemany(
        "INSERT INTO enterprises VALUES (?, ?)", [(e.uscc, e.model_dump_json()) for e in enterprises]
    )
    db.commit()
    db.close()


def test_an_embedded_store_of_version_1_is_migrated_once(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _version_1_store(path, [f.enterprise(1)])
    with EmbeddedStore(path) as s:
        assert s.get_meta("schema_version") == "3"
        assert s.find_enterprises(org_codes=[f.enterprise(1).org_code or ""])
    with EmbeddedStore(path) as s:  # a second start finds nothing to do
        assert s.counts()["enterprises"] == 1


def test_snapshots_carry_the_new_fields(store: GraphStore) -> None:
    a, plain = coded(1), f.enterprise(2)
    store.upsert_enterprises([a, plain])
    out = io.StringIO()
    export_snapshot(store, out)
    lines = out.getvalue().splitlines(keepends=True)
    by_uscc = {r["uscc"]: r for r in map(json.loads, lines) if r.get("record") == "enterprise"}
    assert by_uscc[a.uscc]["registration_number"] == a.registration_number
    assert by_uscc[a.uscc]["capital_currency"] == "USD"
    assert not {"registration_number", "registry_id", "capital_currency"} & set(by_uscc[plain.uscc])
    store.clear()
    summary = import_snapshot(store, lambda: iter(lines), secret=SECRET)
    assert summary.kinds["enterprise"].created == 2 and summary.rejected == 0
    assert store.get_enterprise(a.uscc) == a and store.get_enterprise(plain.uscc) == plain
    assert store.find_enterprises(registry_ids=[a.registry_id or ""]) == {a.registry_id: [a]}
