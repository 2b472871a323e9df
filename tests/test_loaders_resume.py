"""A load killed with SIGKILL part-way resumes from its last committed batch: the final graph is complete,
nothing is written twice, and the reject report has each rejected row once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from loaders import LoadOptions, run_load
from tests.conftest import SECRET, Neo4jServer
from tests.test_loaders_samples import EXPECTED, SAMPLES, read_report

REPO = Path(__file__).resolve().parents[1]
BATCH = 100
# Run the command with a hook that kills the process once batch N's records and report lines are
# written but before the batch is recorded as committed: the worst moment to die.
KILLER = """
import os, signal, sys
import loaders.engine as engine
limit = int(os.environ["KILL_AT_BATCH"])
original = engine.Engine.__init__
def init(self, *args, **kwargs):
    original(self, *args, **kwargs)
    self.after_write = lambda n: os.kill(os.getpid(), signal.SIGKILL) if n == limit else None
engine.Engine.__init__ = init
from graph_service.cli import main
sys.argv = ["credit-graph", *sys.argv[1:]]
main()
"""


def _env(store: GraphStore, tmp: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_GRAPH_")}
    env.update(CREDIT_GRAPH_DATA_DIR=str(tmp / "data"), CREDIT_GRAPH_HASH_KEY=SECRET)
    if isinstance(store, Neo4jStore):
        server: Neo4jServer = request.getfixturevalue("neo4j_server")
        env.update(
            CREDIT_GRAPH_BACKEND="neo4j",
            CREDIT_GRAPH_NEO4J_URI=server.uri,
            CREDIT_GRAPH_NEO4J_USER=server.user,
            CREDIT_GRAPH_NEO4J_PASSWORD=server.password,
        )
    else:
        env.update(CREDIT_GRAPH_EMBEDDED_PATH=str(tmp / "loaded.sqlite3"))
    return env


def _cli(env: dict[str, str], *args: str, kill_at: int | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "graph_service.cli", *args]
    if kill_at is not None:
        env = {**env, "KILL_AT_BATCH": str(kill_at)}
        command = [sys.executable, "-c", KILLER, *args]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False, cwd=REPO
    )


def test_a_load_killed_part_way_resumes_and_ends_complete(
    store: GraphStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = _env(store, tmp_path, request)
    first = _cli(env, "load", "enterprises", str(SAMPLES / "enterprises.csv"))
    assert first.returncode == 0, first.stderr
    rejects = tmp_path / "personnel.rejects.csv"
    progress = tmp_path / "personnel.rejects.csv.progress.json"
    args = ["load", "personnel", str(SAMPLES / "personnel.csv"), "--batch-size", str(BATCH)]
    args += ["--reject-file", str(rejects)]

    killed = _cli(env, *args, kill_at=4)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert json.loads(progress.read_text(encoding="utf-8"))["batches_done"] == 3
    # The bad rows are in the last batch: killed again once it is written, reject lines and all.
    last = -(-EXPECTED["files"]["personnel.csv"]["data_rows"] // BATCH)
    killed_again = _cli(env, *args, kill_at=last)
    assert killed_again.returncode == -signal.SIGKILL, killed_again.stderr
    assert json.loads(progress.read_text(encoding="utf-8"))["batches_done"] == last - 1

    done = _cli(env, *args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "batches resumed past" in done.stdout and f"{last - 1}" in done.stdout
    assert not progress.exists()
    lines = read_report(rejects)
    rows = [int(line["row"]) for line in lines]
    assert sorted(rows) == sorted(b["row"] for b in EXPECTED["files"]["personnel.csv"]["bad"])
    # The summary counts every row once, across the three runs.
    assert "807 rows, 802 loaded, 5 rejected" in done.stdout

    reference = EmbeddedStore(tmp_path / "reference.sqlite3")
    options = LoadOptions(secret=SECRET, reject_file=tmp_path / "ref" / "rejects.csv")
    run_load(reference, "enterprises", SAMPLES / "enterprises.csv", options, default_dir=tmp_path / "ref")
    run_load(reference, "personnel", SAMPLES / "personnel.csv", options, default_dir=tmp_path / "ref")
    loaded = store if isinstance(store, Neo4jStore) else EmbeddedStore(tmp_path / "loaded.sqlite3")
    try:
        assert loaded.counts() == reference.counts()
        want = {r.role_id: r for r in reference.iter_records("roles")}  # type: ignore[attr-defined]
        got = {r.role_id: r for r in loaded.iter_records("roles")}  # type: ignore[attr-defined]
        assert got.keys() == want.keys()
        for key, role in want.items():
            blank = {"loaded_at": None, "recorded_at": None, "end_recorded_at": None}
            assert got[key].model_copy(update=blank) == role.model_copy(update=blank)
    finally:
        reference.close()
        if loaded is not store:
            loaded.close()
    # Once more from the start: nothing to change.
    again = _cli(env, *args, "--restart")
    assert again.returncode == 0 and " 0 changes" in again.stdout, again.stdout
