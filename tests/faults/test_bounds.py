"""Bounds on every path in: a text longer than its field holds is refused naming the field (API, snapshot
import, loaders), a JSON Lines record longer than the reader takes or with an object where one value
belongs is refused alone, and the rest of the file loads."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.model import MAX_TEXT
from graph_service.rules import load_rules
from graph_service.settings import Settings
from graph_service.snapshots.importer import import_snapshot
from graph_service.store.embedded import EmbeddedStore
from loaders import LoadOptions, run_load
from tests import factories as f
from tests.conftest import SECRET
from tests.test_loaders_samples import read_report


def test_a_long_text_is_refused_naming_its_field_on_the_api_and_in_an_import(tmp_path: Path) -> None:
    company = f.enterprise(1)
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "data")
    with EmbeddedStore(tmp_path / "g.sqlite3") as store, TestClient(create_app(store, settings)) as client:
        store.upsert_enterprises([company])
        client.headers["X-API-Key"] = client.app.state.keys.create("admin", "t")[1]  # type: ignore[attr-defined]
        entry = f.entry(company, listed_on=date(2025, 1, 10)).model_dump(mode="json", exclude={"history"})
        long = {**entry, "conduct": "串" * (MAX_TEXT["long"] + 1)}
        refused = client.post("/v1/entries", json={"entry": long, "actor": "法院"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "entry.conduct"
        rejects: list[tuple[int, str]] = []
        lines = [
            json.dumps({"record": "enterprise", **company.model_dump(mode="json"), "name": "名" * 400}),
            json.dumps({"record": "enterprise", **f.enterprise(2).model_dump(mode="json")}),
        ]
        summary = import_snapshot(store, lambda: iter(lines), secret=SECRET, rules=load_rules(),
                                  on_reject=lambda r: rejects.append((r.line, r.field)))  # fmt: skip
        assert rejects == [(1, "name")] and summary.kinds["enterprise"].created == 1
        assert store.get_enterprise(company.uscc).name == company.name  # type: ignore[union-attr]


def test_json_lines_records_too_long_or_nested_are_refused_alone(tmp_path: Path) -> None:
    good = [f.enterprise(n) for n in (1, 2, 3)]

    def row(e: object, **kw: object) -> str:
        base = {"统一社会信用代码": e.uscc, "企业名称": e.name, "登记状态": "存续"}  # type: ignore[attr-defined]
        return json.dumps({**base, **kw}, ensure_ascii=False)

    path = tmp_path / "enterprises.jsonl"
    path.write_text(
        "\n".join([row(good[0]), row(good[1], 住所="长" * (1 << 21)), row(good[2], 住所={"省": "河南"})])
        + "\n",
        encoding="utf-8",
    )
    with EmbeddedStore(tmp_path / "g.sqlite3") as store:
        opts = LoadOptions(secret=SECRET, reject_file=tmp_path / "rejects.csv")
        report = run_load(store, "enterprises", path, opts, default_dir=tmp_path)
        assert store.get_enterprise(good[0].uscc) is not None
        assert store.get_enterprise(good[1].uscc) is None and store.get_enterprise(good[2].uscc) is None
    reasons = {r["row"]: " ".join(r.values()) for r in read_report(tmp_path / "rejects.csv")}
    assert report.counters.rejected == 2
    assert "longer than 1,048,576 bytes" in reasons["2"]
    assert "住所: an object or list where one value belongs" in reasons["3"]


def test_a_conflicting_repeat_in_a_snapshot_is_rejected_naming_the_earlier_line(tmp_path: Path) -> None:
    company = f.enterprise(1)
    first = {"record": "enterprise", **company.model_dump(mode="json")}
    lines = [json.dumps(first), json.dumps(first), json.dumps({**first, "name": "另一个名称有限公司"})]
    rejects: list[tuple[int, str, str]] = []
    with EmbeddedStore(tmp_path / "g.sqlite3") as store:
        import_snapshot(store, lambda: iter(lines), secret=SECRET, rules=load_rules(),
                        on_reject=lambda r: rejects.append((r.line, r.field, r.reason)))  # fmt: skip
        assert store.get_enterprise(company.uscc).name == company.name  # type: ignore[union-attr]
    assert [(line, field) for line, field, _ in rejects] == [(3, "uscc")]  # an identical repeat is harmless
    assert rejects[0][2].startswith("conflicts with line 1: the same uscc with other content")
