"""An entry of a list type the rules do not define is refused on every path in, and counted nowhere
(docs/domain.md, "Rules"): here the loaders and the snapshot import, on both backends (the API: in
test_api_time.py)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from graph_service.engine import Engine
from graph_service.rules import load_rules
from graph_service.snapshots.importer import import_snapshot
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.conftest import SECRET
from tests.test_loaders_samples import read_report
from tests.test_loaders_units import run, write_csv

HEADER = [
    "名单类型",
    "认定部门",
    "决定文书号",
    "主体名称",
    "主体类型",
    "统一社会信用代码/证件号码",
    "列入日期",
]


def test_the_list_loader_rejects_rows_of_an_undefined_list_type(store: GraphStore, tmp_path: Path) -> None:
    company = f.enterprise(1)
    store.upsert_enterprises([company])
    org = [company.name, "法人及其他组织", company.uscc, "2024-09-01"]
    rows = [
        ["major_tax_violation", "税务局", "税罚〔2024〕1号", *org],
        ["made_up_list", "某局", "某〔2024〕2号", *org],
    ]
    report = run(store, "list", write_csv(tmp_path / "lists.csv", HEADER, rows), tmp_path)
    assert report.counters.loaded == 1 and report.counters.rejected == 1
    rejects = read_report(tmp_path / "lists.csv.rejects.csv")
    assert len(rejects) == 1
    reason = " ".join(rejects[0].values())
    assert "名单类型" in reason and "not a list type of the rules in" in reason and "rules.yaml" in reason
    assert [e.list_type for e in store.entries_of_list("major_tax_violation")] == ["major_tax_violation"]
    assert store.entries_of_list("made_up_list") == []


def test_the_snapshot_import_rejects_entries_of_an_undefined_list_type(store: GraphStore) -> None:
    company = f.enterprise(1)
    good = f.entry(company, listed_on=date(2024, 3, 1))
    odd = f.entry(company, "某〔2024〕2号", list_type="made_up_list", listed_on=date(2024, 3, 1))
    wrong_domain = f.entry(company, "(2024)豫0922执3号", domain="tax", listed_on=date(2024, 3, 1))
    lines = [json.dumps({"record": "enterprise", **company.model_dump(mode="json")}, ensure_ascii=False)]
    lines += [
        json.dumps({"record": "entry", **e.model_dump(mode="json", exclude={"history"})}, ensure_ascii=False)
        for e in (good, odd, wrong_domain)
    ]
    rejects: list[tuple[int, str, str]] = []
    summary = import_snapshot(
        store,
        lambda: iter(lines),
        secret=SECRET,
        on_reject=lambda r: rejects.append((r.line, r.field, r.reason)),
        rules=load_rules(),
    )
    assert summary.kinds["entry"].created == 1
    assert [(line, field) for line, field, _ in rejects] == [(3, "list_type"), (4, "domain")]
    assert "'made_up_list' is not a list type of the rules in" in rejects[0][2]
    assert store.get_entry(odd.entry_id) is None and store.get_entry(wrong_domain.entry_id) is None
    multi = Engine(store, load_rules()).multi_list(date(2024, 6, 1), min_domains=1)
    assert {r.entry.entry_id for s in multi.subjects for r in s.reasons} == {good.entry_id}
