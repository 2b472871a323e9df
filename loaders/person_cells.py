"""People as published lists write them in one cell: name, sex, document type and number together.

The tax authority's major-violation cases give `法定代表人或者负责人姓名、性别、证件名称及号码` and
the finance head's in one cell each, in the forms tax bureaus really use:

    张三，男，居民身份证，410922198001011234
    李四 女 身份证 41092219800101123X
    王五,男,居民身份证,410922800101123
    赵六
    张三，男，身份证号码：410922198001011234；李四，女，护照，E12345678

Several people in one cell are separated by ；, ; or a line break. The generic list format's
`name|role|number` parts are read by the same function, so one column may hold either.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from graph_service.identifiers import normalize_code
from graph_service.model import DocumentType

# Document words as tax and court lists write them, longest first so that 居民身份证 wins over 身份证.
_WORDS: dict[str, DocumentType] = {
    "中华人民共和国居民身份证": "resident_id",
    "居民身份证": "resident_id",
    "身份证": "resident_id",
    "身份证号码": "resident_id",
    "身份证号": "resident_id",
    "港澳台居民居住证": "resident_id",
    "台湾居民居住证": "resident_id",
    "港澳居民居住证": "resident_id",
    "护照": "passport",
    "外国护照": "passport",
    "港澳居民来往内地通行证": "hk_macau_permit",
    "台湾居民来往大陆通行证": "taiwan_permit",
    "外国人永久居留身份证": "foreign_permit",
    "其他": "other",
    "其他证件": "other",
}
_DOCUMENT_WORDS = tuple(sorted(_WORDS.items(), key=lambda item: -len(item[0])))
_PEOPLE = re.compile(r"[;；\n\r]+")
_PARTS = re.compile(r"[,，、\s]+")
_LABEL = re.compile(r"^(证件名称及号码|证件号码|号码|证件类型|证件名称|姓名|性别)[:：]?")
_NUMBER = re.compile(r"^[0-9A-Za-z*()\-]{5,30}$")
_SEX = {"男": "male", "女": "female"}


@dataclass(frozen=True)
class CellPerson:
    name: str
    role: str | None  # only the `name|role|number` form names a role
    document_type: DocumentType
    number: str | None  # normalised, perhaps masked; None when the cell gives none
    sex: str | None = None


def _pipe_form(part: str) -> CellPerson | None:
    fields = [f.strip() for f in part.split("|")]
    if not fields or not fields[0]:
        return None
    role = fields[1] if len(fields) > 1 and fields[1] else None
    number = normalize_code(fields[2]) if len(fields) > 2 and fields[2] else None
    return CellPerson(fields[0], role, "resident_id", number)


def _split_word(token: str) -> list[str]:
    """'居民身份证410922…' → ['居民身份证', '410922…']: a document word glued to its number."""
    for word, _ in _DOCUMENT_WORDS:
        if token.startswith(word) and len(token) > len(word):
            rest = token[len(word) :].lstrip(":：")
            return [word, rest] if rest else [word]
    return [token]


def person_cells(text: str | None) -> list[CellPerson]:
    """Every person a cell names, in order; an empty cell names none."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text)
    people: list[CellPerson] = []
    for part in _PEOPLE.split(text):
        part = part.strip()
        if not part:
            continue
        if "|" in part:
            found = _pipe_form(part)
            if found is not None:
                people.append(found)
            continue
        tokens: list[str] = []
        for raw in _PARTS.split(part):
            raw = _LABEL.sub("", raw.strip())
            if raw:
                tokens.extend(_split_word(raw))
        people.extend(_people_of(tokens))
    return people


class _Reading:
    """One person being read from a cell's tokens."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.sex: str | None = None
        self.document_type: DocumentType = "resident_id"
        self.typed = False
        self.number: str | None = None

    def person(self) -> CellPerson | None:
        if self.name is None and self.number is None:
            return None
        return CellPerson(self.name or "", None, self.document_type, self.number, self.sex)


def _people_of(tokens: list[str]) -> list[CellPerson]:
    """Persons from a part's tokens in order: a second name, sex, document word or number where the
    person being read already has one starts the next person (张三，男，身份证，4109…，李四，女，…;
    张三、李四), so one person's number never lands on another's name. Latin names keep their blanks
    (DAVID SMITH). A number no name goes with is returned with an empty name, for the caller to report."""
    out: list[CellPerson] = []
    cur = _Reading()
    previous_latin = False

    def next_person() -> _Reading:
        found = cur.person()
        if found is not None:
            out.append(found)
        return _Reading()

    for token in tokens:
        word = next((t for w, t in _DOCUMENT_WORDS if token == w), None)
        latin = token.isascii() and token.isalpha()
        if word is not None:
            if cur.typed or cur.number is not None:
                cur = next_person()
            cur.document_type, cur.typed = word, True
        elif token in _SEX:
            if cur.sex is not None or cur.number is not None:
                cur = next_person()
            cur.sex = _SEX[token]
        elif _NUMBER.match(token) and any(ch.isdigit() or ch == "*" for ch in token):
            if cur.number is not None:
                cur = next_person()
            cur.number = normalize_code(token)
        elif cur.name is not None and latin and previous_latin and cur.sex is None and cur.number is None:
            cur.name = f"{cur.name} {token}"
        else:
            if cur.name is not None:
                cur = next_person()
            cur.name = token
        previous_latin = latin and word is None and token not in _SEX
    found = cur.person()
    if found is not None:
        out.append(found)
    return out
