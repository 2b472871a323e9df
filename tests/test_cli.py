"""The `credit-graph` command run as a user runs it: a subprocess, its exit code and its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph_service.store.neo4j_store import Neo4jStore
from tests.conftest import Neo4jServer


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CREDIT_GRAPH_DATA_DIR": str(tmp_path / "data"), **env}
    for name in [n for n in environment if n.startswith("CREDIT_GRAPH_") and n not in env]:
        if name not in ("CREDIT_GRAPH_DATA_DIR",):
            environment.pop(name)
    return subprocess.run(
        [sys.executable, "-m", "graph_service.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in result.stderr


def test_generate_then_stats_then_responsible(tmp_path: Path) -> None:
    answers_file = tmp_path / "answers.json"
    gen = run(tmp_path, "generate", "--enterprises", "300", "--seed", "3", "--answers", str(answers_file))
    assert gen.returncode == 0, gen.stderr
    answers = json.loads(answers_file.read_text(encoding="utf-8"))
    stats = run(tmp_path, "stats")
    assert stats.returncode == 0 and "enterprises" in stats.stdout
    case = answers["cases"]["legal_rep_change"]
    shown = run(tmp_path, "responsible", case["uscc"], "--as-of", "2020-11-10")
    assert shown.returncode == 0, shown.stderr
    assert "张建国" in shown.stdout and "李志强" not in shown.stdout
    assert "**********" in shown.stdout  # masked ID numbers only
    # Same seed again: nothing changes.
    again = run(tmp_path, "generate", "--enterprises", "300", "--seed", "3")
    assert "0 new/0 updated" in again.stderr


def test_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, "stats", CREDIT_GRAPH_BACKEND="oracle")
    assert_clean_failure(result, 2, "CREDIT_GRAPH_BACKEND")
    assert len(result.stderr.strip().splitlines()) == 1
    result = run(tmp_path, "stats", CREDIT_GRAPH_BATCH_SIZE="-5")
    assert_clean_failure(result, 2, "CREDIT_GRAPH_BATCH_SIZE")


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("responsible", "91110000600037341M"), 2, ("uscc", "check character")),
        (("responsible", "123"), 2, ("uscc",)),
        (("responsible", "91110000600037341L"), 1, ("no enterprise",)),
        (("responsible", "91110000600037341L", "--as-of", "2021-02-30"), 2, ("--as-of",)),
        (("generate", "--enterprises", "0"), 2, ("--enterprises",)),
        (("no-such-command",), 2, ("No such command",)),
    ],
)
def test_bad_input_gives_a_message_not_a_traceback(
    tmp_path: Path, args: tuple[str, ...], code: int, words: tuple[str, ...]
) -> None:
    assert_clean_failure(run(tmp_path, *args), code, *words)


def test_commands_work_on_neo4j(tmp_path: Path, neo4j_server: Neo4jServer, neo4j_store: Neo4jStore) -> None:
    neo4j_store.clear()
    env = {
        "CREDIT_GRAPH_BACKEND": "neo4j",
        "CREDIT_GRAPH_NEO4J_URI": neo4j_server.uri,
        "CREDIT_GRAPH_NEO4J_USER": neo4j_server.user,
        "CREDIT_GRAPH_NEO4J_PASSWORD": neo4j_server.password,
    }
    answers_file = tmp_path / "answers.json"
    gen = run(
        tmp_path, "generate", "--enterprises", "200", "--seed", "4", "--answers", str(answers_file), **env
    )
    assert gen.returncode == 0, gen.stderr
    assert neo4j_store.counts()["enterprises"] >= 200
    stats = run(tmp_path, "stats", **env)
    assert stats.returncode == 0 and "(neo4j)" in stats.stdout
    case = json.loads(answers_file.read_text(encoding="utf-8"))["cases"]["legal_rep_change"]
    shown = run(tmp_path, "responsible", case["uscc"], "--as-of", "2021-07-01", **env)
    assert shown.returncode == 0 and "李志强" in shown.stdout
    unreachable = run(tmp_path, "stats", **{**env, "CREDIT_GRAPH_NEO4J_URI": "bolt://127.0.0.1:9"})
    assert_clean_failure(unreachable, 1, "cannot reach Neo4j")


def test_a_store_refuses_another_hash_key_and_serves_a_second_process(tmp_path: Path) -> None:
    first = run(tmp_path, "generate", "--enterprises", "100", CREDIT_GRAPH_HASH_KEY="key-one")
    assert first.returncode == 0, first.stderr
    other = run(tmp_path, "stats", CREDIT_GRAPH_HASH_KEY="key-two")
    assert_clean_failure(other, 1, "another CREDIT_GRAPH_HASH_KEY")
    same = run(tmp_path, "stats", CREDIT_GRAPH_HASH_KEY="key-one")
    assert same.returncode == 0, same.stderr

    from graph_service.store.embedded import EmbeddedStore

    # A store held open by this process (a running server, say) is read by another one beside it.
    holder = EmbeddedStore(tmp_path / "data" / "graph.sqlite3")
    try:
        beside = run(tmp_path, "stats", CREDIT_GRAPH_HASH_KEY="key-one")
        assert beside.returncode == 0, beside.stderr
        assert beside.stdout == same.stdout
    finally:
        holder.close()
