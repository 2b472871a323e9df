"""The pages in a real browser: Debian's Chromium driven by Playwright, over the app served on loopback,
on both backends (the synthetic county). Screenshots go to var/screenshots/ (CREDIT_GRAPH_SCREENSHOTS).

Playwright cannot download its own browser on a closed network, so it is pointed at the system's
(scripts/setup-browser installs it). Without Chromium these tests skip, or fail under
CREDIT_GRAPH_REQUIRE_BROWSER=1 (as in .ci/run).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph_service.access.keys import Principal
from graph_service.access.policy import visible_classes
from graph_service.access.visible import VisibleStore
from graph_service.api.app import create_app
from graph_service.identifiers import build_uscc, is_valid_id_number
from graph_service.model import Person
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from graph_service.synthetic import Answers
from tests.conftest import SECRET
from tests.live_server import CHROMIUM, CHROMIUM_ARGS, serve

pw = pytest.importorskip("playwright.sync_api", reason="playwright is installed with the dev extras")

REQUIRE_BROWSER = os.environ.get("CREDIT_GRAPH_REQUIRE_BROWSER") == "1"
SHOTS = Path(os.environ.get("CREDIT_GRAPH_SCREENSHOTS", Path(__file__).parents[1] / "var" / "screenshots"))
TIMEOUT_MS = 20_000
# Anything shaped like a personal ID number (18 or 15 digits); a hit is a leak if it passes its check.
ID_SHAPE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: run scripts/setup-browser (or set CREDIT_GRAPH_CHROMIUM)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    with pw.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class Site:
    url: str
    store: GraphStore
    answers: Answers
    app: Any
    investigator: str
    public: str
    backend: str

    def visible(self) -> GraphStore:
        """The store as the investigator's key sees it (no purpose given)."""
        who = Principal(key_id="x", role="investigator", name="tests")
        return VisibleStore(self.store, visible_classes(who, None), False)

    def id_numbers(self) -> list[str]:
        return [
            p.id_number for p in self.store.iter_records("persons") if isinstance(p, Person) and p.id_number
        ]


@pytest.fixture(scope="module")
def site(county: tuple[GraphStore, Answers], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    store, answers = county
    settings = Settings(hash_key=SECRET, data_dir=tmp_path_factory.mktemp("site"))
    app = create_app(store=store, settings=settings)
    with serve(app) as url:
        keys = app.state.keys
        yield Site(
            url=url,
            store=store,
            answers=answers,
            app=app,
            investigator=keys.create("investigator", "browser tests")[1],
            public=keys.create("public", "browser tests")[1],
            backend=store.backend_name,
        )


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="zh-CN"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))
    yield tab
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def shot(page: Any, site: Site, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}-{site.backend}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def assert_no_id_number(text: str, site: Site) -> None:
    leaked = [m for m in ID_SHAPE.findall(text) if is_valid_id_number(m)]
    assert not leaked, f"unmasked ID numbers on the page: {leaked}"
    held = [n for n in site.id_numbers() if n in text]
    assert not held, f"ID numbers of the county's persons on the page: {held}"


# -- the public credit lookup ---------------------------------------------------------------------------


def test_public_search_to_subject_page_shows_no_id_number(page: Any, site: Site) -> None:
    case = site.answers.cases["legal_rep_change"]
    name = site.store.get_enterprise(case["uscc"]).name  # type: ignore[union-attr]
    page.goto(site.url + "/")
    page.fill("#q", name[:6])
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/credit/search"))
    page.get_by_role("link", name=re.compile(re.escape(name))).click()
    page.wait_for_url(re.compile(f"/credit/enterprises/{case['uscc']}$"))
    assert page.locator("h1").inner_text() == name
    assert "失信联合惩戒对象" in page.locator(".status").inner_text()
    entry = site.store.get_entry(case["entry_id"])
    assert entry is not None
    record = page.locator("article.entry").filter(has_text=entry.decision_number)
    assert record.count() == 1
    for shown in (entry.authority, entry.listed_on.isoformat(), "有效"):
        assert shown in record.inner_text()
    assert page.locator("table.measures tbody tr").count() > 0
    current_rep = site.store.get_person(case["current_legal_rep"])
    assert current_rep is not None and current_rep.name in page.content()
    assert_no_id_number(page.content(), site)
    shot(page, site, "public-subject")


def test_credit_report_is_dated_and_prints_to_pdf(page: Any, site: Site) -> None:
    case = site.answers.cases["multi_listed_enterprise"]
    page.goto(f"{site.url}/credit/enterprises/{case['uscc']}")
    page.get_by_role("link", name=re.compile("信用报告")).click()
    page.wait_for_url(re.compile("/report$"))
    meta = page.locator(".report-meta").inner_text()
    assert datetime.now(UTC).date().isoformat() in meta  # generated today
    data_as_of = site.store.get_meta("data_as_of")
    assert data_as_of is not None and data_as_of[:10] in meta  # stamped with the data's as-of time
    assert page.locator("article.entry").count() == len(case["entry_ids"])
    assert_no_id_number(page.content(), site)
    shot(page, site, "credit-report")
    page.emulate_media(media="print")
    assert page.locator("header.site").is_hidden() and page.locator("#print").is_hidden()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert b"/Type /Page" in pdf


def test_public_messages(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/credit/search?q=没有这个名字的企业")
    assert "未找到" in page.locator("main").inner_text()
    good = site.answers.cases["legal_rep_change"]["uscc"]
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    page.goto(site.url + "/")
    page.fill("#q", bad)
    page.press("#q", "Enter")
    assert "未通过校验" in page.locator("[role=alert]").inner_text()
    response = page.goto(f"{site.url}/credit/enterprises/{bad}")
    assert response.status == 422 and "统一社会信用代码格式错误" in page.locator("h1").inner_text()
    unknown = build_uscc("9", "1", "410922", "MA999999")
    assert site.store.get_enterprise(unknown) is None
    response = page.goto(f"{site.url}/credit/enterprises/{unknown}")
    assert response.status == 404 and "未找到该企业" in page.locator("h1").inner_text()
    person = next(p for p in site.store.iter_records("persons") if isinstance(p, Person) and p.id_number)
    response = page.goto(f"{site.url}/credit/search?q={person.id_number}")  # type: ignore[attr-defined]
    assert response.status == 422 and "不提供个人查询" in page.content()
    assert_no_id_number(page.content(), site)


# -- the investigator explorer --------------------------------------------------------------------------


def sign_in(page: Any, site: Site, key: str | None = None, query: str = "") -> None:
    page.goto(f"{site.url}/explorer{query}")
    page.fill("#api-key", key or site.investigator)
    page.press("#api-key", "Enter")


def open_subject(page: Any, q: str) -> None:
    page.fill("#q", q)
    page.press("#q", "Enter")
    page.locator("#results button").first.click()
    page.wait_for_selector(f"#panel[data-key='{q}']")


def graph_keys(page: Any) -> set[str]:
    keys = page.eval_on_selector_all(
        "#node-list li", "items => items.filter(i => i.dataset.kind !== 'more').map(i => i.dataset.key)"
    )
    return set(keys)


def hood_keys(site: Site, kind: str, key: str, limit: int = 30) -> set[str]:
    hood = site.visible().neighbourhood(kind, key, hops=1, limit=limit)  # type: ignore[arg-type]
    assert hood is not None
    return {n.key for n in hood.nodes}


def test_explorer_search_graph_and_expand(page: Any, site: Site) -> None:
    case = site.answers.cases["multi_listed_via_organisations"]
    first, second = case["enterprises"]
    sign_in(page, site)
    page.wait_for_selector("#workbench:not([hidden])")
    open_subject(page, first)
    expected = hood_keys(site, "enterprise", first)
    page.wait_for_function("n => document.querySelectorAll('#node-list li').length >= n", arg=len(expected))
    assert graph_keys(page) == expected
    assert case["person"] in expected and second not in expected
    # Every node is drawn: the graph library holds exactly the listed nodes.
    drawn = page.evaluate("() => window.creditGraphExplorer.cy.nodes().map(n => n.data('key'))")
    assert set(drawn) == expected
    # Clicking the person (here: its button in the node list, which the canvas click also calls) adds
    # its neighbours, among them the second organisation it is responsible for.
    page.locator(f"#node-list li[data-key='{case['person']}'] button").click()
    page.wait_for_selector(f"#node-list li[data-key='{second}']")
    assert graph_keys(page) == expected | hood_keys(site, "person", case["person"])
    shot(page, site, "explorer-expanded")


def test_explorer_click_on_the_canvas_expands(page: Any, site: Site) -> None:
    case = site.answers.cases["multi_listed_via_organisations"]
    first, second = case["enterprises"]
    sign_in(page, site)
    open_subject(page, first)
    box = page.locator("#graph").bounding_box()
    position = page.evaluate(
        "key => window.creditGraphExplorer.cy.getElementById('person:' + key).renderedPosition()",
        case["person"],
    )
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])
    page.wait_for_selector(f"#node-list li[data-key='{second}']")


def test_explorer_side_panel(page: Any, site: Site) -> None:
    cases = site.answers.cases
    sign_in(page, site)
    # Credit record, who must also be restricted, multi-list membership.
    open_subject(page, cases["multi_listed_enterprise"]["uscc"])
    panel = page.locator("#panel")
    assert "受联合惩戒" in panel.inner_text()
    assert "同时被 2 个领域列入" in panel.inner_text()
    affected = panel.locator("ul.affected li")
    assert cases["multi_listed_enterprise"]["legal_rep"] in affected.evaluate_all(
        "l => l.map(i => i.dataset.key)"
    )
    assert_no_id_number(page.content(), site)
    # The equity-penetration tree: the chain's owner sits at the bottom of the last company's tree.
    chain = cases["ownership_chain"]
    open_subject(page, chain["chain"][-1])
    tree = panel.locator(".tree")
    owner = tree.locator(f"li[data-key='{chain['owner']}']")
    assert owner.count() >= 1
    assert "累计 43.2%" in owner.first.inner_text()
    shot(page, site, "explorer-panel")


def test_explorer_cap_shows_and_more(page: Any, site: Site) -> None:
    case = site.answers.cases["legal_rep_change"]
    hood = site.visible().neighbourhood("enterprise", case["uscc"], hops=1, limit=2)
    assert hood is not None and hood.more > 0
    sign_in(page, site, query="?limit=2")
    open_subject(page, case["uscc"])
    more = page.locator("#node-list li[data-kind='more']")
    assert f"还有 {hood.more} 个" in more.inner_text()
    assert f"另有 {hood.more} 个未显示" in page.locator("#graph-note").inner_text()
    # The "more" node is a node of its own, not a compound drawn inside the one it belongs to.
    assert page.evaluate("() => window.creditGraphExplorer.cy.nodes(':parent').length") == 0
    more.locator("button").click()
    page.wait_for_selector("#node-list li[data-kind='more']", state="detached")
    assert graph_keys(page) == hood_keys(site, "enterprise", case["uscc"])


def test_bidder_form_finds_the_planted_pair(page: Any, site: Site) -> None:
    case = site.answers.cases["bidders"]
    a, b = case["linked"]
    sign_in(page, site)
    page.wait_for_selector("#workbench:not([hidden])")
    page.fill("#bidder-usccs", f"{a}\n{b}，{case['unrelated']}")
    page.get_by_role("button", name="分析关联").click()
    row = page.locator("table.pairs tbody tr")
    row.first.wait_for()
    assert row.count() == 1
    assert {row.get_attribute("data-a"), row.get_attribute("data-b")} == {a, b}
    assert "共同任职人员" in row.inner_text() and "相同联系电话" in row.inner_text()
    # On the graph: the three bidders, the person they share and the shared phone number.
    keys = graph_keys(page)
    assert {a, b, case["unrelated"], case["shared_person"]} <= keys
    assert any(case["shared_phone"] in k for k in keys)
    pairs = page.evaluate("() => window.creditGraphExplorer.cy.edges('.pair').map(e => e.data('label'))")
    assert len(pairs) == 1
    shot(page, site, "explorer-bidders")


def test_export_png_and_csv(page: Any, site: Site) -> None:
    case = site.answers.cases["legal_rep_change"]
    sign_in(page, site)
    open_subject(page, case["uscc"])
    with page.expect_download() as png:
        page.click("#export-png")
    data = Path(png.value.path()).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5_000
    with page.expect_download() as exported:
        page.click("#export-csv")
    assert exported.value.suggested_filename.endswith(".csv")
    text = Path(exported.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    nodes = {r["key"] for r in rows if r["record"] == "node"}
    assert nodes == hood_keys(site, "enterprise", case["uscc"])
    roles = {(r["source"], r["target"], r["relation"]) for r in rows if r["record"] == "edge"}
    assert (case["current_legal_rep"], case["uscc"], "法定代表人") in roles
    assert_no_id_number(text, site)


def test_explorer_by_keyboard(page: Any, site: Site) -> None:
    case = site.answers.cases["legal_rep_change"]
    page.goto(f"{site.url}/explorer")
    page.focus("#api-key")
    page.keyboard.type(site.investigator)
    page.keyboard.press("Enter")
    page.wait_for_selector("#workbench:not([hidden])")
    assert page.evaluate("() => document.activeElement.id") == "q"
    page.keyboard.type(case["uscc"])
    page.keyboard.press("Enter")
    page.wait_for_selector("#results button:focus")  # the first result takes the focus
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#panel[data-key='{case['uscc']}']")
    page.locator(f"#node-list li[data-key='{case['current_legal_rep']}'] button").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#node-list li[data-key='{case['current_legal_rep']}'] >> text=已展开")
    page.wait_for_selector(f"#panel[data-key='{case['current_legal_rep']}']")
    # The list was rebuilt around the expansion; the focus stayed on the node the user was on.
    focused = page.evaluate("() => document.activeElement.closest('li')?.dataset.key")
    assert focused == case["current_legal_rep"]


def test_explorer_messages(page: Any, site: Site) -> None:
    app = site.app
    sign_in(page, site, key="cg_000000000000_not-a-key")
    page.wait_for_selector("#error:has-text('密钥无效')")
    sign_in(page, site, key=site.public)
    page.wait_for_selector("#error:has-text('需要调查人员')")
    assert page.locator("#workbench").is_hidden()
    key_id, expiring = app.state.keys.create(
        "investigator", "expiring", expires_at=datetime.now(UTC) + timedelta(days=1)
    )
    sign_in(page, site, key=expiring)
    page.wait_for_selector("#workbench:not([hidden])")
    app.state.keys._db.execute(  # the key expires while the page is open
        "UPDATE api_keys SET expires_at = ? WHERE key_id = ?",
        ((datetime.now(UTC) - timedelta(minutes=1)).isoformat(), key_id),
    )
    page.fill("#q", "清丰")
    page.press("#q", "Enter")
    page.wait_for_selector("#key-panel:not([hidden])")
    assert "密钥已过期" in page.locator("#error").inner_text()

    sign_in(page, site)
    page.wait_for_selector("#workbench:not([hidden])")
    page.fill("#q", "没有这个名字的企业")
    page.press("#q", "Enter")
    page.wait_for_selector("#results li.empty")
    assert "未找到" in page.locator("#message").inner_text()
    good = site.answers.cases["legal_rep_change"]["uscc"]
    page.fill("#q", good[:-1] + ("0" if good[-1] != "0" else "1"))
    page.press("#q", "Enter")
    page.wait_for_selector("#message:has-text('未通过校验')")
    page.fill("#bidder-usccs", f"{good} 91410922MA0000000X")
    page.get_by_role("button", name="分析关联").click()
    page.wait_for_selector("#error:has-text('输入有误')")
    assert "usccs[1]" in page.locator("#error").inner_text()
    # The service unreachable: every API call fails at the network.
    page.route("**/v1/**", lambda route: route.abort("connectionrefused"))
    page.fill("#q", "清丰")
    page.press("#q", "Enter")
    page.wait_for_selector("#error:has-text('无法连接服务')")
    shot(page, site, "explorer-unreachable")


def test_a_failing_section_leaves_the_rest_of_the_panel(page: Any, site: Site) -> None:
    case = site.answers.cases["legal_rep_change"]
    sign_in(page, site)
    page.wait_for_selector("#workbench:not([hidden])")
    page.route("**/v1/investigations/equity/**", lambda route: route.fulfill(status=503, body="{}"))
    open_subject(page, case["uscc"])
    panel = page.locator("#panel")
    assert "服务暂时不可用" in panel.locator(".section-error").inner_text()
    assert "受联合惩戒" in panel.inner_text() and "还须限制的对象" in panel.inner_text()


def test_signing_out_leaves_nothing_for_the_next_key(page: Any, site: Site) -> None:
    case = site.answers.cases["legal_rep_change"]
    sign_in(page, site)
    open_subject(page, case["uscc"])
    page.fill("#bidder-usccs", "\n".join(site.answers.cases["bidders"]["linked"]))
    page.get_by_role("button", name="分析关联").click()
    page.locator("table.pairs").wait_for()
    page.click("#sign-out")
    page.wait_for_selector("#key-panel:not([hidden])")
    admin = site.app.state.keys.create("admin", "next user")[1]
    page.fill("#api-key", admin)
    page.press("#api-key", "Enter")
    page.wait_for_selector("#workbench:not([hidden])")
    assert page.locator("#node-list li").count() == 0
    assert page.locator("#panel h2").count() == 0 and page.locator("#panel").get_attribute("data-key") is None
    assert page.locator("#bidder-results *").count() == 0 and page.locator("#results li").count() == 0
    assert page.evaluate("() => window.creditGraphExplorer.cy.elements().length") == 0


def test_answers_arriving_after_sign_out_are_dropped(page: Any, site: Site) -> None:
    case = site.answers.cases["legal_rep_change"]
    held: list[Any] = []
    sign_in(page, site)
    page.wait_for_selector("#workbench:not([hidden])")
    # The first graph answer is held back; later ones pass.
    page.route("**/v1/graph/**", lambda route: route.continue_() if held else held.append(route))
    page.fill("#q", case["uscc"])
    page.press("#q", "Enter")
    page.locator("#results button").first.click()
    while not held:
        page.wait_for_timeout(50)
    page.click("#sign-out")
    page.fill("#api-key", site.app.state.keys.create("admin", "next user")[1])
    page.press("#api-key", "Enter")
    page.wait_for_selector("#workbench:not([hidden])")
    held[0].continue_()  # the first key's answer arrives now
    page.wait_for_timeout(1500)
    assert page.evaluate("() => window.creditGraphExplorer.cy.elements().length") == 0
    assert page.locator("#node-list li").count() == 0 and page.locator("#panel h2").count() == 0
