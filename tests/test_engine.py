"""The joint punishment engine on the synthetic county, on both backends: planted cases come out right."""

from __future__ import annotations

from datetime import date

import pytest

from graph_service.engine import Engine, EngineError
from graph_service.rules import load_rules
from graph_service.store.base import GraphStore
from graph_service.synthetic import Answers

DAY = date(2026, 6, 30)


@pytest.fixture(scope="module")
def engine(county: tuple[GraphStore, Answers]) -> tuple[Engine, Answers]:
    store, answers = county
    return Engine(store, load_rules()), answers


def covered_persons(engine: Engine, entry_id: str) -> list[str]:
    result = engine.affected([entry_id], DAY)
    return sorted(
        a.subject.key
        for a in result.affected
        if a.subject.kind == "person" and any(r.rule.via != "subject" for r in a.reasons)
    )


@pytest.mark.parametrize(
    "case", ["legal_rep_change", "finance_head", "left_before_conduct", "named_responsible"]
)
def test_who_must_also_be_restricted(engine: tuple[Engine, Answers], case: str) -> None:
    eng, answers = engine
    planted = answers.cases[case]
    assert covered_persons(eng, str(planted["entry_id"])) == planted["covered"]


def test_finance_head_yes_manager_no_and_paths_with_dates(engine: tuple[Engine, Answers]) -> None:
    eng, answers = engine
    case = answers.cases["finance_head"]
    result = eng.affected([str(case["entry_id"])], DAY)
    by_key = {a.subject.key: a for a in result.affected}
    assert case["manager"] not in by_key
    finance = by_key[str(case["finance_head"])]
    reason = finance.reasons[0]
    assert reason.rule.role == "SENIOR_MANAGER_OF" and reason.rule.position == "财务负责人"
    assert reason.rule.reference == "conduct_date" and reason.rule.reference_date == date(2023, 12, 1)
    assert [e.type for e in reason.path.edges] == ["NAMES", "SENIOR_MANAGER_OF"]
    assert reason.path.edges[1].valid_from == date(2018, 1, 1)
    # The finance head directly responsible (重大税收违法失信主体信息公布管理办法; 濮政〔2017〕37号 item 6).
    assert "responsible_officer_record" in {m.code for m in finance.measures}
    assert "limit_fiscal_funds" not in {m.code for m in finance.measures}  # reaches the subject only
    assert finance.subject.id_masked and "*" in finance.subject.id_masked


def test_check_current_and_former_legal_representative(engine: tuple[Engine, Answers]) -> None:
    eng, answers = engine
    case = answers.cases["legal_rep_change"]
    current = eng.check("person", str(case["current_legal_rep"]), DAY, action="air_ticket")
    assert current.restricted
    assert [m.code for m in current.measures] == ["high_consumption_restriction"]
    assert {r.rule.via for r in current.reasons} == {"named_responsible", "role"}
    assert all(r.entry.entry_id == case["entry_id"] and r.entry.state == "in_force" for r in current.reasons)
    former = eng.check("person", str(case["former_legal_rep"]), DAY, action="air_ticket")
    assert not former.restricted and former.reasons == []
    company = eng.check("enterprise", str(case["uscc"]), DAY, action="public_bidding")
    assert company.restricted and {m.code for m in company.measures} == {
        "limit_public_bidding",
        "market_industry_ban",
    }
    before = eng.check("enterprise", str(case["uscc"]), date(2022, 3, 14), action="public_bidding")
    assert not before.restricted  # listed on 2022-03-15


@pytest.mark.parametrize(
    ("case", "state"),
    [("objection_in_progress", "suspended"), ("repaired_entry", "repaired"), ("revoked_entry", "revoked")],
)
def test_entries_that_do_not_restrict(engine: tuple[Engine, Answers], case: str, state: str) -> None:
    eng, answers = engine
    planted = answers.cases[case]
    result = eng.check("enterprise", str(planted["uscc"]), DAY, action="licence_approval")
    assert not result.restricted and result.reasons == []
    found = result.suspended if state == "suspended" else result.not_counting
    assert [r.entry.state for r in found] == [state]
    person = eng.check("person", str(planted["legal_rep"]), DAY)
    assert not person.restricted


def test_expired_entry_stops_counting(engine: tuple[Engine, Answers]) -> None:
    eng, answers = engine
    case = answers.cases["expired_entry"]
    result = eng.check("enterprise", str(case["uscc"]), DAY, action="fiscal_funds")
    assert [r.entry.entry_id for r in result.reasons] == [case["active_entry_id"]]
    assert [r.entry.state for r in result.not_counting] == ["expired"]
    earlier = eng.check("enterprise", str(case["uscc"]), date(2021, 6, 1), action="fiscal_funds")
    assert [r.entry.entry_id for r in earlier.reasons] == [case["expired_entry_id"]]


def test_multi_list(engine: tuple[Engine, Answers]) -> None:
    eng, answers = engine
    result = eng.multi_list(DAY, min_domains=2)
    found = {(s.subject.kind, s.subject.key): s for s in result.subjects}
    cases = answers.cases
    expected = {
        ("enterprise", cases["multi_listed_enterprise"]["uscc"]): ["environment", "tax"],
        ("person", cases["multi_listed_person"]["person"]): ["court", "labour"],
        ("person", cases["multi_listed_via_organisations"]["person"]): ["court", "safety"],
        ("person", cases["multi_listed_enterprise"]["legal_rep"]): ["environment", "tax"],
    }
    for ref, domains in expected.items():
        assert ref in found, ref
        assert found[ref].domains == domains
    # Reached only through two different companies: every reason is a role, none names the person.
    leader = found[("person", cases["multi_listed_via_organisations"]["person"])]
    assert {r.rule.via for r in leader.reasons} == {"role"}
    assert len({r.path.nodes[1].key for r in leader.reasons}) == 2
    assert ("enterprise", cases["same_domain_twice"]["uscc"]) not in found
    assert ("enterprise", cases["expired_entry"]["uscc"]) not in found
    for direct in answers.multi_listed_direct:
        assert (direct.kind, direct.key) in found
    for s in result.subjects:  # every answer is justified by entries in force in that many domains
        assert len({r.entry.domain for r in s.reasons if r.entry.state == "in_force"}) >= 2
    counts = [len(s.domains) for s in result.subjects]
    assert counts == sorted(counts, reverse=True)
    assert len(eng.multi_list(DAY, min_domains=3).subjects) <= len(result.subjects)


def test_green_channel(engine: tuple[Engine, Answers]) -> None:
    eng, answers = engine
    listed = eng.check(
        "enterprise", str(answers.cases["multi_listed_enterprise"]["uscc"]), DAY, action="green_channel"
    )
    assert listed.eligible is False and "black" in (listed.eligibility_basis or "")
    clean = eng.check("enterprise", str(answers.cases["bidders"]["unrelated"]), DAY, action="green_channel")
    assert clean.eligible is True


def test_unknown_action_names_the_field(engine: tuple[Engine, Answers]) -> None:
    eng, answers = engine
    with pytest.raises(EngineError, match=r"^action: unknown action 'fly_to_moon'"):
        eng.check("enterprise", str(answers.cases["finance_head"]["uscc"]), DAY, action="fly_to_moon")
    with pytest.raises(EngineError, match=r"^measure:"):
        eng.check("enterprise", str(answers.cases["finance_head"]["uscc"]), DAY, measure="nope")


def test_associated_risk_is_kept_apart_from_restrictions(engine: tuple[Engine, Answers]) -> None:
    eng, answers = engine
    case = answers.cases["multi_listed_via_organisations"]
    x, y = case["enterprises"]  # type: ignore[misc]
    court_entry, safety_entry = case["entry_ids"]  # type: ignore[misc]
    result = eng.check("enterprise", x, DAY, action="public_bidding")
    assert [r.entry.entry_id for r in result.reasons] == [court_entry]
    near = {a.entry.entry_id: a for a in result.associated_risk}
    assert safety_entry in near and near[safety_entry].distance == 3
    assert near[safety_entry].entry.subject.key == y
    assert court_entry not in near  # a restriction is never repeated as associated risk


def test_batch_check_answers_as_single_checks(engine: tuple[Engine, Answers]) -> None:
    eng, answers = engine
    cases = answers.cases
    subjects = [
        ("enterprise", str(cases[c]["uscc"])) for c in ("finance_head", "legal_rep_change", "revoked_entry")
    ]
    subjects.append(("person", str(cases["multi_listed_via_organisations"]["person"])))
    batch = eng.check_many(subjects, DAY, action="public_bidding")  # type: ignore[arg-type]
    for (kind, key), result in zip(subjects, batch, strict=True):
        single = eng.check(kind, key, DAY, action="public_bidding")  # type: ignore[arg-type]
        assert result.model_dump(exclude={"associated_risk"}) == single.model_dump(
            exclude={"associated_risk"}
        )
        assert result.associated_risk == []
    assert [r.restricted for r in batch] == [True, True, False, True]  # market ban reaches the legal rep.
