"""List entries: initiate, follow through their life, and see whom they reach."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from graph_service.access.keys import Principal
from graph_service.api.deps import Auditor, Forbidden, get_auditor, get_engine, get_rules, get_store, require
from graph_service.api.errors import NotFound, problem_responses
from graph_service.api.routers.checks import KnownAt, answered_from
from graph_service.api.routers.subscriptions import NotifyUnavailable
from graph_service.engine import Engine
from graph_service.engine.lifecycle import (
    Expectation,
    FeedbackStats,
    feedback_stats,
    initiate,
    record_feedback,
    transition,
)
from graph_service.engine.results import AffectedResult
from graph_service.model import EntryEvent, EventName, Feedback, FeedbackOutcome, ListEntry, RepairMethod
from graph_service.notify.storage import NotifyStore, NotifyStoreError
from graph_service.rules import RuleSet
from graph_service.store.base import GraphStore

router = APIRouter(tags=["list entries"])
ERRORS = problem_responses(404, 409, 422)
EntryId = Annotated[str, Path(min_length=1, max_length=128, description="entry_id")]


class EntryOut(BaseModel):
    entry: ListEntry
    events: list[EntryEvent]


class InitiateIn(BaseModel):
    """发起: the listing decision and the departments it is pushed to (推送)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entry": {
                        "entry_id": "L-2026-0001",
                        "list_type": "court_dishonest_debtor",
                        "domain": "court",
                        "kind": "black",
                        "authority": "清丰县人民法院",
                        "decision_number": "(2026)豫0922执123号",
                        "subject_kind": "enterprise",
                        "subject_key": "91410922MAP2UGEHX3",
                        "conduct": "有履行能力而拒不履行生效法律文书确定义务",
                        "conduct_date": "2026-01-10",
                        "listed_on": "2026-03-01",
                        "expires_on": "2028-03-01",
                        "disclosure": "public",
                    },
                    "actor": "清丰县人民法院",
                    "pushed_to": ["清丰县市场监督管理局", "清丰县财政局"],
                }
            ]
        }
    )

    entry: ListEntry
    actor: str = Field(min_length=1, max_length=200, description="initiating department")
    on: date | None = None
    pushed_to: list[str] = Field(default_factory=list, max_length=200, description="implementing departments")


class EventIn(BaseModel):
    """异议, 信用修复, 撤销, 归档 …: one step in the entry's life."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"event": "objection_filed", "actor": "清丰县顺达建筑工程有限公司", "reason": "已履行完毕"},
                {"event": "repaired", "actor": "清丰县信用办", "method": "credit_commitment"},
                {
                    "event": "objection_corrected",
                    "actor": "清丰县人民法院",
                    "corrections": {"expires_on": "2027-03-01"},
                },
            ]
        }
    )

    event: EventName
    actor: str = Field(min_length=1, max_length=200)
    on: date | None = None
    reason: str = Field(default="", max_length=2000)
    method: RepairMethod | None = None
    departments: list[str] = Field(default_factory=list, max_length=200)
    corrections: dict[str, Any] | None = Field(
        default=None, description="objection_corrected: new values of conduct, conduct_date, expires_on …"
    )


class FeedbackIn(BaseModel):
    """执行反馈: an implementing department's report on one measure."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"department": "清丰县财政局", "measure": "limit_fiscal_funds", "outcome": "applied"},
                {
                    "department": "清丰县税务局",
                    "measure": "financing_restriction",
                    "outcome": "not_applied",
                    "reason": "该主体无贷款业务",
                },
            ]
        }
    )

    department: str = Field(min_length=1, max_length=200)
    measure: str = Field(min_length=1, max_length=100)
    outcome: FeedbackOutcome
    reason: str = Field(default="", max_length=2000)
    on: date | None = None


def _entry_out(store: GraphStore, entry_id: str) -> EntryOut:
    entry = store.get_entry(entry_id)
    if entry is None:
        raise NotFound(f"no entry {entry_id}")
    return EntryOut(entry=entry, events=store.events_of_entry(entry_id))


@router.post("/v1/entries", response_model=EntryOut, status_code=201, responses=ERRORS)
def initiate_entry(
    body: InitiateIn,
    store: GraphStore = Depends(get_store),
    rules: RuleSet = Depends(get_rules),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("manage_entries")),
) -> EntryOut:
    """Initiate a listing and push it to the implementing departments (发起, 推送). An entry of a list type
    the rules do not define is refused (422), naming the list type and the rules file."""
    with audit.writing(
        "initiate", body.entry.entry_id, f"{body.entry.list_type} on {body.entry.subject_key}"
    ):
        initiate(store, body.entry, body.actor, body.on or date.today(), tuple(body.pushed_to), rules)
    return _entry_out(store, body.entry.entry_id)


@router.get("/v1/entries/{entry_id}", response_model=EntryOut, responses=ERRORS)
def get_entry(
    entry_id: EntryId, store: GraphStore = Depends(get_store), _: Principal = Depends(require("read"))
) -> EntryOut:
    """An entry and its life so far."""
    return _entry_out(store, entry_id)


@router.post("/v1/entries/{entry_id}/events", response_model=EntryOut, responses=ERRORS)
def add_event(
    entry_id: EntryId,
    body: EventIn,
    store: GraphStore = Depends(get_store),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("manage_entries")),
) -> EntryOut:
    """Objection, its resolution, repair, revocation, removal by the source, archiving; a transition the
    entry's status does not allow answers 409."""
    with audit.writing(body.event, entry_id, body.reason or "-"):
        transition(
            store,
            entry_id,
            body.event,
            body.actor,
            body.on or date.today(),
            reason=body.reason,
            method=body.method,
            departments=tuple(body.departments),
            corrections=body.corrections,
        )
    return _entry_out(store, entry_id)


@router.get("/v1/entries/{entry_id}/affected", response_model=AffectedResult, responses=ERRORS)
def affected(
    entry_id: EntryId,
    as_of: Annotated[date | None, Query(description="Day; today if absent")] = None,
    as_known_at: KnownAt = None,
    store: GraphStore = Depends(get_store),
    engine: Engine = Depends(get_engine),
    audit: Auditor = Depends(get_auditor),
    _: Principal = Depends(require("affected")),
) -> AffectedResult:
    """Who must also be restricted: every person and organisation the entry reaches, with role,
    measures and path."""
    if store.get_entry(entry_id) is None:
        raise NotFound(f"no entry {entry_id}")
    day = as_of or date.today()
    result = engine.affected([entry_id], day, known_at=as_known_at)
    audit("affected", entry_id, f"{len(result.affected)} reached" + answered_from(store, day, as_known_at))
    return result


@router.post("/v1/entries/{entry_id}/feedback", status_code=201, responses=ERRORS)
def feedback(
    entry_id: EntryId,
    body: FeedbackIn,
    store: GraphStore = Depends(get_store),
    rules: RuleSet = Depends(get_rules),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("feedback")),
) -> dict[str, str]:
    """An implementing department reports on one measure: applied, not applicable, or not applied and why."""
    record = Feedback(
        entry_id=entry_id,
        department=body.department,
        measure=body.measure,
        outcome=body.outcome,
        reason=body.reason,
        on=body.on or date.today(),
    )
    if principal.role == "agency" and principal.department != body.department:
        raise Forbidden(f"an agency key reports for its own department ({principal.department}) only")
    with audit.writing("feedback", entry_id, f"{body.department} {body.measure} {body.outcome}"):
        record_feedback(store, rules, record)
    return {"status": "recorded"}


@router.get("/v1/stats/feedback", response_model=FeedbackStats, tags=["statistics"])
def stats(
    request: Request, store: GraphStore = Depends(get_store), _: Principal = Depends(require("stats"))
) -> FeedbackStats:
    """Execution rates of measures by department, measure and list type (成效统计); and, per department
    and measure, how many notices expecting the measure were delivered, answered with feedback and how
    soon, and how many are still being posted or were given up."""
    return feedback_stats(store, notice_expectations(cast(NotifyStore, request.app.state.notices)))


def notice_expectations(notices: NotifyStore) -> list[Expectation]:
    """The notices that expected measures applied, each with its subscription's department."""
    try:
        departments = notices.departments()
        rows = notices.expectations()
    except NotifyStoreError as exc:
        raise NotifyUnavailable(f"{exc}; retry later") from None
    return [
        Expectation(
            department=departments.get(sub, "unknown"),
            entry_ids=tuple(entry_ids),
            measures=tuple(measures),
            delivered_at=datetime.fromisoformat(at) if at else None,
            delivery=delivery,
        )
        for sub, entry_ids, measures, at, delivery in rows
    ]
