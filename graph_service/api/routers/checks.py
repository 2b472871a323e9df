"""Checks before an approval, a bid, a subsidy or a ticket (应查必查): restricted or not, and why."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from graph_service.access.keys import Principal
from graph_service.api.deps import Auditor, get_auditor, get_engine, get_hash_key, get_store, require
from graph_service.api.errors import NotFound, problem_responses
from graph_service.api.subjects import SubjectIn, resolve
from graph_service.engine import Engine
from graph_service.engine.results import CheckResult, MultiListed, MultiListResult
from graph_service.store import data_as_of
from graph_service.store.base import GraphStore

router = APIRouter(tags=["joint punishment"])
ERRORS = problem_responses(404, 409, 422)
MAX_BATCH = 10_000
KNOWN_AT = (
    "A past moment, with its time zone: answer as the service would have answered then, from what it had "
    "recorded by then (the question an objection or an appeal asks); now if absent"
)
KnownAt = Annotated[AwareDatetime | None, Query(description=KNOWN_AT)]


def answered_from(store: GraphStore, as_of: date, known_at: AwareDatetime | None) -> str:
    """What an audit record keeps of the data an answer was based on: its day, its moment, and the
    store's data version (when its data last changed)."""
    version = data_as_of(store)
    known = f" known_at={known_at.isoformat()}" if known_at else ""
    return f" as_of={as_of.isoformat()}{known} data_as_of={version.isoformat() if version else '-'}"


class CheckIn(BaseModel):
    """应查必查: one subject, the action it wants to take, the day."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject": {"uscc": "91410922MAP2UGEHX3"},
                    "action": "public_bidding",
                    "as_of": "2026-06-30",
                },
                {"subject": {"person_key": "P0123456789abcdef0123456789abcdef"}, "action": "air_ticket"},
                {"subject": {"uscc": "91410922MAP2UGEHX3"}, "action": "green_channel"},
            ]
        }
    )

    subject: SubjectIn
    action: str | None = Field(
        default=None, max_length=100, description="e.g. public_bidding, air_ticket, green_channel"
    )
    measure: str | None = Field(
        default=None, max_length=100, description="a measure code instead of an action"
    )
    as_of: date | None = Field(default=None, description="查询日期: day of the check; today if absent")
    as_known_at: AwareDatetime | None = Field(default=None, description=KNOWN_AT)


class BatchCheckIn(BaseModel):
    """批量核查: the same check for many subjects."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subjects": [{"uscc": "91410922MAP2UGEHX3"}, {"uscc": "91110000600037341L"}],
                    "action": "fiscal_funds",
                    "as_of": "2026-06-30",
                }
            ]
        }
    )

    subjects: list[SubjectIn] = Field(min_length=1, max_length=MAX_BATCH)
    action: str | None = Field(default=None, max_length=100)
    measure: str | None = Field(default=None, max_length=100)
    as_of: date | None = None
    as_known_at: AwareDatetime | None = Field(default=None, description=KNOWN_AT)


class BatchCheckOut(BaseModel):
    as_of: date
    restricted: int
    results: list[CheckResult]


@router.post("/v1/checks", response_model=CheckResult, responses=ERRORS)
def check(
    body: CheckIn,
    store: GraphStore = Depends(get_store),
    engine: Engine = Depends(get_engine),
    secret: str = Depends(get_hash_key),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("check")),
) -> CheckResult:
    """May this subject do this? Restricted or not, the measures in force, and for each reason the entry,
    the rule and the path of roles with dates; entries under objection and those that stopped counting
    are listed apart."""
    kind, key = resolve(body.subject, store, secret)
    day = body.as_of or date.today()
    result = engine.check(kind, key, day, action=body.action, measure=body.measure, known_at=body.as_known_at)
    audit("check", key, _summary(result) + answered_from(store, day, body.as_known_at))
    return result


def _summary(result: CheckResult) -> str:
    measures = ",".join(m.code for m in result.measures) or "-"
    asked = result.action or result.measure or "any"
    return f"action={asked} restricted={result.restricted} measures={measures}"


@router.post("/v1/checks/batch", response_model=BatchCheckOut, responses=ERRORS)
def check_batch(
    body: BatchCheckIn,
    store: GraphStore = Depends(get_store),
    engine: Engine = Depends(get_engine),
    secret: str = Depends(get_hash_key),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("check")),
) -> BatchCheckOut:
    """The same check for up to 10,000 subjects in one call (without associated risk, which a single
    check gives); an unknown subject fails the call with its position in the list."""
    day = body.as_of or date.today()
    refs = [resolve(s, store, secret, field=f"subjects[{i}]") for i, s in enumerate(body.subjects)]
    results = engine.check_many(
        refs, day, action=body.action, measure=body.measure, known_at=body.as_known_at
    )
    restricted = [r.subject.key for r in results if r.restricted]
    # One record for the call, naming every restricted subject, so a batch cannot hide a lookup.
    audit(
        "check_batch",
        None,
        f"{len(results)} subjects, restricted: {' '.join(restricted) or '-'}"
        + answered_from(store, day, body.as_known_at),
    )
    return BatchCheckOut(as_of=day, restricted=len(restricted), results=results)


@router.get("/v1/multi-list/{kind}/{key}", response_model=MultiListed, responses=ERRORS)
def multi_list_of(
    kind: Literal["person", "enterprise"],
    key: Annotated[str, Path(min_length=1, max_length=128, description="USCC or person key")],
    as_of: Annotated[date | None, Query(description="Day; today if absent")] = None,
    as_known_at: KnownAt = None,
    store: GraphStore = Depends(get_store),
    engine: Engine = Depends(get_engine),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("multi_list")),
) -> MultiListed:
    """One subject's domains: those of the black entries in force that reach it, with the entries and
    paths. Two or more domains make it multi-listed, as in `/v1/multi-list`."""
    found = store.get_enterprise(key) if kind == "enterprise" else store.get_person(key)
    if found is None:
        raise NotFound(f"no {kind} {key}")
    day = as_of or date.today()
    result = engine.domains_of(kind, key, day, known_at=as_known_at)
    audit("multi_list", key, f"{len(result.domains)} domains" + answered_from(store, day, as_known_at))
    return result


@router.get("/v1/multi-list", response_model=MultiListResult, responses=ERRORS)
def multi_list(
    min_domains: Annotated[int, Query(ge=1, le=20, description="At least this many domains")] = 2,
    as_of: Annotated[date | None, Query(description="Day; today if absent")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many subjects")] = 1000,
    as_known_at: KnownAt = None,
    store: GraphStore = Depends(get_store),
    engine: Engine = Depends(get_engine),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("multi_list")),
) -> MultiListResult:
    """Enterprises and persons whose black entries in force, direct or reaching them through a role,
    span at least `min_domains` domains, most domains first, with the entries and paths."""
    day = as_of or date.today()
    result = engine.multi_list(day, min_domains=min_domains, limit=limit, known_at=as_known_at)
    audit(
        "multi_list",
        None,
        f"min_domains={min_domains}: {len(result.subjects)} subjects"
        + answered_from(store, day, as_known_at),
    )
    return result
