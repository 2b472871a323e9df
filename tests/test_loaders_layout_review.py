"""Cases a hostile reading of the published-layout loaders found, kept as tests: a person's number never
on another's name, blank lines, rows that cannot be read never end a listing, quotes in tab files, a
relisting naming a new person, one entry per authority, decision and subject, a currency not understood,
a removal the entry's life forbids, a date exported another way."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from graph_service.identifiers import id_check_char
from graph_service.store.base import GraphStore
from loaders import LoadOptions, LoadReport, run_load
from loaders.person_cells import person_cells
from loaders.readers import Reader
from tests.conftest import SECRET
from tests.factories import uscc


def idn(first17: str) -> str:
    return first17 + id_check_char(first17)


A, B = idn("41092219800101123"), idn("41092219850101124")
TAX = [
    "纳税人名称", "纳税人识别号", "法定代表人或者负责人姓名、性别、证件名称及号码",
    "负有直接责任的财务负责人姓名、性别、证件名称及号码", "案件性质", "主要违法事实", "实施检查的单位",
    "公布日期",
]  # fmt: skip
ABNORMAL = [
    "企业名称",
    "统一社会信用代码/注册号",
    "列入经营异常名录原因",
    "列入日期",
    "作出决定机关（列入）",
    "移出日期",
]


def write(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, delimiter=delimiter).writerows(rows)
    return path


def load(store: GraphStore, kind: str, path: Path, tmp: Path, **options: object) -> LoadReport:
    opts = LoadOptions(secret=SECRET, reject_file=tmp / f"{path.name}.rejects.csv", **options)  # type: ignore[arg-type]
    return run_load(store, kind, path, opts, default_dir=tmp)


def test_two_people_in_one_cell_stay_two() -> None:
    found = person_cells(f"张三，男，居民身份证，{A}，李四，女，居民身份证，{B}")
    assert [(p.name, p.number) for p in found] == [("张三", A), ("李四", B)]
    assert [p.name for p in person_cells("张三、李四")] == ["张三", "李四"]
    assert [(p.name, p.number) for p in person_cells(f"张三 男 {A} 李四 女 {B}")] == [
        ("张三", A),
        ("李四", B),
    ]
    assert [p.name for p in person_cells("DAVID SMITH，男，护照，E12345678")] == ["DAVID SMITH"]
    assert [(p.name, p.number) for p in person_cells(A)] == [("", A)]  # a number with no name: reported


def test_blank_lines_are_not_rows(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("统一社会信用代码,企业名称\n\n91110000600037341L,甲公司\n\n\n", encoding="utf-8")
    assert [(r.number, r.error) for r in Reader(path).rows()] == [(2, None)]


def test_a_quote_after_a_comma_in_a_tab_file_is_text(tmp_path: Path) -> None:
    rows = [["统一社会信用代码", "企业名称", "住所"]] + [
        [uscc(i), f"公司{i}", f"某路{i}号"] for i in range(1, 9)
    ]
    rows[1][2] = '北京市某路1号,"东门'
    rows[8][2] = '西门"'
    path = tmp_path / "t.tsv"
    with path.open("w", encoding="utf-8", newline="") as out:
        for row in rows:
            out.write("\t".join(row) + "\n")
    got = list(Reader(path).rows())
    assert len(got) == 8 and all(r.error is None for r in got)
    assert got[0].cells[2] == '北京市某路1号,"东门'


def test_a_row_that_cannot_be_read_never_ends_a_listing(store: GraphStore, tmp_path: Path) -> None:
    rows = [ABNORMAL] + [
        [f"公司{i}", uscc(i), "未按规定报送年度报告", "2023-05-0" + str(1 + i % 8), "市场监管局", ""]
        for i in range(1, 41)
    ]
    first = write(tmp_path / "a1.csv", rows)
    assert load(store, "list", first, tmp_path, snapshot_date=date(2024, 1, 1)).counters.loaded == 40
    second = tmp_path / "a2.csv"
    lines = first.read_bytes().split(b"\n")
    lines[5] = lines[5].decode().encode("gb18030")  # one line in another encoding
    second.write_bytes(b"\n".join(lines))
    report = load(store, "list", second, tmp_path, snapshot_date=date(2024, 2, 1))
    assert report.counters.rejected == 1 and report.counters.removed == 0
    assert report.removal_skipped == "1 rows could not be read"
    assert all(e.status == "active" for e in store.entries_of_list("abnormal_operation"))


def test_a_relisting_that_names_a_new_person_loads(store: GraphStore, tmp_path: Path) -> None:
    one = ["甲公司", uscc(1), f"张三，男，居民身份证，{A}", "", "偷税", "经查偷税", "某稽查局", "2024-03-15"]
    two = ["乙公司", uscc(2), "", "", "偷税", "经查偷税", "某稽查局", "2024-03-16"]
    load(store, "list", write(tmp_path / "t1.csv", [TAX, one, two]), tmp_path, snapshot_date=date(2024, 4, 1))
    load(store, "list", write(tmp_path / "t2.csv", [TAX, two]), tmp_path, snapshot_date=date(2024, 5, 1))
    again = [*one[:3], f"李四，女，居民身份证，{B}", *one[4:]]
    report = load(
        store, "list", write(tmp_path / "t3.csv", [TAX, again, two]), tmp_path, snapshot_date=date(2024, 6, 1)
    )
    assert report.counters.relisted == 1
    (entry,) = [e for e in store.entries_of_list("major_tax_violation") if e.subject_key == uscc(1)]
    assert (
        entry.status == "active"
        and [e.event for e in store.events_of_entry(entry.entry_id)][-1] == "relisted"
    )


def test_one_entry_per_authority_decision_and_subject(store: GraphStore, tmp_path: Path) -> None:
    rows = [
        ABNORMAL,
        ["甲商贸", uscc(3), "未报年报", "2021-07-05", "市场监管局", "2022-01-01"],
        ["甲贸易", uscc(3), "地址失联", "2021-07-05", "市场监管局", "2022-01-01"],
    ]
    report = load(store, "list", write(tmp_path / "d.csv", rows), tmp_path, reject_threshold=1.0)
    assert report.counters.rejected == 1 and report.counters.ended == 1
    (entry,) = store.entries_of_list("abnormal_operation")
    assert entry.conduct == "未报年报" and entry.status == "removed_from_source"


def test_a_currency_not_understood_leaves_the_capital_empty(store: GraphStore, tmp_path: Path) -> None:
    rows = [
        ["主体身份代码", "统一社会信用代码", "企业名称", "注册资本", "币种"],
        ["r1", uscc(4), "甲公司", "100", "卢布"],
    ]
    report = load(store, "enterprises", write(tmp_path / "e.csv", rows), tmp_path)
    assert report.counters.loaded == 1 and report.counters.left_empty == 1
    stored = store.get_enterprise(uscc(4))
    assert stored is not None and stored.registered_capital is None and stored.capital_currency is None


def test_a_removal_the_entrys_life_forbids_is_reported(store: GraphStore, tmp_path: Path) -> None:
    other = ["乙公司", uscc(8), "未报年报", "2021-08-05", "市场监管局", ""]
    listed = [ABNORMAL, ["甲公司", uscc(5), "未报年报", "2021-07-05", "市场监管局", ""], other]
    load(store, "list", write(tmp_path / "r1.csv", listed), tmp_path, snapshot_date=date(2024, 1, 1))
    load(
        store, "list", write(tmp_path / "r2.csv", [ABNORMAL, other]), tmp_path, snapshot_date=date(2024, 2, 1)
    )
    load(store, "list", write(tmp_path / "r3.csv", listed), tmp_path, snapshot_date=date(2024, 4, 1))
    removed = [ABNORMAL, ["甲公司", uscc(5), "未报年报", "2021-07-05", "市场监管局", "2024-03-15"], other]
    report = load(
        store, "list", write(tmp_path / "r4.csv", removed), tmp_path, snapshot_date=date(2024, 5, 1)
    )
    assert report.counters.ended == 0 and report.counters.unresolved == 1
    lines = list(csv.DictReader(report.unresolved_file.open(encoding="utf-8-sig")))
    assert "before its last change (relisted on 2024-04-01)" in lines[0]["reason"]


def test_a_listing_exported_with_another_date_form_is_the_same_entry(
    store: GraphStore, tmp_path: Path
) -> None:
    first = [ABNORMAL, ["甲公司", uscc(6), "未报年报", "2021-07-05", "市场监管局", ""]]
    second = [ABNORMAL, ["甲公司", uscc(6), "未报年报", "2021/7/5 0:00:00", "市场监管局", ""]]
    load(store, "list", write(tmp_path / "f1.csv", first), tmp_path, snapshot_date=date(2024, 1, 1))
    report = load(store, "list", write(tmp_path / "f2.csv", second), tmp_path, snapshot_date=date(2024, 2, 1))
    assert report.changed == 0 and report.counters.removed == 0
    (entry,) = store.entries_of_list("abnormal_operation")
    assert entry.decision_number == "列入经营异常名录 2021-07-05"


def test_the_tax_layout_takes_its_other_date_header(store: GraphStore, tmp_path: Path) -> None:
    header = [h if h != "公布日期" else "公布时间" for h in TAX if h != "主要违法事实"]
    row = ["甲公司", uscc(7), "", "", "偷税", "某稽查局", "2024-03-15"]
    report = load(store, "list", write(tmp_path / "x.csv", [header, row]), tmp_path)
    assert report.mapping is not None and report.mapping.name == "list.tax_major_cases.yaml"
    (entry,) = store.entries_of_list("major_tax_violation")
    assert entry.decision_number == "2024-03-15/偷税" and entry.conduct == "偷税:"
