"""A listing's life on both backends: transitions recorded, illegal ones refused, measures follow."""

from __future__ import annotations

from datetime import date

import pytest

from graph_service.engine import Engine, EngineError
from graph_service.engine.lifecycle import (
    TransitionError,
    feedback_stats,
    initiate,
    record_feedback,
    transition,
)
from graph_service.model import Feedback, RoleType
from graph_service.rules import load_rules
from graph_service.store import DATA_AS_OF, data_as_of
from graph_service.store.base import ConflictError, GraphStore
from tests import factories as f

RULES = load_rules()
DAY = date(2024, 6, 1)


def listed_company(store: GraphStore) -> tuple[str, str, str]:
    company, boss = f.enterprise(1), f.person(1, "张建国")
    store.upsert_enterprises([company])
    store.upsert_persons([boss])
    store.upsert_roles([f.role(RoleType.LEGAL_REPRESENTATIVE_OF, boss, company, date(2015, 1, 1))])
    entry = f.entry(company, listed_on=date(2024, 1, 10), expires_on=date(2026, 1, 10))
    events = initiate(
        store, entry, "清丰县人民法院", date(2024, 1, 10), ("清丰县市场监督管理局", "清丰县税务局"), RULES
    )
    assert [e.event for e in events] == ["initiated", "pushed"]
    return company.uscc, boss.person_key, entry.entry_id


def restricted(store: GraphStore, kind: str, key: str, day: date = DAY) -> bool:
    return Engine(store, RULES).check(kind, key, day, action="public_bidding").restricted  # type: ignore[arg-type]


def test_objection_suspends_then_upheld_resumes(store: GraphStore) -> None:
    uscc, _, entry_id = listed_company(store)
    assert restricted(store, "enterprise", uscc)
    transition(store, entry_id, "objection_filed", "张建国", date(2024, 2, 1), reason="已履行完毕")
    assert not restricted(store, "enterprise", uscc)
    result = Engine(store, RULES).check("enterprise", uscc, DAY, action="public_bidding")
    assert [r.entry.state for r in result.suspended] == ["suspended"]
    transition(store, entry_id, "objection_upheld", "清丰县人民法院", date(2024, 3, 1))
    assert restricted(store, "enterprise", uscc)
    events = store.events_of_entry(entry_id)
    assert [e.event for e in events] == ["initiated", "pushed", "objection_filed", "objection_upheld"]
    assert events[2].actor == "张建国" and events[2].reason == "已履行完毕"
    assert (events[2].status_before, events[2].status_after) == ("active", "under_objection")
    assert events[1].departments == ("清丰县市场监督管理局", "清丰县税务局")


def test_revoked_stops_counting_everywhere_at_once(store: GraphStore) -> None:
    uscc, boss, entry_id = listed_company(store)
    assert restricted(store, "person", boss) or Engine(store, RULES).check("person", boss, DAY).restricted
    transition(store, entry_id, "revoked", "清丰县人民法院", date(2024, 4, 1), reason="认定错误")
    engine = Engine(store, RULES)
    assert not engine.check("enterprise", uscc, DAY).restricted
    assert not engine.check("person", boss, DAY).restricted
    assert engine.multi_list(DAY, min_domains=1).subjects == []
    with pytest.raises(TransitionError, match="cannot record revoked for an entry that is revoked"):
        transition(store, entry_id, "revoked", "清丰县人民法院", date(2024, 4, 2), reason="again")
    transition(store, entry_id, "archived", "清丰县人民法院", date(2024, 5, 1))
    assert store.get_entry(entry_id).status == "archived"  # type: ignore[union-attr]


def test_corrected_objection_changes_only_what_may_change(store: GraphStore) -> None:
    uscc, _, entry_id = listed_company(store)
    transition(store, entry_id, "objection_filed", "张建国", date(2024, 2, 1), reason="期限有误")
    with pytest.raises(EngineError, match=r"^corrections: authority cannot be corrected"):
        transition(
            store, entry_id, "objection_corrected", "法院", date(2024, 2, 5), corrections={"authority": "x"}
        )
    transition(
        store,
        entry_id,
        "objection_corrected",
        "法院",
        date(2024, 2, 5),
        corrections={"expires_on": date(2024, 5, 1)},
    )
    assert store.get_entry(entry_id).expires_on == date(2024, 5, 1)  # type: ignore[union-attr]
    assert not restricted(store, "enterprise", uscc)  # expired by the corrected date


def test_repair_needs_a_method_and_ends_measures(store: GraphStore) -> None:
    uscc, _, entry_id = listed_company(store)
    with pytest.raises(EngineError, match=r"^method:"):
        transition(store, entry_id, "repaired", "信用办", date(2024, 5, 1))
    transition(store, entry_id, "repair_applied", "企业", date(2024, 4, 1), method="credit_commitment")
    assert restricted(store, "enterprise", uscc)  # applying is not yet repair
    transition(store, entry_id, "repaired", "信用办", date(2024, 5, 1), method="credit_commitment")
    assert not restricted(store, "enterprise", uscc)
    with pytest.raises(TransitionError):
        transition(store, entry_id, "objection_filed", "企业", date(2024, 5, 2), reason="x")


def test_archive_needs_an_entry_that_stopped_counting(store: GraphStore) -> None:
    _, _, entry_id = listed_company(store)
    with pytest.raises(TransitionError):
        transition(store, entry_id, "archived", "法院", date(2024, 6, 1))
    transition(store, entry_id, "archived", "法院", date(2026, 1, 10))  # expired that day
    with pytest.raises(EngineError, match=r"^entry_id: no entry"):
        transition(store, "nope", "revoked", "法院", date(2024, 6, 1), reason="x")
    with pytest.raises(ConflictError):
        initiate(
            store, store.get_entry(entry_id).model_copy(update={"status": "active"}), "法院", DAY, (), RULES
        )  # type: ignore[union-attr]


def test_feedback_and_its_statistics(store: GraphStore) -> None:
    _, _, entry_id = listed_company(store)
    for department, measure, outcome, reason in (
        ("市场监管局", "market_industry_ban", "applied", ""),
        ("市场监管局", "limit_public_bidding", "not_applicable", ""),
        ("税务局", "financing_restriction", "not_applied", "无贷款业务"),
        ("税务局", "market_industry_ban", "applied", ""),
    ):
        fb = Feedback(
            entry_id=entry_id, department=department, measure=measure, outcome=outcome, reason=reason, on=DAY
        )
        record_feedback(store, RULES, fb)
    with pytest.raises(EngineError, match=r"^measure:"):
        record_feedback(
            store, RULES, Feedback(entry_id=entry_id, department="x", measure="bar_from_leading_enterprises",
                                   outcome="applied", on=date(2024, 3, 1)),
        )  # fmt: skip
    with pytest.raises(ValueError, match="reason"):
        Feedback(entry_id=entry_id, department="x", measure="m", outcome="not_applied", on=date(2024, 3, 1))
    stats = feedback_stats(store)
    assert stats.total == 4
    tax = next(r for r in stats.by_department if r.key == "税务局")
    assert (tax.applied, tax.not_applied, tax.rate) == (1, 1, 0.5)
    ban = next(r for r in stats.by_measure if r.key == "market_industry_ban")
    assert (ban.applied, ban.rate) == (2, 1.0)
    assert [(r.key, r.applied) for r in stats.by_list_type] == [("court_dishonest_debtor", 2)]
    assert len(store.feedback(entry_id)) == 4


def test_life_cycle_events_move_the_data_as_of_stamp(store: GraphStore) -> None:
    # A fresh store: the stamp is unset until data changes.
    assert data_as_of(store) is None
    company = f.enterprise(1)
    store.upsert_enterprises([company])
    listed = f.entry(company)
    store.upsert_entries([listed])
    store.set_meta(DATA_AS_OF, "2020-01-01T00:00:00+00:00")
    transition(store, listed.entry_id, "objection_filed", "tests", date(2026, 1, 5), reason="wrong address")
    stamp = data_as_of(store)
    assert stamp is not None and stamp.year >= 2026
