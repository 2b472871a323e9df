"""Search, a subject's credit record, the graph around a subject, and the audit trail."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from graph_service.access.audit import AuditLog, AuditRecord
from graph_service.access.keys import Principal
from graph_service.access.policy import ALLOWED, may
from graph_service.api.deps import (
    Auditor,
    Forbidden,
    get_auditor,
    get_engine,
    get_hash_key,
    get_principal,
    get_store,
    require,
)
from graph_service.api.errors import InvalidInput, NotFound, problem_responses
from graph_service.api.routers.checks import KnownAt, answered_from
from graph_service.api.subjects import SubjectIn, resolve
from graph_service.engine import Engine
from graph_service.engine.credit_record import CreditRecord, credit_record
from graph_service.identifiers import (
    IdentifierError,
    is_valid_id_number,
    normalize_code,
    parse_id_number,
    person_key,
    validate_uscc,
)
from graph_service.model import PERSON_KEY
from graph_service.store.base import MAX_HOPS, MAX_LIMIT, GraphStore, Neighbourhood, SearchHit, search_form

router = APIRouter(tags=["explore"])
# Eighteen code characters with a digit among them: meant as a code, not a name, so a failed check is
# worth telling the caller about.
CODE_SHAPE = re.compile(r"(?=.*\d)[0-9A-Z]{18}")
ERRORS = problem_responses(404, 409, 422)


class SearchPage(BaseModel):
    q: str
    total: int
    page: int
    size: int
    hits: list[SearchHit]
    code_problem: str | None = Field(
        default=None,
        description="When the query looks like a code but fails its check: which check, and why "
        "(the query was then searched as a name)",
    )
    code_check: str | None = Field(default=None, description="The failed check's name (GB 32100 step)")


class Me(BaseModel):
    """The caller as the service knows it: for a page to say who is signed in and what it may do."""

    key_id: str
    role: str
    department: str | None
    name: str
    may: list[str]  # the operations this key's role is allowed (access/policy.py)


@router.get("/v1/me", response_model=Me, tags=["service"], responses=problem_responses(401))
def me(principal: Principal = Depends(get_principal)) -> Me:
    """Who the presented key belongs to, and what it may do (never the key itself)."""
    allowed = [operation for operation in ALLOWED if may(principal, operation)]
    return Me(**principal.model_dump(include={"key_id", "role", "department", "name"}), may=allowed)


@router.get("/v1/search", response_model=SearchPage, responses=ERRORS)
def search(
    q: Annotated[
        str, Query(min_length=1, max_length=100, description="名称 or 统一社会信用代码 (or 公民身份号码)")
    ],
    kind: Annotated[Literal["enterprise", "person", "all"], Query(description="What to look for")] = "all",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
    store: GraphStore = Depends(get_store),
    secret: str = Depends(get_hash_key),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("read")),
) -> SearchPage:
    """Enterprises and persons by name (full-width or half-width, brackets and blanks alike) or by code.
    Persons are found only by keys that may see them (not the public); a search that finds persons is
    audited, naming them (an ID number turned into a person and a name is a lookup of personal data)."""
    if not searchable(q):
        raise InvalidInput(
            "q: has nothing to search for", errors=[{"field": "q", "reason": NOTHING_TO_SEARCH}]
        )
    people_allowed = may(principal, "search_persons")
    if kind == "person" and not people_allowed:
        raise Forbidden("a public key searches enterprises only")
    kinds: list[Literal["enterprise", "person"]] = ["enterprise"] if kind == "enterprise" else ["person"]
    if kind == "all":
        kinds = ["enterprise", "person"] if people_allowed else ["enterprise"]
    found = find_subjects(store, secret, q, kinds, page, size)
    persons = [h.key for h in found.hits if h.kind == "person"]
    if persons:
        audit(
            "search_persons",
            persons[0] if len(persons) == 1 else None,
            f"{len(persons)} persons: {' '.join(persons)}",
        )
    return found


NOTHING_TO_SEARCH = "has no letter, digit or character to search for (blanks and invisible characters only)"


def searchable(q: str) -> bool:
    """Whether a query holds anything a name could match: invisible characters alone would match all."""
    return bool(search_form(q).strip())


def find_subjects(
    store: GraphStore, secret: str, q: str, kinds: list[Literal["enterprise", "person"]], page: int, size: int
) -> SearchPage:
    """Search as the API and the pages do it: a code is looked up exactly, anything else as a name."""
    code = normalize_code(q)
    code_problem: str | None = None
    code_check: str | None = None
    if len(code) == 18:  # a code, not a name: an exact lookup
        hits: list[SearchHit] = []
        try:
            uscc = validate_uscc(code)
            found = store.get_enterprise(uscc) if "enterprise" in kinds else None
            hits = [SearchHit(kind="enterprise", key=uscc, name=found.name)] if found else []
        except IdentifierError as err:
            if not is_valid_id_number(code) and CODE_SHAPE.fullmatch(code):
                code_problem, code_check = str(err), err.check
            if is_valid_id_number(code) and "person" in kinds:
                key = person_key(parse_id_number(code).number, secret)
                person = store.get_person(key)
                hits = [SearchHit(kind="person", key=key, name=person.name)] if person else []
        if hits or is_valid_id_number(code):
            return SearchPage(q=q if not is_valid_id_number(code) else "(ID number)", total=len(hits), page=1,
                              size=size, hits=hits)  # fmt: skip
    total, hits = store.search_names(q, kinds, limit=size, offset=(page - 1) * size)
    return SearchPage(
        q=q, total=total, page=page, size=size, hits=hits, code_problem=code_problem, code_check=code_check
    )


@router.get("/v1/enterprises/{uscc}/credit-record", response_model=CreditRecord, responses=ERRORS)
def enterprise_credit_record(
    uscc: Annotated[
        str, Path(min_length=18, max_length=18, description="统一社会信用代码, 18 characters (GB 32100)")
    ],
    as_of: Annotated[date | None, Query(description="Day; today if absent")] = None,
    as_known_at: KnownAt = None,
    store: GraphStore = Depends(get_store),
    engine: Engine = Depends(get_engine),
    secret: str = Depends(get_hash_key),
    _: Principal = Depends(require("read")),
) -> CreditRecord:
    """An enterprise's credit record (信用记录), as the caller may see it, on a day, as known at a moment."""
    kind, key = resolve(SubjectIn(uscc=uscc), store, secret, field="")
    return credit_record(engine, store, kind, key, as_of or date.today(), as_known_at)


@router.get("/v1/persons/{key}/credit-record", response_model=CreditRecord, responses=ERRORS)
def person_credit_record(
    key: Annotated[str, Path(pattern=PERSON_KEY, description="person key (P and 32 hex characters)")],
    as_of: Annotated[date | None, Query(description="Day; today if absent")] = None,
    as_known_at: KnownAt = None,
    store: GraphStore = Depends(get_store),
    engine: Engine = Depends(get_engine),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("person_credit_record")),
) -> CreditRecord:
    """A person's credit record (个人信用记录), for investigators and administrators; every lookup is
    audited."""
    if store.get_person(key) is None:
        raise NotFound(f"no person with key {key}")
    day = as_of or date.today()
    record = credit_record(engine, store, "person", key, day, as_known_at)
    audit(
        "credit_record", key, f"restricted={record.check.restricted}" + answered_from(store, day, as_known_at)
    )
    return record


@router.get("/v1/graph/{kind}/{key}", response_model=Neighbourhood, responses=ERRORS)
def neighbourhood(
    kind: Literal["enterprise", "person", "entry"],
    key: Annotated[str, Path(min_length=1, max_length=128)],
    hops: Annotated[int, Query(ge=0, le=MAX_HOPS)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Node cap; `more` counts the rest")] = 50,
    as_of: Annotated[date | None, Query(description="Only roles holding on this day")] = None,
    store: GraphStore = Depends(get_store),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("explore")),
) -> Neighbourhood:
    """The association graph around a subject (关联关系): enterprises, persons and list entries within
    `hops`, nearest first, at most `limit` of them and `more` left out."""
    hood = store.neighbourhood(kind, key, hops=hops, limit=limit, as_of=as_of)
    if hood is None:
        raise NotFound(f"no {kind} {key}")
    audit("explore", key, f"hops={hops}: {len(hood.nodes)} nodes, {hood.more} more")
    return hood


@router.get("/v1/audit", response_model=list[AuditRecord], tags=["audit"])
def audit_records(
    request_subject: Annotated[str | None, Query(alias="subject", max_length=128)] = None,
    key_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    auditor: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("audit")),
) -> list[AuditRecord]:
    """Audit records by subject or by key, oldest first (administrators only)."""
    log: AuditLog = auditor.log
    return log.records(subject=request_subject, key_id=key_id, limit=limit, offset=offset)
