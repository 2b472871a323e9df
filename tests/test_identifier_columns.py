"""The column checks (numpy) give the scalar validators' verdicts exactly, on valid codes, codes one
character away from valid, and arbitrary text."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from graph_service.identifier_columns import id_number_verdicts, resident_of_valid, uscc_verdicts
from graph_service.identifiers import _ORGANISATION_TYPES as ORGANISATION_TYPES
from graph_service.identifiers import (
    PROVINCE_CODES,
    USCC_CHARSET,
    build_id_number,
    build_uscc,
    id_check_char,
    is_valid_id_number,
    is_valid_uscc,
    normalize_code,
    normalize_name,
    parse_id_number,
)
from graph_service.model import Role, RoleType

TODAY = date.today()
# A USCC embeds its organisation code, so the body takes only the characters both standards allow.
_ORG_BODY = USCC_CHARSET
# Characters a mutation may put in: the charsets, the letters USCCs leave out, lower case, blanks and
# full-width forms that normalisation folds.
_NOISE = USCC_CHARSET + "IOSVZiosxa -*Ｘ１"

_PAIRS = sorted((a, t) for a, types in ORGANISATION_TYPES.items() for t in types)
divisions = st.just("100000") | st.sampled_from(sorted(PROVINCE_CODES)).flatmap(
    lambda p: st.text("0123456789", min_size=4, max_size=4).map(lambda rest: p + rest)
)
usccs = st.builds(
    lambda pair, division, body: build_uscc(pair[0], pair[1], division, body),
    st.sampled_from(_PAIRS),
    divisions,
    st.text(_ORG_BODY, min_size=8, max_size=8),
)

regions = st.sampled_from(sorted(PROVINCE_CODES - {"71", "81", "82"})).flatmap(
    lambda p: st.text("0123456789", min_size=4, max_size=4).map(lambda rest: p + rest)
) | st.sampled_from(["810000", "820000", "830000"])
ids = st.builds(
    build_id_number,
    regions,
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(1, 999),
)


def _mutate(code: str, position: int, char: str) -> str:
    position %= len(code)
    return code[:position] + char + code[position + 1 :]


@st.composite
def uscc_like(draw: st.DrawFn) -> str:
    code = draw(usccs)
    how = draw(st.integers(0, 3))
    if how == 0:
        return code
    if how == 1:
        return _mutate(code, draw(st.integers(0, 17)), draw(st.sampled_from(_NOISE)))
    if how == 2:
        return code.lower() if draw(st.booleans()) else code[:-1]
    return draw(st.text(_NOISE, min_size=17, max_size=19))


@st.composite
def id_like(draw: st.DrawFn) -> str:
    number = draw(ids)
    how = draw(st.integers(0, 4))
    if how == 0:
        return number
    if how == 1:
        return _mutate(number, draw(st.integers(0, 17)), draw(st.sampled_from("0123456789Xx9 ")))
    if how == 2:
        # Calendar edges: 29 February, the 31st of a short month, month 13, the future, before 1900.
        year = draw(st.sampled_from(["1899", "1900", "2000", "2023", "2024", str(TODAY.year + 1)]))
        month_day = draw(st.sampled_from(["0229", "0230", "0431", "1301", "0001", "1231", "0100"]))
        first17 = number[:6] + year + month_day + number[14:17]
        return first17 + draw(st.sampled_from("0123456789X"))
    if how == 3:
        return number[:14] + "000" + number[17]
    return draw(st.text("0123456789X", min_size=15, max_size=18))


@settings(max_examples=400, deadline=None)
@given(st.lists(uscc_like(), min_size=1, max_size=40))
@example(["91110000600037341L", "91110000600037341l", "9111000060003734-1L", "", "9111 0000600037341L"])
def test_uscc_verdicts_agree_with_the_scalar_check(codes: list[str]) -> None:
    assert uscc_verdicts(codes).tolist() == [is_valid_uscc(c) for c in codes]


@settings(max_examples=400, deadline=None)
@given(st.lists(id_like(), min_size=1, max_size=40))
@example(["11010519491231002X", "110105194912310021", "910105194912310021", "830000199001010017"])
def test_id_number_verdicts_agree_with_the_scalar_check(numbers: list[str]) -> None:
    assert id_number_verdicts(numbers).tolist() == [is_valid_id_number(n) for n in numbers]


def test_today_bounds_the_birth_date() -> None:
    tomorrow = TODAY + timedelta(days=1)
    first17 = f"110105{tomorrow:%Y%m%d}123"
    number = first17 + id_check_char(first17)
    assert id_number_verdicts([number], today=TODAY).tolist() == [False]
    assert id_number_verdicts([number], today=tomorrow).tolist() == [True]


@settings(deadline=None)
@given(ids)
def test_resident_of_valid_is_what_parsing_gives(number: str) -> None:
    assert resident_of_valid(number) == parse_id_number(number)


def test_empty_columns() -> None:
    assert uscc_verdicts([]).tolist() == []
    assert id_number_verdicts([]).tolist() == []


def test_role_id_is_kept_and_a_copy_with_other_fields_works_its_own_out() -> None:
    role = Role(
        type=RoleType.DIRECTOR_OF,
        holder_kind="person",
        holder_key="P" + "a" * 32,
        enterprise="91110000600037341L",
        valid_from=date(2020, 1, 1),
    )
    first = role.role_id
    assert role.role_id is first
    closed = role.model_copy(update={"valid_to": date(2021, 1, 1)})
    assert closed.role_id == first
    moved = role.model_copy(update={"valid_from": date(2019, 1, 1)})
    assert moved.role_id != first
    fresh = Role.model_validate({**role.model_dump(), "valid_from": date(2019, 1, 1)})
    assert moved.role_id == fresh.role_id
    assert role == Role.model_validate(role.model_dump())
    assert "role_id" not in role.model_dump()


def _reference_normalize_name(raw: str) -> str:
    # normalize_name as it was before its fast paths: every character's category asked.
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def _reference_normalize_code(raw: str) -> str:
    def strip(text: str) -> str:
        return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")

    return strip(unicodedata.normalize("NFKC", strip(unicodedata.normalize("NFKC", raw)).upper()))


_NAMES = st.text(
    st.sampled_from("张三李四 　\u200b\ufeff\u00ad\u202eＡａ（）()·-\t\n\u00a0\u3000ab1") | st.characters(),
    max_size=20,
)


@settings(max_examples=500, deadline=None)
@given(_NAMES)
@example("北京\u200b某某 有限公司（分公司）")
def test_name_and_code_fast_paths_keep_the_reference_forms(raw: str) -> None:
    assert normalize_name(raw) == _reference_normalize_name(raw)
    assert normalize_code(raw) == _reference_normalize_code(raw)
