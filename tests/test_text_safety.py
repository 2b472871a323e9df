from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from graph_service.text_safety import mask_ids_in_text, report_cell, spreadsheet_safe

ID = "34052419800101001X"
ID_15 = "340524800101001"


def test_an_eighteen_character_id_is_masked_wherever_it_stands() -> None:
    assert mask_ids_in_text(ID) == "3405**********001X"
    assert mask_ids_in_text(f"身份证号{ID}，住址") == "身份证号3405**********001X，住址"
    assert mask_ids_in_text("34052419800101001x 和 360426199101010071") == (
        "3405**********001X 和 3604**********0071"
    )
    assert mask_ids_in_text(f"id:{ID};") == "id:3405**********001X;"


def test_runs_inside_longer_numbers_are_left_alone() -> None:
    # 19 digits (a bank card), a USCC: not ID numbers.
    for text in ("6222021234567890123", "91110000600037341L"):
        assert mask_ids_in_text(text) == text


def test_letters_and_separators_do_not_hide_a_number() -> None:
    # A letter beside it is no boundary (ID3405…); blanks or hyphens between its groups do not hide it.
    masked = ID[:4] + "*" * 10 + ID[-4:]
    assert mask_ids_in_text("ID" + ID) == "ID" + masked
    assert mask_ids_in_text(ID + "A") == masked + "A"
    assert mask_ids_in_text(f"{ID[:6]}-{ID[6:14]}-{ID[14:]}") == masked
    assert mask_ids_in_text(" ".join(ID[i : i + 4] for i in range(0, 18, 4))) == masked


def test_a_first_generation_id_is_masked_but_other_fifteen_digit_runs_are_not() -> None:
    assert mask_ids_in_text(f"旧证{ID_15}号") == "旧证340*********001号"
    # No province prefix, or positions 7-12 no date: a registration number, an order number.
    assert mask_ids_in_text("990524800101001") == "990524800101001"
    assert mask_ids_in_text("110108000000016") == "110108000000016"
    assert mask_ids_in_text("340524801301001") == "340524801301001"


def test_full_width_digits_are_caught() -> None:
    full = "".join(chr(ord(c) + 0xFEE0) for c in ID)
    assert mask_ids_in_text(f"号码：{full}") == "号码:3405**********001X"


def test_clean_text_is_returned_as_it_is_and_fast() -> None:
    text = "（全角括号）" + "清丰县测试有限公司 12345678901234 " * 20_000
    assert mask_ids_in_text(text) is text
    started = time.perf_counter()
    for _ in range(20):
        mask_ids_in_text(text)
    assert time.perf_counter() - started < 1.0


@given(st.text())
def test_masking_is_idempotent(text: str) -> None:
    once = mask_ids_in_text(text)
    assert mask_ids_in_text(once) == once


def test_formula_cells_get_an_apostrophe() -> None:
    for cell in ("=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "-5", "+86 10 1234"):
        assert spreadsheet_safe(cell) == "'" + cell
    for cell in ("", "5", "清丰县", " =1", "a=b", "'quoted"):
        assert spreadsheet_safe(cell) == cell


def test_report_cell_masks_then_defuses() -> None:
    assert report_cell(f"={ID}") == "'=3405**********001X"
    assert report_cell(12) == "12"
    assert report_cell(-5) == "'-5"
    assert report_cell(None) == ""
