"""The audit trail cannot lose its tail unnoticed, on both backends: its head is kept in a checkpoint file
and in the graph store, and verify names the first record missing when the newest records, all of them or
the table are removed (the file or the store alone suffices)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from graph_service.access.audit import AuditLog
from graph_service.access.audit_anchor import STORE_META, FileAnchor, StoreAnchor
from graph_service.access.keys import Principal
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore

KEY = "audit-test-key"
WHO = Principal(key_id="k1", role="admin", name="tests", department=None)


def filled(path: Path, store: GraphStore, n: int = 120) -> None:
    log = AuditLog(path, KEY, [FileAnchor(path.with_name("audit.head")), StoreAnchor(store)])
    for i in range(n):
        log.append(WHO, "check", f"S{i}", f"record {i + 1}")
    log.close()


def tamper(path: Path, sql: str) -> None:
    db = sqlite3.connect(path)
    db.execute(sql)
    db.commit()
    db.close()


def verify(path: Path, store: GraphStore, file_anchor: bool = True) -> list[str]:
    anchors = [FileAnchor(path.with_name("audit.head"))] if file_anchor else []
    log = AuditLog(path, KEY, anchors)
    _, problems = log.verify([("graph store", store.get_meta(STORE_META) or "")])
    log.db_only_close()
    return [f"{p.seq}: {p.problem}" for p in problems]


@pytest.mark.parametrize(
    ("sql", "first_missing"),
    [
        ("DELETE FROM audit WHERE seq = 120", 120),
        ("DELETE FROM audit WHERE seq > 70", 71),
        ("DELETE FROM audit", 1),
        ("DROP TABLE audit", 1),
    ],
)
@pytest.mark.parametrize("file_anchor", [True, False], ids=["file+store", "store only"])
def test_removing_the_newest_records_shows(
    store: GraphStore, tmp_path: Path, sql: str, first_missing: int, file_anchor: bool
) -> None:
    path = tmp_path / "audit.sqlite3"
    filled(path, store)
    assert verify(path, store) == []
    tamper(path, sql)
    problems = verify(path, store, file_anchor)
    gone = "120" if first_missing == 120 else f"{first_missing} to 120"
    assert any(p.startswith(f"{first_missing}: record(s) {gone} removed") for p in problems), problems
    assert any("graph store holds record 120 as the head" in p for p in problems), problems


def test_a_record_appended_after_a_truncation_keeps_the_gap_visible(
    store: GraphStore, tmp_path: Path
) -> None:
    path = tmp_path / "audit.sqlite3"
    filled(path, store)
    tamper(path, "DELETE FROM audit WHERE seq > 117")
    log = AuditLog(path, KEY, [FileAnchor(path.with_name("audit.head")), StoreAnchor(store)])
    record = log.append(WHO, "check", "S", "after the truncation")
    log.close()
    assert record.seq == 121
    assert any(p.startswith("118: record(s) 118 to 120 removed") for p in verify(path, store))


def test_a_rewritten_head_or_a_forged_checkpoint_shows(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    filled(path, store, 10)
    checkpoint = path.with_name("audit.head")
    head = json.loads(checkpoint.read_text())
    checkpoint.write_text(json.dumps({**head, "seq": 11}))  # pretending the log is shorter needs the key
    problems = verify(path, store)
    assert any("cannot be used: its signature does not match the audit key" in p for p in problems)
    log = AuditLog(path, "another key")
    assert log.verify()[1]  # every record's hash needs the key too
    log.db_only_close()


def test_files_of_the_trail_are_closed_to_others(store: GraphStore, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "trail" / "audit.sqlite3"
        filled(path, store, 3)
    finally:
        os.umask(old)
    for name in ("audit.sqlite3", "audit.head"):
        assert (path.parent / name).stat().st_mode & 0o077 == 0, name
    assert path.parent.stat().st_mode & 0o077 == 0


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graph_service.cli", *args],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=120, check=False,
    )  # fmt: skip


def test_audit_commands_verify_and_hand_over_a_checkpoint(tmp_path: Path) -> None:
    """The commands on the embedded default: verify sees the store's head and the checkpoint file, a
    checkpoint printed earlier proves a later truncation."""
    data = tmp_path / "data"
    env = {"CREDIT_GRAPH_DATA_DIR": str(data), "CREDIT_GRAPH_AUDIT_KEY": KEY, "CREDIT_GRAPH_HASH_KEY": "h"}

    with EmbeddedStore(data / "graph.sqlite3") as store:
        filled(data / "audit.sqlite3", store, 30)
    done = cli(["audit", "checkpoint"], env)
    assert done.returncode == 0, done.stderr
    handed = tmp_path / "handed.json"
    handed.write_text(done.stdout)
    assert json.loads(done.stdout)["seq"] == 30
    ok = cli(["audit", "verify"], env)
    assert ok.returncode == 0 and "intact: 30 records" in ok.stdout, ok.stdout + ok.stderr
    tamper(data / "audit.sqlite3", "DELETE FROM audit WHERE seq > 25")
    (data / "audit.head").unlink()  # whoever truncated the log also removed the checkpoint beside it
    with EmbeddedStore(data / "graph.sqlite3") as store:
        store.set_meta(STORE_META, "")  # and the store's copy
    bad = cli(["audit", "verify", "--checkpoint", str(handed)], env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert f"record 26: record(s) 26 to 30 removed: the checkpoint {handed} holds record 30" in bad.stdout
    missing = cli(["audit", "verify", "--checkpoint", str(tmp_path / "nope.json")], env)
    assert missing.returncode == 2 and "--checkpoint: cannot read" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_serve_refuses_the_audit_key_beside_the_trail(tmp_path: Path) -> None:
    env = {"CREDIT_GRAPH_DATA_DIR": str(tmp_path / "data"), "CREDIT_GRAPH_HASH_KEY": "h"}
    refused = cli(["serve", "--port", "1"], env)
    assert refused.returncode == 2
    assert "the audit key would be kept beside the audit trail" in refused.stderr
    assert "CREDIT_GRAPH_AUDIT_KEY_PATH" in refused.stderr and "Traceback" not in refused.stderr
