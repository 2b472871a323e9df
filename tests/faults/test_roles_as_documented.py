"""The README's table of roles is the policy: each row's operations (in backticks, cumulative from row to
row, less those after "not", "everything" for the administrator) are exactly what access/policy.py allows
that role."""

from __future__ import annotations

import re
from pathlib import Path

from graph_service.access.policy import ALLOWED

README = Path(__file__).parents[2] / "README.md"


def documented() -> dict[str, set[str]]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| role | may") :].split("\n\n")[0].splitlines()[2:]
    granted: dict[str, set[str]] = {}
    so_far: set[str] = set()
    for row in table:
        role, may, _ = (cell.strip() for cell in row.strip("|").split("|"))
        granted_here, _, withheld = may.partition("not ")
        names = set(re.findall(r"`([a-z_]+)`", granted_here))
        so_far = set(ALLOWED) if may.startswith("everything") else so_far | names
        so_far -= set(re.findall(r"`([a-z_]+)`", withheld))
        granted[role.strip("`")] = set(so_far)
    return granted


def test_the_readme_table_is_the_policy() -> None:
    allowed = {role: {op for op, roles in ALLOWED.items() if role in roles} for role in documented()}
    assert documented() == allowed
    assert set(documented()) == {role for roles in ALLOWED.values() for role in roles}


def test_an_agency_does_not_read_a_persons_whole_credit_record() -> None:
    assert "agency" not in ALLOWED["person_credit_record"]
    assert "investigator" in ALLOWED["person_credit_record"]
