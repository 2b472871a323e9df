"""Rules as data: the shipped defaults load, and a bad rules file names its file, line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_service.model import RoleType
from graph_service.rules import DEFAULT_RULES, RulesError, load_rules

GOOD = DEFAULT_RULES.read_text(encoding="utf-8")


def test_defaults_follow_the_domain() -> None:
    rules = load_rules()
    court = rules.list_type("court_dishonest_debtor")
    assert court is not None and court.kind == "black" and court.default_duration_days == 730
    # Today's people for the consumption restrictions, those in post at the conduct date for the
    # personal credit record (docs/domain.md, "Who is reached, by list").
    assert {(c.role, c.reference) for c in court.covers} == {
        (role, reference)
        for role in (RoleType.LEGAL_REPRESENTATIVE_OF, RoleType.PRINCIPAL_OF, RoleType.ACTUAL_CONTROLLER_OF)
        for reference in ("current", "conduct_date")
    }
    tax = rules.list_type("major_tax_violation")
    assert tax is not None
    finance = [c for c in tax.covers if c.role == RoleType.SENIOR_MANAGER_OF]
    assert [(c.position, c.reference) for c in finance] == [("财务负责人", "conduct_date")]
    triggered = {m.code for m in rules.measures_for(court)}
    assert "high_consumption_restriction" in triggered
    assert "high_consumption_restriction" not in {m.code for m in rules.measures_for(tax)}
    red = rules.list_type("tax_a_grade")
    assert red is not None and rules.measures_for(red) == []
    action = rules.action("air_ticket")
    assert action is not None and action.measures == ("high_consumption_restriction",)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[nth - 1]


@pytest.mark.parametrize(
    ("old", "new", "needle", "reason"),
    [
        ("LEGAL_REPRESENTATIVE_OF, reference: current,", "LEGAL_REPRESENTATIVE_OF, reference: yesterday,",
         "reference: yesterday", "conduct_date"),
        ("role: PRINCIPAL_OF, reference: current", "role: BOSS_OF, reference: current", "BOSS_OF", "role"),
        ("    kind: watch", "    kind: grey", "kind: grey", "kind"),
        ("triggered_by: [court_dishonest_debtor]", "triggered_by: [no_such_list]", "no_such_list", "unknown list type"),  # noqa: E501
        ("measures: [limit_fiscal_funds]}", "measures: [no_such_measure]}", "no_such_measure", "unknown measure"),  # noqa: E501
        ("reaches: [subject]\n  - code: limit_fiscal_funds", "reaches: [somebody]\n  - code: limit_fiscal_funds",  # noqa: E501
         "reaches: [somebody]", "somebody"),
    ],
)  # fmt: skip
def test_a_bad_rules_file_names_file_line_and_reason(
    tmp_path: Path, old: str, new: str, needle: str, reason: str
) -> None:
    assert old in GOOD
    bad = GOOD.replace(old, new, 1)
    path = write(tmp_path, bad)
    with pytest.raises(RulesError) as info:
        load_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line_of(bad, needle)}:"), message
    assert reason in message


def test_duplicate_codes_and_broken_yaml(tmp_path: Path) -> None:
    doubled = GOOD.replace("  - code: statistics", "  - code: customs", 1)
    with pytest.raises(RulesError, match=r":\d+: list_types\.\d+\.code: code 'customs' appears twice"):
        load_rules(write(tmp_path, doubled))
    with pytest.raises(RulesError, match=r"rules.yaml:\d+: not valid YAML"):
        load_rules(write(tmp_path, "list_types: [\n  - {code: x"))
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
    with pytest.raises(RulesError, match=":1: expected a mapping"):
        load_rules(write(tmp_path, "- just a list\n"))


def test_rules_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    ok = subprocess.run(
        [sys.executable, "-m", "graph_service.cli", "rules"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0 and "court_dishonest_debtor" in ok.stdout
    bad = write(tmp_path, GOOD.replace("    kind: watch", "    kind: grey", 1))
    failed = subprocess.run(
        [sys.executable, "-m", "graph_service.cli", "rules", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 2 and f"{bad}:" in failed.stderr and "Traceback" not in failed.stderr


def test_a_covered_role_no_measure_reaches_fails_naming_the_line(tmp_path: Path) -> None:
    """A cover reaching people nothing applies to is a mistake in the rules: the customs list covering
    supervisors with no measure of its own reaching them (docs/domain.md, "Rules")."""
    bad = GOOD.replace("triggered_by: [listed_company, customs]", "triggered_by: [listed_company]", 1)
    path = write(tmp_path, bad)
    with pytest.raises(RulesError) as info:
        load_rules(path)
    message = str(info.value)
    line = line_of(bad, "{role: DIRECTOR_OF, reference: conduct_date, basis: 海关")
    assert message.startswith(f"{path}:{line}:"), message
    assert "customs covers DIRECTOR_OF on the conduct_date but no measure it triggers reaches them" in message


def test_a_measure_reaching_a_role_a_triggering_list_does_not_cover_fails(tmp_path: Path) -> None:
    wider = "reaches: [SENIOR_MANAGER_OF@conduct_date, SUPERVISOR_OF@conduct_date]"
    bad = GOOD.replace("reaches: [SENIOR_MANAGER_OF@conduct_date]", wider, 1)
    path = write(tmp_path, bad)
    with pytest.raises(RulesError) as info:
        load_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line_of(bad, wider)}:"), message
    assert "responsible_officer_record reaches SUPERVISOR_OF@conduct_date" in message
    assert "does not cover" in message


def test_every_list_type_and_cover_cites_its_basis(tmp_path: Path) -> None:
    rules = load_rules()
    assert all(t.basis for t in rules.list_types)
    assert all(c.basis for t in rules.list_types for c in t.covers)
    bad = GOOD.replace("    basis: 纳税信用管理办法\n", "", 1)
    with pytest.raises(RulesError, match="basis: Field required"):
        load_rules(write(tmp_path, bad))


def test_a_share_threshold_is_only_for_shareholders(tmp_path: Path) -> None:
    bad = GOOD.replace("{role: SHAREHOLDER_OF, min_ratio: 0.05", "{role: DIRECTOR_OF, min_ratio: 0.05", 1)
    with pytest.raises(RulesError, match="only a SHAREHOLDER_OF cover has a share threshold"):
        load_rules(write(tmp_path, bad))
