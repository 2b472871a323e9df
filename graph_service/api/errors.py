"""Errors as problem+json (RFC 9457): one small exception tree whose base carries the HTTP status."""

from __future__ import annotations

from contextlib import suppress
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph_service.access.audit import AuditUnavailableError
from graph_service.engine import EngineError
from graph_service.engine.lifecycle import NotFoundError, TransitionError
from graph_service.identifiers import IdentifierError
from graph_service.store.base import ConflictError, MissingReferenceError, StoreError
from graph_service.text_safety import mask_ids_in_text, mask_ids_keeping_uscc

PROBLEM = "application/problem+json"


class FieldError(BaseModel):
    field: str
    reason: str
    check: str | None = None  # identifiers: the check that failed (GB 32100, GB 11643 …)


class Problem(BaseModel):
    """An error as RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    reason: str | None = None  # 401 only: missing, unknown_or_revoked or expired
    expired_at: str | None = None  # 401 for an expired key: when it expired (ISO 8601, UTC)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses, answered as application/problem+json."""
    schema = {"$ref": "#/components/schemas/Problem"}
    described = {
        400: "The body is not valid JSON, or the request is malformed (two credentials)",
        401: "No API key, or an unknown, revoked or expired one (`reason` says which)",
        403: "The key's role may not do this",
        404: "Not found",
        409: "Not possible in the current state",
        422: "Invalid input: the field and the reason are named",
        413: "The request body is larger than the service reads",
        503: "The store or the audit trail is unavailable; retry later",
    }
    return {
        s: {"model": Problem, "description": described[s], "content": {PROBLEM: {"schema": schema}}}
        for s in statuses
    }


class ApiError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(ApiError):
    status = 404
    title = "Not found"


class InvalidInput(ApiError):
    status = 422
    title = "Invalid input"


def invalid_identifier(field: str, err: IdentifierError) -> InvalidInput:
    return InvalidInput(str(err), errors=[{"field": field, "check": err.check, "reason": str(err)}])


def field_error(message: str) -> dict[str, str]:
    """Engine messages start with the field they are about ("action: unknown action ...")."""
    field, _, reason = message.partition(": ")
    return (
        {"field": field, "reason": reason}
        if reason and " " not in field
        else {"field": "request", "reason": message}
    )


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field_name(loc: tuple[int | str, ...]) -> str:
    # ("query", "as_of") → "as_of"; ("body", "rows", 0, "uscc") → "rows[0].uscc"
    parts = [p for p in loc if p not in ("query", "path", "body", "header")]
    name = ""
    for p in parts:
        name += f"[{p}]" if isinstance(p, int) else (f".{p}" if name else str(p))
    return name or "request"


def _error(e: Any) -> dict[str, str]:
    """One validation error as {field, reason}. A model rule's message names its own field
    ("expires_on: an entry cannot expire before it is listed"), which is nearer than the model's place."""
    # A field is named by the caller's own keys too ({"410922…": …}): an ID number among them is masked.
    where = mask_ids_in_text(_field_name(tuple(e["loc"])))
    if where == "uscc" and e.get("type") in ("string_too_short", "string_too_long"):
        return {"field": "uscc", "check": "length", "reason": "a USCC has 18 characters (GB 32100)"}
    message = mask_ids_in_text(str(e["msg"]).removeprefix("Value error, "))
    field, _, reason = message.partition(": ")
    if reason and " " not in field and e.get("type") == "value_error":
        return {"field": f"{where}.{field}" if where != "request" else field, "reason": reason}
    return {"field": where, "reason": message}


def _as_page(request: Request, status: int, headers: dict[str, str] | None = None) -> Response | None:
    """The pages (web/pages.py) answer errors on their own addresses with a page in Chinese."""
    hook = getattr(request.app.state, "page_problem", None)
    if hook is not None and hook[0](request):
        return cast(Response, hook[1](request, status, headers))
    return None


def _audited(route: Any) -> bool:
    """Whether the route is an audited operation: one whose handler takes the audit trail."""
    from graph_service.api.deps import get_auditor

    pending = list(getattr(getattr(route, "dependant", None), "dependencies", []))
    while pending:
        dependency = pending.pop()
        if dependency.call is get_auditor:
            return True
        pending += dependency.dependencies
    return False


def record_refusal(request: Request, status: int, detail: str) -> None:
    """A refused or failed call on an audited operation is recorded too, with why: a 404 from a check
    tells the caller that a person is not held, a 403 that someone tried."""
    route = request.scope.get("route")
    log = getattr(request.app.state, "audit", None)
    if route is None or log is None or not _audited(route):
        return
    from graph_service.access.audit import AuditUnavailableError
    from graph_service.access.keys import Principal

    # No valid key: recorded as role "none" (model_construct, since no key of that role can exist).
    principal = getattr(request.state, "principal", None) or Principal.model_construct(
        key_id="-", role=cast(Any, "none"), name="no valid key", department=None
    )
    params = request.path_params
    subject = next(
        (
            mask_ids_keeping_uscc(str(params[k]))  # an ID number in the path, refused, is not kept
            for k in ("uscc", "key", "entry_id", "subject", "ref_id", "subscription_id")
            if k in params
        ),
        None,
    )
    with suppress(AuditUnavailableError):
        summary = f"refused {status}: {mask_ids_in_text(detail[:500])}"
        log.append(principal, getattr(route, "name", "call"), subject, summary)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        record_refusal(request, exc.status, exc.detail)
        return problem(exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_error(e) for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            record_refusal(request, 400, detail)
            return problem(400, "Body is not valid JSON", detail, errors=errors)
        record_refusal(request, 422, detail)
        return problem(422, "Invalid input", detail, errors=errors)

    @app.exception_handler(ValidationError)
    async def _model(_: Request, exc: ValidationError) -> JSONResponse:
        # A record built inside a handler from valid-looking input that breaks a rule of the model.
        errors = [_error(e) for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem(422, "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # Headers travel with the error: Allow on a 405, for one.
        page = _as_page(request, exc.status_code, dict(exc.headers or {}))
        if page is not None:
            return page
        response = problem(exc.status_code, str(exc.detail), str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(EngineError)
    async def _engine(request: Request, exc: EngineError) -> JSONResponse:
        status, title = 422, "Invalid input"
        if isinstance(exc, TransitionError):
            status, title = 409, "Not possible in the entry's current state"
        elif isinstance(exc, NotFoundError):
            status, title = 404, "Not found"
        record_refusal(request, status, str(exc))
        return problem(status, title, str(exc), errors=[field_error(str(exc))])

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> JSONResponse:
        record_refusal(request, 409, str(exc))
        return problem(409, "Conflict", str(exc))

    @app.exception_handler(MissingReferenceError)
    async def _missing(request: Request, exc: MissingReferenceError) -> JSONResponse:
        record_refusal(request, 422, str(exc))
        return problem(422, "Unknown reference", str(exc))

    @app.exception_handler(AuditUnavailableError)
    async def _audit(request: Request, exc: AuditUnavailableError) -> Response:
        # Nothing audited may happen without its record: the call did nothing and may be retried.
        headers = {"Retry-After": "5"}
        response = _as_page(request, 503, headers) or problem(
            503, "Audit trail unavailable", f"{exc}; nothing was done, retry later"
        )
        response.headers.update(headers)
        return response

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> Response:
        return _as_page(request, 503) or problem(503, "Store unavailable", str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Logged by the server with its traceback; the caller gets no internals.
        return _as_page(request, 500) or problem(
            500, "Internal error", "the service failed; the error is logged"
        )
