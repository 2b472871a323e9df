"""The store contract and its backends; `open_store` picks one from settings."""

from __future__ import annotations

from graph_service.settings import Settings
from graph_service.store.base import GraphStore, MissingReferenceError, StoreError


def open_store(settings: Settings) -> GraphStore:
    if settings.backend == "neo4j":
        from graph_service.store.neo4j_store import Neo4jStore

        return Neo4jStore.from_settings(settings)
    from graph_service.store.embedded import EmbeddedStore

    return EmbeddedStore(settings.store_path())


__all__ = ["GraphStore", "MissingReferenceError", "StoreError", "open_store"]
