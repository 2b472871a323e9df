"""The store contract and its backends; `open_store` picks one from settings."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from graph_service.settings import Settings
from graph_service.store.base import GraphStore, MissingReferenceError, StoreError

KEY_FINGERPRINT = "hash_key_fingerprint"
DATA_AS_OF = "data_as_of"


def mark_data_as_of(store: GraphStore, when: datetime | None = None) -> None:
    """Record when the data last changed (a load, an import, a life-cycle event): a credit report is
    stamped with it, so its reader knows how fresh the record behind it is."""
    store.set_meta(DATA_AS_OF, (when or datetime.now(UTC)).isoformat(timespec="seconds"))


def data_as_of(store: GraphStore) -> datetime | None:
    held = store.get_meta(DATA_AS_OF)
    return datetime.fromisoformat(held) if held else None


def open_store(settings: Settings) -> GraphStore:
    """The store the settings name, refused if its person keys were made with another hash key."""
    store: GraphStore
    if settings.backend == "neo4j":
        from graph_service.store.neo4j_store import Neo4jStore

        store = Neo4jStore.from_settings(settings)
    else:
        from graph_service.store.embedded import EmbeddedStore

        store = EmbeddedStore(settings.store_path())
    try:
        check_hash_key(store, settings.person_hash_key())
    except StoreError:
        store.close()
        raise
    return store


def check_hash_key(store: GraphStore, key: str) -> None:
    """With another key the same person would get a second, unrelated key: refuse instead."""
    fingerprint = hashlib.sha256(f"credit-graph hash key:{key}".encode()).hexdigest()[:16]
    held = store.get_meta(KEY_FINGERPRINT)
    if held is None:
        store.set_meta(KEY_FINGERPRINT, fingerprint)
    elif held != fingerprint:
        raise StoreError(
            f"this store's person keys were made with another CREDIT_GRAPH_HASH_KEY (fingerprint {held}, "
            f"this one {fingerprint}); set the key the store was built with"
        )


__all__ = [
    "DATA_AS_OF",
    "KEY_FINGERPRINT",
    "GraphStore",
    "MissingReferenceError",
    "StoreError",
    "check_hash_key",
    "data_as_of",
    "mark_data_as_of",
    "open_store",
]
