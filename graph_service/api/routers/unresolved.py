"""The queue of unresolved references (graph_service/unresolved): read it, and decide its references.
Administrators only; every call is audited, decisions before they are applied."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from graph_service.access.keys import Principal
from graph_service.api.deps import Auditor, get_auditor, get_store, require
from graph_service.api.errors import ApiError, InvalidInput, NotFound, problem_responses
from graph_service.model import PERSON_KEY
from graph_service.store.base import GraphStore
from graph_service.text_safety import mask_ids_in_text
from graph_service.unresolved.apply import (
    AlreadyDecided,
    DecisionError,
    Decisions,
    Outcome,
    UnknownReference,
)
from graph_service.unresolved.queue import MAX_PAGE, PAGE, UnresolvedQueue
from graph_service.unresolved.references import QueuedReference, Status
from graph_service.unresolved.views import DecisionAnswer, ReferencePage, ReferenceSummary

router = APIRouter(tags=["unresolved references"])
ERRORS = problem_responses(404, 409, 422)
RefId = Annotated[
    str, Path(pattern=r"^U[0-9a-f]{10,64}$", description="The reference's id (U and 10 hex characters)")
]


class Conflict(ApiError):
    status = 409
    title = "Not possible in the reference's current state"


class ResolveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"person_key": "P" + "0" * 32, "reason": "住址与执行案卷一致，经法院核实为同一人"}]
        },
    )

    person_key: str = Field(pattern=PERSON_KEY, description="The stored person the reference is")
    reason: str = Field(min_length=1, max_length=2000)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


async def get_queue(request: Request) -> UnresolvedQueue:
    return cast(UnresolvedQueue, request.app.state.unresolved)


def _actor(principal: Principal) -> str:
    return f"{principal.name} (key {principal.key_id})"[:200]


def _problem(exc: DecisionError) -> ApiError:
    errors = [{"field": exc.field, "reason": exc.reason}]
    if isinstance(exc, UnknownReference):
        return NotFound(str(exc), errors=errors)
    if isinstance(exc, AlreadyDecided):
        return Conflict(str(exc), errors=errors)
    return InvalidInput(str(exc), errors=errors)


def _answer(outcome: Outcome) -> DecisionAnswer:
    return DecisionAnswer(reference=outcome.reference, decision=outcome.decision)


@router.get("/v1/unresolved", response_model=ReferencePage, responses=ERRORS)
def list_references(
    status: Annotated[Status | None, Query(description="Only references in this status")] = None,
    source: Annotated[
        str | None, Query(max_length=1000, description="Only references from this source")
    ] = None,
    cursor: Annotated[
        str | None, Query(pattern=r"^\d{1,18}$", description="next_cursor of the page before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE,
    queue: UnresolvedQueue = Depends(get_queue),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("unresolved")),
) -> ReferencePage:
    """Unresolved references in the order they were first queued, a page at a time (ID numbers masked)."""
    found, more = queue.page(status, source, int(cursor) if cursor else 0, limit)
    audit("unresolved_list", None, f"{len(found)} references shown (status {status or 'any'})")
    return ReferencePage(
        items=[ReferenceSummary.of(r) for r in found], next_cursor=str(more) if more is not None else None
    )


@router.get("/v1/unresolved/{ref_id}", response_model=QueuedReference, responses=ERRORS)
def get_reference(
    ref_id: RefId,
    queue: UnresolvedQueue = Depends(get_queue),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("unresolved")),
) -> QueuedReference:
    """A reference: who the source names, the candidates and why each fits or not, what a decision
    changes, and its decisions so far."""
    ref = queue.get(ref_id)
    if ref is None:
        raise NotFound(f"no unresolved reference {ref_id}", errors=[{"field": "ref_id", "reason": "unknown"}])
    audit("unresolved_show", ref_id, f"{len(ref.candidates)} candidates shown")
    return ref


def _decide(
    audit: Auditor, action: str, ref_id: str, summary: str, decide: Callable[[], Outcome]
) -> DecisionAnswer:
    """A decision, its audit record written before it is applied; a refused one as a 4xx naming why."""
    try:
        with audit.writing(action, ref_id, summary):
            return _answer(decide())
    except DecisionError as exc:
        raise _problem(exc) from None


@router.post("/v1/unresolved/{ref_id}/resolve", response_model=DecisionAnswer, responses=ERRORS)
def resolve(
    ref_id: RefId,
    body: ResolveIn,
    queue: UnresolvedQueue = Depends(get_queue),
    store: GraphStore = Depends(get_store),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("unresolved")),
) -> DecisionAnswer:
    """The reference is this stored person (a candidate or not; the answer says): the held-back entry is
    created with him as its subject, or he is added to the entry's named responsible persons."""
    actor = _actor(principal)
    summary = f"resolve {ref_id} person {body.person_key} by {actor}: {mask_ids_in_text(body.reason)}"
    return _decide(
        audit,
        "unresolved_resolve",
        ref_id,
        summary,
        lambda: Decisions(queue, store).resolve(ref_id, body.person_key, actor, body.reason),
    )


@router.post("/v1/unresolved/{ref_id}/reject", response_model=DecisionAnswer, responses=ERRORS)
def reject(
    ref_id: RefId,
    body: ReasonIn,
    queue: UnresolvedQueue = Depends(get_queue),
    store: GraphStore = Depends(get_store),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("unresolved")),
) -> DecisionAnswer:
    """No stored person is this one: later loads of the source keep it unresolved, without queueing it
    again."""
    actor = _actor(principal)
    summary = f"reject {ref_id} by {actor}: {mask_ids_in_text(body.reason)}"
    return _decide(
        audit,
        "unresolved_reject",
        ref_id,
        summary,
        lambda: Decisions(queue, store).reject(ref_id, actor, body.reason),
    )


@router.post("/v1/unresolved/{ref_id}/undo", response_model=DecisionAnswer, responses=ERRORS)
def undo(
    ref_id: RefId,
    body: ReasonIn,
    queue: UnresolvedQueue = Depends(get_queue),
    store: GraphStore = Depends(get_store),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("unresolved")),
) -> DecisionAnswer:
    """Withdraw the reference's decision: a person it added is taken out of the entry, an entry it created
    is revoked through its life cycle (never deleted). The reference may then be decided again."""
    actor = _actor(principal)
    summary = f"undo {ref_id} by {actor}: {mask_ids_in_text(body.reason)}"
    return _decide(
        audit,
        "unresolved_undo",
        ref_id,
        summary,
        lambda: Decisions(queue, store).undo(ref_id, actor, body.reason),
    )
