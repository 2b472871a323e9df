"""The sample files load on both backends: counts, reject reports, idempotence, change records, the
GB18030 list, the XLSX register and list snapshots. The generator the samples are cut from is the truth."""

from __future__ import annotations

import csv
import json
import logging
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from graph_service.model import RoleType
from graph_service.store.base import GraphStore
from graph_service.store.neo4j_store import Neo4jStore
from loaders import LoadOptions, LoadReport, run_load
from loaders.samples import SAMPLE_ENTERPRISES, SAMPLE_SEED, Truth, truth
from tests.conftest import SECRET

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
REGISTRATION = [
    ("enterprises", "enterprises.csv"),
    ("personnel", "personnel.csv"),
    ("shareholders", "shareholders.csv"),
    ("branches", "branches.csv"),
    ("changes", "changes.csv"),
]


@pytest.fixture(scope="module")
def generated() -> Truth:
    return truth(SAMPLE_ENTERPRISES, SAMPLE_SEED, SECRET)


def load(
    store: GraphStore, kind: str, name: str, tmp: Path, batch_size: int = 1000, **options: object
) -> LoadReport:
    opts = LoadOptions(
        secret=SECRET,
        batch_size=batch_size,
        reject_file=tmp / f"{name}.rejects.csv",
        **options,  # type: ignore[arg-type]
    )
    return run_load(store, kind, SAMPLES / name, opts, default_dir=tmp)


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def assert_rejects_as_expected(report: LoadReport, name: str) -> None:
    expected = EXPECTED["files"][name]
    assert report.counters.rows == expected["data_rows"]
    rejected = [bad for bad in expected["bad"] if bad["outcome"] == "rejected"]
    assert report.counters.rejected == len(rejected)
    lines = read_report(report.reject_file)
    got = {
        (int(line["row"]), line["field"], line["outcome"])
        for line in lines
        if line["outcome"] != "kept_flagged"
    }
    assert got == {(bad["row"], bad["field"], bad["outcome"]) for bad in expected["bad"]}
    for bad in expected["bad"]:
        line = next(x for x in lines if int(x["row"]) == bad["row"])
        assert bad["reason"] in line["reason"], (bad, line)


def no_full_id_numbers(*paths: Path) -> None:
    """Reports never show a whole resident ID number."""
    for path in paths:
        text = path.read_text(encoding="utf-8-sig")
        assert not re.search(r"(?<![0-9A-Z])\d{17}[\dX](?![0-9A-Z])", text), path


def load_registration(store: GraphStore, tmp: Path) -> dict[str, LoadReport]:
    return {kind: load(store, kind, name, tmp) for kind, name in REGISTRATION}


def test_registration_loads_to_the_generators_graph_and_again_changes_nothing(
    store: GraphStore, tmp_path: Path, generated: Truth
) -> None:
    reports = {kind: load(store, kind, name, tmp_path) for kind, name in REGISTRATION[:4]}
    # Planted case: 张建国 was legal representative from 2015-03-01, 李志强 from 2021-07-01.
    planted = next(e for e in generated.enterprises.values() if e.name == "清丰县顺达建筑工程有限公司")
    before = store.roles_of_enterprise(planted.uscc, [RoleType.LEGAL_REPRESENTATIVE_OF])
    assert [(r.valid_from, r.valid_to) for r in before] == [(date(2015, 3, 1), None)]
    former = before[0].holder_key

    reports["changes"] = load(store, "changes", "changes.csv", tmp_path)
    for kind, name in REGISTRATION:
        report = reports[kind]
        assert not report.failed, kind
        assert_rejects_as_expected(report, name)
        no_full_id_numbers(report.reject_file, report.unresolved_file)
    assert reports["enterprises"].counters.loaded == EXPECTED["files"]["enterprises.csv"]["good"]
    assert reports["changes"].counters.skipped == 4  # 经营范围变更: nothing the graph keeps
    assert reports["changes"].counters.held == 1  # nobody it names can be identified
    unresolved = read_report(reports["changes"].unresolved_file)
    assert {int(u["row"]) for u in unresolved} == set(EXPECTED["files"]["changes.csv"]["unresolved_rows"])

    # The change record closed the old edge and opened the new one on the change date.
    after = store.roles_of_enterprise(planted.uscc, [RoleType.LEGAL_REPRESENTATIVE_OF])
    assert [(r.holder_key == former, r.valid_from, r.valid_to) for r in after] == [
        (True, date(2015, 3, 1), date(2021, 7, 1)),
        (False, date(2021, 7, 1), None),
    ]
    new = store.get_person(after[1].holder_key)
    assert new is not None and new.name == "李志强"
    on_day = store.roles_of_enterprise(
        planted.uscc, [RoleType.LEGAL_REPRESENTATIVE_OF], as_of=date(2021, 6, 30)
    )
    assert [r.holder_key for r in on_day] == [former]

    # Every role edge of the registration, with its dates and positions, as the generator made it:
    # finance heads and staff supervisors handed over on their change dates too.
    registration_types = set(RoleType) - {RoleType.PRACTITIONER_AT}
    want = {r.role_id: r for r in generated.roles if r.type in registration_types}
    assert any(r.valid_to is not None and r.type == RoleType.SENIOR_MANAGER_OF for r in want.values())
    got = {r.role_id: r for r in store.iter_records("roles")}  # type: ignore[attr-defined]
    stub = EXPECTED["files"]["shareholders.csv"]["stubs"][0]
    # The enterprises added with a bad optional field load with their representative too: not the
    # generator's, so left out of the comparison.
    generated_codes = set(generated.enterprises)
    assert {k for k, r in got.items() if r.holder_key != stub and r.enterprise in generated_codes} == set(
        want
    )
    assert len({r.enterprise for r in got.values()} - generated_codes) == 2  # bad 成立日期 and 登记状态
    # The third's representative has a number failing its check: reported, not guessed.
    for key, role in want.items():
        assert (got[key].valid_from, got[key].valid_to, got[key].position) == (
            role.valid_from,
            role.valid_to,
            role.position,
        )
        if role.ratio is not None:
            assert got[key].ratio == pytest.approx(role.ratio)
    counts = store.counts()
    # And the shareholder known only as one, and the three added with a bad optional field left empty.
    assert counts["enterprises"] == len(generated.enterprises) + 1 + 3
    stored = store.get_enterprise(stub)
    assert stored is not None and stored.name == "北京中原投资有限公司" and stored.status == ""

    # A second load of each file changes nothing, and reloading the registration tables does not
    # reopen what the change records closed.
    for kind, name in REGISTRATION:
        again = load(store, kind, name, tmp_path)
        assert again.changed == 0, (kind, again.counters.results)
        assert again.counters.rejected == reports[kind].counters.rejected
    assert store.counts() == counts


def test_court_list_gb18030_list_and_snapshot_removal(
    store: GraphStore, tmp_path: Path, generated: Truth
) -> None:
    for kind, name in REGISTRATION:
        load(store, kind, name, tmp_path)
    june = load(store, "court", "court_2024-06.csv", tmp_path, snapshot_date=date(2024, 6, 1))
    expected = EXPECTED["files"]["court_2024-06.csv"]
    assert_rejects_as_expected(june, "court_2024-06.csv")
    unresolved = read_report(june.unresolved_file)
    assert {int(u["row"]) for u in unresolved} == set(expected["unresolved_rows"])
    assert all("*" in u["document"] for u in unresolved)  # masked as published, never unmasked
    assert june.counters.held == len(expected["unresolved_rows"])
    assert june.counters.results["entries"].created == expected["good"] - len(expected["unresolved_rows"])
    no_full_id_numbers(june.reject_file, june.unresolved_file)

    # Enterprise debtors keep the generator's entry ids; the court names the current legal representative.
    court = store.entries_of_list("court_dishonest_debtor", "court_enforcement")
    by_id = {e.entry_id: e for e in court}
    for entry in generated.entries:
        if entry.list_type == "court_dishonest_debtor" and entry.subject_kind == "enterprise":
            held = by_id[entry.entry_id]
            assert [n.person_key for n in held.named_responsible] == [
                n.person_key for n in entry.named_responsible
            ]
            assert held.conduct_category == 3 and held.domain == "court" and held.kind == "black"
    # Natural-person debtors with masked numbers are matched to the one registered person who fits.
    people = [e for e in court if e.subject_kind == "person"]
    assert len(people) >= 40
    for entry in people:
        person = store.get_person(entry.subject_key)
        assert person is not None and person.name == entry.subject_name

    # The GB18030 file with full-width digits, letters and brackets and Chinese headers.
    lists = load(store, "list", "lists_gb18030.csv", tmp_path)
    assert lists.encoding == "gb18030"
    assert_rejects_as_expected(lists, "lists_gb18030.csv")
    for entry in generated.entries:
        if entry.list_type == "court_dishonest_debtor":
            continue
        held_entry = store.get_entry(entry.entry_id)
        assert held_entry is not None, entry.decision_number
        assert (held_entry.list_type, held_entry.decision_number, held_entry.listed_on) == (
            entry.list_type,
            entry.decision_number,
            entry.listed_on,
        )
        assert held_entry.subject_key == entry.subject_key
        assert {n.person_key for n in held_entry.named_responsible} == {
            n.person_key for n in entry.named_responsible
        }
    watch = store.entries_of_list("abnormal_operation", "credit_platform")
    assert len(watch) == sum(1 for e in generated.entries if e.list_type == "abnormal_operation") + 30
    # A black list without an expiry lasts its list type's usual duration (rules.yaml).
    red = [e for e in store.entries_of_list("tax_a_grade") if e.source == "credit_platform"]
    assert all(e.conduct_category is None and e.kind == "red" for e in red)

    # July: two listings gone, one new, as JSON Lines. The two are marked, not deleted.
    july = load(store, "court", "court_2024-07.jsonl", tmp_path, snapshot_date=date(2024, 7, 1))
    assert july.counters.rejected == 0 and july.counters.removed == 2
    dropped = {
        (d["decision_number"], d["subject_name"]) for d in EXPECTED["files"]["court_2024-07.jsonl"]["dropped"]
    }
    after = store.entries_of_list("court_dishonest_debtor", "court_enforcement")
    removed = [e for e in after if e.status == "removed_from_source"]
    assert {(e.decision_number, e.subject_name) for e in removed} == dropped
    assert all(e.removed_on == date(2024, 7, 1) for e in removed)
    # 吴海涛 is known now (the labour list gave his full number), so his court row resolves.
    assert len(after) == len(court) + 2
    assert load(store, "court", "court_2024-07.jsonl", tmp_path, snapshot_date=date(2024, 7, 2)).changed == 0
    kept = {e.entry_id: e for e in store.entries_of_list("court_dishonest_debtor")}
    assert all(e.removed_on == date(2024, 7, 1) for e in kept.values() if e.status == "removed_from_source")
    # Listed again in a later snapshot: active again; the one only July had is marked removed instead.
    back = load(store, "court", "court_2024-06.csv", tmp_path, snapshot_date=date(2024, 8, 1))
    assert back.counters.removed == 1 and back.counters.relisted == 2
    again = {(e.decision_number, e.subject_name): e for e in store.entries_of_list("court_dishonest_debtor")}
    assert all(again[d].status == "active" and again[d].removed_on is None for d in dropped)
    # Removal and relisting are dated life-cycle events, not bare statuses (docs/domain.md).
    for d in dropped:
        history = [(c.event, c.on) for c in again[d].history]
        assert history == [("removed_from_source", date(2024, 7, 1)), ("relisted", date(2024, 8, 1))]
        events = store.events_of_entry(again[d].entry_id)
        assert [e.event for e in events] == ["removed_from_source", "relisted"]
        assert events[0].actor.startswith("loader: ") and events[0].reason


def test_practitioner_register_xlsx(store: GraphStore, tmp_path: Path, generated: Truth) -> None:
    load(store, "enterprises", "enterprises.csv", tmp_path)
    report = load(store, "practitioners", "practitioners.xlsx", tmp_path)
    assert report.encoding == ""
    assert_rejects_as_expected(report, "practitioners.xlsx")
    assert store.counts()["PRACTITIONER_AT"] == EXPECTED["files"]["practitioners.xlsx"]["good"]
    for role in generated.roles:
        if role.type == RoleType.PRACTITIONER_AT:
            held = [r for r in store.roles_of_holder("person", role.holder_key) if r.role_id == role.role_id]
            assert len(held) == 1 and held[0].profession == role.profession
    # 有效期至 is the last valid day; the edge ends the day after.
    ending = [
        r
        for r in store.iter_records("roles")
        if getattr(r, "valid_to", None) is not None  # type: ignore[misc]
    ]
    assert ending and all(r.valid_to - r.valid_from == timedelta(days=3 * 365 + 1) for r in ending)
    assert load(store, "practitioners", "practitioners.xlsx", tmp_path).changed == 0


def test_codes_failing_their_check_are_kept_flagged_when_asked(store: GraphStore, tmp_path: Path) -> None:
    report = load(store, "enterprises", "enterprises.csv", tmp_path, keep_invalid_codes=True)
    bad = next(
        b for b in EXPECTED["files"]["enterprises.csv"]["bad"] if b["reason"] == "uscc check_character"
    )
    assert report.counters.kept_flagged == 1
    rejected = [b for b in EXPECTED["files"]["enterprises.csv"]["bad"] if b["outcome"] == "rejected"]
    assert report.counters.rejected == len(rejected) - 1
    line = next(x for x in read_report(report.reject_file) if int(x["row"]) == bad["row"])
    assert line["outcome"] == "kept_flagged" and "id_valid=false" in line["reason"]
    flagged = [e for e in store.iter_records("enterprises") if not e.id_valid]  # type: ignore[attr-defined]
    assert len(flagged) == 1 and flagged[0].uscc == line["value"]


def _notices(caplog: pytest.LogCaptureFixture, code_part: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name.startswith("neo4j") and code_part in r.getMessage()
    ]


def test_reads_of_properties_never_stored_log_nothing_and_other_notices_still_do(
    store: GraphStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="neo4j")
    load(store, "enterprises", "enterprises.csv", tmp_path)
    load(store, "personnel", "personnel.csv", tmp_path)
    assert not _notices(caplog, "Unknown")
    if not isinstance(store, Neo4jStore):
        return
    # The load may find every key made by earlier tests in this database: a property no test ever writes
    # is the one read that is sure to be unknown to it.
    store.driver.execute_query(
        "MATCH (e:Enterprise) RETURN e.never_stored_anywhere LIMIT 1", database_=store.database
    )
    assert not _notices(caplog, "Unknown")
    # Only that category is off: the server's word on a slow plan still reaches the log.
    store.driver.execute_query(
        "MATCH (a:Enterprise), (b:Person) RETURN count(*) AS n", database_=store.database
    )
    assert _notices(caplog, "CartesianProduct")
