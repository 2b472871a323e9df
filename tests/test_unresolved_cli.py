"""`credit-graph unresolved …` as an operator runs it, on both backends: a court list loaded from the command
line queues its masked subject; list, show, resolve and undo work on it, each decision in the audit trail;
bad input is one message and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from graph_service.access.audit import AuditLog
from graph_service.model import entry_id_for
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from tests.conftest import BACKENDS, SECRET, Neo4jServer
from tests.unresolved_world import COURT_AUTHORITY, COURT_DECISION, World, build, full_id_numbers

REPO = Path(__file__).resolve().parents[1]


class Cli:
    def __init__(self, tmp: Path, backend: str, request: pytest.FixtureRequest) -> None:
        self.data = tmp / "data"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_GRAPH_")}
        self.env.update(CREDIT_GRAPH_DATA_DIR=str(self.data), CREDIT_GRAPH_HASH_KEY=SECRET)
        self.backend = backend
        if backend == "neo4j":
            server: Neo4jServer = request.getfixturevalue("neo4j_server")
            request.getfixturevalue("neo4j_store").clear()
            self.env.update(
                CREDIT_GRAPH_BACKEND="neo4j",
                CREDIT_GRAPH_NEO4J_URI=server.uri,
                CREDIT_GRAPH_NEO4J_USER=server.user,
                CREDIT_GRAPH_NEO4J_PASSWORD=server.password,
            )
        self.request = request

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "graph_service.cli", *args],
            capture_output=True, text=True, env={**self.env, **env}, timeout=300, check=False, cwd=REPO,
        )  # fmt: skip

    @contextmanager
    def store(self) -> Iterator[GraphStore]:
        """The store the commands use, opened between them (the embedded one is a file one process holds)."""
        if self.backend == "neo4j":
            yield self.request.getfixturevalue("neo4j_store")
            return
        with EmbeddedStore(self.data / "graph.sqlite3") as held:
            yield held


@pytest.fixture(params=BACKENDS)
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    return Cli(tmp_path, request.param, request)


def refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_load_list_show_resolve_reload_undo(cli: Cli, tmp_path: Path) -> None:
    with cli.store() as store:
        world: World = build(store, tmp_path)
    loaded = cli("load", "court", str(world.court_file))
    assert loaded.returncode == 0, loaded.stderr
    listed = cli("unresolved", "list", "--status", "open", "--json")
    assert listed.returncode == 0, listed.stderr
    [line] = [json.loads(x) for x in listed.stdout.splitlines()]
    ref_id = line["id"]
    assert line["name"] == "张伟" and line["candidates"] == 3 and line["fitting"] == 2
    assert line["target"] == "entry_subject" and "*" in line["masked"]
    table = cli("unresolved", "list", "--source", "court_enforcement")
    assert table.returncode == 0 and ref_id in table.stdout
    shown = cli("unresolved", "show", ref_id)
    assert shown.returncode == 0, shown.stderr
    assert world.one.person_key in shown.stdout and world.two.person_key in shown.stdout
    assert "does not fit" in shown.stdout and "visible characters 4109…" in shown.stdout

    made = cli("keys", "create", "--role", "admin", "--name", "王科长")
    agency = cli("keys", "create", "--role", "agency", "--name", "税务局", "--department", "清丰县税务局")
    admin_key, agency_key = made.stdout.strip(), agency.stdout.strip()
    refused(
        cli("unresolved", "resolve", ref_id, "--person", world.one.person_key, "--reason", "x"), "--admin-key"
    )
    refused(
        cli("unresolved", "resolve", ref_id, "--person", world.one.person_key, "--reason", "x",
            CREDIT_GRAPH_ADMIN_KEY=agency_key),
        "an agency key, which may not decide",
    )  # fmt: skip
    key = {"CREDIT_GRAPH_ADMIN_KEY": admin_key}
    unknown = cli(
        "unresolved", "resolve", "Uffffffffff", "--person", world.one.person_key, "--reason", "x", **key
    )
    refused(unknown, "no unresolved reference Uffffffffff")
    refused(cli("unresolved", "resolve", ref_id, "--person", "P" + "0" * 32, "--reason", "x", **key),
            "person_key: no person")  # fmt: skip
    refused(cli("unresolved", "undo", ref_id, "--reason", "x", **key), "no decision to undo")
    refused(cli("unresolved", "show", "Uffffffffff"), "no unresolved reference")
    refused(cli("unresolved", "list", "--status", "closed"), "--status")

    done = cli(
        "unresolved", "resolve", ref_id, "--person", world.one.person_key, "--reason", "法院回函确认", **key
    )
    assert done.returncode == 0, done.stderr
    assert "(a candidate)" in done.stdout and "created" in done.stdout
    refused(
        cli("unresolved", "reject", ref_id, "--reason", "x", **key), "undo its decision before deciding again"
    )
    entry_id = entry_id_for(COURT_AUTHORITY, COURT_DECISION, world.one.person_key)
    with cli.store() as store:
        entry = store.get_entry(entry_id)
        assert entry is not None and entry.subject_key == world.one.person_key

    again = cli("load", "court", str(world.court_file))
    assert again.returncode == 0 and " 0 unresolved, 0 changes" in again.stdout, again.stdout
    assert cli("unresolved", "list", "--status", "open", "--json").stdout.strip() == ""

    undone = cli("unresolved", "undo", ref_id, "--reason", "回函有误", **key)
    assert undone.returncode == 0 and "revoked" in undone.stdout, undone.stderr
    with cli.store() as store:
        entry = store.get_entry(entry_id)
        assert entry is not None and entry.status == "revoked"
    history = cli("unresolved", "show", ref_id, "--json")
    decisions = json.loads(history.stdout)["decisions"]
    assert [d["action"] for d in decisions] == ["resolve", "undo"]
    assert decisions[0]["actor"].startswith("王科长 (key ")

    settings = Settings(data_dir=cli.data)
    log = AuditLog(settings.audit_file(), settings.audit_secret())
    try:
        records = log.records(subject=ref_id)
    finally:
        log.db_only_close()
    requested = [r.action.removeprefix("unresolved_") for r in records if r.summary.startswith("requested:")]
    # Refused ones too (a person not in the store, nothing to undo, decided already), each with why.
    assert requested == ["resolve", "undo", "resolve", "reject", "undo"]
    assert sum(r.summary.startswith("not done: ") for r in records) == 3
    resolved = next(r for r in records if r.action == "unresolved_resolve" and "法院回函确认" in r.summary)
    assert world.one.person_key in resolved.summary and resolved.role == "admin"
    assert any(r.summary == "done" and r.action == "unresolved_undo" for r in records)
    verified = cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    queue = cli.data / "unresolved.sqlite"
    assert full_id_numbers(queue, queue.with_name(queue.name + "-wal"), settings.audit_file()) == []
    assert oct(queue.stat().st_mode & 0o777) == "0o600"
