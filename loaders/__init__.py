"""Bulk loaders: registration data, published lists and practitioner registers into the graph.

Each source kind has a loader and a column mapping (loaders/mappings/<kind>.yaml). A load validates
every row, writes good rows in batches, reports rejected rows and unresolved references in files beside
the load, and resumes after its last committed batch when it was interrupted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph_service.store.base import GraphStore
from loaders.engine import Engine, Loader, LoadOptions, LoadReport, Tick
from loaders.lists import CourtListLoader, GenericListLoader
from loaders.mapping import MappingError, load_mapping
from loaders.practitioners import PractitionersLoader
from loaders.readers import InputError
from loaders.registration import (
    BranchesLoader,
    ChangesLoader,
    EnterprisesLoader,
    PersonnelLoader,
    ShareholdersLoader,
)

LOADERS: dict[str, type[Loader[Any]]] = {
    loader.kind: loader
    for loader in (
        EnterprisesLoader,
        PersonnelLoader,
        ShareholdersLoader,
        BranchesLoader,
        ChangesLoader,
        CourtListLoader,
        GenericListLoader,
        PractitionersLoader,
    )
}


def run_load(
    store: GraphStore,
    kind: str,
    path: Path,
    options: LoadOptions,
    mapping: Path | None = None,
    default_dir: Path = Path("var") / "loads",
    progress: Callable[[Tick], None] | None = None,
    after_write: Callable[[int], None] | None = None,
) -> LoadReport:
    """Load one file of one kind into the store. Without a mapping, the shipped layout of the kind whose
    headers fit the file is used (the report says which and why). InputError or MappingError when the
    file or the mapping cannot be used at all; rows that cannot be used are rejected, not raised."""
    loader = LOADERS.get(kind)
    if loader is None:
        raise MappingError(f"unknown kind {kind!r}; one of {', '.join(LOADERS)}")
    loaded = load_mapping(mapping) if mapping is not None else None
    if loaded is not None and loaded.mapping.kind != kind:
        raise MappingError(f"{loaded.path}: a mapping for {loaded.mapping.kind!r}, not for {kind!r}")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    engine = Engine(store, loader, path, loaded, options, default_dir, progress, after_write)
    return engine.run()


__all__ = ["LOADERS", "InputError", "LoadOptions", "LoadReport", "MappingError", "Tick", "run_load"]
