"""Access control by role and disclosure class, masked personal data, and the tamper-evident audit trail."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from graph_service.access.audit import AuditLog
from graph_service.access.keys import KeysError, KeyStore, Principal
from graph_service.api.app import create_app
from graph_service.model import NamedResponsible
from graph_service.settings import Settings
from graph_service.store.embedded import EmbeddedStore
from graph_service.synthetic import Answers, Generator, load_synthetic

SECRET = "access-test-key"
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
ROLES = ("public", "agency", "investigator", "admin")
EVERYONE, OFFICIALS = set(ROLES), {"agency", "investigator", "admin"}
INVESTIGATORS = {"investigator", "admin"}


class World:
    def __init__(
        self, client: TestClient, answers: Answers, store: EmbeddedStore, settings: Settings
    ) -> None:
        self.client, self.answers, self.store, self.settings = client, answers, store, settings
        keys = client.app.state.keys  # type: ignore[attr-defined]
        self.keys = {role: keys.create(role, f"{role} tests", "清丰县财政局" if role == "agency" else None)[1]
                     for role in ROLES}  # fmt: skip

    def as_(self, role: str, purpose: str | None = None) -> dict[str, str]:
        headers = {"X-API-Key": self.keys[role]}
        if purpose:
            headers["X-Purpose"] = quote(purpose)
        return headers


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("access")
    store = EmbeddedStore(folder / "graph.sqlite3")
    answers, _ = load_synthetic(store, Generator(300, seed=5, secret=SECRET))
    # Give the planted cases other disclosure classes: the finance-head tax entry is shared among
    # government departments only, the named-responsible safety entry is for authorised queries.
    for case, disclosure in (("finance_head", "government"), ("named_responsible", "authorized")):
        entry = store.get_entry(str(answers.cases[case]["entry_id"]))
        assert entry is not None
        store.upsert_entries([entry.model_copy(update={"disclosure": disclosure})])
    settings = Settings(hash_key=SECRET, data_dir=folder)  # type: ignore[arg-type]
    with TestClient(create_app(store=store, settings=settings)) as client:
        yield World(client, answers, store, settings)
    store.close()


def endpoints(w: World) -> list[tuple[str, str, dict[str, object] | None, set[str]]]:
    cases = w.answers.cases
    uscc, entry_id = str(cases["legal_rep_change"]["uscc"]), str(cases["legal_rep_change"]["entry_id"])
    person = str(cases["legal_rep_change"]["current_legal_rep"])
    check = {"subject": {"uscc": uscc}, "action": "public_bidding"}
    return [
        ("GET", f"/v1/enterprises/{uscc}", None, EVERYONE),
        ("GET", f"/v1/enterprises/{uscc}/responsible-persons", None, EVERYONE),
        ("GET", f"/v1/enterprises/{uscc}/credit-record", None, EVERYONE),
        ("GET", "/v1/search?q=清丰&kind=enterprise", None, EVERYONE),
        ("GET", "/v1/search?q=张建国&kind=person", None, OFFICIALS),
        ("GET", f"/v1/persons/{person}/credit-record", None, INVESTIGATORS),
        ("GET", f"/v1/entries/{entry_id}", None, EVERYONE),
        ("POST", "/v1/checks", check, OFFICIALS),
        ("POST", "/v1/checks/batch", {"subjects": [{"uscc": uscc}]}, OFFICIALS),
        ("GET", "/v1/multi-list", None, OFFICIALS),
        ("GET", f"/v1/entries/{entry_id}/affected", None, OFFICIALS),
        ("GET", f"/v1/enterprises/{uscc}/affected", None, OFFICIALS),
        ("GET", "/v1/stats/feedback", None, OFFICIALS),
        ("GET", f"/v1/graph/enterprise/{uscc}?hops=1", None, {"investigator", "admin"}),
        ("POST", f"/v1/entries/{entry_id}/feedback",
         {"department": "清丰县财政局", "measure": "limit_fiscal_funds", "outcome": "applied"}, {"agency", "admin"}),  # noqa: E501
        ("POST", f"/v1/entries/{entry_id}/events", {"event": "pushed", "actor": "x", "departments": ["y"]}, {"admin"}),  # noqa: E501
        ("GET", "/v1/audit", None, {"admin"}),
    ]  # fmt: skip


def test_every_role_against_every_endpoint(world: World) -> None:
    for method, path, body, allowed in endpoints(world):
        assert world.client.request(method, path, json=body).status_code == 401, path  # no key
        bad = world.client.request(method, path, json=body, headers={"X-API-Key": "cg_nope_nope"})
        assert bad.status_code == 401 and "unknown or revoked" in bad.json()["detail"]
        for role in ROLES:
            r = world.client.request(method, path, json=body, headers=world.as_(role))
            if role in allowed:
                assert r.status_code < 400, (role, path, r.text)
            else:
                assert r.status_code == 403, (role, path, r.status_code)
                assert r.headers["content-type"] == "application/problem+json"


def test_a_revoked_key_stops_at_once(world: World) -> None:
    keys = world.client.app.state.keys  # type: ignore[attr-defined]
    key_id, key = keys.create("agency", "short-lived", "某局")
    uscc = world.answers.cases["finance_head"]["uscc"]
    assert world.client.get(f"/v1/enterprises/{uscc}", headers={"X-API-Key": key}).status_code == 200
    assert (
        world.client.get(f"/v1/enterprises/{uscc}", headers={"Authorization": f"Bearer {key}"}).status_code
        == 200
    )
    keys.revoke(key_id)
    assert world.client.get(f"/v1/enterprises/{uscc}", headers={"X-API-Key": key}).status_code == 401


def test_agency_feedback_only_for_its_own_department(world: World) -> None:
    entry_id = world.answers.cases["legal_rep_change"]["entry_id"]
    body = {"department": "别的局", "measure": "limit_fiscal_funds", "outcome": "applied"}
    r = world.client.post(f"/v1/entries/{entry_id}/feedback", json=body, headers=world.as_("agency"))
    assert r.status_code == 403


def _entries_in_record(w: World, uscc: str, headers: dict[str, str]) -> set[str]:
    record = w.client.get(
        f"/v1/enterprises/{uscc}/credit-record", params={"as_of": "2026-06-30"}, headers=headers
    )
    assert record.status_code == 200, record.text
    return set(record.json()["history"])


def test_disclosure_classes(world: World) -> None:
    gov = world.answers.cases["finance_head"]
    auth = world.answers.cases["named_responsible"]
    assert gov["entry_id"] not in _entries_in_record(world, str(gov["uscc"]), world.as_("public"))
    assert gov["entry_id"] in _entries_in_record(world, str(gov["uscc"]), world.as_("agency"))
    assert auth["entry_id"] not in _entries_in_record(world, str(auth["uscc"]), world.as_("agency"))
    assert auth["entry_id"] not in _entries_in_record(world, str(auth["uscc"]), world.as_("investigator"))
    with_purpose = world.as_("investigator", purpose="围标串标线索核查")
    assert auth["entry_id"] in _entries_in_record(world, str(auth["uscc"]), with_purpose)
    # The hidden entry restricts nobody in the caller's view: checks, affected and the graph agree.
    check = {"subject": {"uscc": auth["uscc"]}, "as_of": "2026-06-30"}
    seen_by_agency = world.client.post("/v1/checks", json=check, headers=world.as_("agency")).json()
    assert auth["entry_id"] not in {r["entry"]["entry_id"] for r in seen_by_agency["reasons"]}
    assert world.client.get(f"/v1/entries/{auth['entry_id']}", headers=world.as_("agency")).status_code == 404
    graph = world.client.get(f"/v1/graph/enterprise/{auth['uscc']}", headers=world.as_("investigator")).json()
    assert auth["entry_id"] not in {n["key"] for n in graph["nodes"]}


def test_the_graph_cap_counts_only_what_the_caller_may_see(world: World) -> None:
    """'And N more' must not reveal how many records the caller may not see."""
    uscc = world.answers.cases["named_responsible"]["uscc"]

    def graph(role: str, limit: int) -> dict[str, Any]:
        url = f"/v1/graph/enterprise/{uscc}"
        r = world.client.get(url, params={"limit": limit}, headers=world.as_(role))
        assert r.status_code == 200
        return dict(r.json())

    visible = len(graph("investigator", 5000)["nodes"])
    assert graph("investigator", 1)["more"] == visible - 1
    assert len(graph("admin", 5000)["nodes"]) == visible + 1  # the authorised entry
    assert graph("admin", 1)["more"] == visible


def test_a_hidden_entry_links_nothing_in_the_graph(world: World) -> None:
    """A person named only by a decision the caller may not see is not near the listed enterprise."""
    uscc = str(world.answers.cases["revoked_entry"]["uscc"])
    stranger = str(world.answers.cases["ownership_chain"]["owner"])
    person = world.store.get_person(stranger)
    listed = world.store.get_entry(str(world.answers.cases["revoked_entry"]["entry_id"]))
    assert person is not None and listed is not None
    secret = listed.model_copy(
        update={
            "entry_id": "L-hidden-bridge",
            "decision_number": "内部文号-bridge",
            "disclosure": "authorized",
            "named_responsible": (NamedResponsible(person_key=stranger, name=person.name),),
        }
    )
    world.store.upsert_entries([secret])

    def keys(role: str, kind: str, key: str) -> set[str]:
        params = {"hops": 2, "limit": 5000}
        r = world.client.get(f"/v1/graph/{kind}/{key}", params=params, headers=world.as_(role))
        assert r.status_code == 200
        return {n["key"] for n in r.json()["nodes"]}

    assert {"L-hidden-bridge", stranger} <= keys("admin", "enterprise", uscc)
    assert not {"L-hidden-bridge", stranger} & keys("investigator", "enterprise", uscc)
    assert uscc in keys("admin", "person", stranger) and uscc not in keys("investigator", "person", stranger)


def test_id_numbers_only_for_those_entitled(world: World) -> None:
    case = world.answers.cases["legal_rep_change"]
    path = f"/v1/enterprises/{case['uscc']}/responsible-persons"
    for role, purpose, shown in (("public", None, False), ("agency", None, False), ("investigator", None, False),  # noqa: E501
                                 ("investigator", "案件核查", True), ("admin", None, True)):  # fmt: skip
        r = world.client.get(path, headers=world.as_(role, purpose))
        assert bool(FULL_ID.search(r.text)) == shown, (role, purpose)
        assert all(
            role_["holder"]["id_masked"] for role_ in r.json()["roles"] if role_["holder"]["kind"] == "person"
        )


def test_audit_records_who_what_why(world: World) -> None:
    case = world.answers.cases["finance_head"]
    headers = world.as_("investigator", purpose="线索核查")
    world.client.post(
        "/v1/checks", json={"subject": {"uscc": case["uscc"]}, "action": "fiscal_funds"}, headers=headers
    )
    world.client.get(f"/v1/graph/enterprise/{case['uscc']}", headers=headers)
    records = world.client.get(
        "/v1/audit", params={"subject": case["uscc"]}, headers=world.as_("admin")
    ).json()
    kinds = {(r["action"], r["role"], r["purpose"]) for r in records}
    assert ("check", "investigator", "线索核查") in kinds and ("explore", "investigator", "线索核查") in kinds
    check = next(r for r in records if r["action"] == "check")
    assert "restricted=True" in check["summary"] and check["key_id"]
    agency_id = world.client.app.state.keys.principal(world.keys["agency"]).key_id  # type: ignore[attr-defined]
    world.client.get("/v1/multi-list", headers=world.as_("agency"))
    by_key = world.client.get("/v1/audit", params={"key_id": agency_id}, headers=world.as_("admin")).json()
    assert any(r["action"] == "multi_list" and r["department"] == "清丰县财政局" for r in by_key)


def test_verify_finds_altered_and_removed_records(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite3", "k")
    who = Principal(key_id="k1", role="agency", department="d", name="n")
    for i in range(6):
        log.append(who, "check", f"S{i}", f"restricted={i % 2 == 0}")
    assert log.verify() == (6, [])
    log.close()
    db = sqlite3.connect(tmp_path / "audit.sqlite3")
    db.execute("UPDATE audit SET summary = 'restricted=True' WHERE seq = 2")  # it said False
    db.execute("DELETE FROM audit WHERE seq = 4")
    db.commit()
    db.close()
    count, problems = AuditLog(tmp_path / "audit.sqlite3", "k").verify()
    assert count == 5
    found = {(p.seq, p.problem.split(":")[0].split(" ")[0]) for p in problems}
    assert (2, "altered") in found
    assert any(p.seq == 4 and "removed" in p.problem for p in problems)
    # The command says the same and fails.
    env = {**os.environ, "CREDIT_GRAPH_DATA_DIR": str(tmp_path), "CREDIT_GRAPH_AUDIT_KEY": "k"}
    done = subprocess.run([sys.executable, "-m", "graph_service.cli", "audit", "verify"], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 1
    assert "record 2: altered" in done.stdout and "record 4" in done.stdout and "removed" in done.stdout
    assert "Traceback" not in done.stderr


def test_an_appended_record_survives_kill_9(tmp_path: Path) -> None:
    writer = textwrap.dedent(
        """
        import sys
        from graph_service.access.audit import AuditLog
        from graph_service.access.keys import Principal
        log = AuditLog(__import__("pathlib").Path(sys.argv[1]), "k")
        who = Principal(key_id="k1", role="admin", name="n")
        for i in range(100000):
            log.append(who, "check", f"S{i}", "ok")
            print(i, flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", writer, str(tmp_path / "a.sqlite3")], stdout=subprocess.PIPE,  # noqa: E501
                            text=True, env=env)  # fmt: skip
    assert proc.stdout is not None
    acked = -1
    for line in proc.stdout:
        acked = int(line)
        if acked >= 30:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    count, problems = AuditLog(tmp_path / "a.sqlite3", "k").verify()
    assert problems == [] and count >= acked + 1


def test_keys_command(tmp_path: Path) -> None:
    env = {**os.environ, "CREDIT_GRAPH_DATA_DIR": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "graph_service.cli", "keys", *args], env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip

    made = run("create", "--role", "investigator", "--name", "专案组")
    assert made.returncode == 0 and made.stdout.strip().startswith("cg_")
    assert run("create", "--role", "agency", "--name", "x").returncode == 2  # no department
    assert run("create", "--role", "emperor", "--name", "x").returncode == 2
    listed = run("list")
    assert "investigator" in listed.stdout and made.stdout.strip() not in listed.stdout
    key_id = made.stdout.strip().split("_")[1]
    assert run("revoke", key_id).returncode == 0
    assert run("revoke", key_id).returncode == 1
    assert date.today().isoformat() in run("list").stdout


def test_a_key_revoked_from_another_process_stops_a_running_service(world: World) -> None:
    keys = world.client.app.state.keys  # type: ignore[attr-defined]
    key_id, key = keys.create("agency", "revoked elsewhere", "某局")
    uscc = world.answers.cases["finance_head"]["uscc"]
    assert world.client.get(f"/v1/enterprises/{uscc}", headers={"X-API-Key": key}).status_code == 200
    env = {**os.environ, "CREDIT_GRAPH_DATA_DIR": str(world.settings.data_dir)}
    done = subprocess.run([sys.executable, "-m", "graph_service.cli", "keys", "revoke", key_id], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert world.client.get(f"/v1/enterprises/{uscc}", headers={"X-API-Key": key}).status_code == 401


def test_an_expired_key_is_refused_as_expired(world: World) -> None:
    keys = world.client.app.state.keys  # type: ignore[attr-defined]
    key_id, key = keys.create("agency", "expiring", "某局", expires_at=datetime.now(UTC) + timedelta(days=1))
    uscc = world.answers.cases["finance_head"]["uscc"]
    assert world.client.get(f"/v1/enterprises/{uscc}", headers={"X-API-Key": key}).status_code == 200
    assert next(k for k in keys.list() if k.key_id == key_id).expires_at is not None
    # Expired by hand rather than by waiting; the running service notices at once (nothing is cached).
    db = sqlite3.connect(world.settings.keys_file())
    db.execute("UPDATE api_keys SET expires_at = ? WHERE key_id = ?", ("2026-01-20T10:00:00+00:00", key_id))
    db.commit()
    db.close()
    r = world.client.get(f"/v1/enterprises/{uscc}", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["reason"] == "expired"
    assert r.json()["detail"].startswith("API key expired on 2026-01-20 10:00 UTC")
    assert keys.principal(key) is None
    # Other refusals keep their words and say so in `reason` too.
    bad = world.client.get(f"/v1/enterprises/{uscc}", headers={"X-API-Key": "cg_nope_nope"}).json()
    assert bad["reason"] == "unknown_or_revoked" and "unknown or revoked" in bad["detail"]
    assert world.client.get(f"/v1/enterprises/{uscc}").json()["reason"] == "missing"
    keys.revoke(key_id)  # revoked says no more than unknown, expired or not
    assert world.client.get(f"/v1/enterprises/{uscc}", headers={"X-API-Key": key}).json()["reason"] == (
        "unknown_or_revoked"
    )
    with pytest.raises(KeysError, match="expires: must be in the future"):
        keys.create("public", "too late", expires_at=datetime.now(UTC) - timedelta(minutes=1))


def test_a_key_file_from_before_expiry_still_works(tmp_path: Path) -> None:
    old_schema = """
        CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
            department TEXT, name TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);
    """
    key = "cg_0123456789ab_old-secret"
    db = sqlite3.connect(tmp_path / "keys.sqlite3")
    db.executescript(old_schema)
    db.execute(
        "INSERT INTO api_keys (key_id, key_hash, role, department, name, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            "0123456789ab",
            hashlib.sha256(key.encode()).hexdigest(),
            "public",
            None,
            "old",
            "2025-01-01T00:00:00",
        ),
    )
    db.commit()
    db.close()
    keys = KeyStore(tmp_path / "keys.sqlite3")
    assert [(k.key_id, k.expires_at) for k in keys.list()] == [("0123456789ab", None)]
    _, new_key = keys.create("public", "new", expires_at=datetime.now(UTC) + timedelta(days=3))
    keys.close()
    KeyStore(tmp_path / "keys.sqlite3").close()  # opening a file already changed changes nothing
    store = EmbeddedStore(tmp_path / "graph.sqlite3")
    settings = Settings(hash_key=SECRET, data_dir=tmp_path)  # type: ignore[arg-type]
    with TestClient(create_app(store=store, settings=settings)) as client:
        for k in (key, new_key):
            assert (
                client.get("/v1/search?q=清丰&kind=enterprise", headers={"X-API-Key": k}).status_code == 200
            )
    store.close()


def test_keys_command_expiry(tmp_path: Path) -> None:
    env = {**os.environ, "CREDIT_GRAPH_DATA_DIR": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "graph_service.cli", "keys", *args], env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip

    for days in ("0", "-3"):
        refused = run("create", "--role", "public", "--name", "x", "--expires-in-days", days)
        assert refused.returncode != 0 and "--expires-in-days" in refused.stderr
        assert "Traceback" not in refused.stderr and not refused.stdout.strip()
    made = run("create", "--role", "public", "--name", "网站", "--expires-in-days", "30")
    assert made.returncode == 0 and made.stdout.strip().startswith("cg_"), made.stderr
    expires = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    assert expires in made.stderr
    listed = run("list").stdout
    assert "expires" in listed and expires in listed
