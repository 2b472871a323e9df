"""The embedded store's own promises beside the contract: a store of schema 2 opens migrated and answers
as a store written by this version does, and several processes share one file (readers see the
others' committed writes; writers wait their turn and lose nothing)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Literal

from graph_service.engine import Engine
from graph_service.model import Enterprise, EntryEvent, Feedback, ListEntry, Person
from graph_service.rules import load_rules
from graph_service.store.base import GraphStore
from graph_service.store.embedded import SCHEMA_VERSION, EmbeddedStore
from graph_service.synthetic import Generator, load_synthetic
from tests import factories as f
from tests.conftest import SECRET

# Schema 2 as that version created it: records as (key, JSON), enterprises with their other codes.
VERSION_2 = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE enterprises (
    uscc TEXT PRIMARY KEY, data TEXT NOT NULL, org_code TEXT, registration_number TEXT, registry_id TEXT
);
CREATE TABLE persons (person_key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE roles (role_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE entries (entry_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE feedback (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL);
CREATE INDEX enterprise_org_code ON enterprises (org_code);
CREATE INDEX enterprise_registration_number ON enterprises (registration_number);
CREATE INDEX enterprise_registry_id ON enterprises (registry_id);
INSERT INTO meta VALUES ('schema_version', '2');
"""


def _as_version_2(source: Path, target: Path) -> None:
    """A schema-2 file with the records of `source` (a store of this version), as that version kept them."""
    old = sqlite3.connect(source)
    new = sqlite3.connect(target)
    new.executescript(VERSION_2)
    new.executemany(
        "INSERT INTO enterprises VALUES (?, ?, ?, ?, ?)",
        old.execute("SELECT uscc, data, org_code, registration_number, registry_id FROM enterprises"),
    )
    for table, key in (("persons", "person_key"), ("roles", "role_id"), ("entries", "entry_id")):
        new.executemany(f"INSERT INTO {table} VALUES (?, ?)", old.execute(f"SELECT {key}, data FROM {table}"))
    for table in ("events", "feedback"):
        new.executemany(
            f"INSERT INTO {table} VALUES (?, ?, ?)", old.execute(f"SELECT seq, entry_id, data FROM {table}")
        )
    new.executemany("INSERT INTO changes VALUES (?, ?)", old.execute("SELECT seq, data FROM changes"))
    new.executemany(
        "INSERT INTO meta VALUES (?, ?)", old.execute("SELECT * FROM meta WHERE name != 'schema_version'")
    )
    new.commit()
    new.close()
    old.close()


def _answers(store: GraphStore) -> list[object]:
    """What the store says about everything it holds, question by question."""
    covers = Engine(store, load_rules()).covers
    day = date(2026, 6, 30)
    out: list[object] = [store.counts(), store.changes_after(0), store.last_change(), store.feedback()]
    for kind in ("enterprises", "persons", "roles", "entries", "events", "feedback"):
        out.append([r.model_dump_json() for r in store.iter_records(kind)])  # type: ignore[arg-type]
    subjects: list[tuple[Literal["person", "enterprise"], str]] = [
        ("enterprise", e.uscc) for e in store.iter_records("enterprises") if isinstance(e, Enterprise)
    ]
    subjects += [("person", p.person_key) for p in store.iter_records("persons") if isinstance(p, Person)]
    for kind, key in subjects:
        out += [store.reaching(kind, key, covers, day), store.entries_of_subject(kind, key)]
        out += [store.roles_of_holder(kind, key), store.ownership(kind, key, "down", 3)]
    for kind, key in subjects[:40]:
        out.append(store.neighbourhood(kind, key, hops=2, limit=100))
    out.append(store.reach(covers, day))
    for entry in _entries(store):
        out.append(store.events_of_entry(entry.entry_id))
        out.append([store.entries_turning_on(d) for d in (entry.listed_on, entry.expires_on) if d])
    out.append(store.search_names("公司", ["enterprise", "person"], 50, 0))
    out.append(store.search_names("张", ["person"], 20, 5))
    return out


def _entries(store: GraphStore) -> list[ListEntry]:
    return [e for e in store.iter_records("entries") if isinstance(e, ListEntry)]


def test_a_store_of_schema_2_opens_migrated_and_answers_the_same(tmp_path: Path) -> None:
    fresh = EmbeddedStore(tmp_path / "fresh.sqlite3")
    load_synthetic(fresh, Generator(60, seed=11, secret=SECRET))
    entry = next(e for e in _entries(fresh) if e.status == "active" and e.kind == "black")
    fresh.append_feedback(
        Feedback(
            entry_id=entry.entry_id,
            department="清丰县税务局",
            measure="m",
            outcome="applied",
            on=date(2026, 1, 5),
        )
    )
    objection = EntryEvent(
        entry_id=entry.entry_id, event="objection_filed", on=date(2026, 2, 1), actor="tests"
    )
    fresh.apply_event(entry.model_copy(update={"status": "under_objection"}), objection, "active")
    expected = _answers(fresh)
    fresh.close()
    _as_version_2(tmp_path / "fresh.sqlite3", tmp_path / "old.sqlite3")

    with EmbeddedStore(tmp_path / "old.sqlite3") as migrated:
        assert migrated.get_meta("schema_version") == SCHEMA_VERSION
        assert _answers(migrated) == expected
    with EmbeddedStore(tmp_path / "old.sqlite3") as again:  # a second start finds nothing to do
        assert _answers(again) == expected


WRITER = textwrap.dedent(
    """
    import json, sys
    from graph_service.store.embedded import EmbeddedStore
    from tests import factories as f
    store = EmbeddedStore(sys.argv[1])
    first, batches = int(sys.argv[2]), int(sys.argv[3])
    created = updated = unchanged = 0
    for b in range(batches):
        # Overlapping ranges: the same enterprises are written by both processes.
        done = store.upsert_enterprises([f.enterprise(n) for n in range(first + b * 20, first + b * 20 + 40)])
        created, updated = created + done.created, updated + done.updated
        unchanged += done.unchanged
    print(json.dumps([created, updated, unchanged]))
    """
)


def test_processes_share_one_store_and_no_write_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "graph.sqlite3"
    here = EmbeddedStore(path)
    here.upsert_persons([f.person(1)])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(first), "15"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
        for first in (0, 150)
    ]  # fmt: skip
    # This process reads and writes meanwhile: its writes wait for theirs, its reads see what they committed.
    seen = []
    for n in range(2, 30):
        here.upsert_persons([f.person(n)])
        seen.append(here.counts()["enterprises"])
    results = []
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        results.append(json.loads(out))
    wanted = {
        f.uscc(n) for first in (0, 150) for b in range(15) for n in range(first + b * 20, first + b * 20 + 40)
    }
    assert seen == sorted(seen)  # never a step back
    # Each enterprise was created once, by whichever process came first; the rest found it written.
    assert sum(created for created, _, _ in results) == len(wanted)
    assert sum(updated for _, updated, _ in results) == 0
    assert here.counts()["enterprises"] == len(wanted)
    assert set(here.get_enterprises(wanted)) == wanted
    assert here.counts()["persons"] == 29
    assert all(isinstance(e, Enterprise) for e in here.get_enterprises(wanted).values())
    assert isinstance(here.get_person(f.person(29).person_key), Person)
    here.close()
