"""Investigations: equity penetration, actual controllers, bidder association and associated risk.

Every call is audited. Reading is for investigators and administrators (`explore`); writing computed
controllers back into the graph is for administrators (`write_controllers`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph_service.access.keys import Principal
from graph_service.api.deps import Auditor, get_auditor, get_rules, get_store, require
from graph_service.api.errors import (
    InvalidInput,
    NotFound,
    field_error,
    invalid_identifier,
    problem_responses,
)
from graph_service.identifiers import IdentifierError, validate_uscc
from graph_service.investigations import (
    AssociatedRiskReport,
    BidderReport,
    ControllerResult,
    ControllerRule,
    InvestigationError,
    Penetration,
    UnknownSubjectError,
    WriteBackReport,
    actual_controllers,
    associated_risk,
    holdings,
    owners,
    screen_bidders,
    write_back_controllers,
)
from graph_service.investigations.bidders import DEFAULT_HOPS, MAX_BIDDERS
from graph_service.investigations.controllers import check_rule
from graph_service.model import PERSON_KEY
from graph_service.rules import RuleSet
from graph_service.settings import Settings, get_settings
from graph_service.store.base import MAX_HOPS, MAX_OWNERSHIP_DEPTH, GraphStore

router = APIRouter(prefix="/v1/investigations", tags=["investigations"])
ERRORS = problem_responses(404, 422)
T = TypeVar("T")
Kind = Literal["enterprise", "person"]
SubjectKey = Annotated[str, Path(min_length=1, max_length=64, description="USCC or person key")]
AsOf = Annotated[date | None, Query(description="Day; today if absent")]
Depth = Annotated[int, Query(ge=1, le=MAX_OWNERSHIP_DEPTH, description="At most this many holdings deep")]


async def get_rule(request: Request) -> ControllerRule:
    """The controller rule from the service's settings (the configured ones when the app keeps them)."""
    config = getattr(request.app.state, "settings", None)
    return ControllerRule.of(config if isinstance(config, Settings) else get_settings())


def _answer(call: Callable[[], T]) -> T:
    """Investigation errors as problem+json: an unknown subject 404, a bad argument 422 naming it."""
    try:
        return call()
    except UnknownSubjectError as exc:
        raise NotFound(str(exc).partition(": ")[2] or str(exc)) from None
    except InvestigationError as exc:
        raise InvalidInput(str(exc), errors=[field_error(str(exc))]) from None


def _subject(kind: Kind, key: str) -> str:
    if kind == "enterprise":
        return _uscc(key, "key")
    if not re.fullmatch(PERSON_KEY, key):
        raise InvalidInput(
            "key: a person is named by its person key", errors=[field_error("key: not a person key")]
        )
    return key


def _uscc(raw: str, field: str = "uscc") -> str:
    try:
        return validate_uscc(raw)
    except IdentifierError as err:
        raise invalid_identifier(field, err) from None


@router.get("/equity/{uscc}", response_model=Penetration, responses=ERRORS)
def equity(
    uscc: Annotated[
        str, Path(min_length=18, max_length=18, description="统一社会信用代码, 18 characters (GB 32100)")
    ],
    max_depth: Depth = MAX_OWNERSHIP_DEPTH,
    min_share: Annotated[float, Query(ge=0, le=1, description="Only owners with at least this share")] = 0.0,
    as_of: AsOf = None,
    store: GraphStore = Depends(get_store),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("explore")),
) -> Penetration:
    """股权穿透: every direct and indirect owner of the enterprise with its cumulative share (the product of
    the ratios along a path, summed over the simple paths) and the paths, largest first."""
    code = _uscc(uscc)
    result = _answer(lambda: owners(store, code, as_of or date.today(), max_depth, min_share))
    audit("equity", code, f"max_depth={max_depth}: {len(result.stakes)} owners")
    return result


@router.get("/holdings/{kind}/{key}", response_model=Penetration, responses=ERRORS)
def holdings_of(
    kind: Kind,
    key: SubjectKey,
    max_depth: Depth = MAX_OWNERSHIP_DEPTH,
    min_share: Annotated[float, Query(ge=0, le=1, description="Only holdings of at least this share")] = 0.05,
    as_of: AsOf = None,
    store: GraphStore = Depends(get_store),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("explore")),
) -> Penetration:
    """对外投资穿透: every enterprise the subject holds directly or indirectly at or above `min_share`."""
    subject = _subject(kind, key)
    result = _answer(lambda: holdings(store, kind, subject, as_of or date.today(), max_depth, min_share))
    audit("holdings", subject, f"min_share={min_share}: {len(result.stakes)} holdings")
    return result


@router.get("/controllers/write-back", include_in_schema=False)
def controllers_write_back_is_a_post() -> None:
    """Not an enterprise code: the write-back is POSTed (405 here, not a lookup of 'write-back')."""
    raise StarletteHTTPException(405, "Method Not Allowed", headers={"Allow": "POST"})


@router.get("/controllers/{uscc}", response_model=ControllerResult, responses=ERRORS)
def controllers(
    uscc: Annotated[
        str, Path(min_length=18, max_length=18, description="统一社会信用代码, 18 characters (GB 32100)")
    ],
    threshold: Annotated[float | None, Query(gt=0, le=1, description="Settings' value if absent")] = None,
    min_share: Annotated[float | None, Query(ge=0, le=1, description="Settings' value if absent")] = None,
    max_depth: Depth = MAX_OWNERSHIP_DEPTH,
    as_of: AsOf = None,
    store: GraphStore = Depends(get_store),
    rule: ControllerRule = Depends(get_rule),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("explore")),
) -> ControllerResult:
    """实际控制人: declared controllers first; otherwise computed from cumulative shares (an ultimate owner
    over the threshold, else the largest over the minimum share), marked basis=computed, with paths."""
    code = _uscc(uscc)

    def run() -> ControllerResult:
        chosen = check_rule(threshold, min_share, rule)
        return actual_controllers(store, code, as_of or date.today(), chosen, max_depth)

    result = _answer(run)
    found = ",".join(c.subject.key for c in result.controllers) or "-"
    audit("controllers", code, f"basis={result.basis}: {found}")
    return result


class WriteBackIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"usccs": ["91410922MAP2UGEHX3"]}, {}]})

    usccs: list[str] | None = Field(
        default=None,
        max_length=10_000,
        description="Enterprises to recompute; every one with owners if absent",
    )
    as_of: date | None = Field(default=None, description="Day the edges open or close; today if absent")


@router.post("/controllers/write-back", response_model=WriteBackReport, responses=ERRORS)
def controllers_write_back(
    body: WriteBackIn,
    store: GraphStore = Depends(get_store),
    rule: ControllerRule = Depends(get_rule),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("write_controllers")),
) -> WriteBackReport:
    """Store computed controllers as ACTUAL_CONTROLLER_OF edges with basis=computed, so that rules covering
    actual controllers reach them, and close (valid_to) those the shares no longer support. Declared
    controller edges are never changed."""
    codes = None if body.usccs is None else [_uscc(u, f"usccs[{i}]") for i, u in enumerate(body.usccs)]
    asked = "every enterprise with owners" if codes is None else f"{len(codes)} enterprises"
    with audit.writing("controllers_write_back", None, asked):
        result = _answer(lambda: write_back_controllers(store, body.as_of or date.today(), rule, codes))
    audit(
        "controllers_write_back",
        None,
        f"{result.examined} examined, {len(result.opened)} opened, {len(result.closed)} closed",
    )
    return result


class BiddersIn(BaseModel):
    """One tender's bidders (投标人), by USCC."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"usccs": ["91410922MAP2UGEHX3", "91110000600037341L"], "hops": 3, "as_of": "2026-06-30"}
            ]
        }
    )

    usccs: list[str] = Field(
        min_length=2, max_length=MAX_BIDDERS, description="统一社会信用代码 of each bidder"
    )
    hops: int = Field(default=DEFAULT_HOPS, ge=1, le=MAX_OWNERSHIP_DEPTH, description="Ownership hops")
    as_of: date | None = Field(default=None, description="Day; today if absent")


@router.post("/bidders", response_model=BidderReport, responses=ERRORS)
def bidders(
    body: BiddersIn,
    store: GraphStore = Depends(get_store),
    rule: ControllerRule = Depends(get_rule),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("explore")),
) -> BidderReport:
    """围标串标 screening: every linked pair of the bidders (a shared person in any role, a common
    shareholder or controller within `hops`, one holding the other, a shared address, phone or email),
    scored 1 − ∏(1 − weight) over its evidence with the weights the answer lists, highest first."""
    codes = [_uscc(u, f"usccs[{i}]") for i, u in enumerate(body.usccs)]
    result = _answer(lambda: screen_bidders(store, codes, body.as_of or date.today(), body.hops, rule))
    linked = " ".join(f"{p.a.key}~{p.b.key}={p.score}" for p in result.pairs) or "-"
    audit("bidders", None, f"{len(codes)} bidders, linked: {linked}")
    return result


@router.get("/associated-risk/{kind}/{key}", response_model=AssociatedRiskReport, responses=ERRORS)
def risk(
    kind: Kind,
    key: SubjectKey,
    hops: Annotated[int, Query(ge=1, le=MAX_HOPS, description="Edges to the entry, its own included")] = 3,
    as_of: AsOf = None,
    store: GraphStore = Depends(get_store),
    rules: RuleSet = Depends(get_rules),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("explore")),
) -> AssociatedRiskReport:
    """关联风险: black entries in force within `hops` of the subject through people and ownership, each with
    its path, that do not restrict the subject (those are listed apart, under `reaching`)."""
    subject = _subject(kind, key)
    result = _answer(lambda: associated_risk(store, rules, kind, subject, as_of or date.today(), hops))
    audit("associated_risk", subject, f"hops={hops}: {len(result.risks)} entries near")
    return result
