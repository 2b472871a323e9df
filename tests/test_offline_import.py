"""`credit-graph import-offline`: the sample files, imported by Neo4j's own tool into a fresh local server
of the test's own, answer exactly as the same files loaded online into the embedded store: counts, every
record, and the engine's checks. A database that holds anything, a server that is not the local one and a
machine without Java are refused with one message."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pytest

from graph_service.engine import Engine
from graph_service.model import STAMPS
from graph_service.rules import load_rules
from graph_service.store.base import GraphStore, RecordKind
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from loaders.offline_import import LOCAL_PASSWORD, LOCAL_SCRIPT, LocalNeo4j
from tests.conftest import SECRET
from tests.test_loaders_samples import REGISTRATION, SAMPLES, load

FILES = [
    *REGISTRATION,
    ("court", "court_2024-06.csv"),
    ("list", "lists_gb18030.csv"),
    ("practitioners", "practitioners.xlsx"),
]
KINDS: list[RecordKind] = ["enterprises", "persons", "roles", "entries"]


def _env(tmp: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDIT_GRAPH_", "NEO4J_"))}
    env.update(
        CREDIT_GRAPH_NEO4J_LOCAL_DIR=str(tmp / "neo4j-local"),
        CREDIT_GRAPH_HASH_KEY=SECRET,
        CREDIT_GRAPH_DATA_DIR=str(tmp / "data"),
        **more,
    )
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from graph_service.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
    )


def _inputs() -> list[str]:
    return [f"{kind}={SAMPLES / name}" for kind, name in FILES]


def _records(store: GraphStore, kind: RecordKind) -> dict[str, dict[str, Any]]:
    def key(record: Any) -> str:
        for name in ("uscc", "person_key", "role_id", "entry_id"):
            if hasattr(record, name):
                return str(getattr(record, name))
        raise AssertionError(record)

    # When a record was loaded and recorded are what two loads of the same files cannot share.
    return {key(r): r.model_dump(exclude=set(STAMPS)) for r in store.iter_records(kind)}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("offline")
    env = _env(tmp)
    done = _cli(env, "import-offline", str(tmp / "work"), *_inputs())
    local = LocalNeo4j(env=env)
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        uri = local.uri()
        assert uri is not None and uri in done.stdout
        yield tmp, uri, env
    finally:
        subprocess.run([str(LOCAL_SCRIPT), "stop"], env=env, capture_output=True, check=False)


@pytest.mark.slow
def test_an_offline_import_answers_as_an_online_load(
    imported: tuple[Path, str, dict[str, str]], tmp_path: Path
) -> None:
    _, uri, _ = imported
    online = EmbeddedStore(tmp_path / "online.sqlite3")
    neo = Neo4jStore(uri, "neo4j", LOCAL_PASSWORD)
    try:
        for kind, name in FILES:
            load(online, kind, name, tmp_path)
        assert neo.counts() == online.counts()
        for kind in KINDS:
            got, want = _records(neo, kind), _records(online, kind)
            assert got.keys() == want.keys(), kind
            wrong = {
                (key, field)
                for key, record in want.items()
                for field in record
                if got[key][field] != record[field]
            }
            assert not wrong, (kind, sorted(wrong)[:10])
        rules = load_rules()
        subjects: list[tuple[Literal["person", "enterprise"], str]] = [
            ("enterprise", uscc) for uscc in sorted(_records(online, "enterprises"))[:80]
        ]
        subjects += [("person", key) for key in sorted(_records(online, "persons"))[:80]]
        for day in (date(2024, 7, 1), date(2021, 1, 1)):
            assert Engine(neo, rules).check_many(subjects, day) == Engine(online, rules).check_many(
                subjects, day
            )
        # The import is a first load: a later online load of the same files changes nothing.
        for kind, name in FILES[:2]:
            assert load(neo, kind, name, tmp_path / "again").changed == 0
    finally:
        neo.close()
        online.close()


@pytest.mark.slow
def test_a_database_that_holds_anything_is_refused(imported: tuple[Path, str, dict[str, str]]) -> None:
    tmp, _, env = imported
    done = _cli(env, "import-offline", str(tmp / "again"), *_inputs())
    assert done.returncode == 1
    assert "nodes: an offline import is for an empty database" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp / "again" / "import").exists()  # refused before anything was written


def test_a_server_that_is_not_local_is_refused(tmp_path: Path) -> None:
    # Something answers at this port, and it is not the local server of this state folder.
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        env = _env(tmp_path, CREDIT_GRAPH_NEO4J_URI=f"bolt://127.0.0.1:{port}")
        done = _cli(env, "import-offline", str(tmp_path / "work"), *_inputs())
    assert done.returncode == 2, done.stderr
    assert "is not the project's local Neo4j and it is running" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "work").exists()


def test_no_java_is_one_message(tmp_path: Path) -> None:
    env = _env(tmp_path, PATH=str(tmp_path / "nothing"))
    env.pop("JAVA_HOME", None)
    done = _cli(env, "import-offline", str(tmp_path / "work"), *_inputs())
    assert done.returncode == 2
    assert "Java 17 or later is needed" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_inputs_are_named(tmp_path: Path) -> None:
    done = _cli(_env(tmp_path), "import-offline", str(tmp_path / "work"), "nonsense=x.csv")
    assert done.returncode == 2
    assert "'nonsense=x.csv': expected KIND=FILE" in done.stderr
