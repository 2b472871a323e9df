"""The loaders' parts: readers, field parsing, mappings, matching people without a full ID number, and
change records for attributes; the store-bound ones on both backends."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from graph_service.identifiers import mask_id_number
from graph_service.model import RoleType
from graph_service.store.base import GraphStore
from loaders import LoadOptions, LoadReport, MappingError, run_load
from loaders.common import split_names
from loaders.fields import parse_date, parse_money, parse_ratio
from loaders.readers import Reader, detect_encoding
from tests import factories as f
from tests.conftest import SECRET
from tests.test_loaders_samples import read_report


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(store: GraphStore, kind: str, path: Path, tmp: Path, **options: object) -> LoadReport:
    opts = LoadOptions(secret=SECRET, reject_file=tmp / f"{path.name}.rejects.csv", **options)  # type: ignore[arg-type]
    return run_load(store, kind, path, opts, default_dir=tmp)


# -- reading --------------------------------------------------------------------------------------


def test_encodings_are_told_apart_and_full_width_headers_match(tmp_path: Path) -> None:
    text = "统一社会信用代码,企业名称\n91110000600037341L,北京某某有限公司\n"
    (tmp_path / "u.csv").write_text(text, encoding="utf-8")
    (tmp_path / "g.csv").write_text(text, encoding="gb18030")
    (tmp_path / "b.csv").write_text(text, encoding="utf-8-sig")
    assert detect_encoding(tmp_path / "u.csv") == "utf-8"
    assert detect_encoding(tmp_path / "g.csv") == "gb18030"
    assert detect_encoding(tmp_path / "b.csv") == "utf-8-sig"
    reader = Reader(tmp_path / "b.csv")
    assert [r.cells for r in reader.rows()] == [["91110000600037341L", "北京某某有限公司"]]
    assert reader.header == ["统一社会信用代码", "企业名称"]  # no byte-order mark in the first header


def test_xlsx_and_json_lines_rows_carry_where_they_are_in_the_file(tmp_path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("s")
    sheet.append([])
    sheet.append(["姓名", "日期", "数"])
    sheet.append(["张三", date(2024, 3, 1), 12.0])
    sheet.append([None, None, None])
    sheet.append(["李四", None, 3.5])
    book.save(tmp_path / "x.xlsx")
    rows = list(Reader(tmp_path / "x.xlsx").rows())
    assert [(r.number, r.cells) for r in rows] == [
        (3, ["张三", "2024-03-01", "12"]),
        (5, ["李四", None, "3.5"]),
    ]

    (tmp_path / "x.jsonl").write_text('{"a": "1"}\n\nnot json\n{"b": 2, "a": null}\n', encoding="utf-8")
    reader = Reader(tmp_path / "x.jsonl")
    rows = list(reader.rows())
    assert [(r.number, r.cells, r.error is not None) for r in rows] == [
        (1, ["1"], False),
        (3, [], True),
        (4, [None, "2"], False),
    ]
    assert reader.header == ["a", "b"]


def test_dates_amounts_and_shares_as_sources_write_them() -> None:
    for text in (
        "2024-03-01",
        "2024/3/1",
        "2024.03.01",
        "20240301",
        "2024年3月1日",
        "２０２４－０３－０１",
        "2024-03-01 00:00:00",
    ):
        assert parse_date(text) == date(2024, 3, 1), text
    assert parse_date("2024-02-30") is None and parse_date("March 1") is None
    assert parse_money("100万元") == 100 and parse_money("1,000,000元") == 100 and parse_money("５０") == 50
    assert parse_money("-3") is None and parse_money("很多") is None
    assert parse_ratio("40%") == 0.4 and parse_ratio("0.4") == 0.4 and parse_ratio("40") == 0.4
    assert parse_ratio("150%") is None
    assert split_names("张三（34052419800101001X）、李四；王五(4109**********1234)") == [
        ("张三", "34052419800101001X"),
        ("李四", None),
        ("王五", "4109**********1234"),
    ]


# -- mappings -------------------------------------------------------------------------------------


def test_a_source_with_other_headers_needs_a_mapping_not_code(store: GraphStore, tmp_path: Path) -> None:
    e = f.enterprise(1)
    rep = f.person(1, "王建国")
    mapping = tmp_path / "english.yaml"
    mapping.write_text(
        "kind: enterprises\nsource: other_registry\ncolumns:\n"
        "  uscc: Credit Code\n  name: Name\n  established_on: Founded\n"
        "  legal_rep_name: Representative\n  legal_rep_id: Representative ID\n",
        encoding="utf-8",
    )
    data = write_csv(
        tmp_path / "e.csv",
        ["Credit Code", "Name", "Founded", "Representative", "Representative ID"],
        [[e.uscc, e.name, "2015-01-01", rep.name, rep.id_number or ""]],
    )
    opts = LoadOptions(secret=SECRET, reject_file=tmp_path / "r.csv")
    report = run_load(store, "enterprises", data, opts, mapping=mapping, default_dir=tmp_path)
    assert report.counters.loaded == 1 and report.source == "other_registry"
    roles = store.roles_of_enterprise(e.uscc)
    assert [(r.type, r.holder_key, r.valid_from) for r in roles] == [
        (RoleType.LEGAL_REPRESENTATIVE_OF, rep.person_key, date(2015, 1, 1))
    ]
    with pytest.raises(MappingError, match="no column Credit Code"):
        run_load(
            store, "enterprises", write_csv(tmp_path / "x.csv", ["Name"], [["x"]]), opts, mapping=mapping
        )
    mapping.write_text("kind: enterprises\nsource: s\ncolumns: {name: Name}\n", encoding="utf-8")
    with pytest.raises(MappingError, match="required fields uscc"):
        run_load(store, "enterprises", data, opts, mapping=mapping)


# -- matching -------------------------------------------------------------------------------------

COURT = [
    "案号",
    "被执行人姓名/名称",
    "身份证号码/组织机构代码",
    "法定代表人或者负责人姓名",
    "执行法院",
    "立案时间",
    "发布时间",
]


def test_people_without_a_full_number_are_matched_only_when_one_fits(
    store: GraphStore, tmp_path: Path
) -> None:
    debtor, head = f.person(11, "陈静"), f.person(12, "刘洋")
    company = f.enterprise(5)
    store.upsert_enterprises([company])
    store.upsert_persons([debtor, head])
    store.upsert_roles([f.role(RoleType.LEGAL_REPRESENTATIVE_OF, head, company)])
    court = "清丰县人民法院"
    rows = [
        ["(2024)豫0922执1号", "陈静", "4109" + "*" * 14, "", court, "2024-01-01", "2024-02-01"],
        [
            "(2024)豫0922执2号",
            "陈静",
            mask_id_number(debtor.id_number or ""),
            "",
            court,
            "2024-01-01",
            "2024-02-01",
        ],
        ["(2024)豫0922执3号", "刘洋", "", "", court, "2024-01-01", "2024-02-01"],
        ["(2024)豫0922执4号", company.name, company.uscc, "刘洋", court, "2024-01-01", "2024-02-01"],
        ["(2024)豫0922执5号", company.name, company.uscc, "陈静", court, "2024-01-01", "2024-02-01"],
    ]
    report = run(store, "court", write_csv(tmp_path / "court.csv", COURT, rows), tmp_path)
    unresolved = {int(u["row"]): u for u in read_report(report.unresolved_file)}
    # Too few visible characters, and a name alone: never guessed.
    assert "shows only 4 characters" in unresolved[2]["reason"]
    assert "a name alone" in unresolved[4]["reason"]
    # A legal representative named without a number is looked for among those who hold the post.
    assert unresolved[6]["name"] == "陈静" and "no person named 陈静 holding" in unresolved[6]["reason"]
    assert set(unresolved) == {2, 4, 6}
    assert report.counters.held == 2 and report.counters.loaded == 3
    entries = {e.decision_number: e for e in store.entries_of_list("court_dishonest_debtor")}
    assert set(entries) == {"(2024)豫0922执2号", "(2024)豫0922执4号", "(2024)豫0922执5号"}
    assert entries["(2024)豫0922执2号"].subject_key == debtor.person_key
    assert [n.person_key for n in entries["(2024)豫0922执4号"].named_responsible] == [head.person_key]
    assert entries["(2024)豫0922执5号"].named_responsible == ()


def test_two_people_a_masked_number_fits_are_reported_as_ambiguous(store: GraphStore, tmp_path: Path) -> None:
    one, two = f.person(21, "周敏"), f.person(23, "周敏")
    store.upsert_persons([one, two])
    # Both were born on the same day in the same county: only the middle digits tell them apart.
    masked = (one.id_number or "")[:14] + "****"
    assert (two.id_number or "").startswith(masked[:14])
    rows = [["(2024)豫0922执9号", "周敏", masked, "", "清丰县人民法院", "2024-01-01", "2024-02-01"]]
    report = run(store, "court", write_csv(tmp_path / "c.csv", COURT, rows), tmp_path)
    [line] = read_report(report.unresolved_file)
    assert line["candidates"] == "2" and "ambiguous" in line["reason"]
    assert store.entries_of_list("court_dishonest_debtor") == []


# -- change records for attributes, and the threshold ---------------------------------------------


def test_attribute_changes_apply_only_from_the_value_they_name(store: GraphStore, tmp_path: Path) -> None:
    e = f.enterprise(7, address="清丰县旧址1号")
    store.upsert_enterprises([e])
    header = ["统一社会信用代码", "变更事项", "变更前内容", "变更后内容", "变更日期"]
    rows = [
        [e.uscc, "住所变更", "清丰县旧址1号", "清丰县新址2号", "2024-05-01"],
        [e.uscc, "名称变更", "别的名称", "清丰县新名有限公司", "2024-05-02"],
        [e.uscc, "注册资本变更", "", "500万元", "2024-05-03"],
        [e.uscc, "经营范围变更", "a", "b", "2024-05-04"],
    ]
    report = run(store, "changes", write_csv(tmp_path / "ch.csv", header, rows), tmp_path)
    held = store.get_enterprise(e.uscc)
    assert held is not None and held.address == "清丰县新址2号" and held.registered_capital == 500
    assert held.name == e.name  # the store's name is neither the before nor the after: reported
    [line] = read_report(report.unresolved_file)
    assert line["row"] == "3" and "neither" in line["reason"]
    assert report.counters.skipped == 1
    assert run(store, "changes", tmp_path / "ch.csv", tmp_path).changed == 0


def test_a_failed_threshold_loads_the_good_rows_but_marks_nothing_removed(
    store: GraphStore, tmp_path: Path
) -> None:
    e = f.enterprise(8)
    store.upsert_enterprises([e])
    header = ["名单类型", "认定部门", "决定文书号", "主体名称", "统一社会信用代码/证件号码", "列入日期"]
    first = [
        ["work_safety", "清丰县应急管理局", f"安罚{i}号", e.name, e.uscc, "2024-01-01"] for i in range(3)
    ]
    run(store, "list", write_csv(tmp_path / "l1.csv", header, first), tmp_path)
    later = [first[0], ["work_safety", "清丰县应急管理局", "安罚9号", e.name, e.uscc, "2024-13-01"]]
    report = run(store, "list", write_csv(tmp_path / "l2.csv", header, later), tmp_path, reject_threshold=0.1)
    assert report.failed and report.removal_skipped and report.counters.removed == 0
    assert all(x.status == "active" for x in store.entries_of_list("work_safety"))
    report = run(store, "list", write_csv(tmp_path / "l3.csv", header, first[:1]), tmp_path)
    assert report.counters.removed == 2
    assert json.dumps(sorted(x.status for x in store.entries_of_list("work_safety"))) == json.dumps(
        ["active", "removed_from_source", "removed_from_source"]
    )


def test_persons_from_parsed_numbers_are_what_person_from_document_makes() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from graph_service.persons import person_from_document
    from loaders.common import People
    from loaders.fields import Document, Memo

    when = datetime(2024, 1, 1, tzinfo=UTC)
    ctx = SimpleNamespace(secret=SECRET, source="s", loaded_at=when)
    people = People(ctx)  # type: ignore[arg-type]
    number = f.person(5).id_number or ""
    built = people.person(Document(number, "resident_id", False, Memo().resident(number)), " 张　三 ")
    assert built == person_from_document(number, " 张　三 ", SECRET, source="s", loaded_at=when)
