"""The neo4j-admin import files carry exactly what the Neo4j backend writes: on Neo4j, importing them (done
here with the same CREATE a neo4j-admin import amounts to) and then loading the same samples changes
nothing; on the embedded backend, every exported row reads back as the record the store holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from graph_service.model import Enterprise, ListEntry, Person, Role
from graph_service.store import KEY_FINGERPRINT, check_hash_key
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore, fingerprint
from loaders.admin_export import AdminExport, write_admin_import
from tests.conftest import SECRET
from tests.test_loaders_samples import REGISTRATION, load

FILES = [*REGISTRATION, ("practitioners", "practitioners.xlsx"), ("list", "lists_gb18030.csv")]


def _typed(header: str, value: str) -> tuple[str, Any]:
    """A cell as neo4j-admin reads it: the header's type, empty meaning no property."""
    name, _, kind = header.partition(":")
    if kind.startswith(("ID(", "START_ID(", "END_ID(")) or kind == "TYPE":
        return header, value
    if kind == "date":
        return name, date.fromisoformat(value)
    if kind == "datetime":
        return name, datetime.fromisoformat(value)
    if kind == "float":
        return name, float(value)
    if kind == "long":
        return name, int(value)
    if kind == "boolean":
        return name, value == "true"
    return name, value


def _cells(line: str) -> list[str | None]:
    """One line of an export: a quoted field is a string (perhaps empty), an empty one is no value."""
    cells: list[str | None] = []
    i, n = 0, len(line)
    while i <= n:
        if i < n and line[i] == '"':
            j, text = i + 1, []
            while True:
                if line[j] == '"' and j + 1 < n and line[j + 1] == '"':
                    text.append('"')
                    j += 2
                elif line[j] == '"':
                    break
                else:
                    text.append(line[j])
                    j += 1
            cells.append("".join(text))
            i = j + 2
        else:
            j = line.find(",", i)
            j = n if j < 0 else j
            cells.append(line[i:j] or None)
            i = j + 1
    return cells


def rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split(",")
        for line in f:
            cells = _cells(line.rstrip("\n"))
            assert len(cells) == len(header), line
            yield dict(_typed(h, v) for h, v in zip(header, cells, strict=True) if v is not None)


def export_samples(tmp: Path) -> tuple[EmbeddedStore, AdminExport]:
    staging = EmbeddedStore(tmp / "staging.sqlite3")
    check_hash_key(staging, SECRET)
    for kind, name in FILES:
        load(staging, kind, name, tmp / "staging")
    return staging, write_admin_import(staging, tmp / "import")


def _file(export: AdminExport, name: str) -> Path:
    return export.folder / name


def test_exported_rows_are_the_stored_records(store: GraphStore, tmp_path: Path) -> None:
    staging, export = export_samples(tmp_path)
    try:
        words = export.command().split()
        assert words[:5] == ["neo4j-admin", "database", "import", "full", "neo4j"]
        assert "neo4j" not in words[5:] and words[-1].startswith("--relationships=")
        assert f"--nodes=Enterprise={_file(export, 'enterprises.csv')}" in export.command()
        header = _file(export, "roles_person.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header[:4] == [":START_ID(Person)", ":END_ID(Enterprise)", ":TYPE", "role_id"]
        assert not {"holder_kind", "holder_key", "enterprise", "type"} & set(header)
        for name, model, key in (
            ("enterprises.csv", Enterprise, "uscc:ID(Enterprise)"),
            ("persons.csv", Person, "person_key:ID(Person)"),
        ):
            n = 0
            for row in rows(_file(export, name)):
                props = {(k.split(":")[0] if k == key else k): v for k, v in row.items()}
                held = (
                    staging.get_enterprise(props["uscc"])
                    if model is Enterprise
                    else staging.get_person(props["person_key"])
                )
                assert held is not None
                assert props.pop("fingerprint") == fingerprint(held)
                if isinstance(held, Enterprise):
                    assert props.pop("org_code", None) == held.org_code
                assert model.model_validate(props) == held
                n += 1
            assert n == staging.counts()["enterprises" if model is Enterprise else "persons"]
        roles = {r.role_id: r for r in staging.iter_records("roles")}  # type: ignore[attr-defined]
        for kind in ("person", "enterprise"):
            for row in rows(_file(export, f"roles_{kind}.csv")):
                props = {k: v for k, v in row.items() if not k.startswith(":")}
                role = roles.pop(props.pop("role_id"))
                assert props.pop("fingerprint") == fingerprint(role)
                ends = {"holder_kind": kind, "holder_key": row[f":START_ID({kind.title()})"]}
                ends |= {"enterprise": row[":END_ID(Enterprise)"], "type": row[":TYPE"]}
                assert Role.model_validate({**props, **ends}) == role
        assert not roles
        named = list(rows(_file(export, "named_responsible.csv")))
        entries = list(rows(_file(export, "entries.csv")))
        assert len(entries) == staging.counts()["entries"] and named
        meta = list(rows(_file(export, "store_meta.csv")))
        assert meta == [{"name:ID(StoreMeta)": KEY_FINGERPRINT, "value": staging.get_meta(KEY_FINGERPRINT)}]
    finally:
        staging.close()


# What neo4j-admin does with each file, as Cypher: labels and types come from the files' own columns.
_NODE = "UNWIND $rows AS row CREATE (n:$($label)) SET n = row"
_REL = {
    (start, end): f"""
UNWIND $rows AS row
MATCH (a:{start} {{{start_key}: row.start}}), (b:{end} {{{end_key}: row.end}})
CREATE (a)-[r:$(row.type)]->(b) SET r = row.props
"""
    for start, start_key, end, end_key in (
        ("Person", "person_key", "Enterprise", "uscc"),
        ("Enterprise", "uscc", "Enterprise", "uscc"),
        ("ListEntry", "entry_id", "Enterprise", "uscc"),
        ("ListEntry", "entry_id", "Person", "person_key"),
    )
}


def _import(store: Neo4jStore, export: AdminExport) -> None:
    with store.driver.session(database=store.database) as session:
        for label, path, _ in export.nodes:
            props = [{k.split(":")[0]: v for k, v in row.items()} for row in rows(path)]
            session.run(_NODE, label=label, rows=props).consume()
        for type_, path, _ in export.relationships:
            header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
            start, end = header[0][len(":START_ID(") : -1], header[1][len(":END_ID(") : -1]
            batch = [
                {
                    "start": row[header[0]],
                    "end": row[header[1]],
                    "type": row.get(":TYPE", type_),
                    "props": {k: v for k, v in row.items() if not k.startswith(":")},
                }
                for row in rows(path)
            ]
            session.run(_REL[(start, end)], rows=batch).consume()


def test_an_imported_database_takes_the_same_load_without_a_change(store: GraphStore, tmp_path: Path) -> None:
    staging, export = export_samples(tmp_path)
    staging.close()
    if not isinstance(store, Neo4jStore):
        return  # the files are Neo4j's; the embedded backend's half is the test above
    _import(store, export)
    reference = EmbeddedStore(tmp_path / "staging.sqlite3")
    try:
        assert store.counts() == reference.counts()
    finally:
        reference.close()
    for kind, name in FILES:
        again = load(store, kind, name, tmp_path / "after")
        assert again.changed == 0, (kind, again.counters.results)
    entry = next(iter(store.entries_of_list("major_tax_violation")))
    assert isinstance(entry, ListEntry) and store.get_entry(entry.entry_id) == entry
