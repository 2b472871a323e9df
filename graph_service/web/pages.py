"""The pages: public credit lookup (信用查询), printable credit report (信用报告) and the explorer shell.

Public pages are rendered on the server, so they work without scripts and print as they are shown;
they read through the public disclosure filter and take no key. The explorer is one page whose script
calls the JSON API with the investigator's own key, so it can do nothing that key may not.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from graph_service import __version__
from graph_service.api.routers.explore import find_subjects, searchable
from graph_service.api.subjects import find_enterprise
from graph_service.identifiers import IdentifierError, is_valid_id_number, normalize_code
from graph_service.rules import RuleSet
from graph_service.store.base import GraphStore
from graph_service.web.labels import CHECK_ZH, KIND_ZH, STATE_ZH, explorer_labels, identifier_problem_zh
from graph_service.web.public_record import public_record, public_view

HERE = Path(__file__).parent
STATIC = HERE / "static"
VENDOR_FILES = ("cytoscape.min.js",)
PAGE_SIZE = 20
MAX_QUERY = 100
MAX_PAGE = 10_000
# Pages load scripts, styles and images from this service only: no CDN, no outside connection. Inline
# styles are allowed because the graph library writes a style element for its container.
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(version=__version__, state_zh=STATE_ZH, kind_zh=KIND_ZH, check_zh=CHECK_ZH)
templates.env.filters["pct"] = lambda v: "" if v is None else f"{v * 100:.4g}%"
templates.env.filters["day"] = lambda v: v.isoformat() if v else "—"
templates.env.filters["stamp"] = lambda v: v.strftime("%Y-%m-%d %H:%M UTC") if v else "—"

router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _problem(request: Request, status: int, title: str, message: str, q: str = "") -> Response:
    return _page(request, "problem.html", status=status, title=title, message=message, q=q)


def _store(request: Request) -> GraphStore:
    return cast(GraphStore, request.app.state.store)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return _page(request, "home.html", q="")


@router.get("/credit/search", response_class=HTMLResponse)
def credit_search(request: Request, q: str = "", page: str = "1") -> Response:
    q = q.strip()
    if not q or not searchable(q):
        return _problem(request, 422, "请输入查询内容", "请输入企业名称或统一社会信用代码。")
    if len(q) > MAX_QUERY:
        return _problem(request, 422, "查询内容过长", f"查询内容不能超过 {MAX_QUERY} 个字符。", q[:MAX_QUERY])
    if not re.fullmatch(r"[0-9]{1,5}", page) or not 1 <= int(page) <= MAX_PAGE:
        return _problem(request, 422, "页码无效", f"页码须为 1 至 {MAX_PAGE} 之间的整数。", q)
    if is_valid_id_number(normalize_code(q)):
        # The public lookup covers organisations only; a person's record needs an authorised key.
        return _problem(request, 422, "不提供个人查询", "公众查询仅支持企业名称或统一社会信用代码。")
    found = find_subjects(public_view(_store(request)), "", q, ["enterprise"], int(page), PAGE_SIZE)
    if found.total == 1 and found.hits and normalize_code(q) == found.hits[0].key:
        return RedirectResponse(f"/credit/enterprises/{quote(found.hits[0].key)}", status_code=303)
    pages = max(1, -(-found.total // PAGE_SIZE))
    if found.page > pages:
        return _problem(request, 404, "页码超出范围", f"共 {pages} 页，没有第 {found.page} 页。", q)
    return _page(request, "search.html", q=q, found=found, pages=pages)


def _record_or_problem(request: Request, uscc: str) -> Any:
    store = _store(request)
    try:
        found = find_enterprise(public_view(store), uscc)
    except IdentifierError as err:
        shown = "（身份证号不予显示）" if is_valid_id_number(normalize_code(uscc)) else f"「{uscc[:40]}」"
        message = f"{shown}未通过校验：{identifier_problem_zh(err)}。"
        return _problem(request, 422, "统一社会信用代码格式错误", message)
    record = found and public_record(store, cast(RuleSet, request.app.state.rules), found.uscc, date.today())
    if not record:
        code = normalize_code(uscc)
        return _problem(request, 404, "未找到该企业", f"没有统一社会信用代码为 {code} 的企业。", code)
    return record


@router.get("/credit/enterprises/{uscc}", response_class=HTMLResponse)
def credit_subject(request: Request, uscc: str) -> Response:
    record = _record_or_problem(request, uscc)
    if isinstance(record, Response):
        return record
    return _page(request, "subject.html", r=record, q="")


@router.get("/credit/enterprises/{uscc}/report", response_class=HTMLResponse)
def credit_report(request: Request, uscc: str) -> Response:
    record = _record_or_problem(request, uscc)
    if isinstance(record, Response):
        return record
    number = f"CR-{record.enterprise.uscc}-{record.generated_at:%Y%m%d%H%M%S}"
    return _page(request, "report.html", r=record, number=number)


@router.get("/explorer", response_class=HTMLResponse)
def explorer(request: Request) -> Response:
    missing = [f for f in VENDOR_FILES if not (STATIC / "vendor" / f).is_file()]
    return _page(request, "explorer.html", missing=missing, q="", labels=explorer_labels())


PAGE_PROBLEMS = {
    404: ("页面不存在", "没有这个页面。请从查询首页开始。"),
    405: ("不支持的请求", "该页面不支持这种请求方式。"),
    500: ("服务出错", "服务内部出错，请稍后重试；如一再出现，请联系管理员。"),
    503: ("服务暂时不可用", "数据服务暂时无法连接，请稍后重试。"),
}


def is_page(request: Request) -> bool:
    """Whether an error on this request is answered as a page rather than problem+json."""
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))  # behind a path prefix
    return path != "/v1" and not path.startswith(
        ("/v1/", "/health", "/docs", "/redoc", "/openapi.json", "/static/")
    )


def page_problem(request: Request, status: int, headers: dict[str, str] | None = None) -> Response:
    fallback = ("请求有误", "无法处理这个请求。请从查询首页开始。") if status < 500 else PAGE_PROBLEMS[500]
    title, message = PAGE_PROBLEMS.get(status, fallback)
    response = _problem(request, status, title, message)
    response.headers.update(headers or {})
    return response


def install_pages(app: FastAPI) -> None:
    # The error handlers (api/errors.py) answer page addresses with this page, in Chinese.
    app.state.page_problem = (is_page, page_problem)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
