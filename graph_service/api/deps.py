"""Request dependencies: who is calling, what they may do, and the store as they may see it.

The dependencies are coroutines although none of them waits on anything: FastAPI would otherwise run
each in the thread pool, a hop per dependency per request that costs more than the check itself.

Handlers never see the raw store: `get_store` hands them the view filtered for the caller (disclosure
class, ID numbers), and `get_engine` an engine over that view, so the filter sits in this one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Annotated, cast
from urllib.parse import unquote

from fastapi import Depends, Header, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from graph_service.access.audit import AuditLog, AuditUnavailableError
from graph_service.access.keys import KeyStore, Principal, Refusal
from graph_service.access.policy import may, sees_id_numbers, visible_classes
from graph_service.access.visible import VisibleStore
from graph_service.api.errors import ApiError
from graph_service.engine import Engine
from graph_service.rules import RuleSet
from graph_service.store.base import GraphStore


class Unauthenticated(ApiError):
    status = 401
    title = "Unauthenticated"


class Forbidden(ApiError):
    status = 403
    title = "Forbidden"


API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (`credit-graph keys create`)")
BEARER = HTTPBearer(auto_error=False, description="The API key as a bearer token")


async def get_principal(
    request: Request,
    x_api_key: Annotated[str | None, Security(API_KEY)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Principal:
    # `reason` is a fixed word beside the English detail, so that a page can say why in its own language.
    if x_api_key and bearer is not None:
        # Which one would be used is a guess the caller cannot see: refuse rather than pick.
        raise ApiError(
            "give one credential: both X-API-Key and Authorization: Bearer were sent",
            reason="two_credentials",
        )
    key = x_api_key or (bearer.credentials if bearer is not None else None)
    if not key:
        raise Unauthenticated(
            "give an API key: header 'Authorization: Bearer <key>' or 'X-API-Key: <key>'", reason="missing"
        )
    found = cast(KeyStore, request.app.state.keys).check(key)
    if not isinstance(found, Refusal):
        request.state.principal = found  # who a refusal further on is recorded for
    if isinstance(found, Refusal):
        if found.reason == "expired" and found.expired_at is not None:
            when = f"{found.expired_at:%Y-%m-%d %H:%M} UTC"
            raise Unauthenticated(
                f"API key expired on {when}: ask the administrator for a new one",
                reason="expired",
                expired_at=found.expired_at.isoformat(timespec="seconds"),
            )
        raise Unauthenticated(
            "unknown or revoked API key: ask the administrator for a valid one", reason="unknown_or_revoked"
        )
    return found


async def get_purpose(
    x_purpose: Annotated[
        str | None,
        Header(
            max_length=600,
            description="查询目的: why authorised records are asked for (percent-encoded UTF-8)",
        ),
    ] = None,
) -> str | None:
    # Header values are ASCII on the wire, so a purpose in Chinese arrives percent-encoded.
    return unquote(x_purpose).strip()[:200] or None if x_purpose else None


def require(operation: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only the roles the policy allows for the operation."""

    async def check(principal: Principal = Depends(get_principal)) -> Principal:
        if not may(principal, operation):
            raise Forbidden(f"a {principal.role} key may not do this ({operation})")
        return principal

    return check


async def get_store(
    request: Request,
    principal: Principal = Depends(get_principal),
    purpose: str | None = Depends(get_purpose),
) -> GraphStore:
    inner = cast(GraphStore, request.app.state.store)
    return VisibleStore(inner, visible_classes(principal, purpose), sees_id_numbers(principal, purpose))


async def get_rules(request: Request) -> RuleSet:
    return cast(RuleSet, request.app.state.rules)


async def get_engine(store: GraphStore = Depends(get_store), rules: RuleSet = Depends(get_rules)) -> Engine:
    return Engine(store, rules)


async def get_hash_key(request: Request) -> str:
    return cast(str, request.app.state.hash_key)


class Auditor:
    """Appends to the audit trail on behalf of the calling key."""

    def __init__(self, log: AuditLog, principal: Principal, purpose: str | None) -> None:
        self.log, self.principal, self.purpose = log, principal, purpose

    def __call__(self, action: str, subject: str | None, summary: str) -> None:
        self.log.append(self.principal, action, subject, summary, self.purpose)

    @contextmanager
    def writing(self, action: str, subject: str | None, summary: str) -> Iterator[None]:
        """An audited write: its record is appended first (if the trail cannot be written, nothing is:
        AuditUnavailableError, a 503), then the write, then its outcome (done, or why it was refused or
        failed). So a write never exists without its record, even if the service dies in between."""
        self(action, subject, f"requested: {summary}")
        try:
            yield
        except Exception as exc:
            # The request record stands whatever happens here; the caller gets the error that stopped it.
            with suppress(AuditUnavailableError):
                self(action, subject, f"not done: {type(exc).__name__}: {str(exc)[:500]}")
            raise
        with suppress(AuditUnavailableError):  # done, and its request recorded; the outcome is in the store
            self(action, subject, "done")


async def get_auditor(
    request: Request,
    principal: Principal = Depends(get_principal),
    purpose: str | None = Depends(get_purpose),
) -> Auditor:
    return Auditor(cast(AuditLog, request.app.state.audit), principal, purpose)
