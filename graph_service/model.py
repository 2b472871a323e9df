"""The graph's vocabulary (docs/domain.md, "Words" and "The graph"): nodes, role relationships, list
entries, measures.

Dates are calendar dates. A role holds on day d when ``valid_from <= d < valid_to``: ``valid_to`` is the
first day the role no longer held, so a change record dated d closes the old edge and opens the new one
on the same day without overlap. ``valid_to`` is empty while the role holds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from graph_service.identifiers import (
    IdentifierError,
    is_valid_id_number,
    validate_registration_number,
    validate_uscc,
)


class RoleType(StrEnum):
    LEGAL_REPRESENTATIVE_OF = "LEGAL_REPRESENTATIVE_OF"
    PRINCIPAL_OF = "PRINCIPAL_OF"
    ACTUAL_CONTROLLER_OF = "ACTUAL_CONTROLLER_OF"
    DIRECTOR_OF = "DIRECTOR_OF"
    SUPERVISOR_OF = "SUPERVISOR_OF"
    SENIOR_MANAGER_OF = "SENIOR_MANAGER_OF"
    SHAREHOLDER_OF = "SHAREHOLDER_OF"
    PRACTITIONER_AT = "PRACTITIONER_AT"
    BRANCH_OF = "BRANCH_OF"


ROLE_NAMES_ZH: dict[RoleType, str] = {
    RoleType.LEGAL_REPRESENTATIVE_OF: "法定代表人",
    RoleType.PRINCIPAL_OF: "主要负责人",
    RoleType.ACTUAL_CONTROLLER_OF: "实际控制人",
    RoleType.DIRECTOR_OF: "董事",
    RoleType.SUPERVISOR_OF: "监事",
    RoleType.SENIOR_MANAGER_OF: "高级管理人员",
    RoleType.SHAREHOLDER_OF: "股东",
    RoleType.PRACTITIONER_AT: "注册执业人员",
    RoleType.BRANCH_OF: "分支机构",
}

# Which kinds of holder each role admits: controllers and shareholders may be organisations,
# a branch is always an organisation, every other role is a person's.
HOLDER_KINDS: dict[RoleType, frozenset[str]] = {
    RoleType.ACTUAL_CONTROLLER_OF: frozenset({"person", "enterprise"}),
    RoleType.SHAREHOLDER_OF: frozenset({"person", "enterprise"}),
    RoleType.BRANCH_OF: frozenset({"enterprise"}),
}
PERSON_ONLY: frozenset[str] = frozenset({"person"})

FINANCE_HEAD = "财务负责人"

NodeKind = Literal["enterprise", "person", "entry"]
HolderKind = Literal["person", "enterprise"]
SubjectKind = Literal["person", "enterprise"]
ListKind = Literal["black", "red", "watch"]
Disclosure = Literal["public", "government", "authorized"]
EntryStatus = Literal["active", "under_objection", "repaired", "revoked", "removed_from_source", "archived"]
OrgType = Literal[
    "company",
    "individual_business",
    "cooperative",
    "social_organisation",
    "public_institution",
    "government_agency",
    "branch",
    "other",
]
DocumentType = Literal[
    "resident_id", "passport", "hk_macau_permit", "taiwan_permit", "foreign_permit", "other"
]
MeasureCategory = Literal["administrative", "market", "industry", "social"]

Ratio = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
# In 10,000 yuan (万元), as registration data states it; finite, so it survives JSON and Neo4j alike.
Money = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
PERSON_KEY = r"^P[0-9a-f]{32}$"
# The longest text each kind of field holds, on every path in (API, loaders, snapshot import): longer
# than any real name, address or decision, short enough that one record cannot fill the store.
MAX_TEXT: dict[str, int] = {"name": 300, "address": 500, "short": 200, "long": 4000, "source": 1000}
# A kept organisation code may fail its check, but it is still a code: never a personal ID number.
ORG_CODE_SHAPE = r"^[0-9A-Z]{8,20}$"


def check_subject_key(kind: str, key: str, field: str) -> None:
    """Person keys are keyed hashes; organisation keys are codes that are not resident ID numbers."""
    if kind == "person":
        if not re.fullmatch(PERSON_KEY, key):
            raise ValueError(f"{field}: a person is referred to by its person key (P and 32 hex characters)")
    elif not re.fullmatch(ORG_CODE_SHAPE, key) or (
        _id_shaped(key) and is_valid_id_number(key) and not _registration_number(key)
    ):
        raise ValueError(f"{field}: not an organisation code")


def _id_shaped(key: str) -> bool:
    """Whether a code of ORG_CODE_SHAPE has a resident ID number's shape at all (15 digits, or 17 and a
    digit or X): only such a code is worth the full check, which is most of building a role otherwise."""
    return (len(key) == 15 and key.isdigit()) or (len(key) == 18 and key[:17].isdigit())


def _registration_number(key: str) -> bool:
    """A 15-digit registration number that passes its check digit: one that also reads as a first-generation
    ID number is still kept as the organisation's code (its check digit makes it one)."""
    if len(key) != 15:
        return False
    try:
        validate_registration_number(key)
    except IdentifierError:
        return False
    return True


def _utc(moment: datetime) -> datetime:
    """A moment without a time zone is taken as UTC: every moment compared with another has one."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# A moment (a point in time with its time zone): when something was loaded or recorded.
Moment = Annotated[datetime, AfterValidator(_utc)]

# Bookkeeping a store keeps about when it learnt a record, not data of the record: two versions that
# differ only in these are the same record (a reload changes nothing).
STAMPS: frozenset[str] = frozenset({"loaded_at", "recorded_at", "end_recorded_at"})
# Optional fields added after stores had fingerprinted records (neo4j_store.fingerprint): left out of a
# fingerprint while unset, so a record without them keeps the fingerprint it was stored with and a reload
# of it reports it unchanged.
LATER_FIELDS: frozenset[str] = frozenset({"registration_number", "registry_id", "capital_currency"})


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(default="", max_length=MAX_TEXT["source"])  # the file or system it came from
    loaded_at: Moment | None = None


class Enterprise(_Record):
    """Any organisation with a USCC: company, individual business, cooperative, agency (市场主体)."""

    uscc: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=MAX_TEXT["name"])
    org_type: OrgType = "company"
    # Registration status as the registry words it (存续, 在业, 吊销, 注销, 迁出).
    status: str = Field(default="存续", max_length=MAX_TEXT["short"])
    established_on: date | None = None
    registered_capital: Money | None = None
    address: str | None = Field(default=None, max_length=MAX_TEXT["address"])
    phone: str | None = Field(default=None, max_length=MAX_TEXT["short"])
    email: str | None = Field(default=None, max_length=MAX_TEXT["short"])
    # 类型 as registered, e.g. 有限责任公司(自然人投资或控股).
    legal_form: str | None = Field(default=None, max_length=MAX_TEXT["short"])
    # False for a code kept although it fails its check, so that nothing a source sent is lost.
    id_valid: bool = True
    # The legacy 15-digit registration number (注册号, GS 15-2006) the registry still shows beside the USCC.
    registration_number: str | None = None
    # The registration authority's own id of the subject (主体身份代码): opaque, compared as given apart
    # from surrounding blanks.
    registry_id: str | None = Field(default=None, max_length=64)
    # ISO 4217 code of the registered capital's currency (USD, HKD, EUR …); registered_capital stays in 万
    # of it. None is CNY, as before the field existed, and CNY is stored as None: one form for one fact,
    # so a source that names the currency and one that does not give the same record.
    capital_currency: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _canonical_code(cls, data: Any) -> Any:
        # A valid USCC is stored in its canonical form (upper case, no blanks or hyphens), so that roles and
        # entries, which refer to it in that form, find it.
        if not isinstance(data, dict) or data.get("id_valid", True) is not True:
            return data
        raw = data.get("uscc")
        if isinstance(raw, str) and not (
            len(raw) == 18 and raw.isascii() and raw.isalnum() and raw.isupper()
        ):
            # Only a code not in canonical form already needs the work (the after-validator checks it).
            try:
                code = validate_uscc(data["uscc"])
            except IdentifierError:
                return data  # the after-validator names the failed check
            if code != data["uscc"]:
                data = {**data, "uscc": code}
        return data

    @field_validator("registration_number")
    @classmethod
    def _registration_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_registration_number(value)
        except IdentifierError as err:
            raise ValueError(str(err)) from None

    @field_validator("registry_id")
    @classmethod
    def _registry_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value:
            raise ValueError("a registry id cannot be blank; leave the field out instead")
        if not value.isprintable():
            raise ValueError("a registry id holds no control characters")
        if is_valid_id_number(value):
            raise ValueError("looks like a resident ID number, not a registry's subject id")
        return value

    @field_validator("capital_currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError("an ISO 4217 currency code of three letters, such as CNY, USD, HKD or EUR")
        return None if code == "CNY" else code

    @model_validator(mode="after")
    def _check_code(self) -> Enterprise:
        if self.id_valid:
            try:
                _checked_uscc(self.uscc)
            except IdentifierError as err:
                raise ValueError(f"uscc: {err}") from None
        else:
            check_subject_key("enterprise", self.uscc, "uscc")
        return self

    @property
    def division(self) -> str:
        """The administrative division (GB/T 2260) the code was issued in."""
        return self.uscc[2:8]

    @property
    def org_code(self) -> str | None:
        """The organisation code (GB 11714) in USCC positions 9-17; None for a code kept although it fails
        its check, whose parts cannot be trusted."""
        return self.uscc[8:17] if self.id_valid else None


class Person(_Record):
    """A natural person, keyed by a keyed hash of the ID document, never by the number itself."""

    person_key: str = Field(pattern=PERSON_KEY)
    name: str = Field(min_length=1, max_length=MAX_TEXT["name"])
    document_type: DocumentType = "resident_id"
    # The full number is kept for those entitled to see it; every response masks it otherwise.
    id_number: str | None = None
    id_masked: str | None = None
    birth_date: date | None = None
    sex: Literal["male", "female"] | None = None
    region: str | None = None


# The fields Role.role_id is made of.
_ROLE_ID_PARTS = frozenset(
    {"type", "holder_kind", "holder_key", "enterprise", "valid_from", "position", "licence_number"}
)
# A USCC checked once per process: an enterprise is built many times in a load (its row, stubs, change
# records), and its loader checked the code already.
_checked_uscc = lru_cache(maxsize=1 << 16)(validate_uscc)


class Role(_Record):
    """One role relationship holder → enterprise, with its valid time and source."""

    type: RoleType
    holder_kind: HolderKind
    holder_key: str  # person_key or uscc
    enterprise: str  # uscc of the organisation the role is in (the parent, for BRANCH_OF)
    valid_from: date | None = None
    valid_to: date | None = None
    position: str | None = Field(default=None, max_length=MAX_TEXT["short"])  # 董事长, 经理, 财务负责人 …
    ratio: Ratio | None = None  # shareholders: share of the registered capital
    subscribed_capital: Money | None = None
    paid_in_capital: Money | None = None
    basis: Literal["declared", "computed"] | None = None  # actual controllers
    profession: str | None = Field(default=None, max_length=MAX_TEXT["short"])  # practitioners
    licence_number: str | None = Field(default=None, max_length=MAX_TEXT["short"])
    # When the service first held this role, and when it learnt of its end (valid_to): what an answer
    # "as known at" a past moment may use. Kept by the store (domain/recorded.py), never by a source.
    recorded_at: Moment | None = None
    end_recorded_at: Moment | None = None

    @model_validator(mode="after")
    def _check(self) -> Role:
        allowed = HOLDER_KINDS.get(self.type, PERSON_ONLY)
        if self.holder_kind not in allowed:
            raise ValueError(
                f"holder_kind: a {self.type.value} holder must be a {' or '.join(sorted(allowed))}"
            )
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to: a role cannot end before it starts")
        check_subject_key(self.holder_kind, self.holder_key, "holder_key")
        check_subject_key("enterprise", self.enterprise, "enterprise")
        if self.holder_kind == "enterprise" and self.holder_key == self.enterprise:
            raise ValueError("holder_key: an organisation cannot hold a role in itself")
        return self

    # Cached on the instance (a frozen model's fields never change): loaders and stores read it many
    # times per edge, and hashing it again each time was a tenth of a load.
    @cached_property
    def role_id(self) -> str:
        """Identity of the edge: the same holder in the same post from the same day is one edge,
        so a later load that sets valid_to closes it rather than adding a second one."""
        parts = (
            self.type.value,
            self.holder_kind,
            self.holder_key,
            self.enterprise,
            self.valid_from.isoformat() if self.valid_from else "",
            self.position or "",
            self.licence_number or "",
        )
        return "R" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        if update and not _ROLE_ID_PARTS.isdisjoint(update):
            # A copy starts from this instance's __dict__, cached role_id included; an update of what the id
            # is made of has the copy work its own out.
            copied.__dict__.pop("role_id", None)
        return copied

    def holds_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )


class NamedResponsible(BaseModel):
    """A person the listing decision itself names as directly responsible (直接责任人员)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    person_key: str = Field(pattern=PERSON_KEY)
    name: str = Field(default="", max_length=MAX_TEXT["name"])
    # As the decision words it, e.g. 法定代表人, 财务负责人.
    role: str = Field(default="直接责任人员", max_length=MAX_TEXT["short"])


class StatusChange(BaseModel):
    """A dated change of a listing's status, copied from the life-cycle event that made it
    (docs/domain.md, "A listing's life"): from `on` the entry has `status`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: str = Field(min_length=1, max_length=40)
    on: date  # the day it takes effect
    status: EntryStatus
    recorded_at: Moment | None = None  # when the service recorded it
    # The entry's fields a correction replaced, as JSON, so that an answer as known before the
    # correction sees the entry as it stood then.
    previous: str | None = None


class ListEntry(_Record):
    """One listing decision (黑名单, 红名单 or 经营异常名录) naming one subject."""

    entry_id: str = Field(min_length=1, max_length=128)
    list_type: str = Field(
        min_length=1, max_length=MAX_TEXT["short"]
    )  # code of the list, e.g. court_dishonest_debtor
    domain: str = Field(
        min_length=1, max_length=MAX_TEXT["short"]
    )  # court, tax, safety, environment, food_drug …
    kind: ListKind
    authority: str = Field(min_length=1, max_length=MAX_TEXT["name"])  # 认定部门
    decision_number: str = Field(min_length=1, max_length=MAX_TEXT["short"])  # 文书号 or 案号
    subject_kind: SubjectKind
    subject_key: str  # uscc or person_key
    subject_name: str = Field(default="", max_length=MAX_TEXT["name"])
    conduct: str = Field(default="", max_length=MAX_TEXT["long"])  # 失信行为情形
    conduct_category: int | None = Field(
        default=None, ge=1, le=4
    )  # docs/domain.md, "Words": the four categories
    conduct_date: date | None = None
    listed_on: date
    expires_on: date | None = None
    status: EntryStatus = "active"
    # The day a newer snapshot of the source no longer had the entry (status removed_from_source).
    removed_on: date | None = None
    disclosure: Disclosure = "public"
    named_responsible: tuple[NamedResponsible, ...] = ()
    # Its status over time, oldest first; empty for an entry no event has touched, whose status then
    # holds from its listing (a source that gives a status without a date).
    history: tuple[StatusChange, ...] = ()
    recorded_at: Moment | None = None  # when the service first held the entry (kept by the store)

    @model_validator(mode="after")
    def _check(self) -> ListEntry:
        check_subject_key(self.subject_kind, self.subject_key, "subject_key")
        if self.history:
            days = [c.on for c in self.history]
            if days != sorted(days):
                raise ValueError("history: status changes must be in the order of the days they take effect")
            if self.history[-1].status != self.status:
                raise ValueError("status: must be the status the last change of its history left")
        named = [n.person_key for n in self.named_responsible]
        if len(set(named)) != len(named):
            raise ValueError("named_responsible: a person is named twice; give one role per person")
        if self.expires_on and self.expires_on < self.listed_on:
            raise ValueError("expires_on: an entry cannot expire before it is listed")
        if self.conduct_date and self.conduct_date > self.listed_on:
            raise ValueError("conduct_date: the conduct cannot come after the listing")
        return self


EventName = Literal[
    "initiated",
    "pushed",
    "feedback",
    "objection_filed",
    "objection_upheld",
    "objection_corrected",
    "objection_revoked",
    "repair_applied",
    "repaired",
    "revoked",
    "removed_from_source",
    "relisted",  # the list's publisher has the entry again after a snapshot without it
    "published_status",  # the list's publisher gives the entry another status (e.g. 全部履行)
    "archived",
]
RepairMethod = Literal[
    "credit_commitment", "rectification", "credit_check", "training", "credit_report", "public_welfare"
]
FeedbackOutcome = Literal["applied", "not_applicable", "not_applied"]


class EntryEvent(BaseModel):
    """One step in a listing's life (docs/domain.md, "A listing's life"): who did what, when, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_id: str = Field(min_length=1, max_length=128)
    event: EventName
    on: date
    actor: str = Field(min_length=1, max_length=200)  # department or official
    reason: str = Field(default="", max_length=2000)
    method: RepairMethod | None = None  # repairs only
    departments: tuple[str, ...] = ()  # pushed: the implementing departments informed
    status_before: EntryStatus | None = None
    status_after: EntryStatus | None = None
    recorded_at: Moment | None = None


class Feedback(BaseModel):
    """An implementing department's report on one measure for one entry (执行反馈)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_id: str = Field(min_length=1, max_length=128)
    department: str = Field(min_length=1, max_length=200)
    measure: str = Field(min_length=1, max_length=100)
    outcome: FeedbackOutcome
    reason: str = Field(default="", max_length=2000)
    on: date

    @model_validator(mode="after")
    def _reason_when_not_applied(self) -> Feedback:
        if self.outcome == "not_applied" and not self.reason.strip():
            raise ValueError("reason: say why the measure was not applied")
        return self


class Measure(BaseModel):
    """A punishment or incentive measure (惩戒措施) from the measures list, which is data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    category: MeasureCategory
    mandatory: bool
    legal_basis: str = ""
    triggered_by: tuple[str, ...] = ()  # list type codes
    reaches: tuple[str, ...] = ("subject",)  # "subject", "named_responsible" or RoleType values


def entry_id_for(authority: str, decision_number: str, subject_key: str) -> str:
    """A stable entry id for sources that do not give one: one decision naming one subject."""
    digest = hashlib.sha256("\x1f".join((authority, decision_number, subject_key)).encode()).hexdigest()
    return "L" + digest[:32]
