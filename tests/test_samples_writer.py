"""The sample writer streams: one pass over the generator's batches, people and owners of earlier batches
looked up on disk. Its output for the shipped settings is the committed samples/ folder, byte for byte
(the register by its cells: an XLSX carries the time it was saved); over several batches every role the
generator made is in its file."""

from __future__ import annotations

import json
import random
from pathlib import Path

from openpyxl import load_workbook

from graph_service.model import RoleType
from loaders.samples import (
    SAMPLE_ENTERPRISES,
    SAMPLE_SEED,
    SampleWriter,
    opened_by_change,
    shuffled_order,
    truth,
)

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TEXT_FILES = [
    "enterprises.csv",
    "personnel.csv",
    "shareholders.csv",
    "branches.csv",
    "changes.csv",
    "court_2024-06.csv",
    "court_2024-07.jsonl",
    "lists_gb18030.csv",
    "expected.json",
]


def _cells(path: Path) -> list[list[object]]:
    return [list(row) for row in load_workbook(path, read_only=True).active.iter_rows(values_only=True)]


def test_the_shipped_samples_are_what_the_writer_writes(tmp_path: Path) -> None:
    SampleWriter(tmp_path, SAMPLE_ENTERPRISES, SAMPLE_SEED).write()
    for name in TEXT_FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
    assert _cells(tmp_path / "practitioners.xlsx") == _cells(SAMPLES / "practitioners.xlsx")


def test_over_several_batches_every_role_is_in_its_file(tmp_path: Path) -> None:
    enterprises = 2100  # three of the generator's batches of 1,000
    SampleWriter(tmp_path, enterprises, 7).write()
    expected = json.loads((tmp_path / "expected.json").read_text(encoding="utf-8"))["files"]
    t = truth(enterprises, 7, "samples")
    changed = opened_by_change(t.roles)
    personnel = (RoleType.DIRECTOR_OF, RoleType.SUPERVISOR_OF, RoleType.SENIOR_MANAGER_OF)
    personnel += (RoleType.ACTUAL_CONTROLLER_OF,)
    assert expected["personnel.csv"]["good"] == sum(
        1 for r in t.roles if r.type in personnel and r.role_id not in changed and r.holder_kind == "person"
    )
    shareholders = sum(1 for r in t.roles if r.type == RoleType.SHAREHOLDER_OF)
    assert expected["shareholders.csv"]["good"] == shareholders + 1  # and the stub owner
    assert expected["changes.csv"]["good"] == len(changed) + 4  # and the scope changes
    assert expected["branches.csv"]["good"] == sum(1 for r in t.roles if r.type == RoleType.BRANCH_OF)
    court = sum(1 for e in t.entries if e.list_type == "court_dishonest_debtor")
    assert expected["court_2024-06.csv"]["good"] == court + 40


def test_the_drawn_order_is_that_of_a_shuffle() -> None:
    for n in (0, 1, 2, 41, 1000):
        a, b = random.Random(n), random.Random(n)
        items = list(range(n))
        a.shuffle(items)
        assert list(shuffled_order(b, n)) == items
        assert a.random() == b.random()  # and the generator is left in the same state
