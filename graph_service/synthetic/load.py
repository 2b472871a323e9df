"""Writing generated data into any store, in batches of the configured size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from graph_service.store import mark_data_as_of
from graph_service.store.base import GraphStore, WriteResult
from graph_service.synthetic.generator import Answers, Generator

T = TypeVar("T")


def _chunks(rows: Sequence[T], size: int) -> list[Sequence[T]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def load_synthetic(
    store: GraphStore,
    generator: Generator,
    batch_size: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Answers, dict[str, WriteResult]]:
    """Load every block (nodes before the edges that need them); returns the planted answers and
    what each kind of write did. `progress(enterprises_done, enterprises_total)` after each block."""
    results = {kind: WriteResult() for kind in ("enterprises", "persons", "roles", "entries")}
    done = 0
    for batch in generator.batches():
        for enterprises in _chunks(batch.enterprises, batch_size):
            results["enterprises"] += store.upsert_enterprises(enterprises)
        for persons in _chunks(batch.persons, batch_size):
            results["persons"] += store.upsert_persons(persons)
        for roles in _chunks(batch.roles, batch_size):
            results["roles"] += store.upsert_roles(roles)
        for entries in _chunks(batch.entries, batch_size):
            results["entries"] += store.upsert_entries(entries)
        done += len(batch.enterprises)
        if progress is not None:
            progress(done, generator.total)
    mark_data_as_of(store)
    return generator.answers, results
