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

The generator's data is the truth the files are cut from: loading the registration files (enterprises,
personnel, shareholders, branches, then changes) gives the generator's role edges back.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from graph_service.identifiers import build_id_number, build_uscc, mask_id_number
from graph_service.model import Enterprise, ListEntry, Person, Role, RoleType
from graph_service.rules import load_rules
from graph_service.synthetic import Generator
from graph_service.synthetic import vocabulary as v

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


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


class SampleWriter:
    def __init__(self, folder: Path, enterprises: int, seed: int) -> None:
        self.folder = folder
        self.t = truth(enterprises, seed)
        self.rng = random.Random(seed)
        self.expected: dict[str, Any] = {"enterprises": enterprises, "seed": seed, "files": {}}
        self.changed = opened_by_change(self.t.roles)
        self.by_enterprise: dict[str, list[Role]] = defaultdict(list)
        for r in self.t.roles:
            self.by_enterprise[r.enterprise].append(r)
        # Asked once for every person and every court entry: a set, so the files take time in
        # proportion to their rows and a province-sized extract is written in minutes.
        self.holders: set[str] = {r.holder_key for r in self.t.roles}
        self._serial = 0

    def person(self, key: str) -> Person:
        return self.t.persons[key]

    def new_uscc(self, division: str = "410922") -> str:
        self._serial += 1
        return build_uscc("9", "1", division, f"MB{self._serial:06d}")

    def note(self, name: str, data_rows: int, bad: Bad, **extra: Any) -> None:
        self.expected["files"][name] = {"data_rows": data_rows, "bad": bad.rows, **extra}

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

    def enterprises(self) -> None:
        rows: list[list[str]] = []
        for e in self.t.enterprises.values():
            if e.org_type == "branch":
                continue
            rep = self.person(self.representative(e).holder_key)
            capital = "" if e.registered_capital is None else f"{e.registered_capital:g}"
            if capital and len(rows) % 3 == 0:
                capital += "万元"
            rows.append([
                e.uscc, e.name, e.legal_form or "", e.status, _d(e.established_on), capital,
                e.address or "", e.phone or "", e.email or "",
                rep.name, "居民身份证", rep.id_number or "",
            ])  # fmt: skip
        good = len(rows)
        bad = Bad()
        template = rows[20]

        def extra(field: str, why: str, outcome: str = "rejected", **changes: str) -> None:
            row = list(template)
            row[0] = self.new_uscc()
            row[1] = f"清丰县样本{self._serial}有限公司"
            for header, value in changes.items():
                row[ENTERPRISE_HEADER.index(header)] = value
            rows.append(row)
            bad.add(len(rows) + 1, field, why, outcome)

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
        rows.append(list(rows[3]))
        bad.add(len(rows) + 1, "统一社会信用代码", "duplicate")
        _write_csv(self.folder / "enterprises.csv", ENTERPRISE_HEADER, rows, encoding="utf-8-sig")
        self.note("enterprises.csv", len(rows), bad, good=good + bad.loaded)

    def personnel(self) -> None:
        rows: list[list[str]] = []
        kinds = (
            RoleType.DIRECTOR_OF,
            RoleType.SUPERVISOR_OF,
            RoleType.SENIOR_MANAGER_OF,
            RoleType.ACTUAL_CONTROLLER_OF,
        )
        finance_renamed = 0
        for r in self.t.roles:
            if r.type not in kinds or r.role_id in self.changed or r.holder_kind != "person":
                continue
            e, p = self.t.enterprises[r.enterprise], self.person(r.holder_key)
            position = r.position or "实际控制人"
            if position == v.FINANCE_HEAD and finance_renamed < 3:
                position, finance_renamed = "财务总监", finance_renamed + 1  # the mapping maps it back
            start = "" if r.valid_from == e.established_on and len(rows) % 4 == 0 else _d(r.valid_from)
            rows.append([e.uscc, e.name, p.name, "居民身份证", p.id_number or "", position, start, ""])
        good = len(rows)
        bad = Bad()
        template = rows[10]

        def extra(field: str, why: str, index: int, value: str) -> None:
            row = list(template)
            row[index] = value
            rows.append(row)
            bad.add(len(rows) + 1, field, why)

        extra("职务", "not one of the positions", 5, "顾问")
        extra("证件号码", "id_number check_character", 4, _bad_id(template[4]))
        extra("统一社会信用代码", "no enterprise with this code", 0, self.new_uscc())
        extra("任职起始日期", "not a date", 6, "2020年13月1日")
        rows.append(list(rows[7]))
        bad.add(len(rows) + 1, "证件号码", "duplicate")
        _write_csv(self.folder / "personnel.csv", PERSONNEL_HEADER, rows)
        self.note("personnel.csv", len(rows), bad, good=good)

    def shareholders(self) -> None:
        rows: list[list[str]] = []
        for r in self.t.roles:
            if r.type != RoleType.SHAREHOLDER_OF:
                continue
            e = self.t.enterprises[r.enterprise]
            if r.holder_kind == "person":
                p = self.person(r.holder_key)
                holder = [p.name, "自然人股东", "居民身份证", p.id_number or ""]
            else:
                o = self.t.enterprises[r.holder_key]
                holder = [o.name, "企业法人", "统一社会信用代码", o.uscc]
            rows.append([
                e.uscc, e.name, *holder,
                "" if r.subscribed_capital is None else f"{r.subscribed_capital:g}",
                "" if r.paid_in_capital is None else f"{r.paid_in_capital:g}",
                _d(e.established_on), "" if r.ratio is None else f"{r.ratio * 100:.2f}%",
            ])  # fmt: skip
        # An owner from outside the extract: known only by the shareholder table, it becomes a stub.
        owner = build_uscc("9", "1", "110105", "MC000001")
        target = rows[0]
        rows.append(
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
        good = len(rows)
        bad = Bad()
        rows.append([*target[:6], "10", "5", "", "150%"])
        bad.add(len(rows) + 1, "出资比例", "not a share")
        bad_owner = build_uscc("9", "1", "110105", "MC000002")
        rows.append([
            target[0], target[1], "北京错码投资有限公司", "企业法人", "统一社会信用代码",
            bad_owner[:-1] + "0", "", "", "", "",
        ])  # fmt: skip
        bad.add(len(rows) + 1, "证照/证件号码", "uscc check_character")
        rows.append(list(rows[2]))
        bad.add(len(rows) + 1, "证照/证件号码", "duplicate")
        _write_csv(self.folder / "shareholders.csv", SHAREHOLDER_HEADER, rows)
        self.note("shareholders.csv", len(rows), bad, good=good, stubs=[owner])

    def branches(self) -> None:
        rows: list[list[str]] = []
        for r in self.t.roles:
            if r.type != RoleType.BRANCH_OF:
                continue
            b, parent = self.t.enterprises[r.holder_key], self.t.enterprises[r.enterprise]
            head = next(x for x in self.by_enterprise[b.uscc] if x.type == RoleType.PRINCIPAL_OF)
            p = self.person(head.holder_key)
            rows.append([
                b.uscc, b.name, parent.uscc, parent.name, b.legal_form or "", b.status, _d(b.established_on),
                "" if b.registered_capital is None else f"{b.registered_capital:g}",
                b.address or "", b.phone or "", b.email or "", p.name, "居民身份证", p.id_number or "",
            ])  # fmt: skip
        _write_csv(self.folder / "branches.csv", BRANCH_HEADER, rows)
        self.note("branches.csv", len(rows), Bad(), good=len(rows))

    def changes(self) -> None:
        rows: list[list[str]] = []
        name_only = 0
        for r in self.t.roles:
            before = self.changed.get(r.role_id)
            if before is None:
                continue
            e = self.t.enterprises[r.enterprise]
            item = _CHANGE_ITEMS[(r.type, r.position)]
            old, new = self.person(before.holder_key), self.person(r.holder_key)
            # Some records name the former holder without a number: matched among the enterprise's people.
            if name_only < 4:
                old_text, name_only = old.name, name_only + 1
            else:
                old_text = f"{old.name}（{old.id_number}）"
            rows.append([e.uscc, e.name, item, old_text, f"{new.name}({new.id_number})", _d(r.valid_from)])
        for e in list(self.t.enterprises.values())[30:34]:
            rows.append(
                [e.uscc, e.name, "经营范围变更", "建筑工程施工", "建筑工程施工；建材销售", "2023-03-01"]
            )
        good = len(rows)
        some = rows[0][0]
        # Nobody of these names holds the post: reported as unresolved, never guessed.
        name = self.t.enterprises[some].name
        rows.append([some, name, "法定代表人变更", "欧阳某", "司马某", "2024-01-02"])
        unresolved = [len(rows) + 1]
        bad = Bad()
        rows.append([some, name, "股权出质设立", "", "某某", "2024-01-02"])
        bad.add(len(rows) + 1, "变更事项", "not a change item")
        _write_csv(self.folder / "changes.csv", CHANGE_HEADER, rows)
        self.note("changes.csv", len(rows), bad, good=good, unresolved_rows=unresolved)

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

    def court(self) -> None:
        court = [e for e in self.t.entries if e.list_type == "court_dishonest_debtor"]
        rows = [self.court_row(e) for e in court]
        # More natural-person debtors, drawn from the registration's people: matched by name and masked ID.
        people = [p for p in self.t.persons.values() if p.person_key in self.holders]
        self.rng.shuffle(people)
        for i, p in enumerate(people[:40]):
            listed = date(2024, 1, 10) + timedelta(days=5 * i)
            rows.append([
                f"(2023)豫0922执{900 + i}号", p.name, mask_id_number(p.id_number or ""), "", "清丰县人民法院",
                _d(listed - timedelta(days=120)), _d(listed), "有履行能力而拒不履行生效法律文书确定义务",
                "全部未履行",
            ])  # fmt: skip
        good = len(rows)
        unmatched = [
            i + 2
            for i, e in enumerate(court)
            if e.subject_kind == "person" and e.subject_key not in self.holders
        ]
        bad = Bad()
        court_name = "清丰县人民法院"
        rows.append([
            "(2024)豫0922执1号", "张某某", "4109**********1234", "", court_name, "2024-05-01", "", "",
            "全部未履行",
        ])  # fmt: skip
        bad.add(len(rows) + 1, "发布时间", "required field is empty")
        rows.append([
            "(2024)豫0922执2号", "李某某", "4109**********4321", "", court_name, "2024-05-01",
            "2024-06-01", "", "履行中",
        ])  # fmt: skip
        bad.add(len(rows) + 1, "被执行人的履行情况", "not one of the allowed values")
        _write_csv(self.folder / "court_2024-06.csv", COURT_HEADER, rows)
        self.note("court_2024-06.csv", len(rows), bad, good=good, unresolved_rows=unmatched)

        # The next month: two listings gone (performed, or removed by the court), one new.
        later = [r for i, r in enumerate(rows[:good]) if i not in (good - 1, good - 2)]
        new = people[40]
        later.append([
            "(2024)豫0922执77号", new.name, mask_id_number(new.id_number or ""), "", "清丰县人民法院",
            "2024-03-01", "2024-07-01", "有履行能力而拒不履行生效法律文书确定义务", "全部未履行",
        ])  # fmt: skip
        with (self.folder / "court_2024-07.jsonl").open("w", encoding="utf-8") as f:
            for row in later:
                f.write(json.dumps(dict(zip(COURT_HEADER, row, strict=True)), ensure_ascii=False) + "\n")
        dropped = [{"decision_number": r[0], "subject_name": r[1]} for r in rows[good - 2 : good]]
        self.note("court_2024-07.jsonl", len(later), Bad(), good=len(later), dropped=dropped, new=1)

    def lists(self) -> None:
        rules = load_rules()
        names = {t.code: t.name_zh for t in rules.list_types}
        rows: list[list[str]] = []
        for i, e in enumerate(x for x in self.t.entries if x.list_type != "court_dishonest_debtor"):
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
            rows.append([
                names[e.list_type] if i % 2 else e.list_type, e.authority, decision, e.subject_name, kind,
                subject_id, named, e.conduct, category, conduct_day, listed, _d(e.expires_on), "社会公开",
                _LIST_STATUS.get(e.status, "有效"),
            ])  # fmt: skip
        # More watch-list entries (经营异常名录), none of which the generator made.
        companies = [e for e in self.t.enterprises.values() if e.org_type == "company"]
        for i, c in enumerate(companies[40:70]):
            rows.append([
                "经营异常名录", "清丰县市场监督管理局", f"清市监异〔2024〕{i + 1}号", c.name,
                "法人及其他组织", c.uscc, "", "未按规定报送年度报告", "", "",
                _d(date(2024, 7, 1) + timedelta(days=i)), "", "社会公开", "有效",
            ])  # fmt: skip
        good = len(rows)
        bad = Bad()
        template = rows[0]
        rows.append(["环保黑名单", *template[1:]])
        bad.add(len(rows) + 1, "名单类型", "not a list type")
        row = list(template)
        row[2], row[8] = "清税罚〔2024〕999号", "5"
        rows.append(row)
        bad.add(len(rows) + 1, "失信行为类别", "not a whole number from 1 to 4")
        _write_csv(self.folder / "lists_gb18030.csv", LIST_HEADER, rows, encoding="gb18030")
        self.note("lists_gb18030.csv", len(rows), bad, good=good, encoding="gb18030", watch_extra=30)

    def practitioners(self) -> None:
        from openpyxl import Workbook

        rows: list[list[Any]] = []
        for r in self.t.roles:
            if r.type != RoleType.PRACTITIONER_AT:
                continue
            p, e = self.person(r.holder_key), self.t.enterprises[r.enterprise]
            rows.append(
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
        # More registrations, of people the generator did not make: new ID numbers, some with an end date.
        companies = [e for e in self.t.enterprises.values() if e.org_type == "company"]
        for i in range(30):
            e = companies[(i * 7) % len(companies)]
            number = build_id_number("410922", date(1975, 1, 1) + timedelta(days=97 * i), 100 + i)
            name = (
                self.rng.choice(v.SURNAMES) + self.rng.choice(v.GIVEN_CHARS) + self.rng.choice(v.GIVEN_CHARS)
            )
            start = date(2018, 1, 1) + timedelta(days=41 * i)
            until = start + timedelta(days=3 * 365) if i % 5 == 0 else None
            profession = v.PROFESSIONS[i % len(v.PROFESSIONS)]
            rows.append([name, "居民身份证", number, profession, f"豫Z{i:07d}", e.name, e.uscc, start, until])
        good = len(rows)
        bad = Bad()
        template = rows[-1]
        rows.append([*template[:3], "注册厨师", "豫Z9000001", *template[5:]])
        bad.add(len(rows) + 1, "执业资格", "not one of the allowed values")
        rows.append([*template[:4], "", *template[5:]])
        bad.add(len(rows) + 1, "注册证书编号", "required field is empty")
        book = Workbook(write_only=True)
        sheet = book.create_sheet("注册执业人员")
        sheet.append(PRACTITIONER_HEADER)
        for row in rows:
            sheet.append(row)
        book.save(self.folder / "practitioners.xlsx")
        self.note("practitioners.xlsx", len(rows), bad, good=good)

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.enterprises()
        self.personnel()
        self.shareholders()
        self.branches()
        self.changes()
        self.court()
        self.lists()
        self.practitioners()
        (self.folder / "expected.json").write_text(
            json.dumps(self.expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
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
