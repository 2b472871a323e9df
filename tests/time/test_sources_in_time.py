"""What a list's source says, in time, on both backends (docs/domain.md, "A listing's life" and "Time"):
a status a source gives without a date holds from the listing, and later changes leave the days before
them alone; a status the source publishes in a newer file is a dated change on the snapshot's day, so a
past day and a past moment keep their answers."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

from graph_service.engine import Engine
from graph_service.engine.lifecycle import transition
from graph_service.rules import load_rules
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.test_loaders_units import run, write_csv

RULES = load_rules()
HEADER = [
    "名单类型",
    "认定部门",
    "决定文书号",
    "主体名称",
    "主体类型",
    "统一社会信用代码/证件号码",
    "列入日期",
    "状态",
]
DAY = date(2024, 6, 15)


def restricted(store: GraphStore, uscc: str, day: date, known_at: datetime | None = None) -> bool:
    return Engine(store, RULES).check("enterprise", uscc, day, known_at=known_at).restricted


def test_a_status_given_without_a_date_holds_from_the_listing_when_events_follow(store: GraphStore) -> None:
    """A court row read as 全部履行 (repaired), archived later: it did not count before the archive either."""
    company = f.enterprise(1)
    store.upsert_enterprises([company])
    entry = f.entry(company, listed_on=date(2024, 3, 1), expires_on=date(2026, 3, 1), status="repaired")
    store.upsert_entries([entry])
    assert not restricted(store, company.uscc, DAY)
    transition(store, entry.entry_id, "archived", "法院", date(2025, 1, 1))
    assert not restricted(store, company.uscc, DAY)
    held = store.get_entry(entry.entry_id)
    assert held is not None
    assert [(c.event, c.on, c.status) for c in held.history] == [
        ("published_status", date(2024, 3, 1), "repaired"),
        ("archived", date(2025, 1, 1), "archived"),
    ]
    assert Engine(store, RULES).multi_list(DAY, min_domains=1).subjects == []


def test_a_status_the_source_publishes_later_is_a_change_on_the_snapshot_day(
    store: GraphStore, tmp_path: Path
) -> None:
    company = f.enterprise(1)
    store.upsert_enterprises([company])
    row = [
        "major_tax_violation",
        "税务局",
        "税罚〔2024〕1号",
        company.name,
        "法人及其他组织",
        company.uscc,
        "2024-03-01",
    ]
    june = write_csv(tmp_path / "june.csv", HEADER, [[*row, "有效"]])
    july = write_csv(tmp_path / "july.csv", HEADER, [[*row, "已修复"]])
    assert run(store, "list", june, tmp_path, snapshot_date=date(2024, 6, 1)).counters.loaded == 1
    assert restricted(store, company.uscc, DAY)
    time.sleep(0.002)
    before_july = datetime.now(UTC)
    time.sleep(0.002)
    run(store, "list", july, tmp_path, snapshot_date=date(2024, 7, 1))
    [entry] = store.entries_of_list("major_tax_violation")
    assert entry.status == "repaired"
    assert [(c.event, c.on) for c in entry.history] == [("published_status", date(2024, 7, 1))]
    assert restricted(store, company.uscc, DAY)  # 2024-06-15: before the source said so
    assert not restricted(store, company.uscc, date(2024, 7, 1))
    assert restricted(store, company.uscc, date(2024, 7, 15), known_at=before_july)
    events = store.events_of_entry(entry.entry_id)
    assert [(e.event, e.status_before, e.status_after) for e in events] == [
        ("published_status", "active", "repaired")
    ]
    again = run(store, "list", july, tmp_path, snapshot_date=date(2024, 7, 2))
    assert again.counters.results["entries"].changed == 0 and len(store.events_of_entry(entry.entry_id)) == 1


def test_an_entry_back_in_the_source_with_another_status_is_relisted_with_it(
    store: GraphStore, tmp_path: Path
) -> None:
    company, other = f.enterprise(1), f.enterprise(2)
    store.upsert_enterprises([company, other])
    row = [
        "major_tax_violation",
        "税务局",
        "税罚〔2024〕1号",
        company.name,
        "法人及其他组织",
        company.uscc,
        "2024-03-01",
    ]
    keep = [
        "major_tax_violation",
        "税务局",
        "税罚〔2024〕2号",
        other.name,
        "法人及其他组织",
        other.uscc,
        "2024-03-01",
    ]
    run(store, "list", write_csv(tmp_path / "a.csv", HEADER, [[*row, "有效"], [*keep, "有效"]]), tmp_path,
        snapshot_date=date(2024, 6, 1))  # fmt: skip
    run(store, "list", write_csv(tmp_path / "b.csv", HEADER, [[*keep, "有效"]]), tmp_path,
        snapshot_date=date(2024, 8, 1))  # fmt: skip
    back = run(store, "list", write_csv(tmp_path / "c.csv", HEADER, [[*row, "已修复"], [*keep, "有效"]]),
               tmp_path, snapshot_date=date(2024, 9, 1))  # fmt: skip
    assert back.counters.relisted == 1
    entry = next(e for e in store.entries_of_list("major_tax_violation") if e.subject_key == company.uscc)
    assert entry.status == "repaired"
    assert [(c.event, c.on) for c in entry.history] == [
        ("removed_from_source", date(2024, 8, 1)),
        ("relisted", date(2024, 9, 1)),
        ("published_status", date(2024, 9, 1)),
    ]
    assert restricted(store, company.uscc, date(2024, 7, 15))
    assert not restricted(store, company.uscc, date(2024, 8, 15))
    assert not restricted(store, company.uscc, date(2024, 9, 15))


def test_moments_without_a_time_zone_are_taken_as_utc(store: GraphStore) -> None:
    company = f.enterprise(1)
    store.upsert_enterprises([company])
    entry = f.entry(company, listed_on=date(2024, 3, 1), recorded_at=datetime(2024, 3, 1, 8, 0))
    assert entry.recorded_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    store.upsert_entries([entry])
    assert restricted(store, company.uscc, DAY, known_at=datetime(2024, 3, 1, 9, 0))
    assert (
        not Engine(store, RULES)
        .check("enterprise", company.uscc, DAY, known_at=datetime(2024, 3, 1, 7))
        .reasons
    )


def test_the_green_channel_answers_at_the_ends_of_the_calendar(store: GraphStore) -> None:
    company = f.enterprise(1)
    store.upsert_enterprises([company])
    store.upsert_entries([f.entry(company, listed_on=date(2024, 3, 1), expires_on=date(9998, 6, 1))])
    engine = Engine(store, RULES)
    far = engine.check("enterprise", company.uscc, date(9999, 12, 31), action="green_channel")
    assert far.eligible is False and far.eligible_from == date.max
    assert engine.check("enterprise", company.uscc, date(1, 6, 1), action="green_channel").eligible is True
