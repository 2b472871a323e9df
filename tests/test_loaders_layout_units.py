"""What real published files need from the loaders, part by part: a fault costs only its row, values as
published (dates with times, serial dates, capital with its currency), persons in combined cells, and
mappings with per-row fallback, constants, templates and the shipped layout picked by its headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.store.base import GraphStore
from loaders import LoadOptions, run_load
from loaders.fields import parse_amount, parse_date, parse_money
from loaders.lists import CourtListLoader, GenericListLoader
from loaders.mapping import Column, Mapping, MappingError, Resolved, load_mapping, pick_mapping
from loaders.person_cells import person_cells
from loaders.readers import Reader, detect_encoding
from loaders.registration import EnterprisesLoader, PersonnelLoader
from tests.conftest import SECRET

HEADER = "案号,被执行人姓名/名称,失信被执行人行为具体情形\n"


def rows_of(path: Path) -> list[tuple[int, list[str | None], str | None]]:
    return [(r.number, r.cells, r.error) for r in Reader(path).rows()]


# -- a fault costs only its row ---------------------------------------------------------------------


def test_an_oversized_cell_rejects_its_row_alone(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        HEADER
        + "(2023)豫01执1号,张三,拒不履行\n"
        + "(2023)豫01执2号,李四,"
        + "长" * 140_000
        + "\n"
        + "(2023)豫01执3号,王五,转移财产\n",
        encoding="utf-8",
    )
    rows = rows_of(path)
    assert [r[0] for r in rows] == [2, 3, 4]
    assert rows[0][2] is None and rows[2] == (4, ["(2023)豫01执3号", "王五", "转移财产"], None)
    assert rows[1][2] == "a cell of 140,000 characters, over the 131,072 a cell may hold"
    assert [r.column for r in Reader(path).rows()] == [None, "失信被执行人行为具体情形", None]


def test_a_quote_never_closed_rejects_its_line_and_the_rows_after_it_load(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    lines = [
        '(2023)豫01执1号,"山东某公司,拒不履行',
        "(2023)豫01执2号,李四,转移财产",
        "(2023)豫01执3号,王五,规避执行",
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    rows = rows_of(path)
    assert rows[0][0] == 2 and rows[0][2] == "an opening quote that is not closed on its line"
    assert [r[1] for r in rows[1:]] == [
        ["(2023)豫01执2号", "李四", "转移财产"],
        ["(2023)豫01执3号", "王五", "规避执行"],
    ]


def test_a_quote_closed_rows_later_does_not_swallow_them(tmp_path: Path) -> None:
    path = tmp_path / "quote2.csv"
    lines = [
        '(2023)豫01执1号,"山东某公司,拒不履行',
        "(2023)豫01执2号,李四,转移财产",
        '(2023)豫01执3号,"王五",规避执行',
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    rows = rows_of(path)
    assert rows[0][2] is not None
    assert [r[1] for r in rows[1:]] == [
        ["(2023)豫01执2号", "李四", "转移财产"],
        ["(2023)豫01执3号", "王五", "规避执行"],
    ]


def test_a_quoted_cell_may_hold_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        HEADER + '(2023)豫01执1号,张三,"拒不履行\n转移财产"\n(2023)豫01执2号,李四,x\n', encoding="utf-8"
    )
    assert rows_of(path) == [
        (2, ["(2023)豫01执1号", "张三", "拒不履行\n转移财产"], None),
        (3, ["(2023)豫01执2号", "李四", "x"], None),
    ]


def test_a_line_in_another_encoding_rejects_that_row_alone(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    good = [f"(2023)豫01执{i}号,张{i},拒不履行\n".encode() for i in range(1, 6)]
    bad = "(2023)豫01执9号,赵六,拒不履行\n".encode("gb18030")
    path.write_bytes(HEADER.encode() + b"".join(good[:2]) + bad + b"".join(good[2:]))
    assert detect_encoding(path) == "utf-8"
    rows = rows_of(path)
    assert len(rows) == 6
    assert rows[2][0] == 4 and rows[2][2] is not None and "not valid utf-8" in rows[2][2]
    assert all(r[2] is None for i, r in enumerate(rows) if i != 2)


def test_a_json_line_in_another_encoding_or_broken_rejects_that_line_alone(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(
        b'{"iname": "\xe5\xbc\xa0\xe4\xb8\x89"}\n'
        + '{"iname": "李四"}\n'.encode("gb18030")
        + b"{not json\n"
        + '{"iname": "王五"}\n'.encode()
    )
    rows = rows_of(path)
    assert [(n, e is None) for n, _, e in rows] == [(1, True), (2, False), (3, False), (4, True)]
    assert rows[3][1] == ["王五"]


# -- values as published ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2008-6-16", "2008-06-16"),
        ("2001-5-8 0:00:00", "2001-05-08"),
        ("2001/05/08 00:00:00", "2001-05-08"),
        ("2023年07月21日", "2023-07-21"),
        ("20230508", "2023-05-08"),
        ("39615", "2008-06-16"),  # a spreadsheet serial date
        ("2019-03-01T00:00:00", "2019-03-01"),
    ],
)
def test_dates_as_published(text: str, day: str) -> None:
    found = parse_date(text)
    assert found is not None and found.isoformat() == day


@pytest.mark.parametrize("text", ["0:00:00", "not a date", "2023-02-30", "123456"])
def test_what_is_not_a_date(text: str) -> None:
    assert parse_date(text) is None


def test_amounts_keep_their_currency() -> None:
    assert parse_amount("50.000000") == (50.0, None)
    assert parse_amount("100万美元") == (100.0, "USD")
    assert parse_amount("10万港元") == (10.0, "HKD")
    assert parse_amount("5000元") == (0.5, "CNY")
    assert parse_amount("1,000.5万元人民币") == (1000.5, "CNY")
    assert parse_amount("abc") is None
    # Where only yuan is expected, another currency's amount is not an amount at all.
    assert parse_money("100万美元") is None and parse_money("100万元") == 100.0


def test_persons_in_combined_cells() -> None:
    found = person_cells("张三，男，居民身份证，410922198001011234；李四 女 身份证 41092219800101123X")
    assert [(p.name, p.sex, p.document_type, p.number) for p in found] == [
        ("张三", "male", "resident_id", "410922198001011234"),
        ("李四", "female", "resident_id", "41092219800101123X"),
    ]
    assert [(p.name, p.number) for p in person_cells("王五,男,居民身份证,410922800101123")] == [
        ("王五", "410922800101123")
    ]
    assert [(p.name, p.number) for p in person_cells("赵六")] == [("赵六", None)]
    passport = person_cells("Tom Lee，男，护照，E12345678")
    assert passport[0].document_type == "passport" and passport[0].number == "E12345678"
    glued = person_cells("钱七，女，居民身份证410922198001011234")
    assert glued[0].number == "410922198001011234" and glued[0].name == "钱七"
    piped = person_cells("张三|法定代表人|34052419800101001X;李四|财务负责人")
    assert [(p.name, p.role, p.number) for p in piped] == [
        ("张三", "法定代表人", "34052419800101001X"),
        ("李四", "财务负责人", None),
    ]
    assert person_cells("") == [] and person_cells(None) == []


# -- mappings -----------------------------------------------------------------------------------------


def _mapping(columns: dict[str, object], **more: object) -> Mapping:
    return Mapping.model_validate({"kind": "enterprises", "source": "s", "columns": columns, **more})


def test_a_row_falls_back_to_the_next_header_and_the_report_names_it() -> None:
    mapping = _mapping({"uscc": ["统一社会信用代码", "注册号"], "name": ["企业名称"]})
    resolved = Resolved(
        mapping, ["企业名称", "注册号", "统一社会信用代码"], {"uscc": True, "name": True}, "t"
    )
    fallbacks: dict[str, str] = {}
    assert resolved.values_of(["甲公司", "410100000012345", ""], fallbacks)["uscc"] == "410100000012345"
    assert fallbacks == {"uscc": "注册号"}
    fallbacks = {}
    assert resolved.values_of(["乙公司", "", "91410100MA44XXXXXX"], fallbacks)["uscc"] == "91410100MA44XXXXXX"
    assert fallbacks == {}


def test_constants_defaults_templates_and_ignored_columns() -> None:
    mapping = _mapping(
        {
            "uscc": ["统一社会信用代码"],
            "name": {"template": "{企业名称}（{住所}）"},
            "status": {"constant": "存续"},
            "address": {"headers": ["地址"], "default": "未登记"},
        },
        ignore=["序号"],
    )
    header = ["序号", "统一社会信用代码", "企业名称", "住所", "电话"]
    fields = {"uscc": True, "name": True, "status": False, "address": False}
    resolved = Resolved(mapping, header, fields, "t")
    values = resolved.values_of(["1", "91410100MA44XXXXXX", "甲公司", "郑州", "123"])
    assert values["name"] == "甲公司（郑州）" and values["status"] == "存续" and values["address"] == "未登记"
    assert resolved.unused == ["电话"]  # 序号 is ignored on purpose; 住所 is read by the template
    assert resolved.values_of(["2", "9141", "", "", ""])["name"] is None


def test_a_field_takes_one_source() -> None:
    with pytest.raises(ValueError, match="not headers and constant"):
        Column.model_validate({"headers": ["a"], "constant": "x"})
    with pytest.raises(ValueError, match="give headers, a constant or a template"):
        Column.model_validate({"default": "x"})
    with pytest.raises(ValueError, match="a fixed text is a constant"):
        Column.model_validate({"template": "no placeholder"})


def test_a_template_over_a_missing_column_is_refused() -> None:
    mapping = _mapping({"uscc": ["统一社会信用代码"], "name": {"template": "{企业名称}"}})
    with pytest.raises(MappingError, match="the template names '企业名称', not a column here"):
        Resolved(mapping, ["统一社会信用代码"], {"uscc": True, "name": True}, "t")


@pytest.mark.parametrize(
    ("loader", "header", "picked"),
    [
        (
            CourtListLoader,
            ["iname", "cardNum", "caseCode", "courtName", "publishDate", "performance"],
            "court.platform_json.yaml",
        ),
        (
            CourtListLoader,
            ["案号", "被执行人姓名/名称", "执行法院", "发布时间", "被执行人履行情况"],
            "court.yaml",
        ),
        (
            GenericListLoader,
            [
                "序号",
                "企业名称",
                "统一社会信用代码/注册号",
                "列入经营异常名录原因",
                "列入日期",
                "作出决定机关（列入）",
                "移出日期",
            ],
            "list.abnormal_operations.yaml",
        ),
        (
            GenericListLoader,
            ["纳税人名称", "纳税人识别号", "组织机构代码", "案件性质", "主要违法事实", "公布日期"],
            "list.tax_major_cases.yaml",
        ),
        (GenericListLoader, ["名单类型", "认定部门", "决定文书号", "主体名称", "列入日期"], "list.yaml"),
        (
            EnterprisesLoader,
            ["主体身份代码", "统一社会信用代码", "注册号", "企业名称", "成立日期", "注册资本", "币种"],
            "enterprises.registration_extract.yaml",
        ),
        (EnterprisesLoader, ["统一社会信用代码", "企业名称", "法定代表人", "证件号码"], "enterprises.yaml"),
        (
            PersonnelLoader,
            ["主体身份代码", "姓名", "证件类型", "证件号码", "职务"],
            "personnel.registration_legal_reps.yaml",
        ),
        (PersonnelLoader, ["统一社会信用代码", "企业名称", "姓名", "证件号码", "职务"], "personnel.yaml"),
    ],
)
def test_the_shipped_layout_is_picked_by_its_headers(loader: type, header: list[str], picked: str) -> None:
    found, why = pick_mapping(loader.kind, header, loader.fields, "f.csv", loader.one_of)
    assert found.path.name == picked
    assert why.startswith(f"{picked}: reads ")


def test_no_fitting_layout_names_each_candidate_and_why() -> None:
    with pytest.raises(MappingError) as caught:
        pick_mapping("court", ["甲", "乙"], CourtListLoader.fields, "f.csv", ())
    message = str(caught.value)
    assert "no shipped court mapping fits" in message
    assert "court.yaml" in message and "court.platform_json.yaml" in message and "--mapping" in message


def test_two_layouts_fitting_equally_are_refused_with_both_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import loaders.mapping as mapping_module

    for name in ("court.a.yaml", "court.b.yaml"):
        (tmp_path / name).write_text(
            "kind: court\nsource: s\ncolumns:\n  decision_number: [案号]\n  subject_name: [名称]\n"
            "  authority: [法院]\n  listed_on: [日期]\n",
            encoding="utf-8",
        )
    monkeypatch.setattr(mapping_module, "MAPPINGS_DIR", tmp_path)
    with pytest.raises(MappingError, match="2 shipped court mappings fit equally") as caught:
        pick_mapping("court", ["案号", "名称", "法院", "日期"], CourtListLoader.fields, "f.csv", ())
    assert "court.a.yaml" in str(caught.value) and "court.b.yaml" in str(caught.value)


def test_every_shipped_mapping_loads() -> None:
    from loaders.mapping import MAPPINGS_DIR

    for path in sorted(MAPPINGS_DIR.glob("*.yaml")):
        assert load_mapping(path).mapping.kind == path.stem.split(".")[0]


def _list_file(tmp: Path, header: str, row: str) -> Path:
    path = tmp / "l.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    return path


def test_options_list_type_serves_the_generic_list_and_a_mapping_without_one_is_refused(
    tmp_path: Path, store: GraphStore
) -> None:
    path = _list_file(
        tmp_path,
        "认定部门,决定文书号,主体名称,统一社会信用代码,列入日期",
        "市场监管局,决1号,甲公司,91110000600037341L,2024-01-02",
    )
    with_type = tmp_path / "with.yaml"
    with_type.write_text(
        "kind: list\nsource: s\ncolumns:\n  authority: [认定部门]\n  decision_number: [决定文书号]\n"
        "  subject_name: [主体名称]\n  subject_id: [统一社会信用代码]\n  listed_on: [列入日期]\n"
        "options:\n  list_type: market_serious_violation\n",
        encoding="utf-8",
    )
    opts = LoadOptions(secret=SECRET, reject_file=tmp_path / "r.csv")
    report = run_load(store, "list", path, opts, mapping=with_type, default_dir=tmp_path)
    assert report.counters.loaded == 1
    (entry,) = store.entries_of_list("market_serious_violation", "s")
    assert entry.subject_key == "91110000600037341L"
    without = tmp_path / "without.yaml"
    without.write_text(with_type.read_text(encoding="utf-8").split("options:")[0], encoding="utf-8")
    with pytest.raises(MappingError, match=r"options\.list_type"):
        run_load(store, "list", path, opts, mapping=without, default_dir=tmp_path)


def test_a_status_never_defaults_to_active_where_the_file_publishes_one(
    tmp_path: Path, store: GraphStore
) -> None:
    path = tmp_path / "court.csv"
    path.write_text(
        "案号,被执行人姓名/名称,身份证号码/组织机构代码,执行法院,发布时间,被执行人履行情况\n"
        "(2024)豫01执1号,甲公司,91110000600037341L,法院,2024-01-01,全部履行\n"
        "(2024)豫01执2号,甲公司,91110000600037341L,法院,2024-01-01,\n"
        "(2024)豫01执3号,甲公司,91110000600037341L,法院,2024-01-01,履行中\n",
        encoding="utf-8",
    )
    opts = LoadOptions(secret=SECRET, reject_file=tmp_path / "r.csv", reject_threshold=1.0)
    report = run_load(store, "court", path, opts, default_dir=tmp_path)
    assert report.counters.rejected == 2
    (entry,) = store.entries_of_list("court_dishonest_debtor")
    assert entry.status == "repaired" and entry.decision_number == "(2024)豫01执1号"
