from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from graph_service.identifiers import (
    USCC_CHARSET,
    IdentifierError,
    ResidentId,
    build_id_number,
    build_registration_number,
    build_uscc,
    id_check_char,
    is_masked,
    is_valid_id_number,
    is_valid_uscc,
    mask_id_number,
    normalize_code,
    normalize_enterprise_code,
    normalize_name,
    normalize_org_code,
    org_code_check_char,
    org_code_of,
    parse_id_number,
    person_key,
    registration_check_digit,
    upgrade_id_number,
    uscc_check_char,
    validate_enterprise_code,
    validate_id_number,
    validate_org_code,
    validate_registration_number,
    validate_uscc,
)

VALID_USCCS = ["91110000600037341L", "91512081MA62K0260E"]
VALID_IDS = ["34052419800101001X", "360426199101010071"]
# The example printed in GS 15-2006, and a real registration number from Shanxi.
VALID_REGISTRATION_NUMBERS = ["110108000000016", "140000100028286"]

CHECK_NAMES = {
    "empty",
    "length",
    "charset",
    "registration_authority",
    "organisation_type",
    "division",
    "org_code_check",
    "check_character",
    "region",
    "birth_date",
    "sequence",
    "foreign_permit",
}

# Written out independently of the module so the tests check it against GB 32100 Appendix A.
AUTHORITY_TYPES = [
    *(("1", t) for t in "1239"),
    *(("2", t) for t in "19"),
    *(("3", t) for t in "123459"),
    *(("4", t) for t in "19"),
    *(("5", t) for t in "1239"),
    *(("6", t) for t in "129"),
    *(("7", t) for t in "129"),
    *(("8", t) for t in "19"),
    *(("9", t) for t in "123"),
    *(("A", t) for t in "19"),
    *(("N", t) for t in "1239"),
    ("Y", "1"),
]
PROVINCES = [
    *(str(p) for p in range(11, 16)),
    *(str(p) for p in range(21, 24)),
    *(str(p) for p in range(31, 38)),
    *(str(p) for p in range(41, 47)),
    *(str(p) for p in range(50, 55)),
    *(str(p) for p in range(61, 66)),
    "71",
    "81",
    "82",
]

regions = st.builds(
    lambda prov, rest: prov + rest,
    st.sampled_from(PROVINCES),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
divisions = st.one_of(regions, st.just("100000"))


def check_of(func: object, *args: object) -> str:
    assert callable(func)
    with pytest.raises(IdentifierError) as info:
        func(*args)
    return info.value.check


def with_id_check(first17: str) -> str:
    return first17 + id_check_char(first17)


def with_uscc_check(first17: str) -> str:
    return first17 + uscc_check_char(first17)


# --- published examples ------------------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_USCCS)
def test_published_usccs_pass(code: str) -> None:
    assert validate_uscc(code) == code
    assert is_valid_uscc(code)
    assert validate_enterprise_code(code) == ("uscc", code)


def test_uscc_check_character_worked_example() -> None:
    # docs/domain.md, "Identifiers": weighted sum 538, 538 mod 31 = 11, 31 - 11 = 20 -> 'L'.
    assert uscc_check_char("91110000600037341") == "L"
    assert USCC_CHARSET[20] == "L"


@pytest.mark.parametrize("number", VALID_IDS)
def test_published_ids_pass(number: str) -> None:
    assert validate_id_number(number) == number
    assert is_valid_id_number(number)


def test_parse_id_number_fields() -> None:
    parsed = parse_id_number("34052419800101001X")
    assert parsed == ResidentId(
        number="34052419800101001X",
        region="340524",
        birth_date=date(1980, 1, 1),
        sequence="001",
        sex="male",
    )
    assert parse_id_number(build_id_number("410922", date(1990, 5, 6), 2)).sex == "female"


def test_org_code_example() -> None:
    assert org_code_check_char("60003734") == "1"
    assert validate_org_code("60003734-1") == "600037341"
    assert validate_org_code("600037341") == "600037341"
    assert validate_org_code(" 60003734－1 ") == "600037341"


def test_org_code_check_maps_ten_and_eleven() -> None:
    assert org_code_check_char("00000000") == "0"  # 11 - 0 = 11 -> '0'
    # "00000006" weighs 6 * 2 = 12, 12 mod 11 = 1, 11 - 1 = 10 -> 'X'.
    body = "00000006"
    assert org_code_check_char(body) == "X"
    assert validate_org_code(body + "X") == body + "X"


@pytest.mark.parametrize("number", VALID_REGISTRATION_NUMBERS)
def test_published_registration_numbers_pass(number: str) -> None:
    assert registration_check_digit(number[:14]) == number[14]
    assert validate_registration_number(number) == number
    assert validate_enterprise_code(number) == ("registration_number", number)


# --- every single-character change fails -------------------------------------------------------


@pytest.mark.parametrize("code", VALID_USCCS)
@pytest.mark.parametrize("position", range(18))
def test_every_single_change_of_uscc_fails(code: str, position: int) -> None:
    for ch in USCC_CHARSET:
        if ch == code[position]:
            continue
        changed = code[:position] + ch + code[position + 1 :]
        assert not is_valid_uscc(changed), changed
        assert check_of(validate_uscc, changed) in CHECK_NAMES


@pytest.mark.parametrize("number", VALID_IDS)
@pytest.mark.parametrize("position", range(18))
def test_every_single_change_of_id_fails(number: str, position: int) -> None:
    for ch in "0123456789X":
        if ch == number[position]:
            continue
        changed = number[:position] + ch + number[position + 1 :]
        assert not is_valid_id_number(changed), changed
        assert check_of(validate_id_number, changed) in CHECK_NAMES


@pytest.mark.parametrize("position", range(9))
def test_every_single_change_of_org_code_fails_unless_gb11714_cannot_see_it(position: int) -> None:
    code = "600037341"
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for ch in alphabet:
        if ch == code[position]:
            continue
        changed = code[:position] + ch + code[position + 1 :]
        blind = position < 8 and (alphabet.index(ch) - alphabet.index(code[position])) % 11 == 0
        if blind:
            # Values run 0..35 but the check is mod 11, so 0 -> B (11) or 6 -> H (17) go unseen;
            # inside a USCC the mod-31 check character still catches them.
            assert validate_org_code(changed) == changed
            uscc17 = "91110000" + changed
            assert not is_valid_uscc(uscc17 + uscc_check_char("91110000600037341"))
        else:
            assert check_of(validate_org_code, changed) in CHECK_NAMES, changed


@pytest.mark.parametrize("number", VALID_REGISTRATION_NUMBERS)
@pytest.mark.parametrize("position", range(15))
def test_every_single_change_of_registration_number_fails(number: str, position: int) -> None:
    for ch in "0123456789":
        if ch == number[position]:
            continue
        changed = number[:position] + ch + number[position + 1 :]
        assert check_of(validate_registration_number, changed) in CHECK_NAMES, changed


# --- normalisation -----------------------------------------------------------------------------


def test_full_width_uscc_with_blanks_and_lower_case_passes() -> None:
    raw = " ９１１１ ００００\u3000６０００３７３４１ｌ\u200b\n"
    assert normalize_code(raw) == "91110000600037341L"
    assert validate_uscc(raw) == "91110000600037341L"
    assert validate_uscc("91512081ma62k0260e") == "91512081MA62K0260E"


def test_lower_case_x_in_id_is_accepted() -> None:
    assert validate_id_number("34052419800101001x") == "34052419800101001X"
    assert validate_id_number("\ufeff３４０５２４ １９８００１０１ ００１ｘ") == "34052419800101001X"


def test_normalize_code_strips_invisible_characters() -> None:
    assert normalize_code("a\u200bb\u200c\u200dc\u2060d\ufeff\u00ad e\tf") == "ABCDEF"


def test_normalize_name() -> None:
    assert normalize_name("  濮阳市某某有限公司（分公司）  ") == "濮阳市某某有限公司(分公司)"
    assert normalize_name("ＡＢＣ\u3000\u3000Trading   Co.\u200b") == "ABC Trading Co."
    assert normalize_name("") == ""


# --- each failure names its check --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "check"),
    [
        ("", "empty"),
        (" \u3000 ", "empty"),
        ("9111000060003734", "length"),
        ("91110000600037341LL", "length"),
        ("91110000600O37341L", "charset"),
        ("91110000600037341I", "charset"),
        ("9111000060003734#L", "charset"),
        ("B1110000600037341L", "registration_authority"),
        ("04110000600037341L", "registration_authority"),
        ("94110000600037341L", "organisation_type"),
        ("99110000600037341L", "organisation_type"),
        ("Y2110000600037341L", "organisation_type"),
        ("91990000600037341L", "division"),
        ("9100000060003734XL", "division"),
        ("911A0000600037341L", "division"),
        (with_uscc_check("91110000600037342"), "org_code_check"),
        ("91110000600037341A", "check_character"),
    ],
)
def test_uscc_failure_checks(raw: str, check: str) -> None:
    with pytest.raises(IdentifierError) as info:
        validate_uscc(raw)
    assert info.value.kind == "uscc"
    assert info.value.check == check
    assert str(info.value) == info.value.message
    assert info.value.message


def test_uscc_accepts_national_division_and_other_authorities() -> None:
    assert is_valid_uscc(build_uscc("1", "1", "100000", "00001234"))
    assert is_valid_uscc(build_uscc("Y", "1", "410922", "MA3X0000"))
    assert is_valid_uscc(build_uscc("N", "2", "410322", "MA40ABCD"))


def test_uscc_check_character_message() -> None:
    with pytest.raises(IdentifierError) as info:
        validate_uscc("91110000600037341Y")
    assert str(info.value) == "USCC check character is 'L' but the code ends in 'Y' (GB 32100)"


@pytest.mark.parametrize(
    ("raw", "check"),
    [
        ("", "empty"),
        ("34052480010100", "length"),
        ("3405241980010100", "length"),
        ("3405241980010100XX", "charset"),
        ("34052419800101001A", "charset"),
        (with_id_check("99052419800101001"), "foreign_permit"),
        (with_id_check("10000019800101001"), "region"),
        (with_id_check("83052419800101001"), "region"),
        ("990524800101001", "region"),
        (with_id_check("34052419800230001"), "birth_date"),
        (with_id_check("34052419801301001"), "birth_date"),
        (with_id_check("34052418991231001"), "birth_date"),
        (with_id_check("34052419800101000"), "sequence"),
        ("340524198001010010", "check_character"),
    ],
)
def test_id_failure_checks(raw: str, check: str) -> None:
    with pytest.raises(IdentifierError) as info:
        validate_id_number(raw)
    assert info.value.kind == "id_number"
    assert info.value.check == check


def test_fifteen_digit_id_is_upgraded_to_eighteen() -> None:
    assert upgrade_id_number("340524800101001") == "34052419800101001X"
    assert upgrade_id_number(" ３４０５２４８００１０１００１ ") == "34052419800101001X"
    rid = parse_id_number("340524800101001")
    assert rid == parse_id_number("34052419800101001X")
    assert (rid.number, rid.birth_date, rid.sex) == ("34052419800101001X", date(1980, 1, 1), "male")
    assert validate_id_number("340524800101001") == "34052419800101001X"
    assert check_of(upgrade_id_number, "34052480010100") == "length"
    assert check_of(upgrade_id_number, "34052480010100X") == "charset"


def test_fifteen_digit_id_with_a_bad_date_fails_saying_so() -> None:
    with pytest.raises(IdentifierError) as info:
        parse_id_number("340524801301001")
    assert (info.value.kind, info.value.check) == ("id_number", "birth_date")
    assert info.value.message.startswith("first-generation (15-digit) ID number: ")
    assert "1980-13-01 is not a calendar date" in info.value.message
    assert "340524801301001" not in info.value.message
    assert check_of(parse_id_number, "340524800101000") == "sequence"


def test_both_forms_of_an_id_give_one_person_key_and_person() -> None:
    from graph_service.persons import person_from_document

    assert person_key("340524800101001", "k") == person_key("34052419800101001X", "k")
    # Other documents are keyed as given: only a resident ID has a first-generation form.
    assert person_key("340524800101001", "k", "passport") != person_key("34052419800101001X", "k", "passport")
    old = person_from_document("340524800101001", "张三", "k")
    new = person_from_document("34052419800101001X", "张三", "k")
    assert old == new
    assert old.id_number == "34052419800101001X"
    assert old.id_masked == "3405**********001X"


def test_residence_permit_regions_pass_for_ids_only() -> None:
    for region in ("810000", "820000", "830000"):
        number = with_id_check(region + "19900101001")
        assert parse_id_number(number).region == region
    # 83 is no GB/T 2260 province: not a division of an enterprise code.
    assert check_of(validate_uscc, with_uscc_check("91830000600037341")) == "division"
    assert check_of(validate_registration_number, "830000000000016") == "division"


def test_foreign_permanent_resident_id_is_named_as_such() -> None:
    with pytest.raises(IdentifierError) as info:
        parse_id_number(with_id_check("91115619800101001"))
    assert info.value.check == "foreign_permit"
    assert "foreign permanent resident ID" in info.value.message
    assert "document type foreign_permit" in info.value.message
    assert "region code" not in info.value.message


def test_future_birth_date_fails() -> None:
    tomorrow = date.today() + timedelta(days=1)
    first17 = f"410922{tomorrow:%Y%m%d}001"
    assert check_of(validate_id_number, with_id_check(first17)) == "birth_date"
    assert check_of(parse_id_number, "34052419800101001X", date(1979, 12, 31)) == "birth_date"
    assert parse_id_number("34052419800101001X", date(1980, 1, 1)).birth_date == date(1980, 1, 1)


def test_id_error_messages_do_not_quote_the_number() -> None:
    for raw in [with_id_check("34052419800230001"), "340524198001010010", with_id_check("99052419800101001")]:
        with pytest.raises(IdentifierError) as info:
            validate_id_number(raw)
        assert raw not in info.value.message


@pytest.mark.parametrize(
    ("raw", "check"),
    [
        ("", "empty"),
        ("6000373", "length"),
        ("60003734-12", "length"),
        ("60003734-", "length"),
        ("6000373#1", "charset"),
        ("60003734A", "charset"),
        ("600037342", "check_character"),
    ],
)
def test_org_code_failure_checks(raw: str, check: str) -> None:
    with pytest.raises(IdentifierError) as info:
        validate_org_code(raw)
    assert info.value.kind == "org_code"
    assert info.value.check == check


@pytest.mark.parametrize(
    ("raw", "check"),
    [
        ("", "empty"),
        ("11010800000001", "length"),
        ("11010800000001A", "charset"),
        ("990108000000016", "division"),
        ("110108000000017", "check_character"),
    ],
)
def test_registration_number_failure_checks(raw: str, check: str) -> None:
    with pytest.raises(IdentifierError) as info:
        validate_registration_number(raw)
    assert info.value.kind == "registration_number"
    assert info.value.check == check


def test_enterprise_code_dispatch_and_length() -> None:
    assert validate_enterprise_code(" 91110000600037341l ") == ("uscc", "91110000600037341L")
    with pytest.raises(IdentifierError) as info:
        validate_enterprise_code("600037341")
    assert (info.value.kind, info.value.check) == ("enterprise_code", "length")
    with pytest.raises(IdentifierError) as info:
        validate_enterprise_code("91110000600037341A")
    assert (info.value.kind, info.value.check) == ("uscc", "check_character")
    with pytest.raises(IdentifierError) as info:
        validate_enterprise_code("110108000000017")
    assert (info.value.kind, info.value.check) == ("registration_number", "check_character")
    assert check_of(validate_enterprise_code, "") == "empty"


def test_hyphens_and_blanks_inside_enterprise_codes_are_dropped() -> None:
    assert validate_uscc("91-110000-600037341L") == "91110000600037341L"
    assert validate_uscc("91 110000 600037341 L") == "91110000600037341L"
    assert validate_uscc("91\u2013110000\u2013600037341L") == "91110000600037341L"
    assert validate_enterprise_code("91-110000-600037341L") == ("uscc", "91110000600037341L")
    assert validate_enterprise_code("110108-00000001-6") == ("registration_number", "110108000000016")
    assert validate_registration_number("110108 000000016") == "110108000000016"
    assert validate_org_code("MAJXU7DA-9") == validate_org_code("MAJXU7DA9") == "MAJXU7DA9"
    assert normalize_enterprise_code("ｍａｊｘｕ７ｄａ－９") == "MAJXU7DA9"
    # Person document numbers keep their form: their keys hash it.
    assert normalize_code("E1234-5678") == "E1234-5678"


def test_org_code_of_a_uscc_and_normalize_org_code() -> None:
    assert org_code_of("91110000600037341L") == "600037341"
    assert org_code_of("91-110000-600037341l") == "600037341"
    assert check_of(org_code_of, "91110000600037341A") == "check_character"
    assert normalize_org_code(" 60003734-1 ") == "600037341"
    assert normalize_org_code("MAJXU7DA-9") == "MAJXU7DA9"
    with pytest.raises(IdentifierError) as info:
        normalize_org_code("60003734-2")
    assert (info.value.kind, info.value.check) == ("org_code", "check_character")


def test_error_value_is_truncated_and_error_pickles() -> None:
    with pytest.raises(IdentifierError) as info:
        validate_uscc("9" * 10_000)
    err = info.value
    assert err.check == "length"
    assert len(err.value) == 40
    assert isinstance(err, ValueError)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.kind, copy.check, copy.value, str(copy)) == (err.kind, err.check, err.value, str(err))


# --- registration numbers ----------------------------------------------------------------------


def test_built_registration_number_passes_and_changed_digit_fails() -> None:
    number = build_registration_number("410922", "00012345")
    assert len(number) == 15
    assert validate_registration_number(number) == number
    changed = number[:10] + str((int(number[10]) + 1) % 10) + number[11:]
    assert check_of(validate_registration_number, changed) == "check_character"


@given(divisions, st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_built_registration_numbers_pass(division: str, body: str) -> None:
    number = build_registration_number(division, body)
    assert validate_registration_number(number) == number


# --- property tests ----------------------------------------------------------------------------


@given(
    st.sampled_from(AUTHORITY_TYPES),
    divisions,
    st.text(alphabet=USCC_CHARSET, min_size=8, max_size=8),
)
def test_built_usccs_pass(authority_type: tuple[str, str], division: str, body: str) -> None:
    authority, org_type = authority_type
    code = build_uscc(authority, org_type, division, body)
    assert validate_uscc(code) == code
    assert code[:2] == authority + org_type
    assert code[2:8] == division
    assert code[8:16] == body
    assert validate_org_code(code[8:17]) == code[8:17]


@given(regions, st.dates(min_value=date(1900, 1, 1), max_value=date.today()), st.integers(1, 999))
def test_built_ids_pass(region: str, birth: date, sequence: int) -> None:
    number = build_id_number(region, birth, sequence)
    parsed = parse_id_number(number)
    assert parsed.number == number
    assert parsed.region == region
    assert parsed.birth_date == birth
    assert int(parsed.sequence) == sequence
    assert parsed.sex == ("male" if sequence % 2 else "female")


def test_builders_reject_bad_parts() -> None:
    assert check_of(build_uscc, "9", "4", "410922", "00001234") == "organisation_type"
    assert check_of(build_uscc, "9", "1", "4109", "00001234") == "length"
    assert check_of(build_id_number, "410922", date(1990, 1, 1), 0) == "sequence"
    assert check_of(build_id_number, "410922", date(1990, 1, 1), 1000) == "sequence"
    assert check_of(build_id_number, "410922", date.today() + timedelta(days=1), 1) == "birth_date"
    assert check_of(build_registration_number, "410922", "1234") == "length"


# Text near the real alphabets reaches the later checks far more often than arbitrary text.
near_codes = st.text(alphabet=USCC_CHARSET + "IOSVZxl-* \u3000０９Ｘ", max_size=20)
any_text = st.one_of(st.text(), near_codes)

VALIDATORS: list[Callable[[str], object]] = [
    validate_uscc,
    validate_org_code,
    validate_id_number,
    parse_id_number,
    validate_registration_number,
    validate_enterprise_code,
    upgrade_id_number,
    org_code_of,
    normalize_org_code,
]


@given(any_text)
def test_validators_raise_only_identifier_error(raw: str) -> None:
    for validate in VALIDATORS:
        try:
            validate(raw)
        except IdentifierError as err:
            assert err.check in CHECK_NAMES
            assert len(err.value) <= 40
            assert err.message


@given(any_text)
def test_total_functions_never_raise(raw: str) -> None:
    assert isinstance(is_valid_uscc(raw), bool)
    assert isinstance(is_valid_id_number(raw), bool)
    assert isinstance(is_masked(raw), bool)
    assert isinstance(normalize_code(raw), str)
    assert isinstance(normalize_name(raw), str)
    assert isinstance(mask_id_number(raw), str)


@given(any_text)
@example("R\u00b8")  # NFKC makes the cedilla a space plus a combining mark that then joins the R
def test_normalisation_is_idempotent(raw: str) -> None:
    once = normalize_code(raw)
    assert normalize_code(once) == once
    assert not any(ch.isspace() for ch in once)
    name = normalize_name(raw)
    assert normalize_name(name) == name


# --- masking -----------------------------------------------------------------------------------


def test_mask_examples() -> None:
    assert mask_id_number("34052419800101001X") == "3405**********001X"
    assert mask_id_number("34052419800101001x") == "3405**********001X"
    assert mask_id_number("1234567") == "*******"
    assert mask_id_number("") == ""
    # Short passport and permit numbers keep less, so at least half stays hidden.
    assert mask_id_number("E12345678") == "E1*****78"
    assert is_masked(mask_id_number("34052419800101001X"))
    assert is_masked("4109**********1234")
    assert is_masked("4109＊＊＊＊＊＊＊＊＊＊1234")
    assert not is_masked("34052419800101001X")


@given(any_text)
def test_masking_reveals_at_most_eight_characters(raw: str) -> None:
    original = normalize_code(raw)
    masked = mask_id_number(raw)
    assert len(masked) == len(original)
    revealed = [i for i, ch in enumerate(masked) if ch != "*"]
    assert len(revealed) <= 8
    assert len(revealed) <= len(original) // 2
    assert all(masked[i] == original[i] for i in revealed)


# --- person keys -------------------------------------------------------------------------------


def test_person_key_is_deterministic_and_keyed() -> None:
    number = "34052419800101001X"
    key = person_key(number, "secret-a")
    assert key == person_key(number, "secret-a")
    assert key == person_key(" 34052419800101001x ", b"secret-a")
    assert key.startswith("P")
    assert len(key) == 33
    assert key != person_key(number, "secret-b")
    assert key != person_key(number, "secret-a", document_type="passport")
    assert key != person_key("360426199101010071", "secret-a")
    assert number not in key
    assert number[:6] not in key


def test_person_key_rejects_unusable_input() -> None:
    with pytest.raises(ValueError):
        person_key("34052419800101001X", "")
    with pytest.raises(ValueError):
        person_key("34052419800101001X", b"")
    assert check_of(person_key, "  ", "secret") == "empty"
    # Different people share one masked form; keying on it would merge them.
    assert check_of(person_key, "4109**********1234", "secret") == "charset"


@given(st.text(alphabet="0123456789X", min_size=8, max_size=18), st.binary(min_size=1, max_size=32))
def test_person_key_never_contains_the_number(number: str, secret: bytes) -> None:
    key = person_key(number, secret)
    assert number not in key
    assert key == person_key(number, secret)
