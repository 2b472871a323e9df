"""The generator of sample files in the layouts authorities publish: the same seed gives the same bytes,
every file reads as its format (bar the lines broken on purpose), expected.json agrees with the cells it
describes, and 2,000 enterprises take well under 30 seconds.

These tests read the files with plain parsers of their own, not with the loaders, so that they check the
samples the loader tests rely on without depending on the code under test there.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph_service.identifiers import (
    IdentifierError,
    id_check_char,
    mask_id_number,
    validate_registration_number,
    validate_uscc,
)
from loaders.published_samples import (
    ABNORMAL,
    ABNORMAL_HEADER,
    CELL_LIMIT,
    COURT,
    COURT_DETAIL,
    COURT_DETAIL_HEADER,
    COURT_KEYS,
    EXCEL_EPOCH,
    LEGAL_REP_HEADER,
    LEGAL_REPS,
    LOAD_ORDER,
    OUTCOMES,
    PUBLISHED_ENTERPRISES,
    PUBLISHED_SEED,
    REGISTRATION,
    REGISTRATION_HEADER,
    TAX,
    TAX_HEADER,
    PublishedWriter,
    second_generation,
)

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "samples" / "published"
HEADERS = {
    REGISTRATION: REGISTRATION_HEADER,
    LEGAL_REPS: LEGAL_REP_HEADER,
    COURT: COURT_KEYS,
    COURT_DETAIL: COURT_DETAIL_HEADER,
    ABNORMAL: ABNORMAL_HEADER,
    TAX: TAX_HEADER,
}
ENCODINGS = {
    REGISTRATION: "utf-8-sig",
    LEGAL_REPS: "utf-8",
    COURT: "utf-8",
    COURT_DETAIL: "utf-8",
    ABNORMAL: "utf-8",
    TAX: "gb18030",
}
# Cases that are about a whole line, not one field.
WHOLE_LINE = {"not_json", "unbalanced_quote", "not_utf8"}
FULL_ID = re.compile(r"(?<![0-9A-Z])\d{17}[\dX](?![0-9A-Z])")
NUMBER_IN_CELL = re.compile(r"\d{17}[\dX]|\d{15}")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("published")
    PublishedWriter(folder, PUBLISHED_ENTERPRISES, PUBLISHED_SEED).write()
    return folder


@pytest.fixture(scope="module")
def expected(made: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((made / "expected.json").read_text(encoding="utf-8"))
    return data


def csv_rows(folder: Path, name: str) -> list[list[str]]:
    """Header and rows of a CSV file that has no broken lines."""
    with (folder / name).open(encoding=ENCODINGS[name], newline="") as f:
        return list(csv.reader(f))


def by_row(rows: list[list[str]], header: list[str]) -> dict[int, dict[str, str]]:
    return {i + 2: dict(zip(header, r, strict=True)) for i, r in enumerate(rows[1:])}


def detail_lines(folder: Path) -> list[bytes]:
    data = (folder / COURT_DETAIL).read_bytes()
    assert data.endswith(b"\r\n")
    return data[:-2].split(b"\r\n")


def detail_rows(folder: Path, skip: set[int]) -> dict[int, dict[str, str]]:
    """The detail file read a line at a time, as a reader that recovers from a broken line would. Its
    lines hold no quote character (bar the broken one), so a comma always separates cells."""
    out = {}
    for number, line in enumerate(detail_lines(folder)[1:], start=2):
        if number not in skip:
            out[number] = dict(zip(COURT_DETAIL_HEADER, line.decode("utf-8").split(","), strict=True))
    return out


def court_records(folder: Path) -> list[dict[str, Any] | None]:
    out: list[dict[str, Any] | None] = []
    for line in (folder / COURT).read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            out.append(None)
    return out


def rows_of(expected: dict[str, Any], name: str, case: str) -> list[dict[str, Any]]:
    return [r for r in expected["files"][name]["rows"] if r["case"] == case]


def one(expected: dict[str, Any], name: str, case: str) -> dict[str, Any]:
    (row,) = rows_of(expected, name, case)
    return row


def registry_date(text: str) -> date | None:
    """Dates as registration extracts write them; None for what is not one."""
    if re.fullmatch(r"\d{5}", text):
        return EXCEL_EPOCH + timedelta(days=int(text))
    for pattern in (
        r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?: \d{1,2}:\d{2}:\d{2})?",
        r"(\d{4})(\d{2})(\d{2})",
        r"(\d{4})年(\d{1,2})月(\d{1,2})日",
    ):
        m = re.fullmatch(pattern, text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None


def resident_number(text: str) -> str:
    """The 18-digit form of the one resident ID number in a cell."""
    (number,) = NUMBER_IN_CELL.findall(text)
    return second_generation(number) if len(number) == 15 else number


def valid_check(number: str) -> bool:
    return id_check_char(number[:17]) == number[17]


# -- the generator ------------------------------------------------------------------------------------


def test_the_committed_samples_are_what_the_generator_makes(made: Path) -> None:
    names = sorted(p.name for p in made.iterdir())
    assert names == sorted(p.name for p in PUBLISHED.iterdir())
    assert set(names) == {*LOAD_ORDER, "expected.json"}
    for name in names:
        assert (made / name).read_bytes() == (PUBLISHED / name).read_bytes(), (
            f"{name}: remake with python -m loaders.published_samples samples/published/"
        )


def test_a_seed_gives_the_same_bytes_in_another_process_and_another_seed_other_data(
    made: Path, tmp_path: Path
) -> None:
    # Another hash seed: output must not depend on the order of sets or string hashes.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    command = [sys.executable, "-m", "loaders.published_samples"]
    subprocess.run([*command, str(tmp_path / "same")], check=True, cwd=ROOT, env=env, capture_output=True)
    for p in made.iterdir():
        assert (tmp_path / "same" / p.name).read_bytes() == p.read_bytes(), p.name
    PublishedWriter(tmp_path / "other", PUBLISHED_ENTERPRISES, PUBLISHED_SEED + 1).write()
    assert (tmp_path / "other" / REGISTRATION).read_bytes() != (made / REGISTRATION).read_bytes()


def test_too_few_enterprises_is_one_message_without_a_traceback(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "loaders.published_samples", str(tmp_path), "--enterprises", "10"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert "--enterprises" in done.stderr
    assert "Traceback" not in done.stderr


def test_two_thousand_enterprises_take_under_30_seconds(tmp_path: Path) -> None:
    start = time.perf_counter()
    PublishedWriter(tmp_path, 2000, PUBLISHED_SEED).write()
    assert time.perf_counter() - start < 30
    data = json.loads((tmp_path / "expected.json").read_text(encoding="utf-8"))
    registration = data["files"][REGISTRATION]
    assert registration["counts"]["enterprises_loaded"] > 1900
    # The lists stay small at any size.
    assert data["files"][COURT]["data_rows"] < 30


# -- every file reads as its format --------------------------------------------------------------------


def test_csv_files_read_with_their_encodings_and_headers(made: Path) -> None:
    assert (made / REGISTRATION).read_bytes().startswith(b"\xef\xbb\xbf")
    for name in (LEGAL_REPS, ABNORMAL, COURT_DETAIL):
        assert not (made / name).read_bytes().startswith(b"\xef\xbb\xbf"), name
    with pytest.raises(UnicodeDecodeError):
        (made / TAX).read_bytes().decode("utf-8")
    for name in (REGISTRATION, LEGAL_REPS, ABNORMAL, TAX):
        rows = csv_rows(made, name)
        assert rows[0] == HEADERS[name], name
        assert all(len(r) == len(HEADERS[name]) for r in rows[1:]), name


def test_json_lines_hold_exactly_the_platform_keys_bar_the_broken_line(
    made: Path, expected: dict[str, Any]
) -> None:
    records = court_records(made)
    broken = {r["row"] for r in rows_of(expected, COURT, "not_json")}
    assert broken and len(records) == expected["files"][COURT]["data_rows"]
    for number, record in enumerate(records, start=1):
        if number in broken:
            assert record is None
        else:
            assert record is not None and list(record) == COURT_KEYS, number


def test_the_detail_file_breaks_only_the_lines_it_says(made: Path, expected: dict[str, Any]) -> None:
    lines = detail_lines(made)
    assert lines[0].decode("utf-8") == ",".join(COURT_DETAIL_HEADER)
    long = one(expected, COURT_DETAIL, "cell_too_long")["row"]
    quote = one(expected, COURT_DETAIL, "unbalanced_quote")["row"]
    gb = one(expected, COURT_DETAIL, "not_utf8")["row"]
    rows = detail_rows(made, {quote, gb})
    assert len(rows) + 2 == expected["files"][COURT_DETAIL]["data_rows"]
    assert len(rows[long]["失信被执行人行为具体情形"]) > CELL_LIMIT
    # The broken quote is the only quote character in the file, so every other line stands alone.
    assert (made / COURT_DETAIL).read_bytes().count(b'"') == 1
    assert lines[quote - 1].startswith(b'"')
    with pytest.raises(UnicodeDecodeError):
        lines[gb - 1].decode("utf-8")
    assert len(lines[gb - 1].decode("gb18030").split(",")) == len(COURT_DETAIL_HEADER)
    # Every line after a broken one reads.
    assert {quote + 1, gb + 1} <= set(rows)


# -- expected.json against the files -------------------------------------------------------------------


def test_every_listed_row_points_at_a_real_field(expected: dict[str, Any]) -> None:
    assert list(expected["files"]) == list(LOAD_ORDER)
    for name, f in expected["files"].items():
        first = 1 if f["format"] == "jsonl" else 2
        seen = set()
        for r in f["rows"]:
            assert first <= r["row"] < first + f["data_rows"], (name, r)
            assert r["expected"] in OUTCOMES, (name, r)
            assert r["why"], (name, r)
            assert (r["field"] == "") == (r["case"] in WHOLE_LINE), (name, r)
            assert r["field"] == "" or r["field"] in HEADERS[name], (name, r)
            assert (r["row"], r["field"]) not in seen, (name, r)
            seen.add((r["row"], r["field"]))


def test_expected_json_shows_no_full_id_number(made: Path) -> None:
    assert not FULL_ID.search((made / "expected.json").read_text(encoding="utf-8"))


def test_registration_records_are_what_the_cells_say(made: Path, expected: dict[str, Any]) -> None:
    f = expected["files"][REGISTRATION]
    rows = by_row(csv_rows(made, REGISTRATION), REGISTRATION_HEADER)
    assert len(rows) == f["data_rows"]
    rejected = {r["row"] for r in f["rows"] if r["expected"] == "rejected"}
    records = f["enterprises"]
    assert {r["row"] for r in records} == set(rows) - rejected
    assert f["counts"]["enterprises_loaded"] == len(records) == len(rows) - len(rejected)
    assert len({r["key"] for r in records}) == len(records)
    reported = {r["row"] for r in f["rows"] if r["expected"] == "loaded_with_report"}
    assert f["counts"]["loaded_with_report"] == len(reported) == 3
    for record in records:
        cell = rows[record["row"]]
        assert cell["主体身份代码"] == record["registry_id"]
        assert cell["企业名称"] == record["name"]
        uscc = cell["统一社会信用代码"].replace("-", "")
        if record["uscc"]:
            assert validate_uscc(uscc) == record["uscc"] == record["key"]
        else:
            assert not uscc
            assert validate_registration_number(cell["注册号"]) == record["key"]
        assert (cell["注册号"] or None) == record["registration_number"]
        day = registry_date(cell["成立日期"])
        assert (day.isoformat() if day else None) == record["established_on"], record
        if record["established_on"] is None and cell["成立日期"]:
            assert record["row"] in reported
        capital = record["registered_capital"]
        if capital is None:
            assert cell["注册资本"] in ("", "abc")
        elif cell["币种"]:
            assert float(cell["注册资本"]) == capital["amount"]
            assert {"人民币元": "CNY", "美元": "USD", "港元": "HKD"}[cell["币种"]] == capital["currency"]
        else:
            assert cell["注册资本"] == f"{capital['amount']:g}万美元" and capital["currency"] == "USD"
    assert sum(cell["统一社会信用代码"] == "" and cell["注册号"] != "" for cell in rows.values()) >= 3
    assert sum(bool(re.fullmatch(r"\d{5}", c["成立日期"])) for c in rows.values()) == 2
    bad = one(expected, REGISTRATION, "uscc_check_character")
    with pytest.raises(IdentifierError) as err:
        validate_uscc(rows[bad["row"]]["统一社会信用代码"])
    assert err.value.check == "check_character"
    no_key = rows[one(expected, REGISTRATION, "no_key")["row"]]
    assert no_key["统一社会信用代码"] == no_key["注册号"] == ""
    duplicate = one(expected, REGISTRATION, "duplicate_registry_id")
    assert rows[duplicate["row"]]["主体身份代码"] == rows[duplicate["first_row"]]["主体身份代码"]
    hyphenated = one(expected, REGISTRATION, "hyphenated_uscc")
    assert rows[hyphenated["row"]]["统一社会信用代码"].count("-") == 2
    assert rows[one(expected, REGISTRATION, "formula_cell")["row"]]["住所"].startswith("=HYPERLINK(")


def test_legal_representatives_are_what_the_cells_say(made: Path, expected: dict[str, Any]) -> None:
    f = expected["files"][LEGAL_REPS]
    rows = by_row(csv_rows(made, LEGAL_REPS), LEGAL_REP_HEADER)
    loaded = {r["registry_id"]: r["key"] for r in expected["files"][REGISTRATION]["enterprises"]}
    records = f["legal_reps"]
    assert f["counts"]["legal_reps_attached"] == len(records) == len(rows) - 2
    for record in records:
        cell = rows[record["row"]]
        assert loaded[cell["主体身份代码"]] == record["enterprise"]
        number = cell["证件号码"]
        number = second_generation(number) if len(number) == 15 else number
        assert valid_check(number) and mask_id_number(number) == record["masked"]
        assert cell["姓名"] == record["name"]
    first = rows_of(expected, LEGAL_REPS, "first_generation_id")
    assert len(first) >= 3
    for r in first:
        assert len(rows[r["row"]]["证件号码"]) == 15
    taiwan = rows[one(expected, LEGAL_REPS, "taiwan_resident_permit")["row"]]
    assert taiwan["证件号码"].startswith("830000") and taiwan["证件类型"] == "港澳台居民居住证"
    foreign = rows[one(expected, LEGAL_REPS, "foreign_permanent_resident_id")["row"]]
    assert (
        foreign["证件号码"].startswith("9") and len(foreign["证件号码"]) == 18 and foreign["证件类型"] == ""
    )
    bad = rows[one(expected, LEGAL_REPS, "id_check_character")["row"]]
    assert not valid_check(bad["证件号码"])
    assert rows[one(expected, LEGAL_REPS, "enterprise_unknown")["row"]]["主体身份代码"] not in loaded
    twins = [rows[r["row"]] for r in rows_of(expected, LEGAL_REPS, "same_name_as_another")]
    assert len(twins) == 2 and twins[0]["姓名"] == twins[1]["姓名"]
    a, b = (t["证件号码"] for t in twins)
    assert a != b and a[:6] == b[:6] and a[-4:] == b[-4:]


def check_list_entries(
    expected: dict[str, Any], name: str, cells: dict[int, dict[str, Any]], keys: dict[str, str]
) -> None:
    """Court entries (JSON Lines or detail CSV) against their cells; keys maps roles to the file's keys."""
    f = expected["files"][name]
    stored = {r["uscc"] for r in expected["files"][REGISTRATION]["enterprises"] if r["uscc"]}
    status = {"全部未履行": "active", "部分未履行": "active", "全部履行": "repaired"}
    for entry in f["entries"]:
        cell = cells[entry["row"]]
        assert cell[keys["case"]] == entry["case_code"]
        assert status[cell[keys["performance"]]] == entry["status"]
        card = cell[keys["card"]]
        if entry["subject"]["kind"] == "person":
            assert cell[keys["name"]] == entry["subject"]["name"]
            masked = entry["subject"]["masked"]
            assert card[:4] == masked[:4] and card[-4:] == masked[-4:]
        else:
            uscc = entry["subject"]["uscc"]
            assert uscc in stored and card in (uscc, f"{uscc[8:16]}-{uscc[16]}")
            (named,) = entry["named_responsible"]
            assert cell[keys["legal_rep"]] == named["name"]
    for subject in f["org_code_subjects"]:
        code = cells[subject["row"]][keys["card"]]
        assert code == subject["code"] and code[8] == "-"
        if subject["resolves_to"] is None:
            assert all(u[8:17] != code.replace("-", "") for u in stored)
        else:
            assert subject["resolves_to"] in stored and subject["resolves_to"][8:17] == code.replace("-", "")
    counts = f["counts"]
    assert counts["active"] == sum(e["status"] == "active" for e in f["entries"])
    assert counts["repaired"] == sum(e["status"] == "repaired" for e in f["entries"]) >= 2
    assert counts["active"] + counts["repaired"] + counts["rejected"] + counts["unresolved"] == f["data_rows"]


def test_court_platform_records_are_what_the_lines_say(made: Path, expected: dict[str, Any]) -> None:
    records = {i: r for i, r in enumerate(court_records(made), start=1) if r is not None}
    keys = {
        "case": "caseCode", "performance": "performance", "card": "cardNum", "name": "iname",
        "legal_rep": "businessEntity",
    }  # fmt: skip
    check_list_entries(expected, COURT, records, keys)
    for r in rows_of(expected, COURT, "masked_person_unique"):
        assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", records[r["row"]]["cardNum"])
    full = one(expected, COURT, "full_id_number")
    number = records[full["row"]]["cardNum"]
    assert FULL_ID.fullmatch(number) and valid_check(number) and mask_id_number(number) == full["masked"]
    assert one(expected, COURT, "masked_person_ambiguous")["candidates"] == 2
    assert records[one(expected, COURT, "performance_unknown")["row"]]["performance"] == "履行中"
    assert records[one(expected, COURT, "publish_date_not_a_date")["row"]]["publishDate"] == "2023年02月30日"
    for record in records.values():
        assert record["partyTypeName"] in ("自然人", "法人或其他组织")
        assert re.fullmatch(r"\d{8}", record["regDate"])


def test_detail_records_are_what_the_lines_say(made: Path, expected: dict[str, Any]) -> None:
    skip = {one(expected, COURT_DETAIL, c)["row"] for c in ("unbalanced_quote", "not_utf8")}
    keys = {
        "case": "案号", "performance": "被执行人履行情况", "card": "身份证号码/组织机构代码",
        "name": "被执行人姓名/名称", "legal_rep": "法定代表人或者负责人姓名",
    }  # fmt: skip
    check_list_entries(expected, COURT_DETAIL, detail_rows(made, skip), keys)


def test_tax_entries_are_what_the_cells_say(made: Path, expected: dict[str, Any]) -> None:
    f = expected["files"][TAX]
    rows = by_row(csv_rows(made, TAX), TAX_HEADER)
    stored = {r["uscc"] for r in expected["files"][REGISTRATION]["enterprises"] if r["uscc"]}
    identities = {(e["taxpayer_id"], e["published_on"], e["case_nature"]) for e in f["entries"]}
    assert len(identities) == len(f["entries"]) == f["counts"]["active"] == f["data_rows"]
    for entry in f["entries"]:
        cell = rows[entry["row"]]
        assert (cell["纳税人识别号"], cell["公布日期"], cell["案件性质"]) == (
            entry["taxpayer_id"], entry["published_on"], entry["case_nature"],
        )  # fmt: skip
        assert entry["subject"] in stored
        assert cell["纳税人识别号"] in (entry["subject"], entry["subject"][2:17])
    old = f["org_code_subjects"]
    assert len(old) >= 2
    for subject in old:
        cell = rows[subject["row"]]
        assert len(cell["纳税人识别号"]) == 15 and cell["组织机构代码"] == subject["org_code"]
        assert (
            subject["resolves_to"][8:17] == cell["纳税人识别号"][6:] == subject["org_code"].replace("-", "")
        )
    for head in f["finance_heads"]:
        text = rows[head["row"]]["负有直接责任的财务负责人姓名、性别、证件名称及号码"]
        assert text.startswith(head["name"]) and mask_id_number(resident_number(text)) == head["masked"]
    bad = one(expected, TAX, "id_check_character")
    assert not valid_check(NUMBER_IN_CELL.findall(rows[bad["row"]][bad["field"]])[0])
    assert rows[one(expected, TAX, "formula_cell")["row"]]["主要违法事实"].startswith("+cmd|")


def test_abnormal_operation_entries_are_what_the_cells_say(made: Path, expected: dict[str, Any]) -> None:
    f = expected["files"][ABNORMAL]
    rows = by_row(csv_rows(made, ABNORMAL), ABNORMAL_HEADER)
    keys = {r["key"] for r in expected["files"][REGISTRATION]["enterprises"]}
    for entry in f["entries"]:
        cell = rows[entry["row"]]
        assert cell["统一社会信用代码/注册号"] == entry["subject"]
        assert (entry["subject"] in keys) != entry["stub"]
        assert cell["列入日期"] == entry["listed_on"]
        assert (cell["移出日期"] or None) == entry["ended_on"]
        assert bool(cell["移出经营异常名录原因"]) == (entry["status"] == "ended")
        if entry["ended_on"]:
            assert entry["ended_on"] > entry["listed_on"]
    assert any(len(e["subject"]) == 15 and e["status"] == "ended" for e in f["entries"])
    bad = rows[one(expected, ABNORMAL, "removed_before_listed")["row"]]
    assert bad["移出日期"] < bad["列入日期"]
    held = rows[one(expected, ABNORMAL, "enterprise_not_in_store_registration_number")["row"]]
    code = held["统一社会信用代码/注册号"]
    assert validate_registration_number(code) == code and code not in keys
    counts = f["counts"]
    assert counts["active"] + counts["ended"] + counts["rejected"] + counts["held"] == f["data_rows"]
    assert counts["ended"] == len(rows_of(expected, ABNORMAL, "removed")) >= 2


def test_persons_in_two_forms_are_one_number(made: Path, expected: dict[str, Any]) -> None:
    cells: dict[str, dict[int, dict[str, Any]]] = {
        LEGAL_REPS: by_row(csv_rows(made, LEGAL_REPS), LEGAL_REP_HEADER),
        TAX: by_row(csv_rows(made, TAX), TAX_HEADER),
        COURT: {i: r for i, r in enumerate(court_records(made), start=1) if r is not None},
    }
    people = expected["persons_in_two_forms"]
    assert len(people) >= 3
    for person in people:
        assert {form["digits"] for form in person["forms"]} == {15, 18}
        for form in person["forms"]:
            text = cells[form["file"]][form["row"]][form["field"]]
            assert len(NUMBER_IN_CELL.findall(text)[0]) == form["digits"]
            assert mask_id_number(resident_number(text)) == person["masked"], form
