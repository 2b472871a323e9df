"""Answers true on the day asked, on both backends: each test names the seed or docs/domain.md clause
it enforces. Seeds: 濮政〔2017〕37号 (Puyang 2017), 清政办〔2017〕22号 (Qingfeng), 孟政〔2019〕10号
(Mengjin), 濮信用〔2020〕3号 (Puyang 2020), 国发〔2016〕33号."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from graph_service.engine import Engine, EngineError
from graph_service.engine.lifecycle import initiate, transition
from graph_service.model import Enterprise, Person, RoleType
from graph_service.rules import load_rules
from graph_service.store.base import GraphStore
from tests import factories as f

RULES = load_rules()


def company_with_boss(store: GraphStore) -> tuple[Enterprise, Person]:
    company, boss = f.enterprise(1), f.person(1, "张建国")
    store.upsert_enterprises([company])
    store.upsert_persons([boss])
    store.upsert_roles([f.role(RoleType.LEGAL_REPRESENTATIVE_OF, boss, company, date(2015, 1, 1))])
    return company, boss


def listed(store: GraphStore, company: Enterprise, **kw: object) -> str:
    fields: dict[str, Any] = {"listed_on": date(2025, 1, 10), "expires_on": date(2027, 1, 10), **kw}
    entry = f.entry(company, **fields)
    initiate(store, entry, "清丰县人民法院", entry.listed_on, (), RULES)
    return entry.entry_id


def bidding(store: GraphStore, kind: str, key: str, day: date) -> bool:
    return Engine(store, RULES).check(kind, key, day, action="public_bidding").restricted  # type: ignore[arg-type]


def test_an_objection_suspends_from_the_day_it_is_filed_not_before(store: GraphStore) -> None:
    """Qingfeng and Mengjin: 联合惩戒措施在信息核实期间暂不执行 — from the filing day, and only until the
    objection is decided (docs/domain.md, "A listing's life")."""
    company, _ = company_with_boss(store)
    entry_id = listed(store, company)
    transition(store, entry_id, "objection_filed", "张建国", date(2025, 5, 1), reason="已履行")
    assert bidding(store, "enterprise", company.uscc, date(2025, 4, 1))  # restricted the day before
    assert bidding(store, "enterprise", company.uscc, date(2025, 4, 30))
    after = Engine(store, RULES).check("enterprise", company.uscc, date(2025, 5, 1), action="public_bidding")
    assert not after.restricted and [r.entry.state for r in after.suspended] == ["suspended"]
    transition(store, entry_id, "objection_upheld", "清丰县人民法院", date(2025, 7, 1))
    assert not bidding(store, "enterprise", company.uscc, date(2025, 6, 30))  # still under verification
    assert bidding(store, "enterprise", company.uscc, date(2025, 7, 1))  # measures resume
    assert bidding(store, "enterprise", company.uscc, date(2025, 4, 1))  # and the past stays as it was
    check = Engine(store, RULES).check("enterprise", company.uscc, date(2025, 6, 1))
    assert [(c.event, c.on) for c in check.suspended[0].entry.history] == [
        ("objection_filed", date(2025, 5, 1)),
        ("objection_upheld", date(2025, 7, 1)),
    ]


def test_a_repair_ends_counting_from_its_day(store: GraphStore) -> None:
    """濮信用〔2020〕3号 item 8: after repair, publication stops and measures end — from the repair day."""
    company, boss = company_with_boss(store)
    entry_id = listed(store, company)
    transition(
        store, entry_id, "repaired", "清丰县发展和改革委员会", date(2025, 6, 1), method="rectification"
    )
    for kind, key in (("enterprise", company.uscc), ("person", boss.person_key)):
        engine = Engine(store, RULES)
        assert engine.check(kind, key, date(2025, 5, 31)).restricted  # type: ignore[arg-type]
        assert not engine.check(kind, key, date(2025, 6, 1)).restricted  # type: ignore[arg-type]
    multi = Engine(store, RULES).multi_list(date(2025, 5, 31), min_domains=1)
    assert company.uscc in {s.subject.key for s in multi.subjects}
    assert Engine(store, RULES).multi_list(date(2025, 6, 1), min_domains=1).subjects == []
    affected = Engine(store, RULES).affected([entry_id], date(2025, 5, 31))
    assert {a.subject.key for a in affected.affected if a.measures} == {company.uscc, boss.person_key}


def test_a_revoked_listing_never_counted(store: GraphStore) -> None:
    """A wrong listing must be undone (docs/domain.md, objection revoked): on no day did it count."""
    company, _ = company_with_boss(store)
    entry_id = listed(store, company)
    transition(store, entry_id, "revoked", "清丰县人民法院", date(2025, 8, 1), reason="认定错误")
    assert not bidding(store, "enterprise", company.uscc, date(2025, 3, 1))
    assert Engine(store, RULES).multi_list(date(2025, 3, 1), min_domains=1).subjects == []


def test_green_channel_is_not_blocked_by_an_entry_repaired_long_ago(store: GraphStore) -> None:
    """docs/domain.md "Green channel" and 濮信用〔2020〕3号 item 8: listed 2015-01-10 with no expiry, repaired
    2015-06-01; ten years later nothing blocks the green channel."""
    company, _ = company_with_boss(store)
    entry_id = listed(store, company, listed_on=date(2015, 1, 10), expires_on=None)
    transition(store, entry_id, "repaired", "发改委", date(2015, 6, 1), method="credit_commitment")
    result = Engine(store, RULES).check("enterprise", company.uscc, date(2025, 6, 1), action="green_channel")
    assert result.eligible is True and result.decided_by is None
    early = Engine(store, RULES).check("enterprise", company.uscc, date(2018, 5, 31), action="green_channel")
    assert early.eligible is False and early.decided_by == entry_id
    assert early.eligible_from == date(2018, 6, 1)  # three calendar years after it stopped counting


def test_green_channel_counts_three_calendar_years(store: GraphStore) -> None:
    """ "No bad credit record for three consecutive years": from the same calendar day three years before
    (a leap day included), not 365×3+1 days."""
    company, _ = company_with_boss(store)
    entry_id = listed(store, company, listed_on=date(2019, 1, 10), expires_on=date(2021, 6, 1))
    engine = Engine(store, RULES)
    blocked = engine.check("enterprise", company.uscc, date(2024, 5, 31), action="green_channel")
    assert blocked.eligible is False and blocked.decided_by == entry_id
    assert blocked.eligible_from == date(2024, 6, 1)
    assert "until 2021-06-01" in (blocked.eligibility_basis or "")
    assert engine.check("enterprise", company.uscc, date(2024, 6, 1), action="green_channel").eligible


def test_green_channel_never_blocked_by_a_revoked_entry_and_red_needs_no_black_in_force(
    store: GraphStore,
) -> None:
    company, _ = company_with_boss(store)
    entry_id = listed(store, company, listed_on=date(2024, 1, 10), expires_on=None)
    red = f.entry(company, "纳税A级-2024", list_type="tax_a_grade", domain="tax", kind="red",
                  listed_on=date(2024, 4, 1), expires_on=date(2026, 4, 1))  # fmt: skip
    initiate(store, red, "税务局", red.listed_on, (), RULES)
    engine = Engine(store, RULES)
    black = engine.check("enterprise", company.uscc, date(2024, 6, 1), action="green_channel")
    assert black.eligible is False and black.decided_by == entry_id and black.eligible_from is None
    transition(store, entry_id, "revoked", "法院", date(2024, 7, 1), reason="认定错误")
    later = Engine(store, RULES).check("enterprise", company.uscc, date(2024, 6, 1), action="green_channel")
    assert later.eligible is True and later.decided_by == red.entry_id


@pytest.mark.parametrize(
    ("ratio", "reached"), [(0.04, False), (0.05, True), (0.6, True)]
)  # fmt: skip
def test_listed_company_reaches_holders_of_five_percent_or_more(
    store: GraphStore, ratio: float, reached: bool
) -> None:
    """违法失信上市公司联合惩戒合作备忘录 (docs/domain.md, measures): controlling shareholder and holders of
    5% or more, through a cover with a share threshold; an organisation can be the holder."""
    company, holder = f.enterprise(1), f.enterprise(2)
    store.upsert_enterprises([company, holder])
    store.upsert_roles([f.role(RoleType.SHAREHOLDER_OF, holder, company, date(2015, 1, 1), ratio=ratio)])
    entry = f.entry(company, list_type="listed_company", domain="securities",
                    listed_on=date(2025, 1, 10), conduct_date=date(2024, 6, 1))  # fmt: skip
    initiate(store, entry, "证监会", entry.listed_on, (), RULES)
    result = Engine(store, RULES).check("enterprise", holder.uscc, date(2025, 2, 1), action="share_reduction")
    assert result.restricted is reached
    if reached:
        rule = result.reasons[0].rule
        assert (rule.role, rule.min_ratio, rule.reference) == ("SHAREHOLDER_OF", 0.05, "conduct_date")
        assert "5%" in rule.basis


def test_court_list_reaches_todays_legal_rep_for_consumption_and_the_one_in_post_for_the_record(
    store: GraphStore,
) -> None:
    """docs/domain.md "The graph": the person in post when it happened stays responsible (personal credit
    record, 濮政〔2017〕37号 item 6); the court's consumption restriction targets the current one
    (最高人民法院关于限制被执行人高消费及有关消费的若干规定 第三条)."""
    company, former, current = f.enterprise(1), f.person(1, "张建国"), f.person(2, "李志强")
    store.upsert_enterprises([company])
    store.upsert_persons([former, current])
    store.upsert_roles([
        f.role(RoleType.LEGAL_REPRESENTATIVE_OF, former, company, date(2015, 1, 1), date(2021, 7, 1)),
        f.role(RoleType.LEGAL_REPRESENTATIVE_OF, current, company, date(2021, 7, 1)),
    ])  # fmt: skip
    entry = f.entry(company, listed_on=date(2022, 3, 15), conduct_date=date(2020, 11, 10),
                    expires_on=date(2027, 3, 15))  # fmt: skip
    initiate(store, entry, "法院", entry.listed_on, (), RULES)
    engine, day = Engine(store, RULES), date(2024, 1, 1)
    assert engine.check("person", current.person_key, day, action="air_ticket").restricted
    assert not engine.check("person", former.person_key, day, action="air_ticket").restricted
    record = engine.check("person", former.person_key, day, measure="personal_credit_record")
    assert record.restricted and record.reasons[0].rule.reference_date == date(2020, 11, 10)
    assert not engine.check("person", current.person_key, day, measure="personal_credit_record").restricted


def test_customs_supervisors_are_reached_by_an_action_an_official_checks(store: GraphStore) -> None:
    """海关失信企业联合惩戒合作备忘录: legal representative, directors, supervisors, senior managers."""
    company, supervisor = f.enterprise(1), f.person(3, "王监事")
    store.upsert_enterprises([company])
    store.upsert_persons([supervisor])
    store.upsert_roles([f.role(RoleType.SUPERVISOR_OF, supervisor, company, date(2015, 1, 1))])
    entry = f.entry(company, list_type="customs", domain="customs", listed_on=date(2025, 1, 10))
    initiate(store, entry, "海关", entry.listed_on, (), RULES)
    result = Engine(store, RULES).check(
        "person", supervisor.person_key, date(2025, 2, 1), action="serve_as_officer"
    )
    assert result.restricted and result.reasons[0].rule.role == "SUPERVISOR_OF"


def test_work_safety_reaches_the_safety_head_and_every_black_list_the_actual_controller(
    store: GraphStore,
) -> None:
    """docs/domain.md measures table: work safety covers the safety head; 濮信用〔2020〕3号 item 23 punishes
    the actual controller of every dishonest organisation (here through the personal credit record)."""
    company, head, controller = f.enterprise(1), f.person(4, "赵安全"), f.person(5, "钱控制")
    store.upsert_enterprises([company])
    store.upsert_persons([head, controller])
    store.upsert_roles([
        f.role(RoleType.SENIOR_MANAGER_OF, head, company, date(2015, 1, 1), position="安全负责人"),
        f.role(RoleType.ACTUAL_CONTROLLER_OF, controller, company, date(2015, 1, 1), basis="declared"),
    ])  # fmt: skip
    entry = f.entry(company, list_type="work_safety", domain="safety", listed_on=date(2025, 1, 10))
    initiate(store, entry, "应急管理局", entry.listed_on, (), RULES)
    engine = Engine(store, RULES)
    safety = engine.check("person", head.person_key, date(2025, 2, 1))
    assert {m.code for m in safety.measures} == {"responsible_officer_record"}
    owner = engine.check("person", controller.person_key, date(2025, 2, 1))
    assert "personal_credit_record" in {m.code for m in owner.measures}
    for list_type in RULES.list_types:
        if list_type.kind == "black":
            covered = {c.role for c in list_type.covers}
            assert RoleType.ACTUAL_CONTROLLER_OF in covered, list_type.code
            assert RoleType.LEGAL_REPRESENTATIVE_OF in covered, list_type.code
            assert RoleType.PRINCIPAL_OF in covered, list_type.code
            assert list_type.basis and all(c.basis for c in list_type.covers)


def test_an_entry_of_a_list_type_the_rules_do_not_define_is_refused(store: GraphStore) -> None:
    company, _ = company_with_boss(store)
    entry = f.entry(company, list_type="made_up_list")
    refused = r"^list_type: 'made_up_list' is not a list type of the rules in .*rules.yaml"
    with pytest.raises(EngineError, match=refused):
        initiate(store, entry, "法院", entry.listed_on, (), RULES)
    assert store.get_entry(entry.entry_id) is None
