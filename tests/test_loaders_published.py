"""Files in the layouts authorities really publish load right, on both backends, without --mapping.

samples/published/ is made by loaders.published_samples in the layouts of a provincial registration
extract (with its separate legal-representative table), the national enforcement platform's dishonest
debtors (its JSON records and its detail-page labels), the tax authority's major-violation cases and
the abnormal-operation list, bad rows included; expected.json says what a correct load makes of every
row. Seeds: 濮信用〔2020〕3号 items 5 and 23 (the lists and who they reach); 最高人民法院关于公布失信被执行人
名单信息的若干规定 (the court list and its performance status)."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph_service.identifiers import id_check_char, mask_id_number
from graph_service.model import ListEntry, RoleType
from graph_service.store.base import GraphStore
from graph_service.text_safety import _first_generation
from loaders import LoadOptions, LoadReport, run_load
from tests.conftest import SECRET

FOLDER = Path(__file__).resolve().parent.parent / "samples" / "published"
EXPECTED: dict[str, Any] = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))
KIND = {
    "registration_enterprises.csv": "enterprises",
    "registration_legal_reps.csv": "personnel",
    "tax_major_cases.csv": "list",
    "court_platform.jsonl": "court",
    "court_platform_detail.csv": "court",
    "abnormal_operations.csv": "list",
}
PICKED = {
    "registration_enterprises.csv": "enterprises.registration_extract.yaml",
    "registration_legal_reps.csv": "personnel.registration_legal_reps.yaml",
    "tax_major_cases.csv": "list.tax_major_cases.yaml",
    "court_platform.jsonl": "court.platform_json.yaml",
    "court_platform_detail.csv": "court.yaml",
    "abnormal_operations.csv": "list.abnormal_operations.yaml",
}
STATUS = {"active": "active", "repaired": "repaired", "ended": "removed_from_source"}


# The platform's JSON records and its detail pages are two views of one list: loaded as one source, each
# file would be a snapshot missing the other's entries.
SOURCES = {"court_platform_detail.csv": "court_enforcement_detail"}


def load(store: GraphStore, name: str, tmp: Path) -> LoadReport:
    opts = LoadOptions(
        secret=SECRET,
        reject_file=tmp / f"{name}.rejects.csv",
        snapshot_date=date(2024, 6, 1),
        source=SOURCES.get(name),
    )
    return run_load(store, KIND[name], FOLDER / name, opts, default_dir=tmp)


def load_all(store: GraphStore, tmp: Path) -> dict[str, LoadReport]:
    assert EXPECTED["load_order"] == list(KIND)
    return {name: load(store, name, tmp) for name in EXPECTED["load_order"]}


def report_lines(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def entries(store: GraphStore, name: str, report: LoadReport) -> list[ListEntry]:
    return store.entries_of_list(EXPECTED["files"][name]["list_type"], report.source)


@pytest.fixture
def loaded(store: GraphStore, tmp_path: Path) -> dict[str, LoadReport]:
    return load_all(store, tmp_path)


def test_each_layout_is_picked_by_its_headers_and_every_column_is_accounted_for(
    loaded: dict[str, LoadReport],
) -> None:
    for name, report in loaded.items():
        assert report.mapping is not None and report.mapping.name == PICKED[name], name
        assert report.mapping_why is not None and report.mapping_why.startswith(f"{PICKED[name]}: reads ")
        assert report.unused_columns == [], (name, report.unused_columns)
        assert report.counters.rows == EXPECTED["files"][name]["data_rows"], name


def test_every_row_ends_as_expected_with_its_report_line(loaded: dict[str, LoadReport]) -> None:
    for name, report in loaded.items():
        rejects = report_lines(report.reject_file)
        unresolved = report_lines(report.unresolved_file)
        by_row: dict[int, list[dict[str, str]]] = {}
        for line in rejects:
            by_row.setdefault(int(line["row"]), []).append(line)
        unresolved_rows = {int(u["row"]) for u in unresolved}
        for row in EXPECTED["files"][name]["rows"]:
            where = (name, row["row"], row["case"])
            lines = by_row.get(row["row"], [])
            field = row["field"] or "(row)"
            outcome = row["expected"]
            if outcome == "rejected":
                assert any(x["outcome"] == "rejected" for x in lines), where
                assert field in {x["field"] for x in lines if x["outcome"] == "rejected"}, (where, lines)
            elif outcome == "loaded_with_report":
                assert not any(x["outcome"] == "rejected" for x in lines), (where, lines)
                assert any(x["outcome"] == "left_empty" and x["field"] == field for x in lines), (
                    where,
                    lines,
                )
            elif outcome in ("unresolved", "held"):
                assert not any(x["outcome"] == "rejected" for x in lines), (where, lines)
                assert row["row"] in unresolved_rows, where
            else:  # loaded, ended
                assert not any(x["outcome"] == "rejected" for x in lines), (where, lines)
        counts = EXPECTED["files"][name]["counts"]
        c = report.counters
        assert c.rejected == counts.get("rejected", 0), (name, c)
        if "loaded_with_report" in counts:
            assert c.left_empty == counts["loaded_with_report"], (name, c)
        if "held" in counts:
            assert c.held == counts["held"], (name, c)


def test_enterprises_of_the_extract_as_published(store: GraphStore, loaded: dict[str, LoadReport]) -> None:
    expected = EXPECTED["files"]["registration_enterprises.csv"]
    report = loaded["registration_enterprises.csv"]
    assert report.counters.loaded == expected["counts"]["enterprises_loaded"]
    held = store.get_enterprises([e["key"] for e in expected["enterprises"]])
    for e in expected["enterprises"]:
        stored = held.get(e["key"])
        assert stored is not None, e
        assert stored.name == e["name"] and stored.registry_id == e["registry_id"], e
        assert stored.registration_number == e["registration_number"] or (
            e["uscc"] is None and stored.registration_number == e["key"]
        ), (e, stored)
        assert stored.id_valid == (e["uscc"] is not None), e
        assert (stored.established_on.isoformat() if stored.established_on else None) == e[
            "established_on"
        ], e
        capital = e["registered_capital"]
        if capital is None:
            assert stored.registered_capital is None, e
        else:
            # In 万 of its own currency: US dollars are never stored as yuan.
            assert stored.registered_capital == pytest.approx(capital["amount"]), e
            assert (stored.capital_currency or "CNY") == capital["currency"], e


def test_legal_representatives_join_by_registry_id_and_both_id_forms_are_one_person(
    store: GraphStore, loaded: dict[str, LoadReport]
) -> None:
    expected = EXPECTED["files"]["registration_legal_reps.csv"]
    assert loaded["registration_legal_reps.csv"].counters.loaded == expected["counts"]["legal_reps_attached"]
    for rep in expected["legal_reps"]:
        roles = store.roles_of_enterprise(
            rep["enterprise"], [RoleType.LEGAL_REPRESENTATIVE_OF, RoleType.PRINCIPAL_OF]
        )
        people = store.get_persons([r.holder_key for r in roles])
        assert [(p.name, p.id_masked, p.document_type) for p in people.values()] == [
            (rep["name"], rep["masked"], rep["document_type"])
        ], rep
    for person in EXPECTED["persons_in_two_forms"]:
        same = [p for p in store.persons_named(person["name"]) if p.id_masked == person["masked"]]
        assert len(same) == 1, person


def test_list_entries_have_the_states_subjects_and_people_published(
    store: GraphStore, loaded: dict[str, LoadReport]
) -> None:
    for name in (
        "tax_major_cases.csv",
        "court_platform.jsonl",
        "court_platform_detail.csv",
        "abnormal_operations.csv",
    ):
        expected = EXPECTED["files"][name]
        stored = entries(store, name, loaded[name])
        for want in expected["entries"]:
            found = [e for e in stored if _same_entry(store, name, e, want)]
            assert len(found) == 1, (name, want, len(found))
            entry = found[0]
            assert entry.status == STATUS[want["status"]], (name, want, entry.status)
            if want.get("ended_on"):
                # Ended on its 移出日期 by a dated life-cycle event, never an expiry.
                assert entry.removed_on == date.fromisoformat(want["ended_on"]) and entry.expires_on is None
                assert entry.history[-1].event == "removed_from_source"
                assert entry.history[-1].on == date.fromisoformat(want["ended_on"])
            named = want.get("named_responsible", [])
            people = store.get_persons([n.person_key for n in entry.named_responsible])
            got = sorted((n.name, people[n.person_key].id_masked, n.role) for n in entry.named_responsible)
            assert got == sorted((n["name"], n["masked"], n["role"]) for n in named), (name, want, got)
        counts = expected["counts"]
        statuses = [e.status for e in stored]
        assert statuses.count("active") == counts["active"], name
        assert statuses.count("repaired") == counts["repaired"], name
        assert statuses.count("removed_from_source") == counts["ended"], name
        for subject in expected.get("org_code_subjects", []):
            hits = [e for e in stored if e.subject_key == subject["resolves_to"]]
            assert (len(hits) == 1) == (subject["resolves_to"] is not None), (name, subject)
    finance = EXPECTED["files"]["tax_major_cases.csv"]["finance_heads"]
    assert len(finance) >= 5
    abnormal = EXPECTED["files"]["abnormal_operations.csv"]
    stubs = [e["subject"] for e in abnormal["entries"] if e["stub"]]
    assert len(stubs) == abnormal["counts"]["stubs"]
    for code in stubs:
        stub = store.get_enterprise(code)
        assert stub is not None and stub.status == ""


def _same_entry(store: GraphStore, name: str, entry: ListEntry, want: dict[str, Any]) -> bool:
    if "case_code" in want:
        if entry.decision_number != want["case_code"]:
            return False
        subject = want["subject"]
        if subject["kind"] == "enterprise":
            return entry.subject_kind == "enterprise" and entry.subject_key == subject["uscc"]
        person = store.get_person(entry.subject_key)
        return person is not None and (person.name, person.id_masked) == (subject["name"], subject["masked"])
    listed = want.get("published_on") or want["listed_on"]
    if entry.subject_key != want["subject"] or entry.listed_on != date.fromisoformat(listed):
        return False
    return "case_nature" not in want or entry.conduct.startswith(want["case_nature"])


def test_a_second_load_of_every_file_changes_nothing(
    store: GraphStore, loaded: dict[str, LoadReport], tmp_path: Path
) -> None:
    before = store.counts()
    for name in EXPECTED["load_order"]:
        again = load(store, name, tmp_path / "again")
        assert again.changed == 0, (name, again.counters.results)
        assert again.counters.ended == 0 and again.counters.removed == 0, name
    assert store.counts() == before


def test_no_report_holds_an_id_number_in_clear_or_a_live_formula(
    loaded: dict[str, LoadReport], tmp_path: Path
) -> None:
    # What the loaders write beside a load (the store's own files live elsewhere, or are the database).
    written = [p for p in tmp_path.rglob("*") if p.suffix in (".csv", ".json")]
    assert any(p.name.endswith(".unresolved.csv") for p in written)
    for path in written:
        text = path.read_text(encoding="utf-8-sig")
        for m in re.finditer(r"(?<![0-9A-Za-z])(\d{17})([\dX])(?![0-9A-Za-z])", text):
            assert id_check_char(m.group(1)) != m.group(2), (path, mask_id_number(m.group(0)))
        for m in re.finditer(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])", text):
            assert not _first_generation(m.group(0)), (path, m.group(0)[:6])
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as f:
                for cells in csv.reader(f):
                    for cell in cells:
                        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (path, cell[:40])
