"""Fixture strategy.

Store tests are written once and run against every backend through the parametrised `store` fixture,
which hands each test an empty store: a fresh SQLite file for the embedded backend, the one shared Neo4j
database cleared for Neo4j. The synthetic county (`county`) is generated once per module and backend and
shared read-only by that module's tests, because loading it is the slow part; since both fixtures use the
same Neo4j database, a module uses one or the other, never both (`county` checks this).

Neo4j comes from, in this order: NEO4J_URI (with NEO4J_USER and NEO4J_PASSWORD) when set, which is how
`make test` passes the local server it starts with scripts/neo4j-local; a Docker engine, through
testcontainers and the image neo4j:5.26-community; else the Neo4j tests skip, saying how to get a server.
With CREDIT_GRAPH_REQUIRE_NEO4J=1 (as in .ci/run) such a skip fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from graph_service.synthetic import Answers, Generator, load_synthetic

SECRET = "test-hash-key"
COUNTY_SIZE = 1500
COUNTY_SEED = 2017
BACKENDS = ["embedded", "neo4j"]
REQUIRE_NEO4J = os.environ.get("CREDIT_GRAPH_REQUIRE_NEO4J") == "1"
HOW_TO_GET_NEO4J = (
    "no Neo4j server: run the tests with `make test` (it starts a local one with scripts/neo4j-local), "
    "or set NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD, or start a Docker engine"
)


@dataclass
class Neo4jServer:
    uri: str
    user: str
    password: str
    local_dir: str | None  # scripts/neo4j-local state folder when the project started the server
    version: str = ""


def skip_or_fail(reason: str) -> None:
    if REQUIRE_NEO4J:
        pytest.fail(f"Neo4j is required here (CREDIT_GRAPH_REQUIRE_NEO4J=1) but: {reason}", pytrace=False)
    pytest.skip(reason)


def _docker_engine() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False).returncode == 0


@pytest.fixture(scope="session")
def neo4j_server(request: pytest.FixtureRequest) -> Iterator[Neo4jServer]:
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield Neo4jServer(
            uri,
            os.environ.get("NEO4J_USER", "neo4j"),
            os.environ.get("NEO4J_PASSWORD", ""),
            os.environ.get("CREDIT_GRAPH_NEO4J_LOCAL_DIR"),
        )
        return
    if _docker_engine():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26-community") as container:
            yield Neo4jServer(container.get_connection_url(), "neo4j", container.password, None)
        return
    skip_or_fail(HOW_TO_GET_NEO4J)


@pytest.fixture(scope="session")
def neo4j_store(neo4j_server: Neo4jServer) -> Iterator[Neo4jStore]:
    store = Neo4jStore(neo4j_server.uri, neo4j_server.user, neo4j_server.password, batch_size=2000)
    neo4j_server.version = store.server_version()
    SERVERS_USED.append(f"{neo4j_server.version} at {neo4j_server.uri}")
    yield store
    store.close()


_cleared = {"neo4j": 0}
SERVERS_USED: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for server in SERVERS_USED:
        terminalreporter.write_line(f"Neo4j server used: {server}")
    if not SERVERS_USED:
        terminalreporter.write_line("Neo4j server used: none")


def open_backend(name: str, tmp: Path, request: pytest.FixtureRequest) -> GraphStore:
    if name == "embedded":
        return EmbeddedStore(tmp / "graph.sqlite3")
    store: Neo4jStore = request.getfixturevalue("neo4j_store")
    store.clear()
    _cleared["neo4j"] += 1
    return store


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    s = open_backend(request.param, tmp_path, request)
    yield s
    if isinstance(s, EmbeddedStore):
        s.close()


@pytest.fixture(scope="module", params=BACKENDS)
def county(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GraphStore, Answers]]:
    s = open_backend(request.param, tmp_path_factory.mktemp(f"county-{request.param}"), request)
    generation = _cleared["neo4j"]
    answers, _ = load_synthetic(s, Generator(COUNTY_SIZE, seed=COUNTY_SEED, secret=SECRET))
    yield s, answers
    if request.param == "neo4j":
        assert _cleared["neo4j"] == generation, "a test in this module cleared Neo4j under the county fixture"
    if isinstance(s, EmbeddedStore):
        s.close()
