"""Sample input files in the real column layouts, made from the synthetic generator, with bad rows.

    python -m loaders.samples samples/ [--enterprises 200] [--seed 2017]

Writes, into the folder:
- enterprises.csv (UTF-8 with a byte-order mark, as Excel saves it): registrations as first made, with
  the legal representative; personnel.csv, shareholders.csv, branches.csv; changes.csv: the change
  records since (legal representatives, finance heads, staff supervisors);
- court_2024-06.csv and court_2024-07.jsonl: two snapshots of the court's list of dishonest judgment
  debtors with masked ID numbers, the second without two entries of the first and with one new;
- lists_gb18030.csv: other authorities' black, red and watch lists in the generic format, encoded in
  GB18030 with full-width digits, letters and brackets in some cells;
- practitioners.xlsx: a practitioner register;
- expected.json: for each file its data rows and the bad rows put in on purpose (row, field, why).

The files are written in one pass over the generator's batches, in memory bounded by a batch whatever
the number of enterprises (a province's million takes the time its rows take, not more memory). The
generator's data is the truth the files are cut from: loading the registration files (enterprises,
personnel, shareholders, branches, then changes) gives the generator's role edges back.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import tempfile
from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from graph_service.identifiers import build_id_number, build_uscc, mask_id_number
from graph_service.model import Enterprise, ListEntry, Person, Role, RoleType
from graph_service.rules import load_rules
from graph_service.synthetic import Generator
from graph_service.synthetic import vocabulary as v
from graph_service.synthetic.generator import Batch

SAMPLE_ENTERPRISES = 200
SAMPLE_SEED = 2017
# Person keys do not appear in the files, so the key the samples are made with does not matter.
_SECRET = "samples"

ENTERPRISE_HEADER = [
    "统一社会信用代码", "企业名称", "类型", "登记状态", "成立日期", "注册资本", "住所", "联系电话",
    "电子邮箱", "法定代表人", "法定代表人证件类型", "法定代表人证件号码",
]  # fmt: skip
PERSONNEL_HEADER = [
    "统一社会信用代码",
    "企业名称",
    "姓名",
    "证件类型",
    "证件号码",
    "职务",
    "任职起始日期",
    "任职终止日期",
]
SHAREHOLDER_HEADER = [
    "统一社会信用代码", "企业名称", "股东名称", "股东类型", "证照/证件类型", "证照/证件号码",
    "认缴出资额（万元）", "实缴出资额（万元）", "出资日期", "出资比例",
]  # fmt: skip
BRANCH_HEADER = [
    "分支机构统一社会信用代码", "分支机构名称", "隶属企业统一社会信用代码", "隶属企业名称", "类型",
    "登记状态", "成立日期", "营运资金", "营业场所", "联系电话", "电子邮箱", "负责人", "负责人证件类型",
    "负责人证件号码",
]  # fmt: skip
CHANGE_HEADER = ["统一社会信用代码", "企业名称", "变更事项", "变更前内容", "变更后内容", "变更日期"]
COURT_HEADER = [
    "案号", "被执行人姓名/名称", "身份证号码/组织机构代码", "法定代表人或者负责人姓名", "执行法院",
    "立案时间", "发布时间", "失信被执行人行为具体情形", "被执行人的履行情况",
]  # fmt: skip
LIST_HEADER = [
    "名单类型", "认定部门", "决定文书号", "主体名称", "主体类型", "统一社会信用代码/证件号码", "直接责任人员",
    "失信行为情形", "失信行为类别", "行为发生日期", "列入日期", "有效期至", "公开类型", "状态",
]  # fmt: skip
PRACTITIONER_HEADER = [
    "姓名", "证件类型", "证件号码", "执业资格", "注册证书编号", "执业单位", "执业单位统一社会信用代码",
    "注册日期", "有效期至",
]  # fmt: skip

_CHANGE_ITEMS = {
    (RoleType.LEGAL_REPRESENTATIVE_OF, None): "法定代表人变更",
    (RoleType.SENIOR_MANAGER_OF, v.FINANCE_HEAD): "财务负责人变更",
    (RoleType.SUPERVISOR_OF, "职工监事"): "职工监事变更",
}
_PERFORMANCE = {"active": "全部未履行", "repaired": "全部履行"}
_LIST_STATUS = {"active": "有效", "repaired": "已修复", "revoked": "已撤销", "under_objection": "异议中"}
_FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ()-"}


def full_width(text: str) -> str:
    """Digits, capitals, brackets and hyphens as full-width characters, as Chinese input methods type them."""
    return text.translate(_FULL_WIDTH)


@dataclass
class Truth:
    enterprises: dict[str, Enterprise] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    roles: list[Role] = field(default_factory=list)
    entries: list[ListEntry] = field(default_factory=list)


def truth(enterprises: int = SAMPLE_ENTERPRISES, seed: int = SAMPLE_SEED, secret: str = _SECRET) -> Truth:
    """Everything the generator makes for these settings."""
    t = Truth()
    for batch in Generator(enterprises, seed=seed, secret=secret).batches():
        t.enterprises.update((e.uscc, e) for e in batch.enterprises)
        t.persons.update((p.person_key, p) for p in batch.persons)
        t.roles += batch.roles
        t.entries += batch.entries
    return t


def opened_by_change(roles: Iterable[Role]) -> dict[str, Role]:
    """Role edges that started when another holder's edge of the same post ended: role_id → the edge
    they followed. These come from change records, not from the registration tables."""
    ended: dict[tuple[str, RoleType, str | None, date], Role] = {}
    roles = list(roles)
    for r in roles:
        if r.valid_to is not None:
            ended[(r.enterprise, r.type, r.position, r.valid_to)] = r
    out: dict[str, Role] = {}
    for r in roles:
        if r.valid_from is None:
            continue
        before = ended.get((r.enterprise, r.type, r.position, r.valid_from))
        if before is not None and before.holder_key != r.holder_key:
            out[r.role_id] = before
    return out


class Bad:
    """The bad rows a file gets on purpose, for expected.json."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, row: int, field: str, why: str, outcome: str = "rejected") -> None:
        """outcome: rejected (the row is not loaded) or left_empty (the field is reported and left
        empty, the rest of the row loads)."""
        self.rows.append({"row": row, "field": field, "reason": why, "outcome": outcome})

    @property
    def loaded(self) -> int:
        return sum(1 for r in self.rows if r["outcome"] != "rejected")


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


class _Csv:
    """One file written row by row as the generator's batches come; keeps its first rows, from which the
    bad rows at its end are cut, and counts its rows for their row numbers."""

    KEEP = 25

    def __init__(self, path: Path, header: list[str], encoding: str = "utf-8") -> None:
        self.handle = path.open("w", encoding=encoding, newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(header)
        self.rows = 0
        self.first: list[list[str]] = []

    def add(self, row: list[str]) -> None:
        self.writer.writerow(row)
        self.rows += 1
        if len(self.first) < self.KEEP:
            self.first.append(row)

    def close(self) -> None:
        self.handle.close()


class _Jsonl:
    """The court's second snapshot: every row of the first but its last two, which are held back until
    the end (the two listings gone by the next month)."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("w", encoding="utf-8")
        self.held: list[list[str]] = []
        self.rows = 0

    def _put(self, row: list[str]) -> None:
        self.handle.write(json.dumps(dict(zip(COURT_HEADER, row, strict=True)), ensure_ascii=False) + "\n")
        self.rows += 1

    def add(self, row: list[str]) -> None:
        self.held.append(row)
        if len(self.held) > 2:
            self._put(self.held.pop(0))

    def dropped(self) -> list[list[str]]:
        """The two rows held back; they will not be written."""
        held, self.held = self.held, []
        return held

    def add_last(self, row: list[str]) -> None:
        self._put(row)

    def close(self) -> None:
        self.handle.close()


class _Org(NamedTuple):
    uscc: str
    name: str
    established_on: date | None


class _Who(NamedTuple):
    name: str
    id_number: str | None


class _Registry:
    """Everyone and every enterprise made so far, on disk rather than in memory: a role or entry of one
    batch may name a person or an owner an earlier batch made (the generator's reuse pools), and the
    court file's extra debtors are drawn from all role holders, in the order they were made."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE persons (key TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT, id_number TEXT);
            CREATE TABLE enterprises (uscc TEXT PRIMARY KEY, name TEXT, established_on TEXT);
            CREATE TABLE holders (key TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE ranked (key TEXT NOT NULL);
            """
        )
        self.seq = 0

    def add(self, batch: Batch) -> None:
        rows = []
        for p in batch.persons:
            rows.append((p.person_key, self.seq, p.name, p.id_number))
            self.seq += 1
        # A person made twice keeps the place of the first making and the data of the last.
        self.db.executemany(
            "INSERT INTO persons VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET name = excluded.name, id_number = excluded.id_number",
            rows,
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO enterprises VALUES (?, ?, ?)",
            [(e.uscc, e.name, _d(e.established_on)) for e in batch.enterprises],
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO holders VALUES (?)",
            [(r.holder_key,) for r in batch.roles if r.holder_kind == "person"],
        )

    def person(self, key: str) -> _Who:
        row = self.db.execute("SELECT name, id_number FROM persons WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return _Who(row[0], row[1])

    def enterprise(self, uscc: str) -> _Org:
        row = self.db.execute(
            "SELECT name, established_on FROM enterprises WHERE uscc = ?", (uscc,)
        ).fetchone()
        if row is None:
            raise KeyError(uscc)
        return _Org(uscc, row[0], date.fromisoformat(row[1]) if row[1] else None)

    def is_holder(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM holders WHERE key = ?", (key,)).fetchone() is not None

    def holders_in_order(self) -> int:
        """Ranks the persons who hold a role, in the order they were made; gives how many."""
        self.db.execute(
            "INSERT INTO ranked (key) SELECT key FROM persons WHERE key IN (SELECT key FROM holders) "
            "ORDER BY seq"
        )
        return int(self.db.execute("SELECT count(*) FROM ranked").fetchone()[0])

    def ranked_holder(self, rank: int) -> _Who:
        row = self.db.execute(
            "SELECT p.name, p.id_number FROM ranked r JOIN persons p ON p.key = r.key WHERE r.rowid = ?",
            (rank + 1,),
        ).fetchone()
        return _Who(row[0], row[1])

    def close(self) -> None:
        self.db.close()


def shuffled_order(rng: random.Random, n: int) -> array[int]:
    """The order `rng.shuffle` would put a list of n items in (their indexes), drawing the same numbers,
    without the list: the court's extra debtors are drawn from a province's role holders."""
    order = array("q", range(n))
    # What random.shuffle itself calls, so the same draws give the same order.
    below = rng._randbelow  # type: ignore[attr-defined]
    for i in reversed(range(1, n)):
        j = below(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


class SampleWriter:
    """Writes every file in one pass over the generator's batches, in memory bounded by a batch (and the
    generator's own reuse pools), whatever the number of enterprises: the people and enterprises a
    batch names from earlier ones are looked up in a registry on disk."""

    def __init__(self, folder: Path, enterprises: int, seed: int) -> None:
        self.folder = folder
        self.total = enterprises
        self.seed = seed
        self.rng = random.Random(seed)
        self.expected: dict[str, Any] = {"enterprises": enterprises, "seed": seed, "files": {}}
        self._serial = 0
        # What the bad and extra rows at the ends of the files are made from.
        self._last_rep: _Who | None = None
        self._finance_renamed = 0
        self._name_only = 0
        self._enterprise_index = 0
        self._some_enterprises: list[_Org] = []  # the 31st to 34th enterprises, for scope changes
        self._companies: list[_Org] = []  # the first companies, for watch-list and register extras
        self._company_count = 0
        self._court_count = 0
        self._court_people: list[tuple[int, str]] = []  # (row, person key) of court entries on people
        self._list_index = 0

    def new_uscc(self, division: str = "410922") -> str:
        self._serial += 1
        return build_uscc("9", "1", division, f"MB{self._serial:06d}")

    def note(self, name: str, data_rows: int, bad: Bad, **extra: Any) -> None:
        self.expected["files"][name] = {"data_rows": data_rows, "bad": bad.rows, **extra}

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        from openpyxl import Workbook

        f = self.folder
        with tempfile.TemporaryDirectory(prefix="samples-") as tmp:
            self.registry = _Registry(Path(tmp) / "registry.sqlite3")
            self.out_enterprises = _Csv(f / "enterprises.csv", ENTERPRISE_HEADER, encoding="utf-8-sig")
            self.out_personnel = _Csv(f / "personnel.csv", PERSONNEL_HEADER)
            self.out_shareholders = _Csv(f / "shareholders.csv", SHAREHOLDER_HEADER)
            self.out_branches = _Csv(f / "branches.csv", BRANCH_HEADER)
            self.out_changes = _Csv(f / "changes.csv", CHANGE_HEADER)
            self.out_court = _Csv(f / "court_2024-06.csv", COURT_HEADER)
            self.out_court_later = _Jsonl(f / "court_2024-07.jsonl")
            self.out_lists = _Csv(f / "lists_gb18030.csv", LIST_HEADER, encoding="gb18030")
            # Write-only: openpyxl streams the rows to a temporary file instead of holding the sheet.
            self.book = Workbook(write_only=True)
            self.sheet = self.book.create_sheet("注册执业人员")
            self.sheet.append(PRACTITIONER_HEADER)
            self.practitioner_rows = 0
            self._list_names = {t.code: t.name_zh for t in load_rules().list_types}
            try:
                for batch in Generator(self.total, seed=self.seed, secret=_SECRET).batches():
                    self.registry.add(batch)
                    self._batch(batch)
                self.finish_enterprises()
                self.finish_personnel()
                self.finish_shareholders()
                self.finish_branches()
                self.finish_changes()
                self.finish_court()
                self.finish_lists()
                self.finish_practitioners()
            finally:
                for out in (
                    self.out_enterprises, self.out_personnel, self.out_shareholders, self.out_branches,
                    self.out_changes, self.out_court, self.out_court_later, self.out_lists,
                ):  # fmt: skip
                    out.close()
                self.registry.close()
        (self.folder / "expected.json").write_text(
            json.dumps(self.expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )

    # -- one batch --------------------------------------------------------------------------------

    def _batch(self, batch: Batch) -> None:
        self.persons = {p.person_key: p for p in batch.persons}
        self.orgs = {e.uscc: e for e in batch.enterprises}
        self.changed = opened_by_change(batch.roles)
        self.by_enterprise: dict[str, list[Role]] = defaultdict(list)
        for r in batch.roles:
            self.by_enterprise[r.enterprise].append(r)
        for e in batch.enterprises:
            if 30 <= self._enterprise_index < 34:
                self._some_enterprises.append(_Org(e.uscc, e.name, e.established_on))
            self._enterprise_index += 1
            if e.org_type == "company":
                if len(self._companies) < 210:  # the register's extras take companies[(i * 7) % n], i < 30
                    self._companies.append(_Org(e.uscc, e.name, e.established_on))
                self._company_count += 1
            self.enterprise_row(e)
        for r in batch.roles:
            if r.type in _PERSONNEL_KINDS:
                self.personnel_row(r)
            elif r.type == RoleType.SHAREHOLDER_OF:
                self.shareholder_row(r)
            elif r.type == RoleType.BRANCH_OF:
                self.branch_row(r)
            elif r.type == RoleType.PRACTITIONER_AT:
                self.practitioner_row(r)
            if r.role_id in self.changed:
                self.change_row(r)
        for entry in batch.entries:
            if entry.list_type == "court_dishonest_debtor":
                self.court_entry(entry)
            else:
                self.list_row(entry)

    def person(self, key: str) -> Person | _Who:
        found = self.persons.get(key)
        return found if found is not None else self.registry.person(key)

    def org(self, uscc: str) -> Enterprise | _Org:
        found = self.orgs.get(uscc)
        return found if found is not None else self.registry.enterprise(uscc)

    # -- registration -----------------------------------------------------------------------------

    def representative(self, e: Enterprise) -> Role:
        posts = [
            r
            for r in self.by_enterprise[e.uscc]
            if r.type in (RoleType.LEGAL_REPRESENTATIVE_OF, RoleType.PRINCIPAL_OF)
            and r.holder_kind == "person"
            and r.role_id not in self.changed
        ]
        first = min(posts, key=lambda r: r.valid_from or date.min)
        if first.valid_from != e.established_on:
            raise AssertionError(f"{e.uscc}: the first representative did not start at establishment")
        return first

    def enterprise_row(self, e: Enterprise) -> None:
        if e.org_type == "branch":
            return
        rep = self.person(self.representative(e).holder_key)
        self._last_rep = _Who(rep.name, rep.id_number)
        capital = "" if e.registered_capital is None else f"{e.registered_capital:g}"
        if capital and self.out_enterprises.rows % 3 == 0:
            capital += "万元"
        self.out_enterprises.add([
            e.uscc, e.name, e.legal_form or "", e.status, _d(e.established_on), capital,
            e.address or "", e.phone or "", e.email or "",
            rep.name, "居民身份证", rep.id_number or "",
        ])  # fmt: skip

    def finish_enterprises(self) -> None:
        out = self.out_enterprises
        good = out.rows
        bad = Bad()
        template = out.first[20]
        rep = self._last_rep or _Who("", "")

        def extra(field: str, why: str, outcome: str = "rejected", **changes: str) -> None:
            row = list(template)
            row[0] = self.new_uscc()
            row[1] = f"清丰县样本{self._serial}有限公司"
            for header, value in changes.items():
                row[ENTERPRISE_HEADER.index(header)] = value
            out.add(row)
            bad.add(out.rows + 1, field, why, outcome)

        bad_check = self.new_uscc()
        extra(
            "统一社会信用代码",
            "uscc check_character",
            统一社会信用代码=bad_check[:-1] + ("0" if bad_check[-1] != "0" else "1"),
        )
        # Bad optional fields: reported and left empty, the enterprise loads (the representative whose
        # number fails is then unresolved: a new enterprise's representative needs a number).
        extra("成立日期", "not a date", "left_empty", 成立日期="2019-02-30")
        extra("登记状态", "not one of the allowed values", "left_empty", 登记状态="营业中")
        extra(
            "法定代表人证件号码",
            "id_number check_character",
            "left_empty",
            法定代表人证件号码=_bad_id(rep.id_number or ""),
        )
        extra("企业名称", "required field is empty", 企业名称="")
        out.add(list(out.first[3]))
        bad.add(out.rows + 1, "统一社会信用代码", "duplicate")
        self.note("enterprises.csv", out.rows, bad, good=good + bad.loaded)

    def personnel_row(self, r: Role) -> None:
        if r.role_id in self.changed or r.holder_kind != "person":
            return
        e, p = self.org(r.enterprise), self.person(r.holder_key)
        position = r.position or "实际控制人"
        if position == v.FINANCE_HEAD and self._finance_renamed < 3:
            position, self._finance_renamed = (
                "财务总监",
                self._finance_renamed + 1,
            )  # the mapping maps it back
        start = (
            "" if r.valid_from == e.established_on and self.out_personnel.rows % 4 == 0 else _d(r.valid_from)
        )
        self.out_personnel.add([e.uscc, e.name, p.name, "居民身份证", p.id_number or "", position, start, ""])

    def finish_personnel(self) -> None:
        out = self.out_personnel
        good = out.rows
        bad = Bad()
        template = out.first[10]

        def extra(field: str, why: str, index: int, value: str) -> None:
            row = list(template)
            row[index] = value
            out.add(row)
            bad.add(out.rows + 1, field, why)

        extra("职务", "not one of the positions", 5, "顾问")
        extra("证件号码", "id_number check_character", 4, _bad_id(template[4]))
        extra("统一社会信用代码", "no enterprise with this code", 0, self.new_uscc())
        extra("任职起始日期", "not a date", 6, "2020年13月1日")
        out.add(list(out.first[7]))
        bad.add(out.rows + 1, "证件号码", "duplicate")
        self.note("personnel.csv", out.rows, bad, good=good)

    def shareholder_row(self, r: Role) -> None:
        e = self.org(r.enterprise)
        if r.holder_kind == "person":
            p = self.person(r.holder_key)
            holder = [p.name, "自然人股东", "居民身份证", p.id_number or ""]
        else:
            o = self.org(r.holder_key)
            holder = [o.name, "企业法人", "统一社会信用代码", o.uscc]
        self.out_shareholders.add([
            e.uscc, e.name, *holder,
            "" if r.subscribed_capital is None else f"{r.subscribed_capital:g}",
            "" if r.paid_in_capital is None else f"{r.paid_in_capital:g}",
            _d(e.established_on), "" if r.ratio is None else f"{r.ratio * 100:.2f}%",
        ])  # fmt: skip

    def finish_shareholders(self) -> None:
        out = self.out_shareholders
        # An owner from outside the extract: known only by the shareholder table, it becomes a stub.
        owner = build_uscc("9", "1", "110105", "MC000001")
        target = out.first[0]
        out.add(
            [
                target[0],
                target[1],
                "北京中原投资有限公司",
                "企业法人",
                "统一社会信用代码",
                owner,
                "",
                "",
                "",
                "",
            ]
        )
        good = out.rows
        bad = Bad()
        out.add([*target[:6], "10", "5", "", "150%"])
        bad.add(out.rows + 1, "出资比例", "not a share")
        bad_owner = build_uscc("9", "1", "110105", "MC000002")
        out.add([
            target[0], target[1], "北京错码投资有限公司", "企业法人", "统一社会信用代码",
            bad_owner[:-1] + "0", "", "", "", "",
        ])  # fmt: skip
        bad.add(out.rows + 1, "证照/证件号码", "uscc check_character")
        out.add(list(out.first[2]))
        bad.add(out.rows + 1, "证照/证件号码", "duplicate")
        self.note("shareholders.csv", out.rows, bad, good=good, stubs=[owner])

    def branch_row(self, r: Role) -> None:
        b, parent = self.orgs[r.holder_key], self.org(r.enterprise)
        head = next(x for x in self.by_enterprise[b.uscc] if x.type == RoleType.PRINCIPAL_OF)
        p = self.person(head.holder_key)
        self.out_branches.add([
            b.uscc, b.name, parent.uscc, parent.name, b.legal_form or "", b.status, _d(b.established_on),
            "" if b.registered_capital is None else f"{b.registered_capital:g}",
            b.address or "", b.phone or "", b.email or "", p.name, "居民身份证", p.id_number or "",
        ])  # fmt: skip

    def finish_branches(self) -> None:
        rows = self.out_branches.rows
        self.note("branches.csv", rows, Bad(), good=rows)

    def change_row(self, r: Role) -> None:
        before = self.changed[r.role_id]
        e = self.org(r.enterprise)
        item = _CHANGE_ITEMS[(r.type, r.position)]
        old, new = self.person(before.holder_key), self.person(r.holder_key)
        # Some records name the former holder without a number: matched among the enterprise's people.
        if self._name_only < 4:
            old_text, self._name_only = old.name, self._name_only + 1
        else:
            old_text = f"{old.name}（{old.id_number}）"
        self.out_changes.add(
            [e.uscc, e.name, item, old_text, f"{new.name}({new.id_number})", _d(r.valid_from)]
        )

    def finish_changes(self) -> None:
        out = self.out_changes
        for e in self._some_enterprises:
            out.add([e.uscc, e.name, "经营范围变更", "建筑工程施工", "建筑工程施工；建材销售", "2023-03-01"])
        good = out.rows
        some = out.first[0][0]
        # Nobody of these names holds the post: reported as unresolved, never guessed.
        name = self.org(some).name
        out.add([some, name, "法定代表人变更", "欧阳某", "司马某", "2024-01-02"])
        unresolved = [out.rows + 1]
        bad = Bad()
        out.add([some, name, "股权出质设立", "", "某某", "2024-01-02"])
        bad.add(out.rows + 1, "变更事项", "not a change item")
        self.note("changes.csv", out.rows, bad, good=good, unresolved_rows=unresolved)

    # -- lists ------------------------------------------------------------------------------------

    def court_row(self, entry: ListEntry) -> list[str]:
        if entry.subject_kind == "enterprise":
            subject_id = entry.subject_key
            rep = entry.named_responsible[0].name if entry.named_responsible else ""
        else:
            subject_id = mask_id_number(self.person(entry.subject_key).id_number or "")
            rep = ""
        decision = entry.decision_number
        if len(entry.decision_number) % 2:
            decision = decision.replace("(", "（").replace(")", "）")
        return [
            decision, entry.subject_name, subject_id, rep, entry.authority, _d(entry.conduct_date),
            _d(entry.listed_on), entry.conduct, _PERFORMANCE.get(entry.status, "全部未履行"),
        ]  # fmt: skip

    def court_entry(self, entry: ListEntry) -> None:
        row = self.court_row(entry)
        self.out_court.add(row)
        self.out_court_later.add(row)
        if entry.subject_kind == "person":
            self._court_people.append((self._court_count + 2, entry.subject_key))
        self._court_count += 1

    def finish_court(self) -> None:
        out, later = self.out_court, self.out_court_later
        # More natural-person debtors, drawn from the registration's people: matched by name and masked ID.
        order = shuffled_order(self.rng, self.registry.holders_in_order())
        people = [self.registry.ranked_holder(order[i]) for i in range(min(41, len(order)))]
        for i, p in enumerate(people[:40]):
            listed = date(2024, 1, 10) + timedelta(days=5 * i)
            row = [
                f"(2023)豫0922执{900 + i}号", p.name, mask_id_number(p.id_number or ""), "", "清丰县人民法院",
                _d(listed - timedelta(days=120)), _d(listed), "有履行能力而拒不履行生效法律文书确定义务",
                "全部未履行",
            ]  # fmt: skip
            out.add(row)
            later.add(row)
        good = out.rows
        unmatched = [row for row, key in self._court_people if not self.registry.is_holder(key)]
        bad = Bad()
        court_name = "清丰县人民法院"
        out.add([
            "(2024)豫0922执1号", "张某某", "4109**********1234", "", court_name, "2024-05-01", "", "",
            "全部未履行",
        ])  # fmt: skip
        bad.add(out.rows + 1, "发布时间", "required field is empty")
        out.add([
            "(2024)豫0922执2号", "李某某", "4109**********4321", "", court_name, "2024-05-01",
            "2024-06-01", "", "履行中",
        ])  # fmt: skip
        bad.add(out.rows + 1, "被执行人的履行情况", "not one of the allowed values")
        self.note("court_2024-06.csv", out.rows, bad, good=good, unresolved_rows=unmatched)

        # The next month: two listings gone (performed, or removed by the court), one new.
        dropped = [{"decision_number": r[0], "subject_name": r[1]} for r in later.dropped()]
        new = people[40]
        later.add_last([
            "(2024)豫0922执77号", new.name, mask_id_number(new.id_number or ""), "", "清丰县人民法院",
            "2024-03-01", "2024-07-01", "有履行能力而拒不履行生效法律文书确定义务", "全部未履行",
        ])  # fmt: skip
        self.note("court_2024-07.jsonl", later.rows, Bad(), good=later.rows, dropped=dropped, new=1)

    def list_row(self, e: ListEntry) -> None:
        i = self._list_index
        self._list_index += 1
        if e.subject_kind == "enterprise":
            kind, subject_id = "法人及其他组织", e.subject_key
        else:
            kind, subject_id = "自然人", self.person(e.subject_key).id_number or ""
        named = "；".join(
            f"{n.name}|{n.role}|{self.person(n.person_key).id_number}" for n in e.named_responsible
        )
        category = str(e.conduct_category) if e.conduct_category else ""
        listed, conduct_day = _d(e.listed_on), _d(e.conduct_date)
        decision = e.decision_number
        if i % 3 == 0:  # typed on a Chinese input method: full-width digits, letters and brackets
            subject_id, listed, conduct_day = (
                full_width(subject_id),
                full_width(listed),
                full_width(conduct_day),
            )
            decision = full_width(decision)
        self.out_lists.add([
            self._list_names[e.list_type] if i % 2 else e.list_type, e.authority, decision, e.subject_name,
            kind, subject_id, named, e.conduct, category, conduct_day, listed, _d(e.expires_on), "社会公开",
            _LIST_STATUS.get(e.status, "有效"),
        ])  # fmt: skip

    def finish_lists(self) -> None:
        out = self.out_lists
        # More watch-list entries (经营异常名录), none of which the generator made.
        for i, c in enumerate(self._companies[40:70]):
            out.add([
                "经营异常名录", "清丰县市场监督管理局", f"清市监异〔2024〕{i + 1}号", c.name,
                "法人及其他组织", c.uscc, "", "未按规定报送年度报告", "", "",
                _d(date(2024, 7, 1) + timedelta(days=i)), "", "社会公开", "有效",
            ])  # fmt: skip
        good = out.rows
        bad = Bad()
        template = out.first[0]
        out.add(["环保黑名单", *template[1:]])
        bad.add(out.rows + 1, "名单类型", "not a list type")
        row = list(template)
        row[2], row[8] = "清税罚〔2024〕999号", "5"
        out.add(row)
        bad.add(out.rows + 1, "失信行为类别", "not a whole number from 1 to 4")
        self.note("lists_gb18030.csv", out.rows, bad, good=good, encoding="gb18030", watch_extra=30)

    def practitioner_row(self, r: Role) -> None:
        p, e = self.person(r.holder_key), self.org(r.enterprise)
        self._practitioner(
            [
                p.name,
                "居民身份证",
                p.id_number,
                r.profession,
                r.licence_number,
                e.name,
                e.uscc,
                r.valid_from,
                None,
            ]
        )

    def _practitioner(self, row: list[Any]) -> None:
        self.sheet.append(row)
        self.practitioner_rows += 1
        self._last_practitioner = row

    def finish_practitioners(self) -> None:
        # More registrations, of people the generator did not make: new ID numbers, some with an end date.
        companies = self._companies
        for i in range(30):
            e = companies[(i * 7) % self._company_count]
            number = build_id_number("410922", date(1975, 1, 1) + timedelta(days=97 * i), 100 + i)
            name = (
                self.rng.choice(v.SURNAMES) + self.rng.choice(v.GIVEN_CHARS) + self.rng.choice(v.GIVEN_CHARS)
            )
            start = date(2018, 1, 1) + timedelta(days=41 * i)
            until = start + timedelta(days=3 * 365) if i % 5 == 0 else None
            profession = v.PROFESSIONS[i % len(v.PROFESSIONS)]
            self._practitioner(
                [name, "居民身份证", number, profession, f"豫Z{i:07d}", e.name, e.uscc, start, until]
            )
        good = self.practitioner_rows
        bad = Bad()
        template = self._last_practitioner
        self._practitioner([*template[:3], "注册厨师", "豫Z9000001", *template[5:]])
        bad.add(self.practitioner_rows + 1, "执业资格", "not one of the allowed values")
        self._practitioner([*template[:4], "", *template[5:]])
        bad.add(self.practitioner_rows + 1, "注册证书编号", "required field is empty")
        self.book.save(self.folder / "practitioners.xlsx")
        self.note("practitioners.xlsx", self.practitioner_rows, bad, good=good)


_PERSONNEL_KINDS = (
    RoleType.DIRECTOR_OF,
    RoleType.SUPERVISOR_OF,
    RoleType.SENIOR_MANAGER_OF,
    RoleType.ACTUAL_CONTROLLER_OF,
)


def _bad_id(number: str) -> str:
    """The number with a wrong check character."""
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--enterprises", type=int, default=SAMPLE_ENTERPRISES)
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    args = parser.parse_args()
    SampleWriter(args.folder, args.enterprises, args.seed).write()
    print(f"samples written to {args.folder}")


if __name__ == "__main__":
    main()
