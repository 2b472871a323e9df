"""Push and watch as a department's system integrator meets it over HTTP, on both backends: a notice's
`after` is what `POST /v1/checks` answers through the same key for the same subject, day and moment; a
subscription an administrator makes for a department carries only what that department's keys may read
(its feed is theirs to read, its endpoint theirs)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph_service.access.keys import KeyStore
from graph_service.api.app import create_app
from graph_service.engine.lifecycle import initiate, transition
from graph_service.identifiers import build_id_number, mask_id_number
from graph_service.model import Enterprise, ListEntry, Person, RoleType
from graph_service.notify.notifier import Notifier
from graph_service.notify.storage import NotifyStore
from graph_service.rules import RuleSet
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.conftest import SECRET
from tests.notify_world import TODAY, Clock
from tests.unresolved_world import full_id_numbers

TAX = "清丰县税务局"


@dataclass
class Service:
    client: TestClient
    store: GraphStore
    notifier: Notifier
    clock: Clock
    keys: dict[str, str]
    company: Enterprise
    rep: Person
    newcomer: Person

    def as_(self, who: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[who]}

    @property
    def rules(self) -> RuleSet:
        return self.client.app.state.rules  # type: ignore[attr-defined,no-any-return]

    def subscribe(self, who: str, **body: Any) -> str:
        r = self.client.post("/v1/subscriptions", json=body, headers=self.as_(who))
        assert r.status_code == 201, r.text
        return str(r.json()["subscription"]["id"])

    def feed(self, who: str) -> list[dict[str, Any]]:
        """Everything the key's feed holds, after the notifier has caught up."""
        self.notifier.run_once()
        while self.notifier.behind():
            self.notifier.run_once()
        items: list[dict[str, Any]] = []
        after = "0"
        while True:
            page = self.client.get("/v1/changes", params={"after": after}, headers=self.as_(who))
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            if page.json()["next_cursor"] == after:
                return [i["body"] for i in items]
            after = page.json()["next_cursor"]


@pytest.fixture
def service(store: GraphStore, tmp_path: Path) -> Iterator[Service]:
    # The notifier is run by the test, with its clock: the service's own would race it.
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "data", notify_in_serve=False)
    company, other = f.enterprise(1), f.enterprise(2)
    rep, newcomer = f.person(1, "张三"), f.person(2, "李四")
    store.upsert_enterprises([company, other])
    store.upsert_persons([rep, newcomer])
    store.upsert_roles(
        [f.role(RoleType.LEGAL_REPRESENTATIVE_OF, rep, company, valid_from=TODAY - timedelta(days=900))]
    )
    with TestClient(create_app(store=store, settings=settings)) as client:
        state = client.app.state  # type: ignore[attr-defined]
        keys: KeyStore = state.keys
        made = {
            "tax": keys.create("agency", "税务局", TAX)[1],
            "admin": keys.create("admin", "王科长")[1],
        }
        notices: NotifyStore = state.notices
        clock = Clock()
        notifier = Notifier(store, notices, state.rules, clock)
        yield Service(client, store, notifier, clock, made, company, rep, newcomer)


def _entry(subject: Enterprise, decision: str, listed: int, expires: int, **kw: object) -> ListEntry:
    return f.entry(subject, decision, listed_on=TODAY + timedelta(days=listed),
                   conduct_date=TODAY - timedelta(days=60), expires_on=TODAY + timedelta(days=expires),
                   **kw)  # fmt: skip


def _authorized_tax_entry(subject: Enterprise) -> ListEntry:
    return _entry(subject, "清税罚〔2026〕7号", -10, 700, list_type="major_tax_violation", domain="tax",
                  authority="国家税务总局清丰县税务局", disclosure="authorized")  # fmt: skip


def test_a_notices_after_is_what_a_check_answers_through_the_same_key(service: Service) -> None:
    s = service
    s.subscribe("tax", kind="subjects", subjects=[s.company.uscc, s.rep.person_key, s.newcomer.person_key])
    s.subscribe("tax", kind="measures", measures=["high_consumption_restriction", "limit_public_bidding"])
    court = _entry(s.company, "(2026)豫0922执51号", -20, 3)
    initiate(s.store, court, "清丰县人民法院", TODAY, (), s.rules)
    s.store.upsert_entries([_authorized_tax_entry(s.company)])  # beyond what the key reads
    transition(s.store, court.entry_id, "objection_filed", "清丰县人民法院", TODAY, reason="已履行")
    transition(s.store, court.entry_id, "objection_upheld", "清丰县人民法院", TODAY, reason="异议不成立")
    old = s.store.roles_of_holder("person", s.rep.person_key)[0]
    successor = f.role(RoleType.LEGAL_REPRESENTATIVE_OF, s.newcomer, s.company, valid_from=TODAY)
    s.store.upsert_roles([old.model_copy(update={"valid_to": TODAY}), successor])
    s.clock.days_on(3)  # the court entry's expiry
    standing = [b for b in s.feed("tax") if b["type"] == "standing.changed"]
    causes = {b["cause"]["kind"] for b in standing}
    assert {"entry_event", "roles_changed", "day_reached"} <= causes, causes
    for body in standing:
        subject = body["subject"]
        ref = {"uscc": subject["key"]} if subject["kind"] == "enterprise" else {"person_key": subject["key"]}
        known_at = datetime.fromisoformat(body["cause"]["at"])
        check: dict[str, Any] = {"subject": ref, "as_of": body["as_of"]}
        if known_at <= datetime.now(known_at.tzinfo):  # a day the test's clock moved to is not past yet
            check["as_known_at"] = known_at.isoformat()
        r = s.client.post("/v1/checks", json=check, headers=s.as_("tax"))
        assert r.status_code == 200, r.text
        answer = r.json()
        assert body["after"] == {
            "restricted": answer["restricted"],
            "measures": sorted(m["code"] for m in answer["measures"]),
        }, (body["cause"], check)


def test_a_subscription_made_by_an_administrator_carries_only_what_its_department_reads(
    service: Service,
) -> None:
    s = service
    sub = s.subscribe("admin", kind="subjects", department=TAX, subjects=[s.company.uscc])
    lists = s.subscribe("admin", kind="lists", department=TAX, domains=["tax", "court"])
    hidden = _authorized_tax_entry(s.company)
    s.store.upsert_entries([hidden])
    assert s.feed("tax") == []  # nothing the department's keys could read has changed
    shown = s.client.get(f"/v1/subscriptions/{sub}", headers=s.as_("tax")).json()
    assert "authorized" not in shown["classes"]
    court = _entry(s.company, "(2026)豫0922执52号", -20, 700)
    initiate(s.store, court, "清丰县人民法院", TODAY, (), s.rules)
    bodies = s.feed("tax")
    assert {b["subscription"] for b in bodies} == {sub, lists}
    assert all(hidden.entry_id not in str(b) for b in bodies)
    (standing,) = [b for b in bodies if b["type"] == "standing.changed"]
    answer = s.client.post("/v1/checks", json={"subject": {"uscc": s.company.uscc}}, headers=s.as_("tax"))
    assert standing["after"]["measures"] == sorted(m["code"] for m in answer.json()["measures"])


def _refused(r: Any, field: str) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    body: dict[str, Any] = r.json()
    assert field in [e["field"] for e in body["errors"]], r.text
    return body


def test_notice_numbers_beyond_any_seq_are_refused_naming_the_field(service: Service) -> None:
    s = service
    sub = s.subscribe("tax", kind="subjects", url="https://tax.example.gov.cn/in")
    for seqs, field in (([2**70], "notices[0]"), ([1, -(2**64)], "notices[1]"), ([0], "notices[0]")):
        _refused(s.client.post(f"/v1/subscriptions/{sub}/redeliver", json={"notices": seqs},
                               headers=s.as_("tax")), field)  # fmt: skip


def test_an_endpoint_that_is_no_url_is_refused_naming_the_field(service: Service) -> None:
    s = service
    tax = s.as_("tax")
    for url in ("https://[::1/in", "http://[fe80::1/in"):
        _refused(
            s.client.post("/v1/subscriptions", json={"kind": "subjects", "url": url}, headers=tax), "url"
        )
    sub = s.subscribe("tax", kind="subjects")
    _refused(s.client.patch(f"/v1/subscriptions/{sub}", json={"url": "https://[::1/in"}, headers=tax), "url")
    assert [i["id"] for i in s.client.get("/v1/subscriptions", headers=tax).json()["items"]] == [sub]


def test_text_that_is_not_unicode_is_refused_naming_the_field(service: Service) -> None:
    s = service
    tax, admin = (
        {**s.as_("tax"), "content-type": "application/json"},
        {**s.as_("admin"), "content-type": "application/json"},
    )
    lone = '"\\ud800 关注"'  # JSON text for a lone surrogate: valid JSON, no Unicode text
    for body, who, field in (
        (f'{{"kind": "subjects", "description": {lone}}}', tax, "description"),
        (f'{{"kind": "subjects", "department": {lone}}}', admin, "department"),
    ):
        _refused(s.client.post("/v1/subscriptions", content=body, headers=who), field)
    sub = s.subscribe("tax", kind="subjects")
    patch = s.client.patch(f"/v1/subscriptions/{sub}", content=f'{{"description": {lone}}}', headers=tax)
    _refused(patch, "description")
    assert s.client.get(f"/v1/subscriptions/{sub}", headers=tax).json()["description"] == ""


def test_an_id_number_in_a_subscriptions_own_text_is_never_kept(service: Service, tmp_path: Path) -> None:
    s = service
    tax = s.as_("tax")
    number = build_id_number("410922", date(1980, 1, 1), 7)
    described = {"kind": "subjects", "description": f"张三 {number} 的申请"}
    made = s.client.post("/v1/subscriptions", json=described, headers=tax)
    assert made.status_code == 201, made.text
    assert made.json()["subscription"]["description"] == f"张三 {mask_id_number(number)} 的申请"
    sub = made.json()["subscription"]["id"]
    patched = s.client.patch(f"/v1/subscriptions/{sub}", json={"description": number}, headers=tax)
    assert patched.json()["description"] == mask_id_number(number)
    url = f"https://tax.example.gov.cn/in?applicant={number}"
    body = _refused(
        s.client.post("/v1/subscriptions", json={"kind": "subjects", "url": url}, headers=tax), "url"
    )
    assert number not in str(body)
    _refused(s.client.patch(f"/v1/subscriptions/{sub}", json={"url": url}, headers=tax), "url")
    named = {"kind": "subjects", "department": f"税务局{number}"}
    body = _refused(s.client.post("/v1/subscriptions", json=named, headers=s.as_("admin")), "department")
    assert number not in str(body)
    data = tmp_path / "data"
    files = [p for p in data.iterdir() if p.name.startswith(("notify.sqlite", "audit"))]
    assert files and full_id_numbers(*files) == []
    assert all(number.encode() not in p.read_bytes() for p in files)


def test_an_id_number_in_a_refused_request_is_neither_answered_nor_audited(
    service: Service, tmp_path: Path
) -> None:
    s = service
    tax = s.as_("tax")
    number = build_id_number("410922", date(1980, 1, 1), 8)
    sub = s.subscribe("tax", kind="subjects")
    for method, path, body in (
        ("GET", f"/v1/subscriptions/{number}", None),  # an ID number where the subscription id goes
        ("POST", f"/v1/subscriptions/{number}/subjects", {"add": [number]}),
        ("GET", f"/v1/changes?subscription={number}", None),
        (
            "POST",
            "/v1/subscriptions",
            {"kind": "subjects", "subjects": [{number: "张三"}]},
        ),  # a map by mistake
        ("POST", f"/v1/subscriptions/{sub}/subjects", {number: "张三"}),
        ("PATCH", f"/v1/subscriptions/{sub}", {number: "张三"}),
    ):
        r = s.client.request(method, path, json=body, headers=tax)
        assert r.status_code == 422, (path, r.text)
        assert number not in r.text, (path, r.text)
    data = tmp_path / "data"
    files = [p for p in data.iterdir() if p.name.startswith(("notify.sqlite", "audit"))]
    assert full_id_numbers(*files) == []
    refused = [r for r in s.client.app.state.audit.records(limit=100) if r.summary.startswith("refused")]  # type: ignore[attr-defined]
    assert len(refused) == 6
