"""/v1/subscriptions and /v1/changes over HTTP through the app, on both backends: a department subscribes,
watches subjects (by USCC, ID number or person key), reads its feed and delivery log, and sees nothing of
another department's; bad input is 422 naming the field, other roles 403; every call is audited; no raw
ID number reaches the notification file or the audit trail. Notices are recorded as the notifier records
them (NotifyStore.record), attempts as the dispatcher logs them (finish_attempt)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from graph_service.access.audit import AuditLog
from graph_service.access.keys import KeyStore
from graph_service.api.app import create_app
from graph_service.identifiers import build_id_number, mask_id_number
from graph_service.notify.models import MAX_WATCHED, Attempt, NewNotice
from graph_service.notify.storage import NotifyStore
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from tests import factories as f
from tests.conftest import SECRET
from tests.unresolved_world import full_id_numbers

TAX, FINANCE = "清丰县税务局", "清丰县财政局"


@dataclass
class Api:
    client: TestClient
    store: GraphStore
    settings: Settings
    keys: dict[str, str]

    def as_(self, who: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[who]}

    @property
    def notices(self) -> NotifyStore:
        return self.client.app.state.notices  # type: ignore[attr-defined,no-any-return]

    @property
    def audit(self) -> AuditLog:
        return self.client.app.state.audit  # type: ignore[attr-defined,no-any-return]

    def create(self, who: str, **body: Any) -> dict[str, Any]:
        r = self.client.post("/v1/subscriptions", json={"kind": "subjects", **body}, headers=self.as_(who))
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def api(store: GraphStore, tmp_path: Path) -> Iterator[Api]:
    settings = Settings(hash_key=SECRET, data_dir=tmp_path / "data")
    company, other = f.enterprise(1), f.enterprise(2)
    store.upsert_enterprises([company, other])
    store.upsert_persons([f.person(1), f.person(2)])
    store.upsert_entries([f.entry(company)])
    with TestClient(create_app(store=store, settings=settings)) as client:
        keys: KeyStore = client.app.state.keys  # type: ignore[attr-defined]
        made = {
            "public": keys.create("public", "公众")[1],
            "investigator": keys.create("investigator", "调查员")[1],
            "tax": keys.create("agency", "税务局", TAX)[1],
            "finance": keys.create("agency", "财政局", FINANCE)[1],
            "admin": keys.create("admin", "王科长")[1],
        }
        yield Api(client, store, settings, made)


def problem(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], r.text
    return body


def id_number(n: int) -> str:
    return build_id_number("410922", date(1970, 1, 1), n)


def notice(subscription: str, n: int, **kw: Any) -> NewNotice:
    fields: dict[str, Any] = {
        "event_id": f"E{n:04d}",
        "subscription_id": subscription,
        "type": "standing.changed",
        "ordering_key": f"enterprise:{f.uscc(n)}",
        "body": {"id": f"E{n:04d}", "type": "standing.changed", "subject": {"uscc": f.uscc(n)}},
    }
    fields.update(kw)
    return NewNotice(**fields)


def test_an_agency_subscribes_watches_and_manages(api: Api) -> None:
    last = api.store.last_change()
    created = api.create(
        "tax",
        url="https://notify.example.gov.cn/credit?token=abc",
        description="纳税信用: 关注企业",
        subjects=[f.uscc(1), id_number(1), f.person(9).person_key, {"uscc": f.uscc(7)}],
    )
    sub, secret = created["subscription"], created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert sub["department"] == TAX and sub["role"] == "agency" and sub["classes"] == ["government", "public"]
    assert sub["from_seq"] == last and sub["from_day"] == date.today().isoformat()
    assert sub["status"] == "active" and sub["watched"] == 4
    assert created["subjects"] == {
        "added": 4,
        "removed": 0,
        "watching": 4,
        "not_in_store": {"enterprises": 1, "persons": 1},
    }
    sub_id = sub["id"]
    assert api.notices.secret(sub_id) == secret

    shown = api.client.get(f"/v1/subscriptions/{sub_id}", headers=api.as_("tax"))
    assert shown.status_code == 200 and shown.json()["url"].startswith("https://notify.example")
    listed = api.client.get("/v1/subscriptions", headers=api.as_("tax")).json()["items"]
    assert [s["id"] for s in listed] == [sub_id]
    assert secret not in shown.text + str(listed)

    paused = api.client.patch(
        f"/v1/subscriptions/{sub_id}",
        json={"status": "paused", "description": "改", "url": None},
        headers=api.as_("tax"),
    )
    assert paused.status_code == 200, paused.text
    assert (paused.json()["status"], paused.json()["description"], paused.json()["url"]) == (
        "paused",
        "改",
        None,
    )
    resumed = api.client.patch(
        f"/v1/subscriptions/{sub_id}", json={"status": "active", "url": "http://10.1.2.3:8080/in"},
        headers=api.as_("tax"),
    )  # fmt: skip
    assert resumed.json()["status"] == "active" and resumed.json()["url"] == "http://10.1.2.3:8080/in"

    rotated = api.client.post(f"/v1/subscriptions/{sub_id}/secret", headers=api.as_("tax"))
    assert rotated.status_code == 200 and rotated.json()["secret"] not in (secret, None)
    assert api.notices.secret(sub_id) == rotated.json()["secret"]

    changed = api.client.post(
        f"/v1/subscriptions/{sub_id}/subjects",
        json={"add": [f.uscc(2), f.uscc(1)], "remove": [id_number(1)]},
        headers=api.as_("tax"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "added": 1,
        "removed": 1,
        "watching": 4,
        "not_in_store": {"enterprises": 0, "persons": 0},
    }
    pages: list[dict[str, str]] = []
    after: str | None = None
    while True:
        params = {"limit": 3, **({"after": after} if after else {})}
        page = api.client.get(f"/v1/subscriptions/{sub_id}/subjects", params=params, headers=api.as_("tax"))
        assert page.status_code == 200, page.text
        pages += page.json()["items"]
        after = page.json()["next_cursor"]
        if after is None:
            break
    assert pages == [
        {"kind": "enterprise", "key": f.uscc(1)},
        {"kind": "enterprise", "key": f.uscc(2)},
        {"kind": "enterprise", "key": f.uscc(7)},
        {"kind": "person", "key": f.person(9).person_key},
    ]

    assert api.client.delete(f"/v1/subscriptions/{sub_id}", headers=api.as_("tax")).status_code == 204
    problem(api.client.get(f"/v1/subscriptions/{sub_id}", headers=api.as_("tax")), 404, "subscription_id")
    assert api.client.get("/v1/subscriptions", headers=api.as_("tax")).json()["items"] == []

    actions = [(r.action, r.summary.split(":")[0]) for r in api.audit.records(subject=sub_id, limit=100)]
    for action in (
        "subscription_create",
        "subscription_update",
        "subscription_secret",
        "subscription_watch",
        "subscription_delete",
    ):
        assert (action, "requested") in actions and (action, "done") in actions, action
    assert {"subscription_show", "subscription_subjects"} <= {a for a, _ in actions}
    created_record = next(r for r in api.audit.records(subject=sub_id) if r.action == "subscription_create")
    assert "https://notify.example.gov.cn" in created_record.summary and "token" not in created_record.summary
    assert mask_id_number(id_number(1)) in created_record.summary
    assert all(secret not in r.summary for r in api.audit.records(limit=1000))


def test_an_administrator_subscribes_for_a_department_and_sees_all(api: Api) -> None:
    tax = api.create("tax")["subscription"]["id"]
    made = api.create(
        "admin", kind="measures", department=FINANCE, measures=["limit_fiscal_funds"], domains=["court"]
    )["subscription"]
    assert made["department"] == FINANCE and made["role"] == "admin"
    assert made["classes"] == ["government", "public"]  # what the department's keys read, no more
    everything = api.client.get("/v1/subscriptions", headers=api.as_("admin")).json()["items"]
    assert {s["id"] for s in everything} == {tax, made["id"]}
    assert [
        s["id"] for s in api.client.get("/v1/subscriptions", headers=api.as_("finance")).json()["items"]
    ] == [made["id"]]
    assert api.client.get(f"/v1/subscriptions/{tax}", headers=api.as_("admin")).status_code == 200
    lists = api.create("admin", kind="lists", department=TAX, list_types=["major_tax_violation"])
    assert lists["subscription"]["list_types"] == ["major_tax_violation"] and lists["subjects"] is None


def test_the_pull_feed_in_order_resumable_and_for_the_department_only(api: Api) -> None:
    tax = api.create("tax")["subscription"]["id"]
    tax_pushed = api.create("tax", url="https://tax.example.gov.cn/in")["subscription"]["id"]
    finance = api.create("finance")["subscription"]["id"]
    api.notices.record(
        [notice(tax, 1), notice(finance, 2), notice(tax_pushed, 3), notice(tax, 4), notice(finance, 5)],
        {"seq": "10"},
    )
    r = api.client.get("/v1/changes", headers=api.as_("tax"))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["event_id"] for i in items] == ["E0001", "E0003", "E0004"]
    assert [i["subscription"] for i in items] == [tax, tax_pushed, tax]
    assert [i["delivery"] for i in items] == ["pull", "pending", "pull"]
    assert items[0]["type"] == "standing.changed" and items[0]["body"]["subject"] == {"uscc": f.uscc(1)}
    assert r.json()["next_cursor"] == items[-1]["cursor"]

    first = api.client.get("/v1/changes", params={"limit": 2}, headers=api.as_("tax")).json()
    rest = api.client.get(
        "/v1/changes", params={"after": first["next_cursor"]}, headers=api.as_("tax")
    ).json()
    assert [i["event_id"] for i in first["items"] + rest["items"]] == ["E0001", "E0003", "E0004"]
    idle = api.client.get("/v1/changes", params={"after": rest["next_cursor"]}, headers=api.as_("tax")).json()
    assert idle == {"items": [], "next_cursor": rest["next_cursor"]}
    api.notices.record([notice(tax, 6)], {"seq": "11"})
    later = api.client.get(
        "/v1/changes", params={"after": idle["next_cursor"]}, headers=api.as_("tax")
    ).json()
    assert [i["event_id"] for i in later["items"]] == ["E0006"]

    only = api.client.get("/v1/changes", params={"subscription": tax_pushed}, headers=api.as_("tax")).json()
    assert [i["event_id"] for i in only["items"]] == ["E0003"]
    problem(
        api.client.get("/v1/changes", params={"subscription": finance}, headers=api.as_("tax")),
        404,
        "subscription",
    )
    problem(api.client.get("/v1/changes", params={"after": "x"}, headers=api.as_("tax")), 422, "after")
    everything = api.client.get("/v1/changes", headers=api.as_("admin")).json()["items"]
    assert len(everything) == 6
    reads = [r for r in api.audit.records(limit=1000) if r.action == "changes_read"]
    assert reads and all(r.summary.endswith("notices read") for r in reads)


def test_the_delivery_log_and_redelivery(api: Api) -> None:
    sub_id = api.create("tax", url="https://tax.example.gov.cn/in")["subscription"]["id"]
    api.notices.record([notice(sub_id, 1), notice(sub_id, 2, ordering_key="entry:x")], {"seq": "1"})
    first, second = api.notices.feed([sub_id], 0)
    at = datetime.now(UTC)
    for n, outcome, code in ((first, "delivered", 204), (second, "retry", 500), (second, "gave_up", 500)):
        attempt = Attempt(
            notice_seq=n.seq, subscription_id=sub_id, event_id=n.event_id, at=at, attempt=1,
            status_code=code, error=None if code < 300 else "HTTP 500", duration_ms=12, outcome=outcome,
        )  # fmt: skip
        api.notices.finish_attempt(n, attempt, None, failing_after=5)
    page = api.client.get(
        f"/v1/subscriptions/{sub_id}/deliveries", params={"limit": 2}, headers=api.as_("tax")
    )
    assert page.status_code == 200, page.text
    assert [(i["notice"], i["outcome"]) for i in page.json()["items"]] == [
        (first.seq, "delivered"),
        (second.seq, "retry"),
    ]
    rest = api.client.get(
        f"/v1/subscriptions/{sub_id}/deliveries",
        params={"after": page.json()["next_cursor"]},
        headers=api.as_("tax"),
    ).json()
    assert [i["outcome"] for i in rest["items"]] == ["gave_up"] and rest["next_cursor"] is None
    assert api.notices.notice(second.seq).delivery == "gave_up"  # type: ignore[union-attr]

    none = api.client.post(
        f"/v1/subscriptions/{sub_id}/redeliver", json={"notices": [first.seq]}, headers=api.as_("tax")
    )
    assert none.status_code == 200 and none.json() == {"redelivered": 0}  # delivered: nothing to do
    again = api.client.post(f"/v1/subscriptions/{sub_id}/redeliver", headers=api.as_("tax"))
    assert again.status_code == 200 and again.json() == {"redelivered": 1}
    assert api.notices.notice(second.seq).delivery == "pending"  # type: ignore[union-attr]
    assert any(r.action == "subscription_redeliver" for r in api.audit.records(subject=sub_id))
    # Made pull only, it has nowhere to post what waited: that stays in the feed, out of the queue.
    pull = api.client.patch(f"/v1/subscriptions/{sub_id}", json={"url": None}, headers=api.as_("tax"))
    assert pull.status_code == 200 and pull.json()["url"] is None
    assert api.notices.notice(second.seq).delivery == "pull"  # type: ignore[union-attr]
    assert api.notices.claim_due(datetime.now(UTC) + timedelta(days=1), 10, 60) == []
    problem(api.client.post(f"/v1/subscriptions/{sub_id}/redeliver", headers=api.as_("tax")), 422, "url")


def test_bad_input_names_the_field(api: Api) -> None:
    tax = api.as_("tax")

    def create(body: dict[str, Any], field: str, who: dict[str, str] = tax) -> dict[str, Any]:
        return problem(
            api.client.post("/v1/subscriptions", json={"kind": "subjects", **body}, headers=who), 422, field
        )

    for url in (
        "ftp://files.example.gov.cn/in",
        "https://user:s3cr3t@hooks.example.gov.cn/in",
        "https:///no-host",
        "https://hooks.example.gov.cn/" + "a" * 2000,
        "https://hooks.example.gov.cn/a b",
        "https://hooks.example.gov.cn:99999/in",
        "",
    ):
        body = create({"url": url}, "url")
        assert "s3cr3t" not in body["detail"]
    create({"kind": "lists", "list_types": ["court_dishonest_debtor", "tax_evader"]}, "list_types[1]")
    create({"kind": "lists", "domains": ["weather"]}, "domains[0]")
    create({"kind": "lists"}, "list_types")
    create({"kind": "measures"}, "measures")
    create({"kind": "measures", "measures": ["limit_fiscal_funds", "no_such"]}, "measures[1]")
    create({"kind": "weekly"}, "kind")
    create({}, "department", who=api.as_("admin"))
    bad_id = id_number(3)[:-1] + ("0" if id_number(3)[-1] != "0" else "1")
    body = create({"subjects": [f.uscc(1), bad_id, "P" + "G" * 32, {"uscc": f.uscc(1), "person_key": "x"}]},
                  "subjects[1]")  # fmt: skip
    assert {e["field"] for e in body["errors"]} == {"subjects[1]", "subjects[2]", "subjects[3]"}
    assert bad_id not in str(body)
    assert api.client.get("/v1/subscriptions", headers=tax).json()["items"] == []  # nothing was made

    # An agency key whose department was taken away (keys made before departments were required).
    key_id = api.keys["tax"].split("_")[1]
    with sqlite3.connect(api.settings.keys_file()) as db:
        db.execute("UPDATE api_keys SET department = NULL WHERE key_id = ?", (key_id,))
    create({}, "department")
    with sqlite3.connect(api.settings.keys_file()) as db:
        db.execute("UPDATE api_keys SET department = ? WHERE key_id = ?", (TAX, key_id))

    sub_id = api.create("tax")["subscription"]["id"]
    url = f"/v1/subscriptions/{sub_id}"
    problem(api.client.patch(url, json={"status": "failing"}, headers=tax), 422, "status")
    problem(api.client.patch(url, json={"measures": ["no_such"]}, headers=tax), 422, "measures[0]")
    problem(api.client.patch(url, json={"url": "mailto:a@b"}, headers=tax), 422, "url")
    problem(api.client.patch(url, json={"colour": "red"}, headers=tax), 422, "colour")
    problem(api.client.get("/v1/subscriptions/not-an-id", headers=tax), 422, "subscription_id")
    problem(api.client.get("/v1/subscriptions/S0000000000000000", headers=tax), 404, "subscription_id")
    problem(api.client.get(f"{url}/subjects", params={"after": "planet:x"}, headers=tax), 422, "after")
    many = [f.uscc(i) for i in range(1, 10_002)]
    problem(api.client.post(f"{url}/subjects", json={"add": many}, headers=tax), 422, "add")
    problem(
        api.client.post(f"{url}/subjects", json={"add": many[:6000], "remove": many[6000:]}, headers=tax),
        422,
        "add",
    )
    assert api.notices.get(sub_id).watched == 0

    # Up to the subscription's limit; a batch past it adds nothing.
    api.notices.watch(sub_id, [("person", f"P{i:032x}") for i in range(MAX_WATCHED - 3)])
    over = api.client.post(f"{url}/subjects", json={"add": many[:5]}, headers=tax)
    problem(over, 422, "subjects")
    assert "100,000" in over.json()["detail"]
    assert api.notices.get(sub_id).watched == MAX_WATCHED - 3
    swap = api.client.post(f"{url}/subjects", json={"add": many[:5], "remove": [f"P{0:032x}", f"P{1:032x}"]},
                           headers=tax)  # fmt: skip
    assert swap.status_code == 200, swap.text
    assert swap.json()["watching"] == MAX_WATCHED
    refusals = [r for r in api.audit.records(limit=1000) if r.summary.startswith("refused 422")]
    assert refusals and all(bad_id not in r.summary for r in refusals)


def test_another_departments_subscription_is_not_found_and_other_roles_are_refused(api: Api) -> None:
    finance = api.create("finance", url="https://finance.example.gov.cn/in")["subscription"]["id"]
    url = f"/v1/subscriptions/{finance}"
    tax = api.as_("tax")
    for method, path, body in (
        ("GET", url, None),
        ("PATCH", url, {"description": "x"}),
        ("DELETE", url, None),
        ("POST", f"{url}/secret", None),
        ("POST", f"{url}/redeliver", None),
        ("GET", f"{url}/deliveries", None),
        ("POST", f"{url}/subjects", {"add": [f.uscc(1)]}),
        ("GET", f"{url}/subjects", None),
    ):
        problem(api.client.request(method, path, json=body, headers=tax), 404, "subscription_id")
    held = api.notices.get(finance)
    assert held.description == "" and held.watched == 0 and held.status == "active"
    assert api.client.get("/v1/changes", headers=tax).json()["items"] == []
    assert any(r.summary.startswith("refused 404") for r in api.audit.records(subject=finance))

    for who in ("public", "investigator"):
        for method, path, body in (
            ("POST", "/v1/subscriptions", {"kind": "subjects"}),
            ("GET", "/v1/subscriptions", None),
            ("GET", url, None),
            ("POST", f"{url}/subjects", {"add": [f.uscc(1)]}),
            ("GET", "/v1/changes", None),
        ):
            problem(api.client.request(method, path, json=body, headers=api.as_(who)), 403)
    assert api.client.get("/v1/changes").status_code == 401
    assert any(
        r.summary.startswith("refused 403") and r.role == "public" for r in api.audit.records(limit=1000)
    )


def test_id_numbers_are_never_kept_nor_audited(api: Api) -> None:
    numbers = [id_number(n) for n in (1, 2, 3)]
    first_generation = numbers[2][:6] + numbers[2][8:17]  # the 15-digit form of the same person
    sub_id = api.create("tax", subjects=[numbers[0], {"id_number": numbers[1]}])["subscription"]["id"]
    watched = api.client.post(
        f"/v1/subscriptions/{sub_id}/subjects",
        json={"add": [first_generation], "remove": [numbers[1]]},
        headers=api.as_("tax"),
    ).json()
    assert (watched["added"], watched["removed"], watched["watching"]) == (1, 1, 2)
    keys = {
        s["key"]
        for s in api.client.get(f"/v1/subscriptions/{sub_id}/subjects", headers=api.as_("tax")).json()[
            "items"
        ]
    }
    assert keys == {f.person(1).person_key, f.person(3).person_key}
    problem(
        api.client.post("/v1/subscriptions", json={"kind": "subjects", "subjects": [numbers[0][:-1] + "Y"]},
                        headers=api.as_("tax")),
        422,
        "subjects[0]",
    )  # fmt: skip
    notify, audit = api.settings.notify_file(), api.settings.audit_file()
    files = [p for base in (notify, audit) for p in (base, base.with_name(base.name + "-wal"))]
    assert full_id_numbers(*files) == []
    for path in files:
        if path.exists():
            data = path.read_bytes()
            assert all(n.encode() not in data for n in [*numbers, first_generation]), path
    assert any(mask_id_number(numbers[0]) in r.summary for r in api.audit.records(subject=sub_id))


def test_feedback_statistics_count_the_notices_expecting_measures(api: Api) -> None:
    entry_id = f.entry(f.enterprise(1)).entry_id
    tax = api.create("tax", kind="measures", measures=["limit_public_bidding", "financing_restriction"])
    finance = api.create("finance", kind="measures", measures=["limit_public_bidding"])
    tax_id, finance_id = tax["subscription"]["id"], finance["subscription"]["id"]
    both = ("limit_public_bidding", "financing_restriction")
    api.notices.record(
        [
            notice(tax_id, 1, entry_ids=(entry_id,), expected_measures=both),
            notice(tax_id, 2, entry_ids=("other-entry",), expected_measures=both),
            notice(tax_id, 3, entry_ids=(entry_id,), expected_measures=("limit_public_bidding",)),
            notice(tax_id, 4, entry_ids=(entry_id,), expected_measures=("limit_public_bidding",)),
            notice(finance_id, 5, entry_ids=(entry_id,), expected_measures=("limit_public_bidding",)),
            notice(finance_id, 6),  # expects nothing: not counted
        ],
        {"seq": "1"},
    )
    by_event = {n.event_id: n for n in api.notices.feed([tax_id, finance_id], 0)}
    delivered = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    for event_id, outcome, at in (
        ("E0001", "delivered", delivered),
        ("E0002", "delivered", delivered),
        ("E0003", "gave_up", delivered),
        ("E0005", "delivered", delivered + timedelta(days=1)),
    ):
        n = by_event[event_id]
        attempt = Attempt(notice_seq=n.seq, subscription_id=n.subscription_id, event_id=event_id, at=at,
                          attempt=1, status_code=204, duration_ms=5, outcome=outcome)  # fmt: skip
        api.notices.finish_attempt(n, attempt, None, failing_after=5)
    for who, department, measure, on in (
        ("tax", TAX, "limit_public_bidding", date(2024, 3, 4)),
        ("tax", TAX, "limit_public_bidding", date(2024, 3, 9)),  # a later report: the first one counts
        ("finance", FINANCE, "limit_public_bidding", date(2024, 2, 20)),  # before delivery: 0 days
    ):
        r = api.client.post(
            f"/v1/entries/{entry_id}/feedback",
            json={"department": department, "measure": measure, "outcome": "applied", "on": on.isoformat()},
            headers=api.as_(who),
        )
        assert r.status_code == 201, r.text
    api.client.delete(f"/v1/subscriptions/{finance_id}", headers=api.as_("finance"))  # still counted

    stats = api.client.get("/v1/stats/feedback", headers=api.as_("tax"))
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert body["total"] == 3 and {r["key"] for r in body["by_department"]} == {TAX, FINANCE}
    rows = {(r["department"], r["measure"]): r for r in body["notifications"]}
    assert set(rows) == {
        (TAX, "limit_public_bidding"),
        (TAX, "financing_restriction"),
        (FINANCE, "limit_public_bidding"),
    }
    bidding = rows[(TAX, "limit_public_bidding")]
    assert (bidding["notices"], bidding["delivered"], bidding["with_feedback"]) == (4, 2, 1)
    assert (bidding["days_to_feedback_median"], bidding["days_to_feedback_max"]) == (3.0, 3)
    assert (bidding["pending"], bidding["gave_up"], bidding["pull"]) == (0, 1, 1)
    financing = rows[(TAX, "financing_restriction")]
    assert (financing["delivered"], financing["with_feedback"], financing["days_to_feedback_max"]) == (
        2,
        0,
        None,
    )
    early = rows[(FINANCE, "limit_public_bidding")]
    assert (early["delivered"], early["with_feedback"], early["days_to_feedback_median"]) == (1, 1, 0.0)
