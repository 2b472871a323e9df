"""The store contract and its backends; `open_store` picks one from settings."""

from __future__ import annotations

from graph_service.settings import Settings
from graph_service.store.base import GraphStore, MissingReferenceError, StoreError


def open_store(settings: Settings) -> GraphStore:
    if settings.backend == "neo4j":
        raise StoreError("the Neo4j backend is not part of this version; set CREDIT_GRAPH_BACKEND=embedded")
    from graph_service.store.embedded import EmbeddedStore

    return EmbeddedStore(settings.store_path())


__all__ = ["GraphStore", "MissingReferenceError", "StoreError", "open_store"]
