"""A small world for the unresolved-reference tests: a court list whose subject is a masked number two
stored persons fit (and a third of the same name does not), and a tax list naming an enterprise's people,
one of them by a masked number two of its people fit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from graph_service.identifiers import build_id_number, is_valid_id_number
from graph_service.model import Enterprise, Person, RoleType
from graph_service.persons import person_from_document
from graph_service.store.base import GraphStore
from loaders import LoadOptions, LoadReport, run_load
from tests import factories as f
from tests.conftest import SECRET
from tests.test_loaders_units import write_csv

COURT_HEADER = [
    "案号",
    "被执行人姓名/名称",
    "被执行人类型",
    "身份证号码/组织机构代码",
    "执行法院",
    "立案时间",
    "发布时间",
]
COURT_DECISION = "(2024)豫0922执100号"
COURT_AUTHORITY = "清丰县人民法院"
LIST_HEADER = ["名单类型", "认定部门", "决定文书号", "主体名称", "主体类型", "统一社会信用代码/证件号码",
               "直接责任人员", "列入日期"]  # fmt: skip
TAX_DECISION = "清税稽罚〔2024〕7号"
TAX_AUTHORITY = "清丰县税务局"
ID_SHAPE = re.compile(rb"(?<![0-9A-Z])\d{17}[\dX](?![0-9A-Z])")


def masked(number: str | None) -> str:
    assert number is not None
    return number[:4] + "*" * 10 + number[-4:]


def twins(name: str, sequence: int) -> tuple[Person, Person]:
    """Two persons of one name whose numbers show the same first and last four characters (the check
    character depends on the birthday, so one of them is born on the day that makes it agree)."""
    a = build_id_number("410922", date(1980, 1, 1), sequence)
    for day in range(1, 29):
        b = build_id_number("410923", date(1981, 2, day), sequence)
        if a[-1] == b[-1]:
            return person_from_document(a, name, SECRET, source="test"), person_from_document(
                b, name, SECRET, source="test"
            )
    raise AssertionError("no twins")


@dataclass
class World:
    one: Person  # 张伟, fits the court list's masked number
    two: Person  # 张伟, fits it too
    other: Person  # 张伟, does not fit it
    company: Enterprise
    boss: Person  # 王五, named with his full number
    finance: Person  # 李四, a director: fits the tax list's masked number
    namesake: Person  # 李四, a supervisor: fits it too
    clerk: Person  # 赵六, named with his full number
    court_file: Path
    tax_file: Path


def build(store: GraphStore, folder: Path) -> World:
    one, two = twins("张伟", 123)
    other = person_from_document(
        build_id_number("410922", date(1975, 5, 5), 1), "张伟", SECRET, source="test"
    )
    assert masked(other.id_number)[-4:] != masked(one.id_number)[-4:]
    company = f.enterprise(40)
    boss, clerk = f.person(41, "王五"), f.person(42, "赵六")
    finance, namesake = twins("李四", 456)
    store.upsert_enterprises([company])
    store.upsert_persons([one, two, other, finance, namesake])
    store.upsert_roles([
        f.role(RoleType.DIRECTOR_OF, finance, company),
        f.role(RoleType.SUPERVISOR_OF, namesake, company),
    ])  # fmt: skip
    court = [
        [COURT_DECISION, "张伟", "自然人", masked(one.id_number), COURT_AUTHORITY, "2024-01-10", "2024-03-01"]
    ]
    named = (
        f"王五|法定代表人|{boss.id_number};李四|财务负责人|{masked(finance.id_number)};"
        f"赵六|直接责任人员|{clerk.id_number};钱七|直接责任人员"
    )
    tax = [["major_tax_violation", TAX_AUTHORITY, TAX_DECISION, company.name, "法人", company.uscc, named,
            "2024-02-01"]]  # fmt: skip
    return World(
        one, two, other, company, boss, finance, namesake, clerk,
        write_csv(folder / "court_2024-03.csv", COURT_HEADER, court),
        write_csv(folder / "tax_2024-03.csv", LIST_HEADER, tax),
    )  # fmt: skip


def load(store: GraphStore, kind: str, path: Path, folder: Path, queue: Path) -> LoadReport:
    options = LoadOptions(secret=SECRET, reject_file=folder / f"{path.name}.rejects.csv", queue_path=queue)
    return run_load(store, kind, path, options, default_dir=folder)


def full_id_numbers(*paths: Path) -> list[bytes]:
    """Every check-digit-valid 18-character ID number in these files' bytes."""
    found: list[bytes] = []
    for path in paths:
        if path.exists():
            found += [m for m in ID_SHAPE.findall(path.read_bytes()) if is_valid_id_number(m.decode())]
    return found
