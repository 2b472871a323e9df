"""Snapshots on both backends: round trips between backends, idempotent imports, rejects by line, personal
ID numbers kept out of files by default, subgraphs that load on their own, constant memory, the commands."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

import pytest

from graph_service import cli
from graph_service.access.audit import AuditLog
from graph_service.access.keys import KeyStore
from graph_service.engine import Engine
from graph_service.engine.lifecycle import initiate, record_feedback, transition
from graph_service.identifiers import build_uscc, is_valid_id_number, is_valid_uscc, person_key
from graph_service.model import Enterprise, Feedback, ListEntry, Person, RoleType
from graph_service.persons import person_from_document
from graph_service.rules import load_rules
from graph_service.settings import Settings
from graph_service.snapshots import (
    ImportSummary,
    LineSource,
    Reject,
    SnapshotError,
    export_snapshot,
    export_to_path,
    exporter,
    import_file,
    import_snapshot,
    importer,
    resolve_subject,
)
from graph_service.snapshots.format import to_line
from graph_service.store import check_hash_key
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from graph_service.synthetic import Answers
from tests import factories as f
from tests.conftest import Neo4jServer

SECRET = f.SECRET
R = RoleType
ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


# -- helpers shared with the round-trip modules ------------------------------------------------------


def export_lines(store: GraphStore, **options: Any) -> list[str]:
    out = io.StringIO()
    export_snapshot(store, out, **options)
    return out.getvalue().splitlines()


def records(lines: list[str]) -> list[str]:
    """The data of a file, order aside: every line but the header (which says when and where from)."""
    return sorted(line for line in lines if not line.startswith('{"record":"snapshot"'))


def source(lines: list[str]) -> LineSource:
    return lambda: iter(lines)


def run_import(
    store: GraphStore, lines: list[str], secret: str | None = SECRET, batch_size: int = 500
) -> tuple[ImportSummary, list[Reject]]:
    rejects: list[Reject] = []
    summary = import_snapshot(
        store, source(lines), secret=secret, batch_size=batch_size, on_reject=rejects.append
    )
    return summary, rejects


def assert_nothing_changed(summary: ImportSummary) -> None:
    assert summary.changed == 0, summary.kinds
    assert summary.rejected == 0
    assert all(c.unchanged == summary.kinds[k].unchanged for k, c in summary.kinds.items())


def other_backend(store: GraphStore, request: pytest.FixtureRequest, tmp_path: Path) -> GraphStore:
    """An empty store of the other backend. Safe here: no module-scoped county shares Neo4j with us."""
    if isinstance(store, Neo4jStore):
        return EmbeddedStore(tmp_path / "other.sqlite3")
    neo4j = cast(Neo4jStore, request.getfixturevalue("neo4j_store"))
    neo4j.clear()
    return neo4j


# -- a small graph with every kind of record ----------------------------------------------------------


def build(store: GraphStore) -> dict[str, Any]:
    """Three organisations (one a branch, one owning another), people (one on a passport), an entry with
    its life so far and feedback (twice the same, as departments do send), and an entry on a person."""
    a, b, parent = f.enterprise(1), f.enterprise(2), f.enterprise(3, name="清丰县控股有限公司")
    legacy = Enterprise(uscc="410922000012345", name="清丰县老字号商店", id_valid=False, source="test")
    old, new, fin, owner = (
        f.person(1, "张建国"),
        f.person(2, "李志强"),
        f.person(3, "王丽娟"),
        f.person(4, "钱德润"),
    )
    foreigner = person_from_document(
        "E12345678", "John Smith", SECRET, document_type="passport", source="test"
    )
    store.upsert_enterprises([a, b, parent, legacy])
    store.upsert_persons([old, new, fin, owner, foreigner])
    store.upsert_roles(
        [
            f.role(R.LEGAL_REPRESENTATIVE_OF, old, a, date(2015, 3, 1), date(2021, 7, 1)),
            f.role(R.LEGAL_REPRESENTATIVE_OF, new, a, date(2021, 7, 1)),
            f.role(R.SENIOR_MANAGER_OF, fin, a, date(2018, 1, 1), position="财务负责人"),
            f.role(R.SHAREHOLDER_OF, parent, a, date(2015, 3, 1), ratio=0.7, subscribed_capital=350.0),
            f.role(R.SHAREHOLDER_OF, owner, a, date(2015, 3, 1), ratio=0.3, subscribed_capital=150.0),
            f.role(R.DIRECTOR_OF, foreigner, parent, date(2016, 5, 1), position="董事"),
            f.role(R.LEGAL_REPRESENTATIVE_OF, new, b, date(2019, 1, 1)),
            f.role(R.BRANCH_OF, b, parent, date(2019, 1, 1)),
            f.role(R.PRINCIPAL_OF, owner, legacy, None),
        ]
    )
    e1 = f.entry(a, "(2022)豫0922执7号", named=((new, "法定代表人"),), listed_on=date(2022, 3, 15))
    initiate(
        store,
        e1,
        "清丰县人民法院",
        date(2022, 3, 15),
        ("清丰县发展和改革委员会", "清丰县税务局"),
        load_rules(),
    )
    transition(store, e1.entry_id, "objection_filed", "李志强", date(2022, 4, 1), reason="已履行")
    transition(store, e1.entry_id, "objection_upheld", "清丰县人民法院", date(2022, 4, 20), reason="未履行")
    e2 = f.entry(old, "(2023)豫0922执9号", conduct_date=date(2022, 12, 1))
    store.upsert_entries([e2])
    applied = Feedback(
        entry_id=e1.entry_id, department="清丰县税务局", measure="limit_public_bidding", outcome="applied",
        on=date(2022, 5, 1),
    )  # fmt: skip
    store.append_feedback(applied)
    store.append_feedback(applied)
    store.append_feedback(
        applied.model_copy(update={"outcome": "not_applied", "reason": "未参与投标", "department": "发改委"})
    )
    return {"a": a, "b": b, "parent": parent, "legacy": legacy, "old": old, "new": new, "fin": fin,
            "owner": owner, "foreigner": foreigner, "e1": e1, "e2": e2}  # fmt: skip


@pytest.fixture
def built(store: GraphStore) -> dict[str, Any]:
    check_hash_key(store, SECRET)
    return build(store)


def history(store: GraphStore, entries: list[ListEntry]) -> list[object]:
    return [(store.events_of_entry(e.entry_id), store.feedback(e.entry_id)) for e in entries]


# -- round trips, idempotency -------------------------------------------------------------------------


def test_round_trip_into_the_other_backend_keeps_every_record(
    store: GraphStore, built: dict[str, Any], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    first = export_lines(store)
    other = other_backend(store, request, tmp_path)
    summary, rejects = run_import(other, first, batch_size=3)  # small batches: many flushes per pass
    assert rejects == [] and summary.warnings == []
    assert {k: c.created for k, c in summary.kinds.items()} == {
        "enterprise": 4, "person": 5, "role": 9, "entry": 2, "event": 4, "feedback": 3,
    }  # fmt: skip
    assert records(export_lines(other)) == records(first)
    entries = [built["e1"], built["e2"]]
    assert history(other, entries) == history(store, entries)  # recorded_at and order included
    assert other.get_entry(built["e1"].entry_id) == store.get_entry(built["e1"].entry_id)
    # Without ID numbers in the file, the engine answers alike but for the full numbers it shows those
    # entitled to them (the county round trips carry the numbers and compare everything).
    mine, theirs = Engine(store, load_rules()), Engine(other, load_rules())
    for name in ("a", "b", "old", "new", "fin", "owner", "foreigner"):
        record = built[name]
        kind = "person" if isinstance(record, Person) else "enterprise"
        key = record.person_key if isinstance(record, Person) else record.uscc
        answer = theirs.check(kind, key, DAY).model_dump(mode="json")
        assert answer == without_id_numbers(mine.check(kind, key, DAY).model_dump(mode="json"))
    entries = [built["e1"].entry_id, built["e2"].entry_id]
    affected = theirs.affected(entries, DAY).model_dump(mode="json")
    assert affected == without_id_numbers(mine.affected(entries, DAY).model_dump(mode="json"))
    if isinstance(other, EmbeddedStore):
        other.close()


def without_id_numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: None if k == "id_number" else without_id_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_id_numbers(v) for v in value]
    return value


def test_importing_the_same_file_twice_changes_nothing(store: GraphStore, tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "source.sqlite3") as source_store:
        build(source_store)
        lines = export_lines(source_store)
        with_ids = export_lines(source_store, with_id_numbers=True)
    first, _ = run_import(store, lines)
    assert first.changed == 27
    again, rejects = run_import(store, lines)
    assert rejects == []
    assert_nothing_changed(again)
    assert again.kinds["event"].unchanged == 4 and again.kinds["feedback"].unchanged == 3
    # The file with ID numbers adds them to the persons (an update), and then it too changes nothing.
    added, _ = run_import(store, with_ids)
    assert added.kinds["person"].updated == 5 and added.changed == 5
    assert_nothing_changed(run_import(store, with_ids)[0])
    # A file without ID numbers leaves the numbers the store holds in place.
    assert_nothing_changed(run_import(store, lines)[0])
    held = store.get_person(f.person(1).person_key)
    assert held is not None and held.id_number is not None


def test_records_may_come_in_any_order(store: GraphStore, tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "source.sqlite3") as source_store:
        build(source_store)
        lines = export_lines(source_store)
    data = [line for line in lines if not line.startswith(('{"record":"snapshot"', '{"record":"end"'))]
    summary, rejects = run_import(store, list(reversed(data)), batch_size=2)
    assert rejects == []
    assert records(export_lines(store)) == records(lines)
    assert summary.warnings == []  # without a header, a file made by hand: no end record is expected


def test_history_already_held_is_not_imported_again(store: GraphStore, built: dict[str, Any]) -> None:
    e1 = built["e1"]
    lines = export_lines(store)
    repair = {
        "record": "event", "entry_id": e1.entry_id, "event": "repair_applied", "on": "2022-06-01",
        "actor": "清丰县顺达建筑工程有限公司", "reason": "已缴清", "method": "credit_commitment",
        "status_before": "active", "status_after": "active",
    }  # fmt: skip
    duplicate_feedback = next(line for line in lines if '"outcome":"applied"' in line)
    summary, rejects = run_import(store, [*lines, to_line(repair), duplicate_feedback])
    assert rejects == []
    assert (summary.kinds["event"].created, summary.kinds["event"].unchanged) == (1, 4)
    # Three equal feedback records in the file, two in the store: one more is added.
    assert (summary.kinds["feedback"].created, summary.kinds["feedback"].unchanged) == (1, 3)
    events = store.events_of_entry(e1.entry_id)
    assert [e.event for e in events] == [
        "initiated", "pushed", "objection_filed", "objection_upheld", "repair_applied",
    ]  # fmt: skip
    held = f.unstamped(store.get_entry(e1.entry_id))  # type: ignore[type-var]
    assert held.model_copy(update={"history": ()}) == e1.model_copy(update={"status": "active"})
    assert [(c.event, c.status) for c in held.history] == [
        ("objection_filed", "under_objection"), ("objection_upheld", "active"),
    ]  # fmt: skip


# -- rejects ------------------------------------------------------------------------------------------


def test_broken_records_are_reported_by_line_and_the_good_ones_imported(store: GraphStore) -> None:
    good_org, other_org = f.enterprise(11), f.enterprise(12)
    good_person = f.person(11, "赵敏")
    number = good_person.id_number or ""
    unknown = f.person(12, "孙悟")  # never in the file
    wrong_check = number[:-1] + ("0" if number[-1] != "0" else "1")
    listing = {
        "record": "entry", "list_type": "court_dishonest_debtor", "domain": "court", "kind": "black",
        "authority": "清丰县人民法院", "subject_kind": "enterprise", "subject_key": good_org.uscc,
        "listed_on": "2023-01-01",
    }  # fmt: skip
    pushed = {"record": "event", "event": "pushed", "on": "2023-01-02", "actor": "清丰县人民法院"}
    rows: list[dict[str, Any] | str] = [
        {"record": "enterprise", **good_org.model_dump(mode="json", exclude_none=True)},
        '{"record":"enterprise","uscc":"91410922MA0000000X","name":"坏码公司"}',  # 2: check fails
        "this is not json",
        '{"record":"robot","name":"x"}',
        {"record": "person", "id_number": number, "name": "赵敏"},  # 5: keyed from the number
        {"record": "person", "person_key": unknown.person_key, "id_number": number, "name": "x"},
        {"record": "person", "id_number": wrong_check, "name": "钱七"},
        # 8: a role held by an ID number
        {"record": "role", "type": "LEGAL_REPRESENTATIVE_OF", "holder_id_number": number,
         "enterprise": good_org.uscc, "valid_from": "2020-01-01"},
        {"record": "role", "type": "DIRECTOR_OF", "holder_key": unknown.person_key,
         "enterprise": good_org.uscc},
        {"record": "role", "type": "SHAREHOLDER_OF", "holder_key": good_org.uscc,
         "enterprise": other_org.uscc},
        {**listing, "entry_id": "E1", "decision_number": "(2023)1号",
         "named_responsible": [{"id_number": number, "role": "法定代表人"}]},
        {**listing, "entry_id": "E2", "decision_number": "(2023)2号", "kind": "grey"},
        {**pushed, "entry_id": "E1", "departments": ["税务局"]},
        {**pushed, "entry_id": "E9"},  # 14: unknown entry
        {"record": "feedback", "entry_id": "E1", "department": "税务局", "measure": "limit_public_bidding",
         "outcome": "not_applied", "on": "2023-02-01"},
        "",  # 16: blank lines are allowed
        # 17: a "masked" number that is not
        {"record": "person", "person_key": good_person.person_key, "name": "赵敏", "id_masked": number},
        {"record": "person", "name": "无号"},
        '{"record":"role","record":"person","name":"x"}',
    ]  # fmt: skip
    lines = [to_line(r) if isinstance(r, dict) else r for r in rows]
    summary, rejects = run_import(store, lines)
    found = [(r.line, r.record, r.field) for r in rejects]
    assert sorted(found) == [
        (2, "enterprise", "uscc"),
        (3, "", ""),
        (4, "", "record"),
        (6, "person", "person_key"),
        (7, "person", "id_number"),
        (9, "role", "holder_key"),
        (10, "role", "enterprise"),
        (12, "entry", "kind"),
        (14, "event", "entry_id"),
        (15, "feedback", "reason"),
        (17, "person", "id_masked"),
        (18, "person", "person_key"),
        (19, "", "record"),
    ]
    assert summary.lines == 19 and summary.records == 18 and summary.rejected == 13
    for reject in rejects:  # a report never shows a whole ID number
        assert number not in reject.reason + reject.field and wrong_check not in reject.reason + reject.field
        assert not ID_SHAPE.search(reject.reason + reject.field)
    held = store.get_person(good_person.person_key)
    assert held is not None and held.id_number == number and held.birth_date == date(1970, 1, 1)
    assert [r.holder_key for r in store.roles_of_enterprise(good_org.uscc)] == [good_person.person_key]
    entry = store.get_entry("E1")
    assert entry is not None and entry.named_responsible[0].person_key == good_person.person_key
    assert [e.event for e in store.events_of_entry("E1")] == ["pushed"]


def test_a_file_that_is_no_snapshot_or_made_with_another_key_is_refused_whole(store: GraphStore) -> None:
    check_hash_key(store, SECRET)
    header = {"record": "snapshot", "format": "credit-graph-snapshot", "exported_at": "2026-01-01T00:00:00Z"}
    org = to_line({"record": "enterprise", "uscc": f.uscc(1), "name": "甲"})
    with pytest.raises(SnapshotError, match="version 9"):
        run_import(store, [to_line({**header, "version": 9}), org])
    with pytest.raises(SnapshotError, match="not a credit-graph-snapshot"):
        run_import(store, [to_line({**header, "format": "csv"}), org])
    with pytest.raises(SnapshotError, match="another hash key"):
        run_import(store, [to_line({**header, "hash_key_fingerprint": "0123456789abcdef"}), org])
    assert store.counts()["enterprises"] == 0


# -- personal ID numbers ------------------------------------------------------------------------------


def test_a_default_export_carries_no_id_number_and_the_flag_adds_them(
    store: GraphStore, built: dict[str, Any]
) -> None:
    lines = export_lines(store)
    persons = [json.loads(line) for line in lines if '"record":"person"' in line]
    assert len(persons) == 5
    assert all("person_key" in p and "id_masked" in p for p in persons)
    assert not any({"id_number", "birth_date", "region"} & set(p) for p in persons)
    assert not [m for m in ID_SHAPE.findall("\n".join(lines)) if is_valid_id_number(m)]
    assert "E12345678" not in "\n".join(lines)
    with_ids = export_lines(store, with_id_numbers=True)
    text = "\n".join(with_ids)
    assert built["old"].id_number in text and "E12345678" in text
    role = next(json.loads(x) for x in with_ids if '"record":"role"' in x and built["fin"].person_key in x)
    assert role["holder_id_number"] == built["fin"].id_number
    assert json.loads(with_ids[0])["with_id_numbers"] is True


def test_a_file_with_id_numbers_loads_into_a_store_with_another_hash_key(
    store: GraphStore, tmp_path: Path
) -> None:
    with EmbeddedStore(tmp_path / "source.sqlite3") as source_store:
        check_hash_key(source_store, SECRET)
        g = build(source_store)
        with_ids = export_lines(source_store, with_id_numbers=True)
        without = export_lines(source_store)
    other_key = "another-installation"
    with pytest.raises(SnapshotError, match="another hash key"):
        run_import(store, without, secret=other_key)
    assert store.counts()["persons"] == 0
    summary, rejects = run_import(store, with_ids, secret=other_key)
    assert rejects == [] and summary.changed == 27
    assert summary.warnings and "keyed again" in summary.warnings[0]
    rekeyed = person_key(g["new"].id_number, other_key)
    assert store.get_person(g["new"].person_key) is None and store.get_person(rekeyed) is not None
    assert {r.enterprise for r in store.roles_of_holder("person", rekeyed)} == {g["a"].uscc, g["b"].uscc}
    foreigner = person_key("E12345678", other_key, "passport")
    assert [r.enterprise for r in store.roles_of_holder("person", foreigner)] == [g["parent"].uscc]
    entry = store.get_entry(g["e1"].entry_id)
    assert entry is not None and entry.named_responsible[0].person_key == rekeyed


# -- subgraphs ----------------------------------------------------------------------------------------


def test_a_subgraph_holds_the_neighbourhood_and_loads_on_its_own(
    store: GraphStore, built: dict[str, Any], tmp_path: Path
) -> None:
    g = built
    lines = export_lines(store, subject=("enterprise", g["a"].uscc), hops=1)
    header = json.loads(lines[0])
    assert (header["subject_kind"], header["subject_key"], header["hops"]) == ("enterprise", g["a"].uscc, 1)
    kinds: dict[str, set[str]] = {}
    for line in lines[1:-1]:
        rec = json.loads(line)
        key = rec.get("uscc") or rec.get("person_key") or rec.get("entry_id") or rec.get("type")
        kinds.setdefault(rec["record"], set()).add(key)
    assert kinds["enterprise"] == {g["a"].uscc, g["parent"].uscc}
    assert kinds["person"] == {g[n].person_key for n in ("old", "new", "fin", "owner")}
    assert kinds["entry"] == {g["e1"].entry_id}
    assert len([x for x in lines if '"record":"event"' in x]) == 4
    assert len([x for x in lines if '"record":"role"' in x]) == 5  # among the nodes only
    with EmbeddedStore(tmp_path / "case.sqlite3") as case:
        summary, rejects = run_import(case, lines)
        assert rejects == [] and summary.warnings == []
        assert case.counts()["enterprises"] == 2
    # The entry's listed subject comes along even beyond the hops.
    from_person = export_lines(store, subject=("person", g["old"].person_key), hops=1)
    assert any(g["e2"].entry_id in x for x in from_person)
    assert resolve_subject(store, g["old"].id_number, SECRET) == ("person", g["old"].person_key)
    assert resolve_subject(store, g["a"].uscc.lower(), SECRET) == ("enterprise", g["a"].uscc)
    assert resolve_subject(store, g["e1"].entry_id, SECRET) == ("entry", g["e1"].entry_id)
    with pytest.raises(SnapshotError, match="no person, enterprise or entry"):
        resolve_subject(store, "nothing", SECRET)


# -- constant memory ----------------------------------------------------------------------------------


class CountingStore:
    """Just enough of a store to import enterprises into while holding nothing, counting what it gets."""

    backend_name = "counting"

    def __init__(self) -> None:
        self.written = 0
        self.batches: list[tuple[int, int]] = []  # (lines read so far, records written so far)
        self.read = 0

    def get_meta(self, name: str) -> str | None:
        return None

    def set_meta(self, name: str, value: str) -> None:
        pass  # only the import's data-as-of stamp arrives here

    def upsert_enterprises(self, rows: list[Enterprise]) -> Any:
        from graph_service.store.base import WriteResult

        self.written += len(rows)
        self.batches.append((self.read, self.written))
        return WriteResult(created=len(rows))

    def upsert_persons(self, rows: list[Person]) -> Any:
        raise AssertionError("no persons in this file")


def enterprise_lines(store: CountingStore, n: int) -> LineSource:
    """A file that never exists whole: each line is made when the importer asks for it."""

    def lines() -> Iterator[str]:
        for i in range(n):
            store.read += 1
            code = build_uscc("9", "1", "410922", f"MA{i:06d}")
            yield f'{{"record":"enterprise","uscc":"{code}","name":"清丰县测试{i}有限公司"}}\n'

    return lines


def test_import_reads_and_writes_line_by_line() -> None:
    fake = CountingStore()
    batch = 100
    summary = import_snapshot(
        cast(GraphStore, fake), enterprise_lines(fake, 1050), secret=None, batch_size=batch
    )
    assert summary.kinds["enterprise"].created == 1050
    # At every write, the importer had read at most one batch more than it had written.
    for read, written in fake.batches:
        assert read - written <= batch
    # Three passes, each reading the file again from its start (and its first line once more, for a header).
    assert fake.read == 3 * 1050 + 1


def _peak_import(n: int) -> int:
    fake = CountingStore()
    tracemalloc.start()
    try:
        import_snapshot(cast(GraphStore, fake), enterprise_lines(fake, n), secret=None, batch_size=50)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class ListingStore:
    """Just enough of a store to export from: `n` enterprises made as they are read."""

    backend_name = "listing"

    def __init__(self, n: int) -> None:
        self.n = n
        self.made = 0

    def get_meta(self, name: str) -> str | None:
        return None

    def counts(self) -> dict[str, int]:
        return {"enterprises": self.n}

    def iter_records(self, kind: str) -> Iterator[Enterprise]:
        if kind != "enterprises":
            return
        for i in range(self.n):
            self.made += 1
            yield Enterprise.model_construct(uscc=f"91410922MA{i:08d}", name=f"测试{i}")


class CountingSink:
    def __init__(self, store: ListingStore) -> None:
        self.store = store
        self.lines = 0
        self.ahead = 0

    def write(self, text: str) -> int:
        self.lines += 1
        self.ahead = max(self.ahead, self.store.made - self.lines)
        return len(text)


def _peak_export(n: int) -> tuple[int, int]:
    fake = ListingStore(n)
    sink = CountingSink(fake)
    tracemalloc.start()
    try:
        export_snapshot(cast(GraphStore, fake), sink)
        return tracemalloc.get_traced_memory()[1], sink.ahead
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = _peak_import(150), _peak_import(1500)
    assert large < small * 1.2 + 50_000, (small, large)
    # Export holds at most two chunks (the one written and the next being read): smaller ones here, so
    # that a file of many chunks stays quick to measure.
    monkeypatch.setattr(exporter, "CHUNK", 100)
    (small_out, ahead), (large_out, _) = _peak_export(300), _peak_export(3000)
    assert large_out < small_out * 1.2 + 50_000, (small_out, large_out)
    assert ahead <= 100  # never more than one chunk read ahead of what was written


# -- the commands -------------------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command in this process, as main() runs it: exit code, stdout, stderr."""
    argv = sys.argv
    sys.argv = ["credit-graph", *args]
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in [n for n in os.environ if n.startswith("CREDIT_GRAPH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CREDIT_GRAPH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CREDIT_GRAPH_HASH_KEY", SECRET)
    with EmbeddedStore(tmp_path / "data" / "graph.sqlite3") as held:
        build(held)
    return tmp_path


def test_export_and_import_commands_on_both_backends(
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    neo4j_server: Neo4jServer,
    neo4j_store: Neo4jStore,
) -> None:
    tmp = cli_env
    code, _, err = run_cli(capsys, "export", str(tmp / "snap.jsonl"))
    assert code == 0 and "exported 27 records" in err
    neo4j_store.clear()
    monkeypatch.setenv("CREDIT_GRAPH_BACKEND", "neo4j")
    monkeypatch.setenv("CREDIT_GRAPH_NEO4J_URI", neo4j_server.uri)
    monkeypatch.setenv("CREDIT_GRAPH_NEO4J_USER", neo4j_server.user)
    monkeypatch.setenv("CREDIT_GRAPH_NEO4J_PASSWORD", neo4j_server.password)
    code, out, err = run_cli(capsys, "import", str(tmp / "snap.jsonl"))
    assert code == 0, err
    assert "27 changed" in out
    code, out, _ = run_cli(capsys, "import", str(tmp / "snap.jsonl"))
    assert code == 0 and "0 changed" in out
    code, _, err = run_cli(capsys, "export", str(tmp / "back.jsonl"))
    assert code == 0, err
    first, back = (
        p.read_text(encoding="utf-8").splitlines() for p in (tmp / "snap.jsonl", tmp / "back.jsonl")
    )
    assert records(back) == records(first)
    with (tmp / "snap.jsonl.rejects.csv").open(encoding="utf-8") as rejects:
        assert list(csv.reader(rejects)) == [["line", "record", "field", "reason"]]


def test_commands_fail_cleanly(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tmp = cli_env
    code, _, err = run_cli(capsys, "import", str(tmp / "missing.jsonl"))
    assert code == 2 and "no such file" in err
    code, _, err = run_cli(capsys, "export", "--hops", "2", str(tmp / "x.jsonl"))
    assert code == 2 and "--subject" in err
    code, _, err = run_cli(capsys, "export", "--subject", "nobody", str(tmp / "x.jsonl"))
    assert code == 1 and "no person, enterprise or entry" in err
    code, _, err = run_cli(capsys, "export", str(tmp / "no-such-dir" / "x.jsonl"))
    assert code == 1 and "cannot write" in err
    assert not (tmp / "x.jsonl").exists()
    assert "Traceback" not in err


def test_an_export_with_id_numbers_needs_an_admin_and_is_audited(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp = cli_env
    settings = Settings(data_dir=tmp / "data", hash_key=SECRET)  # type: ignore[arg-type]
    keys = KeyStore(settings.keys_file())
    admin = keys.create("admin", "records office")[1]
    investigator = keys.create("investigator", "someone")[1]
    keys.close()
    out = tmp / "ids.jsonl"
    base = ["export", "--with-id-numbers", "--subject", f.uscc(1)]
    refused = [
        ([*base, str(out)], "--admin-key"),
        ([*base, "--admin-key", admin, str(out)], "--purpose"),
        ([*base, "--admin-key", investigator, "--purpose", "迁移", str(out)], "investigator key may not"),
        ([*base, "--admin-key", "cg_0_nothing", "--purpose", "迁移", str(out)], "unknown or revoked"),
    ]
    refused += [
        (["export", "--purpose", "迁移", str(out)], "only with --with-id-numbers"),
        ([*base, "--admin-key", admin, "--purpose", "迁移", str(tmp / "no" / "x.jsonl")], "cannot write"),
    ]
    for args, says in refused:
        code, _, err = run_cli(capsys, *args)
        assert code in (1, 2) and says in err and "Traceback" not in err, err
        assert not out.exists()
    code, _, err = run_cli(capsys, *base, "--admin-key", admin, "--purpose", "迁移到新服务器", str(out))
    assert code == 0 and err.startswith("warning: the file will hold full ID numbers")
    assert any(is_valid_id_number(m) for m in re.findall(r"\d{17}[\dX]", out.read_text(encoding="utf-8")))
    log = AuditLog(settings.audit_file(), settings.audit_secret())
    try:
        records = log.records(subject=f.uscc(1))
    finally:
        log.close()
    assert [(r.action, r.role, r.purpose) for r in records] == [
        ("export_id_numbers", "admin", "迁移到新服务器")
    ]


def test_a_broken_file_as_a_user_runs_it(cli_env: Path) -> None:
    """In a subprocess: the exit code, the reject file, and no traceback."""
    tmp = cli_env
    number = f.person(5).id_number or ""
    broken = tmp / "broken.jsonl"
    broken.write_text(
        to_line({"record": "enterprise", "uscc": f.uscc(31), "name": "好公司"})
        + to_line({"record": "person", "id_number": number[:-1] + "0", "name": "错号"})
        + "not json\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_GRAPH_")}
    env.update(CREDIT_GRAPH_DATA_DIR=str(tmp / "data"), CREDIT_GRAPH_HASH_KEY=SECRET)
    command = [sys.executable, "-m", "graph_service.cli", "import", str(broken)]
    result = subprocess.run(
        [*command, "--reject-file", str(tmp / "r.csv")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # 2 of 3 rejected: above the reject threshold
    assert "Traceback" not in result.stderr + result.stdout
    assert "2 of 3 records rejected" in result.stderr and "the others were imported" in result.stderr
    rows = list(csv.reader((tmp / "r.csv").open(encoding="utf-8")))
    assert [r[:3] for r in rows] == [["line", "record", "field"], ["2", "person", "id_number"], ["3", "", ""]]
    assert number[:-1] not in (tmp / "r.csv").read_text(encoding="utf-8")


def test_the_reject_file_neither_runs_formulas_nor_shows_id_numbers(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp = cli_env
    number = f.person(5).id_number or ""
    bad = tmp / "formula.jsonl"
    # A field name is the file's own text, and goes into the report as the reason's field.
    bad.write_text(
        to_line({"record": "enterprise", "uscc": f.uscc(32), "name": "好公司", '=HYPERLINK("http://x")': 1})
        + to_line({"record": "enterprise", "uscc": f.uscc(33), "name": "好公司", f"@{number}": 1})
        + to_line({"record": "enterprise", "uscc": f.uscc(34), "name": "好公司"}),
        encoding="utf-8",
    )
    run_cli(capsys, "import", str(bad))
    text = (tmp / "formula.jsonl.rejects.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    masked = number[:4] + "*" * 10 + number[-4:]
    assert [r[2] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'@" + masked]
    assert number not in text


# -- for the round trips on the synthetic county (test_snapshots_from_neo4j.py, test_snapshots_to_neo4j.py) --

DAY = date(2026, 6, 30)
_ENTRY_ID = re.compile(r"^L[0-9a-f]{32}$")
_PERSON = re.compile(r"^P[0-9a-f]{32}$")


def add_history(store: GraphStore, answers: Answers) -> None:
    """A listing's life and departments' feedback on the county, so that the round trip carries both."""
    legal = str(answers.cases["legal_rep_change"]["entry_id"])
    finance = str(answers.cases["finance_head"]["entry_id"])
    departments = ("清丰县发展和改革委员会", "清丰县公共资源交易中心")
    transition(store, legal, "pushed", "清丰县人民法院", date(2022, 3, 16), departments=departments)
    applied = Feedback(
        entry_id=legal,
        department="清丰县公共资源交易中心",
        measure="limit_public_bidding",
        outcome="applied",
        on=date(2022, 4, 1),
    )
    rules = load_rules()
    record_feedback(store, rules, applied)
    record_feedback(store, rules, applied)
    transition(store, finance, "objection_filed", "清丰县宏达商贸有限公司", date(2024, 1, 5), reason="已补缴")


def _planted(value: object, found: set[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _planted(item, found)
    elif isinstance(value, list):
        for item in value:
            _planted(item, found)
    elif isinstance(value, str):
        if _PERSON.match(value):
            found.add(("person", value))
        elif _ENTRY_ID.match(value):
            found.add(("entry", value))
        elif is_valid_uscc(value):
            found.add(("enterprise", value))


def engine_answers(store: GraphStore, answers: Answers) -> dict[str, object]:
    """Every kind of engine answer, as data: checks on the planted subjects and a sample of the rest,
    who else is restricted for every planted entry, and who is on several lists."""
    engine = Engine(store, load_rules())
    planted: set[tuple[str, str]] = set()
    _planted(answers.cases, planted)
    subjects = {(k, key) for k, key in planted if k != "entry"}
    for i, record in enumerate(store.iter_records("enterprises")):
        if i % 60 == 0 and isinstance(record, Enterprise):
            subjects.add(("enterprise", record.uscc))
    for i, record in enumerate(store.iter_records("persons")):
        if i % 250 == 0 and isinstance(record, Person):
            subjects.add(("person", record.person_key))
    found: dict[str, object] = {}
    for kind, key in sorted(subjects):
        subject_kind = cast(Literal["person", "enterprise"], kind)
        found[f"check {kind} {key}"] = engine.check(subject_kind, key, DAY).model_dump(mode="json")
        if (kind, key) in planted:
            past = engine.check(subject_kind, key, date(2022, 6, 30), action="public_bidding")
            found[f"check {kind} {key} 2022"] = past.model_dump(mode="json")
    entry_ids = sorted(key for kind, key in planted if kind == "entry")
    for entry_id in entry_ids:
        found[f"affected {entry_id}"] = engine.affected([entry_id], DAY).model_dump(mode="json")
    found["affected all"] = engine.affected(entry_ids, DAY).model_dump(mode="json")
    found["multi_list"] = engine.multi_list(DAY).model_dump(mode="json")
    found["multi_list 2023"] = engine.multi_list(date(2023, 6, 30), min_domains=2).model_dump(mode="json")
    return found


def assert_same_answers(mine: dict[str, object], theirs: dict[str, object]) -> None:
    assert sorted(mine) == sorted(theirs)
    for question in sorted(mine):
        assert mine[question] == theirs[question], question


def test_the_documented_examples_are_what_export_writes_and_import_reads(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "docs" / "snapshots.md").read_text(encoding="utf-8")
    exported, with_ids, by_hand = (
        block.splitlines() for block in re.findall(r"```jsonl\n(.*?)```", text, re.DOTALL)
    )
    key = "example-hash-key"  # the key the example was made with
    with EmbeddedStore(tmp_path / "example.sqlite3") as example:
        summary, rejects = run_import(example, exported, secret=key)
        assert rejects == [] and summary.warnings == [] and summary.changed == 11
        assert records(export_lines(example)) == records(exported)
        summary, rejects = run_import(example, with_ids, secret=key)
        assert rejects == [] and summary.kinds["person"].updated == 1
        assert set(with_ids) <= set(export_lines(example, with_id_numbers=True))
    with EmbeddedStore(tmp_path / "case.sqlite3") as case:
        summary, rejects = run_import(case, by_hand, secret="any-installation")
        assert rejects == [] and summary.changed == 5


def test_a_cut_off_file_is_noticed_and_an_overlong_line_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EmbeddedStore(tmp_path / "source.sqlite3") as source_store:
        build(source_store)
        export_to_path(source_store, tmp_path / "full.jsonl")
    full = (tmp_path / "full.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "cut.jsonl").write_text("".join(full[:-4]), encoding="utf-8")
    with EmbeddedStore(tmp_path / "a.sqlite3") as target:
        summary = import_file(target, tmp_path / "cut.jsonl", secret=SECRET)
        assert summary.rejected == 0 and "no end record" in summary.warnings[0]
    monkeypatch.setattr(importer, "MAX_LINE_BYTES", 2000)
    assert max(len(line.encode()) for line in full) < 2000
    huge = to_line({"record": "enterprise", "uscc": f.uscc(77), "name": "大" * 1000})
    (tmp_path / "long.jsonl").write_text("".join([*full[:2], huge, *full[2:]]), encoding="utf-8")
    rejects: list[Reject] = []
    with EmbeddedStore(tmp_path / "b.sqlite3") as target:
        summary = import_file(target, tmp_path / "long.jsonl", secret=SECRET, on_reject=rejects.append)
        assert [(r.line, r.reason) for r in rejects] == [(3, "line longer than 2,000 bytes")]
        assert summary.kinds["enterprise"].created == 4 and target.get_enterprise(f.uscc(77)) is None
        assert summary.rejected == 1 and summary.records == 28
