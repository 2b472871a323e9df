"""Killing the Neo4j server in the middle of a load, restarting it and loading again ends with the
complete graph: nothing lost, nothing twice. Needs the project's local server, which it can kill."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from graph_service.synthetic import Generator, load_synthetic
from tests import factories as f
from tests.conftest import Neo4jServer, skip_or_fail

REPO = Path(__file__).resolve().parents[1]
ENTERPRISES, SEED, KEY = 2500, 9, "crash-test-key"


def _local(server: Neo4jServer, command: str) -> str:
    env = {**os.environ, "CREDIT_GRAPH_NEO4J_LOCAL_DIR": str(server.local_dir)}
    done = subprocess.run(
        [str(REPO / "scripts" / "neo4j-local"), command], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _generate(server: Neo4jServer, tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CREDIT_GRAPH_BACKEND": "neo4j",
        "CREDIT_GRAPH_NEO4J_URI": server.uri,
        "CREDIT_GRAPH_NEO4J_USER": server.user,
        "CREDIT_GRAPH_NEO4J_PASSWORD": server.password,
        "CREDIT_GRAPH_HASH_KEY": KEY,
        "CREDIT_GRAPH_DATA_DIR": str(tmp_path),
        "CREDIT_GRAPH_BATCH_SIZE": "500",
        "CREDIT_GRAPH_NEO4J_RETRY_SECONDS": "3",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "graph_service.cli",
            "generate",
            "--enterprises",
            str(ENTERPRISES),
            "--seed",
            str(SEED),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_neo4j_mid_load_restart_and_load_again(
    neo4j_server: Neo4jServer, neo4j_store: Neo4jStore, tmp_path: Path
) -> None:
    if not neo4j_server.local_dir:
        skip_or_fail(
            "this test kills and restarts the server, so it needs the one scripts/neo4j-local started"
        )
    neo4j_store.clear()
    loader = _generate(neo4j_server, tmp_path)
    deadline = time.monotonic() + 180
    while neo4j_store.counts()["roles"] == 0:
        assert loader.poll() is None, "the load ended before it could be interrupted"
        assert time.monotonic() < deadline, "the load wrote no role in time"
        time.sleep(0.2)
    _local(neo4j_server, "kill")
    _, stderr = loader.communicate(timeout=300)
    assert "Traceback" not in stderr

    assert _local(neo4j_server, "start") == neo4j_server.uri
    again = _generate(neo4j_server, tmp_path)
    _, stderr = again.communicate(timeout=600)
    assert again.returncode == 0, stderr

    reference = EmbeddedStore(tmp_path / "reference.sqlite3")
    load_synthetic(reference, Generator(ENTERPRISES, seed=SEED, secret=KEY))
    assert neo4j_store.counts() == reference.counts()
    # Same edges, not just as many: spot-check every 40th enterprise's roles and entries.
    usccs = sorted(
        e.uscc for b in Generator(ENTERPRISES, seed=SEED, secret=KEY).batches() for e in b.enterprises
    )
    for uscc in usccs[::40]:
        # Equal data; when each store recorded it differs (docs/domain.md, "Time").
        held = [f.unstamped(r) for r in neo4j_store.roles_of_enterprise(uscc)]
        assert held == [f.unstamped(r) for r in reference.roles_of_enterprise(uscc)]
        links = neo4j_store.entries_of_subject("enterprise", uscc)
        expected = reference.entries_of_subject("enterprise", uscc)
        assert [(f.unstamped(x.entry), x.relation) for x in links] == [
            (f.unstamped(x.entry), x.relation) for x in expected
        ]
    reference.close()
