"""The Enterprise record's codes: the USCC in canonical form, the optional registration number, registry
id and capital currency, each checked with a message naming the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from graph_service.model import Enterprise
from graph_service.store.neo4j_store import fingerprint
from tests import factories as f


def test_a_valid_uscc_is_kept_in_canonical_form() -> None:
    e = Enterprise(uscc="91-110000-600037341l", name="甲")
    assert e.uscc == "91110000600037341L"
    assert e.org_code == "600037341"
    assert e.division == "110000"


def test_new_fields_are_normalised() -> None:
    e = f.enterprise(
        1, registration_number="110108-00000001-6", registry_id="  abc-123 ", capital_currency="usd"
    )
    assert (e.registration_number, e.registry_id, e.capital_currency) == ("110108000000016", "abc-123", "USD")
    assert f.enterprise(1, capital_currency=" CNY ").capital_currency is None


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("registration_number", "110108000000017", "check digit"),
        ("registration_number", "91110000600037341L", "15 digits"),
        ("registry_id", "   ", "blank"),
        ("registry_id", "a\x00b", "control characters"),
        ("registry_id", "x" * 65, "at most 64"),
        ("registry_id", "34052419800101001X", "resident ID number"),
        ("capital_currency", "US$", "ISO 4217"),
        ("capital_currency", "美元", "ISO 4217"),
    ],
)
def test_bad_new_fields_are_refused_naming_the_field(field: str, value: str, says: str) -> None:
    with pytest.raises(ValidationError) as info:
        f.enterprise(1, **{field: value})
    error = info.value.errors()[0]
    assert error["loc"] == (field,)
    assert says in str(error["msg"])


def test_a_record_without_the_new_fields_keeps_its_fingerprint() -> None:
    # The fingerprints these records had before the fields existed: a reload of them is no change.
    assert fingerprint(f.enterprise(1)) == "10ca70b67b40a8e00e13b968eaa9121b"
    assert fingerprint(f.enterprise(2, registered_capital=5.0)) == "2c0864e0b18ded56d1a2c69842fe40b2"
    assert fingerprint(f.enterprise(1, capital_currency="CNY")) == fingerprint(f.enterprise(1))
    assert fingerprint(f.enterprise(1, capital_currency="USD")) != fingerprint(f.enterprise(1))
