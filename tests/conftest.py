"""Fixture strategy.

Store tests are written once and run against every backend through the parametrised `store` fixture:
each test gets an empty store (a fresh SQLite file for the embedded backend). The synthetic county
(`county`) is generated once per session per backend and shared read-only by the tests that check
planted answers, because generating it is the slow part.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.synthetic import Answers, Generator, load_synthetic

SECRET = "test-hash-key"
COUNTY_SIZE = 1500
COUNTY_SEED = 2017

BACKENDS = ["embedded"]


def open_backend(name: str, tmp: Path) -> GraphStore:
    if name == "embedded":
        return EmbeddedStore(tmp / "graph.sqlite3")
    raise ValueError(name)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    s = open_backend(request.param, tmp_path)
    yield s
    s.close()


@pytest.fixture(scope="session", params=BACKENDS)
def county(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GraphStore, Answers]]:
    s = open_backend(request.param, tmp_path_factory.mktemp(f"county-{request.param}"))
    answers, _ = load_synthetic(s, Generator(COUNTY_SIZE, seed=COUNTY_SEED, secret=SECRET))
    yield s, answers
    s.close()
