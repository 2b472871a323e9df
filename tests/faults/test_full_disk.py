"""A full disk under the embedded store: writes are refused with a 503 (never a 500), nothing half
written, and every acknowledged write is there after a restart. Uses a small tmpfs (root only); skipped
where the machine does not allow mounting one."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph_service.api.app import create_app
from graph_service.settings import Settings
from graph_service.store.embedded import EmbeddedStore
from tests import factories as f
from tests.conftest import SECRET


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1536k", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_writes_on_a_full_disk_are_refused_and_acknowledged_ones_kept(small_disk: Path) -> None:
    data = small_disk / "data"
    companies = [f.enterprise(n) for n in range(1, 4)]
    settings = Settings(hash_key=SECRET, data_dir=data, audit_key="k")
    acknowledged: list[str] = []
    statuses: set[int] = set()
    with EmbeddedStore(data / "graph.sqlite3") as store, TestClient(create_app(store, settings)) as client:
        store.upsert_enterprises(companies)
        client.headers["X-API-Key"] = client.app.state.keys.create("admin", "t")[1]  # type: ignore[attr-defined]
        for n in range(3000):
            entry = f.entry(companies[n % 3], f"(2025)豫0922执{n}号", listed_on=date(2025, 1, 10),
                            conduct="拒不履行" * 400)  # fmt: skip
            body = {
                "entry": entry.model_dump(mode="json", exclude={"history", "recorded_at"}),
                "actor": "法院",
            }
            answer = client.post("/v1/entries", json=body)
            statuses.add(answer.status_code)
            if answer.status_code == 201:
                acknowledged.append(entry.entry_id)
            elif answer.status_code == 503:
                assert answer.headers.get("retry-after") or "cannot be written" in answer.json()["detail"]
                break
        assert 503 in statuses and 500 not in statuses, statuses
        assert acknowledged, "the disk filled before anything was written"
    with EmbeddedStore(data / "graph.sqlite3") as again:
        held = again.get_entries(acknowledged)
        assert sorted(held) == sorted(acknowledged)
