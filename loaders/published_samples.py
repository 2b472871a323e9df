"""Sample input files in the layouts Chinese authorities publish, bad rows included, with what a
correct loader must make of every row.

    python -m loaders.published_samples samples/published/ [--enterprises 60] [--seed 2017]

The synthetic generator's enterprises and people are the truth the files are cut from, so the lists
refer to enterprises and persons of the registration extract. Every file has a header row (row 1); in
JSON Lines a row is its line. No cell holds a line break, so a row number is also a line number.

registration_enterprises.csv (UTF-8 with a byte-order mark), a provincial open-data registration
    extract: 主体身份代码 (an opaque registry id: 32 hex characters, or 16 digits), 统一社会信用代码,
    注册号 (15 digits, GS 15-2006), 企业名称, 企业类型, 登记状态, 成立日期, 核准日期, 注册资本 (in 万
    of the 币种), 币种, 住所, 登记机关. Dates in the forms registries export (2008-6-16,
    2001-5-8 0:00:00, 2001/05/08 00:00:00, 20100315, 2010年3月15日, and a spreadsheet serial such as
    39615 in two rows). Some enterprises have only a 注册号, some both codes; capital in 人民币元, 美元
    and 港元, once as 100万美元 with 币种 empty, empty for individual businesses.
    Bad rows: a USCC failing its check character (rejected); neither USCC nor 注册号 (rejected);
    成立日期 0:00:00 and `not a date`, 注册资本 abc (optional fields: the enterprise loads without
    them, reported); a repeated 主体身份代码 (rejected as a duplicate); a hyphenated USCC
    written 91-410922-… (loads as the code without hyphens); a 住所 beginning =HYPERLINK("…")
    (loads; reports escape it).
registration_legal_reps.csv (UTF-8), the extract's 法定代表人信息 table keyed by 主体身份代码:
    主体身份代码, 姓名, 证件类型, 证件号码, 职务 (法定代表人, or 经营者 for an individual business).
    Three first-generation 15-digit resident IDs (the same persons as their 18-digit forms in other
    files); a 港澳台居民居住证 number of region 830000; a foreign permanent resident ID (starting with
    9) with 证件类型 empty; two persons of one name whose numbers agree in the characters the court
    platform shows. Bad rows: a 主体身份代码 not in the enterprise table (unresolved), an ID number
    failing its check character (that person is left out, nothing else).
court_platform.jsonl (UTF-8), the national enforcement information platform's 失信被执行人 records,
    one JSON object a line with the keys iname, cardNum, caseCode, courtName, gistId, gistUnit, duty,
    performance, performedPart, unperformPart, disruptTypeName, publishDate (2023年07月21日), regDate
    (20230508), businessEntity, partyTypeName (自然人 | 法人或其他组织), areaName, sexy, age. Persons'
    cardNum shows 6 + 4 characters (410922********1234): unique matches, one ambiguous (two
    candidates), one matching nobody, one full 18-digit number (masked in every report).
    Organisations by organisation code (MAJXU7DA-9, positions 9-17 of the USCC), by USCC, and by a
    code no enterprise has (unresolved). 全部履行 rows are repaired, not active. Bad lines:
    performance 履行中 (rejected), a publishDate that is not a calendar date (rejected), a line that
    is not JSON (rejected).
court_platform_detail.csv (UTF-8, no byte-order mark), the platform's detail-page labels as headers
    (被执行人履行情况 without 的; 立案时间 and 发布时间 as 2023年05月08日): other cases, 全部履行 ones
    among them. Bad lines: a 失信被执行人行为具体情形 cell of 140,000 characters (over the 128 KiB
    cell limit: that row alone rejected); a line opening a quote it never closes (rejected; no
    other line of the file holds a quote character, so a reader can recover at the next line); a
    line of GB18030 bytes (not UTF-8: rejected).
abnormal_operations.csv (UTF-8), a market regulator's 经营异常名录: 序号, 企业名称,
    统一社会信用代码/注册号, 列入经营异常名录原因, 列入日期, 作出决定机关（列入）, 移出经营异常名录原因,
    移出日期, 作出决定机关（移出）. Rows still listed, and rows removed (a dated end on 移出日期, never
    an expiry), by USCC and by the 注册号 of enterprises without one. Bad rows: 移出日期 before
    列入日期 (rejected); a valid USCC not in the extract (loads, with a stub organisation); a valid
    注册号 not in the extract (held back).
tax_major_cases.csv (GB18030), 重大税收违法失信案件: 纳税人识别号 a USCC or an old 15-character
    taxpayer id (division + organisation code, with 组织机构代码 given as MAJXU7DA-9); person cells
    combining name, sex, document type and number as tax bureaus write them (full-width commas,
    spaces, ASCII commas, 15-digit numbers, a name alone, empty). An entry is identified by
    纳税人识别号 + 公布日期 + 案件性质. Bad rows: a finance head with a bad check character (left out,
    reported; the entry loads); 主要违法事实 +cmd|' /C calc'!A0 (loads; reports escape it).
expected.json: each file's data rows; every row that is not a plain good row, with its field, case,
    expected outcome (loaded | loaded_with_report | rejected | unresolved | held | ended) and why;
    what every loaded row must become; the counts; the organisation codes and the USCC each resolves
    to; the finance heads tax entries name; the persons given in both 15- and 18-digit forms. ID
    numbers there are masked.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from graph_service.identifiers import (
    build_id_number,
    build_registration_number,
    build_uscc,
    id_check_char,
    mask_id_number,
    org_code_check_char,
    parse_id_number,
)
from graph_service.model import Enterprise, Person, Role, RoleType
from graph_service.synthetic import vocabulary as v
from graph_service.synthetic.generator import SOURCE
from loaders.samples import Truth, truth

PUBLISHED_ENTERPRISES = 60
PUBLISHED_SEED = 2017
# Fewer cannot give every case an enterprise of its own (some seeds need a few more).
MIN_ENTERPRISES = 60

REGISTRATION = "registration_enterprises.csv"
LEGAL_REPS = "registration_legal_reps.csv"
COURT = "court_platform.jsonl"
COURT_DETAIL = "court_platform_detail.csv"
ABNORMAL = "abnormal_operations.csv"
TAX = "tax_major_cases.csv"
LOAD_ORDER = (REGISTRATION, LEGAL_REPS, TAX, COURT, COURT_DETAIL, ABNORMAL)

REGISTRATION_HEADER = [
    "主体身份代码", "统一社会信用代码", "注册号", "企业名称", "企业类型", "登记状态", "成立日期", "核准日期",
    "注册资本", "币种", "住所", "登记机关",
]  # fmt: skip
LEGAL_REP_HEADER = ["主体身份代码", "姓名", "证件类型", "证件号码", "职务"]
COURT_KEYS = [
    "iname", "cardNum", "caseCode", "courtName", "gistId", "gistUnit", "duty", "performance",
    "performedPart", "unperformPart", "disruptTypeName", "publishDate", "regDate", "businessEntity",
    "partyTypeName", "areaName", "sexy", "age",
]  # fmt: skip
COURT_DETAIL_HEADER = [
    "被执行人姓名/名称", "性别", "年龄", "身份证号码/组织机构代码", "法定代表人或者负责人姓名",
    "执行法院", "省份", "执行依据文号", "立案时间", "案号", "做出执行依据单位", "生效法律文书确定的义务",
    "被执行人履行情况", "已履行部分", "未履行部分", "失信被执行人行为具体情形", "发布时间",
]  # fmt: skip
ABNORMAL_HEADER = [
    "序号", "企业名称", "统一社会信用代码/注册号", "列入经营异常名录原因", "列入日期", "作出决定机关（列入）",
    "移出经营异常名录原因", "移出日期", "作出决定机关（移出）",
]  # fmt: skip
TAX_HEADER = [
    "纳税人名称", "纳税人识别号", "组织机构代码", "注册地址",
    "法定代表人或者负责人姓名、性别、证件名称及号码",
    "负有直接责任的财务负责人姓名、性别、证件名称及号码",
    "负有直接责任的中介机构信息及其从业人员信息",
    "案件性质", "主要违法事实", "相关法律依据及税务处理处罚情况", "实施检查的单位", "公布日期",
]  # fmt: skip
TAX_LEGAL_CELL, TAX_FINANCE_CELL = TAX_HEADER[4], TAX_HEADER[5]

OUTCOMES = {
    "loaded": "the row loads as it is, with nothing to report",
    "loaded_with_report": "the row loads without the named field (or person); the reject report names it",
    "rejected": "the row is not loaded; the reject report names the field and why",
    "unresolved": "a reference cannot be resolved to exactly one stored record: the row is held back (or "
    "the person left out) and goes to the unresolved report with the number of candidates",
    "held": "the row is held back whole until what it refers to is loaded",
    "ended": "the entry loads and ends on the given day, a dated life-cycle event, not an expiry",
}

CURRENCIES = {"人民币元": "CNY", "美元": "USD", "港元": "HKD"}
EXCEL_EPOCH = date(1899, 12, 30)
# Python's csv module refuses a field longer than this; the detail file's long cell goes past it.
CELL_LIMIT = 128 * 1024
LONG_CELL_CHARS = 140_000
_CITIES = {"4101": "郑州市", "4103": "洛阳市", "4108": "焦作市", "4109": "濮阳市"}
_PERFORMED = "全部履行"
_STATUS = {"全部未履行": "active", "部分未履行": "active", _PERFORMED: "repaired"}
_DISRUPT = (
    "有履行能力而拒不履行生效法律文书确定义务",
    "违反财产报告制度",
    "违反限制消费令",
    "以虚假诉讼、虚假仲裁或者以隐匿、转移财产等方法规避执行",
)
# Why an enterprise was listed, and why such a listing is removed (经营异常名录管理办法).
_ABNORMAL_REASONS = (
    (
        "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告的",
        "列入经营异常名录3年内且依照《经营异常名录管理办法》第六条规定被列入经营异常名录的企业，"
        "可以在补报未报年份的年度报告并公示后，申请移出",
    ),
    (
        "通过登记的住所或者经营场所无法联系的",
        "依照《经营异常名录管理办法》第十条规定，企业通过登记的住所或者经营场所重新取得联系，申请移出",
    ),
    (
        "公示企业信息隐瞒真实情况、弄虚作假的",
        "依照《经营异常名录管理办法》第九条规定，企业更正其公示的信息，申请移出",
    ),
)
_LEGAL_BASIS = (
    "依照《中华人民共和国税收征收管理法》第六十三条第一款的规定，追缴税款{amount}元，并处少缴税款百分之五十的罚款",
    "依照《中华人民共和国发票管理办法》第三十五条的规定，没收违法所得，并处{amount}元罚款；涉嫌犯罪，已移送公安机关",
    "依照《中华人民共和国税收征收管理法》第六十五条的规定，追缴欠缴的税款{amount}元，并处欠缴税款一倍的罚款",
    "依照《中华人民共和国税收征收管理法》第六十六条的规定，追缴骗取的退税款{amount}元，并处骗取税款一倍的罚款",
)
FORMULA_FACTS = "+cmd|' /C calc'!A0"
HYPERLINK_ADDRESS = '=HYPERLINK("http://x","y")'
FORMULA_WHY = (
    "a cell a spreadsheet would run as a formula: stored as text; every report or export showing it "
    "escapes it"
)
# The registration extract's cases, each played by this many enterprises.
REGISTRATION_CASES = {
    "serial_date": 2, "hyphenated": 1, "hyperlink": 1, "date_zero": 1, "date_text": 1, "capital_text": 1,
    "usd": 2, "hkd": 1, "wan_usd": 1, "capital_blank": 1,
}  # fmt: skip


def county(division: str) -> str:
    """The county part of a division's name, as courts and bureaus are named (清丰县人民法院)."""
    name = v.DIVISIONS.get(division, "濮阳市清丰县")
    _, sep, tail = name.partition("市")
    return tail if sep and tail else name


def city(division: str) -> str:
    return _CITIES.get(division[:4], "濮阳市")


def excel_serial(day: date) -> str:
    return str((day - EXCEL_EPOCH).days)


def registry_date(day: date, form: int) -> str:
    """A date in one of the forms registration extracts use."""
    forms = (
        f"{day.year}-{day.month}-{day.day}",
        f"{day.year}-{day.month}-{day.day} 0:00:00",
        f"{day:%Y/%m/%d} 00:00:00",
        f"{day:%Y%m%d}",
        f"{day.year}年{day.month}月{day.day}日",
        day.isoformat(),
    )
    return forms[form % len(forms)]


def chinese_date(day: date) -> str:
    return f"{day:%Y}年{day:%m}月{day:%d}日"


def first_generation(number: str) -> str:
    """The 15-digit first-generation form of an 18-digit resident ID of someone born in the 1900s."""
    if number[6:8] != "19":
        raise ValueError("only numbers of people born in the 1900s had a first-generation form")
    return number[:6] + number[8:17]


def second_generation(number: str) -> str:
    first17 = number[:6] + "19" + number[6:]
    return first17 + id_check_char(first17)


def platform_mask(number: str) -> str:
    """The court platform's shape: the region and the last four characters visible (410922********1234)."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def org_code(uscc: str) -> str:
    """The organisation code in a USCC, as certificates print it: 8 characters, a hyphen, the check."""
    return f"{uscc[8:16]}-{uscc[16]}"


def bad_check(number: str) -> str:
    """The number with a wrong check character."""
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def sex_of(number: str) -> str:
    return "男" if int(number[16]) % 2 else "女"


def age_on(number: str, day: date) -> int:
    born = parse_id_number(number).birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def permit_number(prefix: str, born: date, sequence: int) -> str:
    """A GB 11643-shaped permit number: a Taiwan resident's permit (830000) or a foreigner's (9...)."""
    first17 = f"{prefix}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


@dataclass
class Holder:
    """Someone a file names with a full document number."""

    name: str
    number: str  # the number as the loader must key it: an 18-character resident ID or permit number
    document_type: str = "resident_id"

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)

    def shown(self, role: str | None = None) -> dict[str, str]:
        out = {"name": self.name, "masked": self.masked}
        if role:
            out["role"] = role
        return out


@dataclass
class Registered:
    """One enterprise of the extract as written, and what it must load as."""

    e: Enterprise
    registry_id: str
    uscc: str | None
    registration_number: str | None
    rep: Holder | None
    position: str
    finance: Holder | None = None
    extra: bool = False  # not from the generator: made for a case of the legal-representative table

    @property
    def key(self) -> str:
        return self.uscc or self.registration_number or ""

    @property
    def holder(self) -> Holder:
        """The legal representative, whom every enterprise the picker hands out has."""
        if self.rep is None:
            raise AssertionError(f"{self.key}: no legal representative")
        return self.rep

    @property
    def code(self) -> str:
        """The USCC, which every enterprise a list names by it has."""
        if self.uscc is None:
            raise AssertionError(f"{self.e.name}: no USCC")
        return self.uscc


class FileExpect:
    """What a file must load as: its noteworthy rows, its records, its counts."""

    def __init__(self, name: str, encoding: str, fmt: str) -> None:
        self.name = name
        self.data: dict[str, Any] = {"encoding": encoding, "format": fmt, "data_rows": 0, "rows": []}

    def row(self, row: int, field: str, case: str, expected: str, why: str, **extra: Any) -> None:
        if expected not in OUTCOMES:
            raise ValueError(f"{expected}: not an outcome")
        self.data["rows"].append(
            {"row": row, "field": field, "case": case, "expected": expected, "why": why, **extra}
        )

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


class Picker:
    """Hands out enterprises of the extract in a seeded order, each to one case only and each with a legal
    representative of its own, so that no person plays two cases."""

    def __init__(
        self, items: Iterable[Registered], rng: random.Random, fits: Callable[[Registered], bool]
    ) -> None:
        self.items = [r for r in items if fits(r)]
        rng.shuffle(self.items)
        self.used: set[str] = set()

    def take(self, n: int, why: str, fits: Callable[[Registered], bool] | None = None) -> list[Registered]:
        out: list[Registered] = []
        for r in self.items:
            if len(out) == n:
                break
            if r.rep is None or r.rep.number in self.used or (fits is not None and not fits(r)):
                continue
            out.append(r)
            self.used.add(r.rep.number)
        if len(out) < n:
            raise ValueError(
                f"--enterprises: with this seed, too few enterprises are left for {why}; give more"
            )
        taken = {id(r) for r in out}
        self.items = [r for r in self.items if id(r) not in taken]
        return out


class PersonIndex:
    """Persons a store holds after the files before a list: by name and the characters the platform shows."""

    def __init__(self) -> None:
        self.by_shown: dict[tuple[str, str, str], dict[str, Holder]] = defaultdict(dict)

    def add(self, h: Holder) -> None:
        if h.document_type == "resident_id":
            self.by_shown[(h.name, h.number[:6], h.number[-4:])][h.number] = h

    def candidates(self, name: str, shown: str) -> int:
        return len(self.by_shown.get((name, shown[:6], shown[-4:]), {}))


class PublishedWriter:
    def __init__(self, folder: Path, enterprises: int, seed: int) -> None:
        if enterprises < MIN_ENTERPRISES:
            raise ValueError(f"--enterprises: at least {MIN_ENTERPRISES} are needed, got {enterprises}")
        self.folder = folder
        self.seed = seed
        self.t: Truth = truth(enterprises, seed)
        self.rng = random.Random(seed)
        self.expected: dict[str, Any] = {
            "generator": {"enterprises": enterprises, "seed": seed},
            "load_order": list(LOAD_ORDER),
            "outcomes": OUTCOMES,
            "files": {},
        }
        self.by_enterprise: dict[str, list[Role]] = defaultdict(list)
        for r in self.t.roles:
            self.by_enterprise[r.enterprise].append(r)
        self._ids: set[str] = set()
        self._codes: set[str] = {e.uscc for e in self.t.enterprises.values()}
        self._serial = 0
        self._case = 0
        self._shown = Counter(
            (p.name, (p.id_number or "")[:6], (p.id_number or "")[-4:]) for p in self.t.persons.values()
        )
        self.registered = self._registered()
        self.picker = Picker(
            (r for r in self.registered if r.e.org_type == "company"), self.rng, self.plays_a_case
        )
        self.pick()
        # What the store holds after the registration tables and the tax file, for the court lists.
        self.registration_people = PersonIndex()
        self.stored_people = PersonIndex()
        self.two_forms: dict[str, dict[str, Any]] = {}

    # -- the extract's enterprises and their people -------------------------------------------------

    def person(self, key: str) -> Person:
        return self.t.persons[key]

    def holder(self, key: str) -> Holder:
        p = self.person(key)
        return Holder(p.name, p.id_number or "")

    def current(self, e: Enterprise, types: tuple[RoleType, ...], position: str | None = None) -> Role | None:
        posts = [
            r
            for r in self.by_enterprise[e.uscc]
            if r.type in types
            and r.holder_kind == "person"
            and r.valid_to is None
            and (position is None or r.position == position)
        ]
        return posts[0] if len(posts) == 1 else None

    def registry_id(self) -> str:
        while True:
            if len(self._ids) % 4 == 3:
                value = f"4100{self.rng.randrange(10**12):012d}"
            else:
                value = f"{self.rng.getrandbits(128):032x}"
            if value not in self._ids:
                self._ids.add(value)
                return value

    def registration_number(self, division: str) -> str:
        while True:
            number = build_registration_number(division, f"0{self.rng.randrange(10**7):07d}")
            if number not in self._codes:
                self._codes.add(number)
                return number

    def new_uscc(self, division: str = "410922", prefix: str = "MB") -> str:
        while True:
            self._serial += 1
            code = build_uscc("9", "1", division, f"{prefix}{self._serial:06d}")
            if code not in self._codes:
                self._codes.add(code)
                return code

    def new_org_code(self) -> str:
        while True:
            self._serial += 1
            body = f"MC{self._serial:06d}"
            code = body + org_code_check_char(body)
            if all(c[8:17] != code for c in self._codes if len(c) == 18):
                return f"{code[:8]}-{code[8]}"

    def _registered(self) -> list[Registered]:
        out: list[Registered] = []
        for e in self.t.enterprises.values():
            if e.org_type == "branch":
                continue
            rep = self.current(e, (RoleType.LEGAL_REPRESENTATIVE_OF, RoleType.PRINCIPAL_OF))
            finance = self.current(e, (RoleType.SENIOR_MANAGER_OF,), v.FINANCE_HEAD)
            out.append(
                Registered(
                    e=e,
                    registry_id=self.registry_id(),
                    uscc=e.uscc,
                    registration_number=None,
                    rep=self.holder(rep.holder_key) if rep else None,
                    position=(rep.position or "法定代表人") if rep else "法定代表人",
                    finance=self.holder(finance.holder_key) if finance else None,
                )
            )
        return out

    def extra_enterprise(self, name: str, rep: Holder) -> Registered:
        """An enterprise beyond the generator's, for a legal representative it cannot make."""
        self._serial += 1
        e = Enterprise(
            uscc=self.new_uscc(),
            name=f"清丰县{name}有限公司",
            legal_form="有限责任公司(自然人投资或控股)",
            status="存续",
            established_on=date(2019, 4, 1) + timedelta(days=37 * self._serial),
            registered_capital=100.0,
            address=f"河南省濮阳市清丰县{v.STREETS[self._serial % len(v.STREETS)]}{self._serial}号",
            source=SOURCE,
        )
        reg = Registered(e, self.registry_id(), e.uscc, None, rep, "法定代表人", extra=True)
        self.registered.append(reg)
        return reg

    def pick(self) -> None:
        """Which enterprise plays which case: each case its own enterprise, drawn in the seed's order."""
        take = self.picker.take
        self.tax_subjects = take(10, "the tax list", lambda r: r.finance is not None)
        self.no_uscc = take(3, "enterprises with a 注册号 only")
        self.both_codes = take(3, "enterprises with both codes")
        # One registration case per enterprise: id(Registered) -> case.
        self.registration_cases: dict[int, str] = {}
        for case, n in REGISTRATION_CASES.items():
            for r in take(n, case):
                self.registration_cases[id(r)] = case
        self.rep_bad_check = take(1, "a legal representative's bad check character")[0]
        self.rep_full_in_court = take(1, "a first-generation ID given in full on the court list")[0]
        self.court_people = take(5, "court debtors")
        self.ambiguous = take(1, "an ambiguous court debtor")[0]
        self.court_orgs = take(2, "court organisations")
        self.detail_people = take(4, "detail-page debtors")
        self.detail_orgs = take(2, "detail-page organisations")
        self.abnormal = take(5, "the abnormal-operation list")
        for r in self.no_uscc:
            r.registration_number, r.uscc = self.registration_number(r.e.uscc[2:8]), None
        for r in self.both_codes:
            r.registration_number = self.registration_number(r.e.uscc[2:8])
        # Three first-generation numbers in the legal-representative table: two whose 18-digit forms the
        # tax list gives, one whose full number the court list gives.
        self.first_generation = [self.tax_subjects[5], self.tax_subjects[6], self.rep_full_in_court]
        # Someone of the same name as the ambiguous debtor, agreeing in every character the platform shows.
        p = self.ambiguous.holder
        self.twin = Holder(p.name, self.twin_number(p.number))
        self.taiwan = Holder(
            "林志明", permit_number("830000", date(1982, 9, 14), 25), document_type="taiwan_permit"
        )
        self.foreigner = Holder(
            "DAVID SMITH", permit_number("941840", date(1979, 3, 2), 11), document_type="foreign_permit"
        )
        for name, h in (("两岸商贸", self.taiwan), ("环球贸易", self.foreigner), ("同名建材", self.twin)):
            self.extra_enterprise(name, h)

    def plays_a_case(self, r: Registered) -> bool:
        """A legal representative born in the 1900s (who had a first-generation ID) whose name and visible
        characters no other generated person shares, so that a masked court record fits only them."""
        h = r.rep
        return (
            h is not None
            and h.number[6:8] == "19"
            and self._shown[(h.name, h.number[:6], h.number[-4:])] == 1
        )

    def twin_number(self, number: str) -> str:
        rid = parse_id_number(number)
        day = rid.birth_date
        known = {p.id_number for p in self.t.persons.values()}
        while True:
            day -= timedelta(days=1)
            candidate = build_id_number(rid.region, day, int(rid.sequence))
            if candidate[-1] == number[-1] and candidate not in known:
                return candidate

    def note(self, f: FileExpect) -> None:
        self.expected["files"][f.name] = f.data

    def case_number(self, division: str, year: int, kind: str = "执") -> str:
        self._case += 1
        return f"({year})豫{division[2:]}{kind}{self._case * 7 + 100}号"

    # -- 1. registration extract --------------------------------------------------------------------

    def registration(self) -> None:
        f = FileExpect(REGISTRATION, "utf-8-sig", "csv")
        rows: list[list[str]] = []
        records: list[dict[str, Any]] = []
        for i, r in enumerate(self.registered):
            cells, record = self.registration_row(f, len(rows) + 2, i, r)
            rows.append(cells)
            records.append(record)
        self._registration_bad_rows(f, rows)
        _write_csv(self.folder / REGISTRATION, REGISTRATION_HEADER, rows, "utf-8-sig")
        f["data_rows"] = len(rows)
        f["enterprises"] = records
        f["counts"] = {
            "enterprises_loaded": len(records),
            "loaded_with_report": _count(f, "loaded_with_report"),
            "rejected": _count(f, "rejected"),
        }
        self.note(f)

    def registration_row(
        self, f: FileExpect, row: int, i: int, r: Registered
    ) -> tuple[list[str], dict[str, Any]]:
        """One enterprise's cells, in the date form of its turn, with its case if it plays one."""
        e, case = r.e, self.registration_cases.get(id(r))
        established, capital = e.established_on, e.registered_capital
        approved = None
        if established:
            approved = min(established + timedelta(days=self.rng.randrange(30, 4000)), date(2026, 6, 30))
        cell = dict.fromkeys(REGISTRATION_HEADER, "")
        cell.update({
            "主体身份代码": r.registry_id, "统一社会信用代码": r.uscc or "",
            "注册号": r.registration_number or "",
            "企业名称": e.name, "企业类型": e.legal_form or "", "登记状态": e.status,
            "成立日期": registry_date(established, i) if established else "",
            "核准日期": registry_date(approved, i + 2) if approved else "",
            "注册资本": f"{capital:.6f}" if capital is not None else "",
            "币种": "人民币元" if capital is not None else "", "住所": e.address or "",
            "登记机关": f"{county(e.uscc[2:8])}市场监督管理局",
        })  # fmt: skip
        currency = "CNY"

        def note(field: str, slug: str, outcome: str, why: str, **extra: Any) -> None:
            f.row(row, field, slug, outcome, why, **extra)

        if case == "serial_date" and established:
            cell["成立日期"] = excel_serial(established)
            note("成立日期", "spreadsheet_serial_date", "loaded",
                 "a spreadsheet's day number (days since 1899-12-30)",
                 value=established.isoformat())  # fmt: skip
        elif case == "hyphenated" and r.uscc:
            cell["统一社会信用代码"] = f"{r.uscc[:2]}-{r.uscc[2:8]}-{r.uscc[8:]}"
            note("统一社会信用代码", "hyphenated_uscc", "loaded",
                 "a USCC written with hyphens, otherwise valid: it loads as the code without them",
                 value=r.uscc)  # fmt: skip
        elif case == "hyperlink":
            cell["住所"] = HYPERLINK_ADDRESS
            note("住所", "formula_cell", "loaded", FORMULA_WHY)
        elif case in ("date_zero", "date_text"):
            cell["成立日期"], established = ("0:00:00" if case == "date_zero" else "not a date"), None
            note("成立日期", "date_time_only" if case == "date_zero" else "not_a_date", "loaded_with_report",
                 "not a date; 成立日期 is optional: the enterprise loads with it empty")  # fmt: skip
        elif case == "capital_text":
            cell["注册资本"], capital = "abc", None
            note("注册资本", "capital_not_a_number", "loaded_with_report",
                 "not an amount; 注册资本 is optional: the enterprise loads with it empty")  # fmt: skip
        elif case in ("usd", "hkd") and capital is not None:
            cell["币种"] = "美元" if case == "usd" else "港元"
            currency = CURRENCIES[cell["币种"]]
            note("币种", "foreign_currency", "loaded", "注册资本 is in 万 of the 币种",
                 value={"amount": capital, "unit": "万", "currency": currency})  # fmt: skip
        elif case == "wan_usd" and capital is not None:
            cell["注册资本"], cell["币种"], currency = f"{capital:g}万美元", "", "USD"
            note("注册资本", "capital_with_unit_and_currency", "loaded",
                 "the cell carries the unit and the currency, 币种 is empty",
                 value={"amount": capital, "unit": "万", "currency": currency})  # fmt: skip
        elif case == "capital_blank":
            cell["注册资本"], cell["币种"], capital = "", "", None
            note("注册资本", "capital_empty", "loaded", "注册资本 is optional and empty: nothing to report")
        if e.registered_capital is None:
            note("注册资本", "capital_empty", "loaded", "no registered capital (an individual business)")
        if r.registration_number and not r.uscc:
            note("统一社会信用代码", "registration_number_only", "loaded",
                 "no USCC: the enterprise is known by its 15-digit 注册号 (GS 15-2006 check digit valid)",
                 value=r.registration_number)  # fmt: skip
        elif r.registration_number:
            note("注册号", "both_codes", "loaded", "both codes: keyed by the USCC, the 注册号 kept with it",
                 value=r.registration_number)  # fmt: skip
        record = {
            "row": row, "registry_id": r.registry_id, "key": r.key, "uscc": r.uscc,
            "registration_number": r.registration_number, "name": e.name,
            "established_on": established.isoformat() if established else None,
            "approved_on": approved.isoformat() if approved else None,
            "registered_capital": (
                {"amount": capital, "unit": "万", "currency": currency} if capital is not None else None
            ),
            "address": cell["住所"],
        }  # fmt: skip
        return [cell[h] for h in REGISTRATION_HEADER], record

    def _registration_bad_rows(self, f: FileExpect, rows: list[list[str]]) -> None:
        template = list(rows[0])

        def extra(changes: dict[str, str]) -> int:
            row = list(template)
            row[0] = self.registry_id()
            self._serial += 1
            row[REGISTRATION_HEADER.index("企业名称")] = f"清丰县样本{self._serial}商贸有限公司"
            row[REGISTRATION_HEADER.index("统一社会信用代码")] = self.new_uscc()
            row[REGISTRATION_HEADER.index("注册号")] = ""
            for header, value in changes.items():
                row[REGISTRATION_HEADER.index(header)] = value
            rows.append(row)
            return len(rows) + 1

        bad = bad_check(self.new_uscc())
        row = extra({"统一社会信用代码": bad})
        f.row(
            row, "统一社会信用代码", "uscc_check_character", "rejected",
            "the USCC fails its GB 32100 check character and there is no 注册号: the enterprise has no key",
        )  # fmt: skip
        row = extra({"统一社会信用代码": "", "注册号": ""})
        f.row(
            row, "统一社会信用代码", "no_key", "rejected",
            "neither 统一社会信用代码 nor 注册号: the enterprise has no key, the row is rejected whole",
        )  # fmt: skip
        first = next(
            i for i, r in enumerate(self.registered) if not r.extra and r.uscc and r.registration_number
        )
        rows.append(list(rows[first]))
        f.row(
            len(rows) + 1, "主体身份代码", "duplicate_registry_id", "rejected",
            f"the same 主体身份代码 as row {first + 2}: the later row is rejected as a duplicate",
            first_row=first + 2,
        )  # fmt: skip

    # -- 2. legal representatives -------------------------------------------------------------------

    def legal_reps(self) -> None:
        f = FileExpect(LEGAL_REPS, "utf-8", "csv")
        rows: list[list[str]] = []
        records: list[dict[str, Any]] = []
        first_gen = {id(r) for r in self.first_generation}
        for r in self.registered:
            h = r.rep
            if h is None:
                continue
            row_number = len(rows) + 2
            number, kind = (
                h.number,
                {"resident_id": "居民身份证", "taiwan_permit": "港澳台居民居住证"}.get(h.document_type, ""),
            )
            if id(r) in first_gen:
                number = first_generation(h.number)
                f.row(
                    row_number, "证件号码", "first_generation_id", "loaded",
                    "a 15-digit first-generation ID: the same person as the 18-digit form "
                    "(19 before the birth year, the GB 11643 check character appended)", masked=h.masked,
                )  # fmt: skip
                self.form(h, LEGAL_REPS, row_number, "证件号码", 15)
            elif r is self.rep_bad_check:
                number = bad_check(h.number)
                f.row(
                    row_number, "证件号码", "id_check_character", "rejected",
                    "the ID number fails its GB 11643 check character: the person cannot be added; the "
                    "enterprise is not affected", masked=mask_id_number(number),
                )  # fmt: skip
                rows.append([r.registry_id, h.name, kind, number, r.position])
                continue
            elif h.document_type == "taiwan_permit":
                f.row(
                    row_number, "证件号码", "taiwan_resident_permit", "loaded",
                    "a 港澳台居民居住证 number of region 830000 (Taiwan), GB 11643 check valid: read as a "
                    "resident ID number, the form other lists give it in (身份证号码)",
                    masked=h.masked, document_type="resident_id",
                )  # fmt: skip
            elif h.document_type == "foreign_permit":
                f.row(
                    row_number, "证件类型", "foreign_permanent_resident_id", "loaded",
                    "证件类型 empty; the number's shape (18 characters starting with 9, GB 11643 check "
                    "valid) makes it a foreign permanent resident ID",
                    masked=h.masked, document_type=h.document_type,
                )  # fmt: skip
            else:
                self.form(h, LEGAL_REPS, row_number, "证件号码", 18)
            if r is self.ambiguous or h is self.twin:
                f.row(
                    row_number, "姓名", "same_name_as_another", "loaded",
                    "two persons of this name whose numbers agree in the characters the court platform "
                    "shows: both load (different numbers); a masked court record of this name is ambiguous",
                    masked=h.masked,
                )  # fmt: skip
            rows.append([r.registry_id, h.name, kind, number, r.position])
            self.registration_people.add(h)
            self.stored_people.add(h)
            records.append({
                "row": row_number, "registry_id": r.registry_id, "enterprise": r.key, "name": h.name,
                "masked": h.masked, "position": r.position,
                # A residence permit's number is a GB 11643 number: the person is found by it as by an ID.
                "document_type": "resident_id" if h.document_type == "taiwan_permit" else h.document_type,
            })  # fmt: skip
        unknown = self.registry_id()
        stranger = Holder("钱卫东", build_id_number("410923", date(1971, 11, 3), 57))
        rows.append([unknown, stranger.name, "居民身份证", stranger.number, "法定代表人"])
        f.row(
            len(rows) + 1, "主体身份代码", "enterprise_unknown", "unresolved",
            "no enterprise of the extract has this 主体身份代码: the row is held back as unresolved",
        )  # fmt: skip
        _write_csv(self.folder / LEGAL_REPS, LEGAL_REP_HEADER, rows)
        f["data_rows"] = len(rows)
        f["legal_reps"] = records
        f["counts"] = {
            "legal_reps_attached": len(records),
            "rejected": _count(f, "rejected"),
            "unresolved": _count(f, "unresolved"),
        }
        self.note(f)

    def form(self, h: Holder, file: str, row: int, field: str, digits: int) -> None:
        """Where a person appears, to list those given as both a 15- and an 18-digit number."""
        entry = self.two_forms.setdefault(h.number, {"name": h.name, "masked": h.masked, "forms": []})
        entry["forms"].append({"file": file, "row": row, "field": field, "digits": digits})

    # -- 6. tax authority's major cases --------------------------------------------------------------

    def tax(self) -> None:
        f = FileExpect(TAX, "gb18030", "csv")
        rows: list[list[str]] = []
        entries: list[dict[str, Any]] = []
        natures = ("偷税", "虚开增值税专用发票", "逃避追缴欠税", "偷税", "虚开增值税专用发票", "偷税",
                   "骗取出口退税", "虚开普通发票", "虚开增值税专用发票", "逃避追缴欠税")  # fmt: skip
        # (taxpayer id, legal representative's cell, finance head's cell) per subject. Subject 2's legal
        # representative is given with a first-generation number (the legal-representative table has the
        # 18 digits); subjects 5 and 6's with the 18 digits (the table has the 15, as pick() chose).
        plan = (
            ("uscc", "fullwidth", "fullwidth"),
            ("uscc", "spaces", "spaces"),
            ("old", "ascii15", "fullwidth"),
            ("uscc", "name", "empty"),
            ("uscc", "empty", "bad_check"),
            ("old", "fullwidth", "ascii15"),
            ("uscc", "spaces", "name"),
            ("uscc", "fullwidth", "fullwidth"),
            ("uscc", "fullwidth", "spaces"),
            ("uscc_with_org_code", "ascii", "fullwidth"),
        )
        org_subjects: list[dict[str, Any]] = []
        finance_named: list[dict[str, Any]] = []
        for i, (r, (id_style, legal_style, finance_style)) in enumerate(
            zip(self.tax_subjects, plan, strict=True)
        ):
            e, row_number = r.e, len(rows) + 2
            assert r.finance is not None
            published = date(2024, 3, 15) + timedelta(days=11 * i)
            taxpayer = r.code if id_style != "old" else r.code[2:8] + r.code[8:17]
            org = org_code(r.code) if id_style != "uscc" else ""
            if id_style == "old":
                f.row(
                    row_number, "纳税人识别号", "old_taxpayer_id", "loaded",
                    "a 15-character taxpayer id (division + organisation code) with 组织机构代码 given: the "
                    "subject is the enterprise whose USCC holds that organisation code", resolves_to=r.code,
                )  # fmt: skip
                org_subjects.append(
                    {"row": row_number, "code": taxpayer, "org_code": org, "resolves_to": r.code}
                )
            named: list[dict[str, str]] = []
            legal_cell = self.tax_person(f, row_number, TAX_LEGAL_CELL, r.holder, legal_style, named,
                                         "法定代表人或者负责人", stored=True)  # fmt: skip
            finance_cell = self.tax_person(f, row_number, TAX_FINANCE_CELL, r.finance, finance_style, named,
                                           "财务负责人", stored=False)  # fmt: skip
            finance = next((n for n in named if n["role"] == "财务负责人"), None)
            if finance:
                finance_named.append({"row": row_number, **finance})
            amount = 100_000 + 37_531 * (i + 1)
            facts = (
                f"经检查，该单位于{published.year - 3}年1月至{published.year - 2}年12月期间，"
                f"{natures[i]}，涉及税款{amount}元。"
            )
            if i == 7:
                facts = FORMULA_FACTS
                f.row(row_number, "主要违法事实", "formula_cell", "loaded", FORMULA_WHY)
            agency = ""
            if i == 8:
                agency = "濮阳市诚信税务师事务所有限公司（从业人员：宋某，税务师）"
            rows.append([
                e.name, taxpayer, org, e.address or "", legal_cell, finance_cell, agency, natures[i], facts,
                _LEGAL_BASIS[i % len(_LEGAL_BASIS)].format(amount=amount),
                f"国家税务总局{city(r.code[2:8])}税务局第一稽查局", published.isoformat(),
            ])  # fmt: skip
            entries.append({
                "row": row_number, "taxpayer_id": taxpayer, "published_on": published.isoformat(),
                "case_nature": natures[i], "subject": r.code, "status": "active", "named_responsible": named,
            })  # fmt: skip
        _write_csv(self.folder / TAX, TAX_HEADER, rows, "gb18030")
        f["data_rows"] = len(rows)
        f["entry_identity"] = ["纳税人识别号", "公布日期", "案件性质"]
        f["list_type"] = "major_tax_violation"
        f["entries"] = entries
        f["org_code_subjects"] = org_subjects
        f["finance_heads"] = finance_named
        f["counts"] = {"active": len(entries), "repaired": 0, "ended": 0, "rejected": _count(f, "rejected")}
        self.note(f)

    def tax_person(
        self,
        f: FileExpect,
        row: int,
        field: str,
        h: Holder,
        style: str,
        named: list[dict[str, str]],
        role: str,
        stored: bool,
    ) -> str:
        """One person cell of the tax list, and what the entry must name from it."""
        sex = sex_of(h.number)
        if style == "empty":
            return ""
        if style == "name":
            if stored:
                named.append(h.shown(role))
                f.row(
                    row, field, "name_only_resolved", "loaded",
                    "a name without a number: matched among the enterprise's holders of the post, which the "
                    "legal-representative table loaded", masked=h.masked,
                )  # fmt: skip
            else:
                f.row(
                    row, field, "name_only_unresolved", "unresolved",
                    "a name without a number, and the store holds no finance head of this enterprise: the "
                    "person is left out, the entry loads",
                )  # fmt: skip
            return h.name
        if style == "bad_check":
            number = bad_check(h.number)
            f.row(
                row, field, "id_check_character", "loaded_with_report",
                "the ID number fails its GB 11643 check character: this person is left out and reported, the "
                "entry loads", masked=mask_id_number(number),
            )  # fmt: skip
            return f"{h.name}，{sex}，居民身份证，{number}"
        named.append(h.shown(role))
        if not stored:
            self.stored_people.add(h)
        if style == "ascii15":
            short = first_generation(h.number)
            f.row(
                row, field, "first_generation_id", "loaded",
                "a 15-digit first-generation ID in the cell: the same person as the 18-digit form",
                masked=h.masked,
            )  # fmt: skip
            self.form(h, TAX, row, field, 15)
            return f"{h.name},{sex},居民身份证,{short}"
        self.form(h, TAX, row, field, 18)
        if style == "spaces":
            return f"{h.name} {sex} 身份证 {h.number}"
        if style == "ascii":
            return f"{h.name},{sex},居民身份证,{h.number}"
        return f"{h.name}，{sex}，居民身份证，{h.number}"

    # -- 3. the enforcement platform's JSON records -------------------------------------------------

    def court_case(
        self, subject: Registered | Holder, published: date, performance: str, disrupt: str
    ) -> dict[str, Any]:
        """One platform record: a person (Holder) or an organisation (Registered)."""
        division = subject.e.uscc[2:8] if isinstance(subject, Registered) else "410922"
        registered_on = published - timedelta(days=74)
        case_code = self.case_number(division, registered_on.year)
        gist = self.case_number(division, registered_on.year - 1, "民初")
        amount = 20_000 + 3_700 * self._case
        performed = unperformed = ""
        if performance == "部分未履行":
            performed, unperformed = f"已履行{amount // 4}元", f"未履行{amount - amount // 4}元"
        elif performance == _PERFORMED:
            performed = f"已履行{amount}元"
        court = f"{county(division)}人民法院"
        record: dict[str, Any] = {
            "iname": "", "cardNum": "", "caseCode": case_code, "courtName": court, "gistId": gist,
            "gistUnit": court, "duty": f"被执行人于判决生效之日起十日内偿还申请执行人借款{amount}元及利息",
            "performance": performance, "performedPart": performed, "unperformPart": unperformed,
            "disruptTypeName": disrupt, "publishDate": chinese_date(published),
            "regDate": f"{registered_on:%Y%m%d}", "businessEntity": "", "partyTypeName": "",
            "areaName": "河南", "sexy": "", "age": 0,
        }  # fmt: skip
        if isinstance(subject, Registered):
            record.update(
                iname=subject.e.name, businessEntity=subject.holder.name, partyTypeName="法人或其他组织"
            )
        else:
            record.update(
                iname=subject.name,
                cardNum=platform_mask(subject.number),
                partyTypeName="自然人",
                sexy=sex_of(subject.number),
                age=age_on(subject.number, published),
            )
        return record

    def court(self) -> None:
        f = FileExpect(COURT, "utf-8", "jsonl")
        lines: list[str] = []
        entries: list[dict[str, Any]] = []
        org_subjects: list[dict[str, Any]] = []
        day = date(2023, 7, 21)
        performances = ("全部未履行", "部分未履行", _PERFORMED, "全部未履行", _PERFORMED)

        def add(record: dict[str, Any]) -> int:
            lines.append(json.dumps(record, ensure_ascii=False))
            return len(lines)

        def entry(
            row: int, record: dict[str, Any], subject: dict[str, Any], named: list[dict[str, str]]
        ) -> None:
            status = _STATUS[record["performance"]]
            entries.append({
                "row": row, "case_code": record["caseCode"], "subject": subject, "status": status,
                "listed_on": _iso_from_chinese(record["publishDate"]),
                "conduct_date": _iso_from_compact(record["regDate"]), "named_responsible": named,
            })  # fmt: skip
            if status == "repaired":
                f.row(
                    row, "performance", "performed_repaired", "loaded",
                    "全部履行: the debtor has performed; the entry loads as repaired, never active",
                )  # fmt: skip

        for i, r in enumerate(self.court_people):
            h = r.holder
            record = self.court_case(h, day + timedelta(days=3 * i), performances[i], _DISRUPT[i % 4])
            row = add(record)
            self.expect_unique(f, row, "cardNum", h, record["cardNum"])
            entry(row, record, {"kind": "person", **h.shown()}, [])
        # The full number the platform sometimes shows: the person whose first-generation ID the
        # legal-representative table gives.
        full = self.rep_full_in_court.holder
        record = self.court_case(full, day + timedelta(days=20), "全部未履行", _DISRUPT[0])
        record["cardNum"] = full.number
        row = add(record)
        self.form(full, COURT, row, "cardNum", 18)
        f.row(
            row, "cardNum", "full_id_number", "loaded",
            "a full 18-digit ID number where the platform usually masks: the person is matched by it (the "
            "legal-representative table gave the first-generation form); every report must mask it",
            masked=full.masked,
        )  # fmt: skip
        entry(row, record, {"kind": "person", **full.shown()}, [])
        p = self.ambiguous.holder
        record = self.court_case(p, day + timedelta(days=25), "全部未履行", _DISRUPT[1])
        row = add(record)
        n = self.stored_people.candidates(p.name, record["cardNum"])
        if n != 2 or self.registration_people.candidates(p.name, record["cardNum"]) != 2:
            raise AssertionError("the ambiguous debtor must have exactly two candidates")
        f.row(
            row, "cardNum", "masked_person_ambiguous", "unresolved",
            "two stored persons of this name agree in every visible character: never guessed", candidates=2,
        )  # fmt: skip
        nobody = Holder("欧阳明轩", build_id_number("410926", date(1968, 2, 29), 133))
        record = self.court_case(nobody, day + timedelta(days=26), "全部未履行", _DISRUPT[2])
        row = add(record)
        if self.stored_people.candidates(nobody.name, record["cardNum"]):
            raise AssertionError("the unknown debtor must match nobody")
        f.row(
            row, "cardNum", "masked_person_unknown", "unresolved",
            "no stored person of this name agrees with the visible characters", candidates=0,
        )  # fmt: skip
        for i, (r, how) in enumerate(zip(self.court_orgs[:2], ("org_code", "uscc"), strict=True)):
            record = self.court_case(r, day + timedelta(days=30 + i), performances[i + 1], _DISRUPT[0])
            record["cardNum"] = org_code(r.code) if how == "org_code" else r.code
            row = add(record)
            named = [r.holder.shown("法定代表人")]
            if how == "org_code":
                f.row(
                    row, "cardNum", "organisation_code", "loaded", "an organisation code (positions 9-17 of "
                    "the USCC, hyphen before the check): resolves to the enterprise holding it",
                    resolves_to=r.code,
                )  # fmt: skip
                org_subjects.append({"row": row, "code": record["cardNum"], "resolves_to": r.code})
            else:
                f.row(row, "cardNum", "uscc", "loaded", "a full USCC in cardNum", resolves_to=r.code)
            f.row(
                row, "businessEntity", "legal_rep_by_name", "loaded",
                "the legal representative by name only: matched among the enterprise's holders of the post",
                masked=r.holder.masked,
            )  # fmt: skip
            entry(row, record, {"kind": "enterprise", "uscc": r.code}, named)
        record = self.court_case(self.court_orgs[0], day + timedelta(days=33), "全部未履行", _DISRUPT[3])
        record.update(iname="濮阳市远航物流有限公司", cardNum=self.new_org_code(), businessEntity="韩志刚")
        row = add(record)
        f.row(
            row, "cardNum", "organisation_code_unknown", "unresolved",
            "no stored enterprise holds this organisation code: the row is held back as unresolved",
        )  # fmt: skip
        org_subjects.append({"row": row, "code": record["cardNum"], "resolves_to": None})
        # Bad lines.
        h = self.court_people[0].holder
        record = self.court_case(h, day + timedelta(days=40), "履行中", _DISRUPT[0])
        row = add(record)
        f.row(
            row, "performance", "performance_unknown", "rejected",
            "履行中 is not one of 全部未履行, 部分未履行, 全部履行: the row is rejected, never active",
        )  # fmt: skip
        record = self.court_case(h, day + timedelta(days=41), "全部未履行", _DISRUPT[0])
        record["publishDate"] = "2023年02月30日"
        row = add(record)
        f.row(
            row, "publishDate", "publish_date_not_a_date", "rejected",
            "publishDate is required and 2023年02月30日 is not a calendar date",
        )  # fmt: skip
        record = self.court_case(h, day + timedelta(days=42), "全部未履行", _DISRUPT[0])
        broken = json.dumps(record, ensure_ascii=False)
        lines.append(broken[: len(broken) // 2])  # cut off mid-record, as a truncated download leaves it
        row = len(lines)
        f.row(row, "", "not_json", "rejected", "the line is not a JSON object (cut off)")
        (self.folder / COURT).write_text("\n".join(lines) + "\n", encoding="utf-8")
        f["data_rows"] = len(lines)
        f["list_type"] = "court_dishonest_debtor"
        f["entries"] = entries
        f["org_code_subjects"] = org_subjects
        f["counts"] = _list_counts(f, entries)
        self.note(f)

    def expect_unique(self, f: FileExpect, row: int, field: str, h: Holder, shown: str) -> None:
        before_tax = self.registration_people.candidates(h.name, shown)
        if before_tax != 1 or self.stored_people.candidates(h.name, shown) != 1:
            raise AssertionError(f"row {row}: the debtor must match exactly one person")
        f.row(
            row, field, "masked_person_unique", "loaded",
            "a masked number (6 + 4 visible) and a name that fit exactly one stored person",
            masked=h.masked, candidates=1,
        )  # fmt: skip

    # -- 4. the platform's detail pages -------------------------------------------------------------

    def court_detail(self) -> None:
        f = FileExpect(COURT_DETAIL, "utf-8", "csv")
        lines: list[bytes] = [_csv_line(COURT_DETAIL_HEADER).encode("utf-8")]
        entries: list[dict[str, Any]] = []
        org_subjects: list[dict[str, Any]] = []
        day = date(2023, 9, 12)
        performances = ("全部未履行", _PERFORMED, "部分未履行", "全部未履行", _PERFORMED, "全部未履行")

        def cells(record: dict[str, Any], card: str) -> list[str]:
            return [
                record["iname"], record["sexy"], str(record["age"]) if record["sexy"] else "", card,
                record["businessEntity"], record["courtName"], "河南", record["gistId"],
                chinese_date(date.fromisoformat(_iso_from_compact(record["regDate"]))),
                record["caseCode"], record["gistUnit"], record["duty"], record["performance"],
                record["performedPart"], record["unperformPart"], record["disruptTypeName"],
                record["publishDate"],
            ]  # fmt: skip

        def add(values: list[str], encoding: str = "utf-8") -> int:
            for value in values:
                if any(ch in value for ch in ',"\r\n'):
                    raise AssertionError(
                        f"{value[:40]!r}: the detail file's good rows hold no quote or comma"
                    )
            lines.append(_csv_line(values).encode(encoding))
            return len(lines)

        def entry(row: int, values: list[str], subject: dict[str, Any], named: list[dict[str, str]]) -> None:
            status = _STATUS[values[12]]
            entries.append({
                "row": row, "case_code": values[9], "subject": subject, "status": status,
                "listed_on": _iso_from_chinese(values[16]), "conduct_date": _iso_from_chinese(values[8]),
                "named_responsible": named,
            })  # fmt: skip
            if status == "repaired":
                f.row(row, "被执行人履行情况", "performed_repaired", "loaded",
                      "全部履行: the entry loads as repaired, never active")  # fmt: skip

        def person(i: int, r: Registered) -> None:
            record = self.court_case(
                r.holder, day + timedelta(days=4 * i), performances[i], _DISRUPT[(i + 1) % 4]
            )
            values = cells(record, record["cardNum"])
            row = add(values)
            self.expect_unique(f, row, "身份证号码/组织机构代码", r.holder, record["cardNum"])
            entry(row, values, {"kind": "person", **r.holder.shown()}, [])

        def organisation(i: int, r: Registered) -> None:
            record = self.court_case(r, day + timedelta(days=4 * i), performances[i], _DISRUPT[i % 4])
            values = cells(record, org_code(r.code))
            row = add(values)
            f.row(
                row, "身份证号码/组织机构代码", "organisation_code", "loaded",
                "an organisation code: resolves to the enterprise whose USCC holds it", resolves_to=r.code,
            )  # fmt: skip
            org_subjects.append({"row": row, "code": values[3], "resolves_to": r.code})
            entry(row, values, {"kind": "enterprise", "uscc": r.code}, [r.holder.shown("法定代表人")])

        person(0, self.detail_people[0])
        organisation(1, self.detail_orgs[0])
        # A cell past the 128 KiB limit: that row alone is rejected.
        h = self.detail_people[1].holder
        record = self.court_case(h, day + timedelta(days=9), "全部未履行", _DISRUPT[0])
        values = cells(record, record["cardNum"])
        values[15] = (_DISRUPT[0] * (LONG_CELL_CHARS // len(_DISRUPT[0]) + 1))[:LONG_CELL_CHARS]
        row = add(values)
        f.row(
            row, "失信被执行人行为具体情形", "cell_too_long", "rejected",
            f"a cell of {LONG_CELL_CHARS} characters, over the {CELL_LIMIT}-character cell limit: this row "
            "alone is rejected, the rows after it load",
        )  # fmt: skip
        person(2, self.detail_people[1])
        # An opening quote never closed: every later line is quote-free, so reading resumes at the next line.
        record = self.court_case(self.detail_orgs[1], day + timedelta(days=13), "全部未履行", _DISRUPT[0])
        broken = cells(record, "MA3C5K9X-2")
        broken[0], broken[4] = "山东某某商贸有限公司", "孔某"
        lines.append(('"' + ",".join(broken)).encode("utf-8"))
        f.row(
            len(lines), "", "unbalanced_quote", "rejected",
            "the line opens a quoted cell that is never closed: this line alone is rejected, the next line "
            "holds no quote character and loads",
        )  # fmt: skip
        person(3, self.detail_people[2])
        organisation(4, self.detail_orgs[1])
        # One row saved from a GB18030 editor into the UTF-8 file.
        h = self.detail_people[3].holder
        record = self.court_case(h, day + timedelta(days=30), "全部未履行", _DISRUPT[1])
        row = add(cells(record, record["cardNum"]), "gb18030")
        try:
            lines[-1].decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise AssertionError("the GB18030 row must not be valid UTF-8")
        f.row(
            row, "", "not_utf8", "rejected",
            "the line's bytes are GB18030, not UTF-8: this line alone is rejected (the file is UTF-8: the "
            "rest decodes, so the file's encoding must not be taken from this line)",
        )  # fmt: skip
        person(5, self.detail_people[3])
        (self.folder / COURT_DETAIL).write_bytes(b"\r\n".join(lines) + b"\r\n")
        f["data_rows"] = len(lines) - 1
        f["note"] = (
            "UTF-8 apart from one GB18030 line within the first megabyte: an encoding guessed from the start "
            "of the file would be GB18030 and wrong, so the file is read as UTF-8 (--encoding utf-8, or a "
            "reader that decodes line by line)"
        )
        f["list_type"] = "court_dishonest_debtor"
        f["entries"] = entries
        f["org_code_subjects"] = org_subjects
        f["counts"] = _list_counts(f, entries)
        self.note(f)

    # -- 5. abnormal-operation list -----------------------------------------------------------------

    def abnormal_operations(self) -> None:
        f = FileExpect(ABNORMAL, "utf-8", "csv")
        rows: list[list[str]] = []
        entries: list[dict[str, Any]] = []
        listed = date(2021, 7, 5)

        def add(r_name: str, code: str, division: str, on: date, removed: date | None, reason: int) -> int:
            authority = f"{county(division)}市场监督管理局"
            listing, removal = _ABNORMAL_REASONS[reason % len(_ABNORMAL_REASONS)]
            rows.append([
                str(len(rows) + 1), r_name, code, listing, on.isoformat(), authority,
                removal if removed else "",
                removed.isoformat() if removed else "", authority if removed else "",
            ])  # fmt: skip
            return len(rows) + 1

        def entry(row: int, key: str, on: date, removed: date | None, stub: bool = False) -> None:
            entries.append({
                "row": row, "subject": key, "listed_on": on.isoformat(),
                "ended_on": removed.isoformat() if removed else None,
                "status": "ended" if removed else "active", "stub": stub,
            })  # fmt: skip
            if removed:
                f.row(
                    row, "移出日期", "removed", "ended",
                    "移出: the entry loads and ends on 移出日期, a dated removal, not an expiry",
                    ended_on=removed.isoformat(),
                )  # fmt: skip

        subjects = [(r, r.code) for r in self.abnormal] + [
            (r, r.registration_number or "") for r in self.no_uscc[:2]
        ]
        for i, (r, code) in enumerate(subjects):
            on = listed + timedelta(days=23 * i)
            removed = on + timedelta(days=400 + 17 * i) if i in (1, 3, 6) else None
            row = add(r.e.name, code, r.e.uscc[2:8], on, removed, i)
            if len(code) == 15:
                f.row(
                    row, "统一社会信用代码/注册号", "registration_number", "loaded",
                    "a 15-digit 注册号: the enterprise the extract knows by it", resolves_to=code,
                )  # fmt: skip
            entry(row, code, on, removed)
        r = self.abnormal[0]
        on = listed + timedelta(days=300)
        row = add(r.e.name, r.code, r.e.uscc[2:8], on, on - timedelta(days=30), 0)
        f.row(
            row, "移出日期", "removed_before_listed", "rejected",
            "移出日期 is before 列入日期: the row is rejected",
        )  # fmt: skip
        stub = self.new_uscc("410923", "MD")
        on = listed + timedelta(days=310)
        row = add("南乐县远方建材有限公司", stub, "410923", on, None, 1)
        f.row(
            row, "统一社会信用代码/注册号", "enterprise_not_in_store_uscc", "loaded",
            "a valid USCC no stored enterprise has: the entry loads with a stub organisation (status empty)",
            stub=stub,
        )  # fmt: skip
        entry(row, stub, on, None, stub=True)
        unknown = self.registration_number("410922")
        row = add("清丰县某某五金经营部", unknown, "410922", listed + timedelta(days=320), None, 2)
        f.row(
            row, "统一社会信用代码/注册号", "enterprise_not_in_store_registration_number", "held",
            "a valid 注册号 no stored enterprise has: no stub is made from a registration number, the row is "
            "held back until the enterprise is loaded",
        )  # fmt: skip
        _write_csv(self.folder / ABNORMAL, ABNORMAL_HEADER, rows)
        f["data_rows"] = len(rows)
        f["list_type"] = "abnormal_operation"
        f["entry_identity"] = ["统一社会信用代码/注册号", "列入日期"]
        f["entries"] = entries
        f["counts"] = {
            "active": sum(e["status"] == "active" for e in entries),
            "repaired": 0,
            "ended": sum(e["status"] == "ended" for e in entries),
            "stubs": sum(e["stub"] for e in entries),
            "rejected": _count(f, "rejected"),
            "held": _count(f, "held"),
        }
        self.note(f)

    # -- all ----------------------------------------------------------------------------------------

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.registration()
        self.legal_reps()
        self.tax()
        self.court()
        self.court_detail()
        self.abnormal_operations()
        self.expected["persons_in_two_forms"] = [
            p for p in self.two_forms.values() if {x["digits"] for x in p["forms"]} == {15, 18}
        ]
        self.expected["files"] = {name: self.expected["files"][name] for name in LOAD_ORDER}
        (self.folder / "expected.json").write_text(
            json.dumps(self.expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


def _count(f: FileExpect, outcome: str) -> int:
    return sum(r["expected"] == outcome for r in f["rows"])


def _list_counts(f: FileExpect, entries: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "active": sum(e["status"] == "active" for e in entries),
        "repaired": sum(e["status"] == "repaired" for e in entries),
        "ended": 0,
        "rejected": _count(f, "rejected"),
        "unresolved": _count(f, "unresolved"),
    }


def _iso_from_chinese(text: str) -> str:
    return f"{text[:4]}-{text[5:7]}-{text[8:10]}"


def _iso_from_compact(text: str) -> str:
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}"


def _csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--enterprises", type=int, default=PUBLISHED_ENTERPRISES)
    parser.add_argument("--seed", type=int, default=PUBLISHED_SEED)
    args = parser.parse_args()
    try:
        writer = PublishedWriter(args.folder, args.enterprises, args.seed)
    except ValueError as err:
        parser.exit(2, f"{parser.prog}: {err}\n")
    writer.write()
    print(f"published-layout samples written to {args.folder}")


if __name__ == "__main__":
    main()
