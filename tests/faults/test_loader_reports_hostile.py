"""Every report a load writes, from files full of ID numbers and formula cells: no ID number in clear
and no cell a spreadsheet would run, in any column (values, reasons, names, free text)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from graph_service.identifiers import build_id_number, id_check_char, upgrade_id_number
from graph_service.store.base import GraphStore
from graph_service.text_safety import _first_generation
from loaders import LoadOptions, run_load
from tests import factories as f
from tests.conftest import SECRET

FULL = build_id_number("110101", __import__("datetime").date(1990, 3, 7), 451)
OLD = FULL[:6] + FULL[8:17]  # the first-generation form of the same number
assert upgrade_id_number(OLD) == FULL
FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def hostile(i: int) -> str:
    """A cell carrying a formula and ID numbers in both forms, in free text."""
    return f"{FORMULAS[i % len(FORMULAS)]} 身份证{FULL}，旧号{OLD}"


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def files(tmp: Path, store: GraphStore) -> list[tuple[str, Path]]:
    e = f.enterprise(1)
    store.upsert_enterprises([e])
    enterprises = write(
        tmp / "enterprises.csv",
        [
            "统一社会信用代码",
            "企业名称",
            "成立日期",
            "注册资本",
            "登记状态",
            "法定代表人",
            "法定代表人证件号码",
        ],
        [
            [hostile(0), hostile(1), hostile(2), hostile(3), hostile(4), hostile(5), FULL[:-1] + "0"],
            [e.uscc, e.name, hostile(1), hostile(2), hostile(3), f"={FULL}", FULL[:-1] + "0"],
            [FULL, "张三", "2020-01-01", "", "", "", ""],
        ],
    )
    personnel = write(
        tmp / "personnel.csv",
        ["统一社会信用代码", "姓名", "证件号码", "职务", "任职起始日期"],
        [
            [e.uscc, hostile(0), FULL[:-1] + "0", hostile(2), hostile(3)],
            [hostile(4), "李四", FULL, "董事", "2020-01-01"],
            [e.uscc, "=王五", OLD, "顾问", "2020-01-01"],
        ],
    )
    lists = write(
        tmp / "list.csv",
        [
            "名单类型",
            "认定部门",
            "决定文书号",
            "主体名称",
            "统一社会信用代码/证件号码",
            "直接责任人员",
            "失信行为情形",
            "列入日期",
            "状态",
        ],
        [
            [
                hostile(0),
                hostile(1),
                hostile(2),
                hostile(3),
                hostile(4),
                hostile(5),
                hostile(0),
                "2024-01-01",
                "",
            ],
            [
                "重大税收违法失信主体",
                "税务局",
                "税1号",
                "=赵六",
                "4101**********4514",
                f"=钱七|{hostile(1)}|{FULL}",
                hostile(2),
                "2024-01-01",
                "有效",
            ],
            [
                "重大税收违法失信主体",
                "税务局",
                "税2号",
                e.name,
                e.uscc,
                f"=孙八|财务负责人|{FULL[:-1]}0;@周九|法定代表人",
                hostile(3),
                hostile(4),
                "有效",
            ],
        ],
    )
    court = write(
        tmp / "court.csv",
        [
            "案号",
            "被执行人姓名/名称",
            "身份证号码/组织机构代码",
            "法定代表人或者负责人姓名",
            "执行法院",
            "发布时间",
            "被执行人履行情况",
        ],
        [
            [hostile(0), hostile(1), "MA000000-0", f"={FULL}", hostile(2), hostile(3), hostile(4)],
            ["(2024)豫01执1号", "@吴十", "1101**********4514", "", "=法院", "2024-01-01", "全部未履行"],
            ["(2024)豫01执2号", e.name, e.uscc, f"+郑一{FULL}", "法院", "2024-01-01", "全部未履行"],
        ],
    )
    return [("enterprises", enterprises), ("personnel", personnel), ("list", lists), ("court", court)]


def scan(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    for m in re.finditer(r"(?<![0-9A-Za-z])(\d{17})([\dX])(?![0-9A-Za-z])", text):
        assert id_check_char(m.group(1)) != m.group(2), (path.name, "an 18-character ID in clear")
    for m in re.finditer(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])", text):
        assert not _first_generation(m.group(0)), (path.name, "a first-generation ID in clear")
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for cells in csv.reader(handle):
                for cell in cells:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (path.name, cell[:30])


@pytest.mark.parametrize("batch_size", [2, 1000])
def test_no_report_holds_an_id_number_in_clear_or_a_live_formula(
    store: GraphStore, tmp_path: Path, batch_size: int
) -> None:
    reports = tmp_path / "reports"
    seen_lines = 0
    for kind, path in files(tmp_path, store):
        opts = LoadOptions(
            secret=SECRET,
            reject_file=reports / f"{path.name}.rejects.csv",
            batch_size=batch_size,
            reject_threshold=1.0,
        )
        report = run_load(store, kind, path, opts, default_dir=reports)
        assert report.counters.rejected + report.counters.left_empty + report.counters.unresolved > 0, kind
        for written in (report.reject_file, report.unresolved_file):
            seen_lines += len(written.read_text(encoding="utf-8-sig").splitlines()) - 1
    assert seen_lines >= 20
    written = [p for p in reports.rglob("*") if p.is_file()]
    assert len(written) >= 8
    for path in written:
        scan(path)
