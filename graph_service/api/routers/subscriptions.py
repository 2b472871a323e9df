"""Push and watch: a department's subscriptions (/v1/subscriptions) and the pull feed of their notices
(/v1/changes). Agency keys act for their own department and see nothing of another's (an unknown id
and another department's answer alike: 404); administrators for any. Every call is audited, writes
before they are done. A subject named by ID number is turned into its person key at once: the number is
neither kept nor written to the audit trail, which shows its mask."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from graph_service.access.keys import Principal
from graph_service.api.deps import Auditor, get_auditor, get_hash_key, get_rules, require
from graph_service.api.errors import ApiError, InvalidInput, NotFound, problem_responses
from graph_service.notify.models import Subscription
from graph_service.notify.storage import (
    MAX_PAGE,
    PAGE,
    NotifyStore,
    NotifyStoreError,
    TooManyWatched,
    UnknownSubscription,
    new_secret,
)
from graph_service.notify.subjects import Key, SubjectKind, SubjectsError, not_in_store, shown, subject_keys
from graph_service.notify.subscribing import (
    SubscribeError,
    changed_subscription,
    department_of,
    endpoint_shown,
    new_subscription,
)
from graph_service.notify.views import (
    ChangeItem,
    ChangesPage,
    DeliveryItem,
    DeliveryPage,
    NotInStore,
    RedeliverIn,
    RedeliverOut,
    SecretOut,
    SubjectGiven,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionList,
    SubscriptionPatch,
    WatchedPage,
    WatchedSubject,
    WatchIn,
    WatchOut,
)
from graph_service.rules import RuleSet
from graph_service.store.base import GraphStore

router = APIRouter(tags=["subscriptions"])
ERRORS = problem_responses(404, 422, 503)
SubscriptionId = Annotated[
    str, Path(pattern=r"^S[0-9a-f]{16}$", description="The subscription's id (S and 16 hex characters)")
]
Cursor = Annotated[str | None, Query(pattern=r"^\d{1,18}$", description="next_cursor of the page before")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
SHOWN_SUBJECTS = 5  # named in an audit record of a batch, masked; the rest counted


class NotifyUnavailable(ApiError):
    status = 503
    title = "Notification file unavailable"


async def get_notices(request: Request) -> NotifyStore:
    return cast(NotifyStore, request.app.state.notices)


def _scope(principal: Principal) -> str | None:
    """The department whose subscriptions the caller sees: None for all (administrators). An agency key
    without a department sees none ("" is no department's)."""
    return None if principal.role == "admin" else principal.department or ""


@contextmanager
def _answering() -> Iterator[None]:
    """The notification side's refusals as problems: unknown subscription 404, bad input 422, an
    unreadable file 503."""
    try:
        yield
    except UnknownSubscription as exc:
        raise NotFound(
            f"no subscription {exc}", errors=[{"field": "subscription_id", "reason": "unknown"}]
        ) from None
    except SubscribeError as exc:
        raise InvalidInput(str(exc), errors=[{"field": exc.field, "reason": exc.reason}]) from None
    except SubjectsError as exc:
        errors = [{"field": b.field(exc.field), "reason": b.reason} for b in exc.bad]
        raise InvalidInput(str(exc), errors=errors) from None
    except TooManyWatched as exc:
        field, _, reason = str(exc).partition(": ")
        raise InvalidInput(str(exc), errors=[{"field": field, "reason": reason}]) from None
    except NotifyStoreError as exc:
        raise NotifyUnavailable(f"{exc}; retry later") from None


def _held(notices: NotifyStore, subscription_id: str, principal: Principal) -> Subscription:
    with _answering():
        return notices.get(subscription_id, _scope(principal))


def _batch(given: Sequence[SubjectGiven]) -> str:
    named = ", ".join(shown(g) for g in given[:SHOWN_SUBJECTS])
    more = f" and {len(given) - SHOWN_SUBJECTS:,} more" if len(given) > SHOWN_SUBJECTS else ""
    return f"{named}{more}" if given else "none"


def _watch(
    notices: NotifyStore, store: GraphStore, subscription_id: str, add: list[Key], remove: list[Key]
) -> WatchOut:
    added, removed = notices.change_watched(subscription_id, add, remove)
    missing = not_in_store(store, set(add))
    return WatchOut(
        added=added,
        removed=removed,
        watching=notices.get(subscription_id).watched,
        not_in_store=NotInStore(**missing),
    )


@router.post("/v1/subscriptions", status_code=201, response_model=SubscriptionCreated, responses=ERRORS)
def create_subscription(
    body: SubscriptionIn,
    request: Request,
    notices: NotifyStore = Depends(get_notices),
    rules: RuleSet = Depends(get_rules),
    hash_key: str = Depends(get_hash_key),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> SubscriptionCreated:
    """A subscription for the caller's department (an administrator names it). It hears of changes
    from now on. The answer holds its signing secret: shown this once, never again."""
    store = cast(GraphStore, request.app.state.store)
    with _answering():
        department = department_of(principal, body.department)
        keys = subject_keys(body.subjects, hash_key, "subjects")
        made = new_subscription(
            rules,
            principal,
            department,
            body.kind,
            body.url,
            body.description,
            body.list_types,
            body.domains,
            body.measures,
            from_seq=store.last_change(),
        )
        secret = new_secret()
        summary = (
            f"{made.kind} for {department}, {endpoint_shown(made.url)}, list types "
            f"{','.join(made.list_types) or '-'}, domains {','.join(made.domains) or '-'}, measures "
            f"{','.join(made.measures) or '-'}; subjects: {_batch(body.subjects)}"
        )
        with audit.writing("subscription_create", made.id, summary):
            notices.create(made, secret)
            watched = _watch(notices, store, made.id, keys, []) if keys else None
        return SubscriptionCreated(subscription=notices.get(made.id), secret=secret, subjects=watched)


@router.get("/v1/subscriptions", response_model=SubscriptionList, responses=ERRORS)
def list_subscriptions(
    notices: NotifyStore = Depends(get_notices),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> SubscriptionList:
    """The department's subscriptions (an administrator's: all), without their secrets."""
    with _answering():
        found = notices.subscriptions(_scope(principal))
    audit("subscription_list", None, f"{len(found)} subscriptions shown")
    return SubscriptionList(items=found)


@router.get("/v1/subscriptions/{subscription_id}", response_model=Subscription, responses=ERRORS)
def get_subscription(
    subscription_id: SubscriptionId,
    notices: NotifyStore = Depends(get_notices),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> Subscription:
    """A subscription: its remit, endpoint, state of delivery and how many subjects it watches."""
    found = _held(notices, subscription_id, principal)
    audit("subscription_show", subscription_id, f"{found.kind} for {found.department} shown")
    return found


@router.patch("/v1/subscriptions/{subscription_id}", response_model=Subscription, responses=ERRORS)
def update_subscription(
    subscription_id: SubscriptionId,
    body: SubscriptionPatch,
    notices: NotifyStore = Depends(get_notices),
    rules: RuleSet = Depends(get_rules),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> Subscription:
    """Change the endpoint, description or remit, or pause and resume. Resuming sends what waited at
    once; a paused subscription's notices wait (and still appear in /v1/changes)."""
    held = _held(notices, subscription_id, principal)
    given = body.model_fields_set
    with _answering():
        changed = changed_subscription(
            rules,
            held,
            url=body.url,
            url_given="url" in given,
            description=body.description if "description" in given else None,
            list_types=body.list_types,
            domains=body.domains,
            measures=body.measures,
        )
        fields = sorted(given - {"status"})
        summary = f"{', '.join(fields) or 'nothing'} changed, {endpoint_shown(changed.url)}"
        if body.status is not None:
            summary += f"; status {body.status}"
        with audit.writing("subscription_update", subscription_id, summary):
            if fields:
                notices.update(changed)
            if body.status is not None:
                notices.set_status(subscription_id, body.status)
        return notices.get(subscription_id)


@router.delete(
    "/v1/subscriptions/{subscription_id}", status_code=204, response_class=Response, responses=ERRORS
)
def delete_subscription(
    subscription_id: SubscriptionId,
    notices: NotifyStore = Depends(get_notices),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> Response:
    """It gets nothing more: what was still to be posted is given up. Its notices stay for the
    statistics."""
    held = _held(notices, subscription_id, principal)
    with (
        _answering(),
        audit.writing("subscription_delete", subscription_id, f"{held.kind} for {held.department}"),
    ):
        notices.delete(subscription_id)
    return Response(status_code=204)


@router.post("/v1/subscriptions/{subscription_id}/secret", response_model=SecretOut, responses=ERRORS)
def rotate_secret(
    subscription_id: SubscriptionId,
    notices: NotifyStore = Depends(get_notices),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> SecretOut:
    """A new signing secret, shown this once; notices are signed with it from now on."""
    _held(notices, subscription_id, principal)
    with _answering(), audit.writing("subscription_secret", subscription_id, "signing secret rotated"):
        secret = notices.rotate_secret(subscription_id)
    return SecretOut(subscription=subscription_id, secret=secret)


@router.post("/v1/subscriptions/{subscription_id}/redeliver", response_model=RedeliverOut, responses=ERRORS)
def redeliver(
    subscription_id: SubscriptionId,
    body: RedeliverIn | None = None,
    notices: NotifyStore = Depends(get_notices),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> RedeliverOut:
    """Notices given up (all, or these) back in the queue, due now: once the endpoint works again."""
    if _held(notices, subscription_id, principal).url is None:
        raise InvalidInput(
            "url: the subscription is pull only: its notices are in /v1/changes, with nowhere to post them",
            errors=[{"field": "url", "reason": "none: the subscription is pull only"}],
        )
    seqs = body.notices if body is not None else None
    which = "all given up" if seqs is None else f"{len(seqs)} notices"
    with _answering(), audit.writing("subscription_redeliver", subscription_id, which):
        count = notices.redeliver(subscription_id, set(seqs) if seqs is not None else None)
    return RedeliverOut(redelivered=count)


@router.get("/v1/subscriptions/{subscription_id}/deliveries", response_model=DeliveryPage, responses=ERRORS)
def deliveries(
    subscription_id: SubscriptionId,
    after: Cursor = None,
    limit: Limit = PAGE,
    notices: NotifyStore = Depends(get_notices),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> DeliveryPage:
    """The delivery log, oldest first: every attempt at posting a notice, its answer and how long it
    took."""
    _held(notices, subscription_id, principal)
    with _answering():
        found = notices.attempts(subscription_id, int(after) if after else 0, limit + 1)
    page = found[:limit]
    audit("subscription_deliveries", subscription_id, f"{len(page)} attempts shown")
    return DeliveryPage(
        items=[DeliveryItem.of(s, a) for s, a in page],
        next_cursor=str(page[-1][0]) if len(found) > limit else None,
    )


@router.post("/v1/subscriptions/{subscription_id}/subjects", response_model=WatchOut, responses=ERRORS)
def watch(
    subscription_id: SubscriptionId,
    body: WatchIn,
    request: Request,
    notices: NotifyStore = Depends(get_notices),
    hash_key: str = Depends(get_hash_key),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> WatchOut:
    """Watch subjects, and stop watching others (by USCC, ID number or person key; up to 10,000 a
    call, 100,000 a subscription). A bad subject refuses the whole call, naming its index; subjects the
    store does not hold yet are watched and counted in `not_in_store`."""
    _held(notices, subscription_id, principal)
    with _answering():
        add = subject_keys(body.add, hash_key, "add")
        remove = subject_keys(body.remove, hash_key, "remove")
        summary = f"add {len(add)} ({_batch(body.add)}); remove {len(remove)} ({_batch(body.remove)})"
        with audit.writing("subscription_watch", subscription_id, summary):
            return _watch(notices, cast(GraphStore, request.app.state.store), subscription_id, add, remove)


@router.get("/v1/subscriptions/{subscription_id}/subjects", response_model=WatchedPage, responses=ERRORS)
def watched(
    subscription_id: SubscriptionId,
    after: Annotated[
        str | None,
        Query(
            max_length=80,
            pattern=r"^(enterprise|person):[0-9A-Za-z]{1,64}$",
            description="next_cursor of the page before",
        ),
    ] = None,
    limit: Limit = PAGE,
    notices: NotifyStore = Depends(get_notices),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> WatchedPage:
    """The watched subjects, enterprises then persons, in key order, a page at a time."""
    _held(notices, subscription_id, principal)
    with _answering():
        found = notices.watched(subscription_id, after or "", limit + 1)
    page = found[:limit]
    audit("subscription_subjects", subscription_id, f"{len(page)} watched subjects shown")
    return WatchedPage(
        items=[WatchedSubject(kind=cast(SubjectKind, k), key=v) for k, v in page],
        next_cursor=f"{page[-1][0]}:{page[-1][1]}" if len(found) > limit else None,
    )


@router.get("/v1/changes", response_model=ChangesPage, responses=ERRORS)
def changes(
    after: Annotated[
        str | None,
        Query(pattern=r"^\d{1,18}$", description="next_cursor of the call before; absent: from the start"),
    ] = None,
    limit: Limit = PAGE,
    subscription: Annotated[
        str | None, Query(pattern=r"^S[0-9a-f]{16}$", description="Only this subscription's notices")
    ] = None,
    notices: NotifyStore = Depends(get_notices),
    audit: Auditor = Depends(get_auditor),
    principal: Principal = Depends(require("subscribe")),
) -> ChangesPage:
    """The notices of the caller's subscriptions in the order they were made: the pull feed. Each is
    also posted to the subscription's endpoint, if it has one; `event_id` tells a notice read twice.
    `next_cursor` is where to read on from, the same cursor again when nothing was new."""
    start = int(after) if after else 0
    with _answering():
        if subscription is not None:
            try:
                ids = [notices.get(subscription, _scope(principal)).id]
            except UnknownSubscription:
                raise NotFound(
                    f"no subscription {subscription}",
                    errors=[{"field": "subscription", "reason": "unknown"}],
                ) from None
        else:
            ids = [s.id for s in notices.subscriptions(_scope(principal))]
        found = notices.feed(ids, start, limit)
    audit("changes_read", subscription, f"{len(found)} notices read")
    return ChangesPage(
        items=[ChangeItem.of(n) for n in found], next_cursor=str(found[-1].seq) if found else str(start)
    )
