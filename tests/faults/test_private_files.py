"""Personal data closed on disk: every file the service writes is its owner's only, and its folders too,
whatever the umask (docs/domain.md, "Disclosure and personal data")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from graph_service.access.keys import KeyStore
from graph_service.snapshots.exporter import export_to_path
from graph_service.store.embedded import EmbeddedStore
from tests import factories as f


def closed(path: Path) -> bool:
    return path.stat().st_mode & 0o077 == 0


def test_store_keys_and_exports_are_the_owners_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        (tmp_path / "out").mkdir()
        with EmbeddedStore(data / "graph.sqlite3") as store:
            store.upsert_persons([f.person(1, "张建国")])
            export_to_path(store, tmp_path / "out" / "with-ids.jsonl", with_id_numbers=True)
        KeyStore(data / "keys.sqlite3").close()
    finally:
        os.umask(old)
    for path in (data, data / "graph.sqlite3", data / "keys.sqlite3", tmp_path / "out" / "with-ids.jsonl"):
        # (the export's folder is the caller's and keeps its mode; the file itself is closed)
        assert closed(path), f"{path} is open to others: {oct(path.stat().st_mode)}"
    for companion in data.glob("graph.sqlite3-*"):
        assert closed(companion), companion


def test_serve_warns_about_store_files_readable_by_others(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with EmbeddedStore(data / "graph.sqlite3"):
        pass
    os.chmod(data / "graph.sqlite3", 0o644)
    env = {
        **os.environ,
        "CREDIT_GRAPH_DATA_DIR": str(data),
        "CREDIT_GRAPH_HASH_KEY": "h",
        "CREDIT_GRAPH_AUDIT_KEY": "a",
        "CREDIT_GRAPH_RULES_PATH": str(tmp_path / "no-rules.yaml"),
    }
    command = [sys.executable, "-m", "graph_service.cli", "serve"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    # The missing rules file stops it before it serves; the warning came first.
    assert done.returncode == 2 and "no-rules.yaml" in done.stderr
    assert f"warning: {data / 'graph.sqlite3'} is readable by other users" in done.stderr
