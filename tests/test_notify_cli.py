"""`credit-graph subscriptions …` as an operator runs it, on both backends: create, list, show, watch from a
file (lines or a CSV column, up to 100,000), unwatch, pause, resume, deliveries, redeliver, delete; every
change with an admin key and in the audit trail; bad input one message naming the option, exit 2, and
nothing written; no raw ID number in the notification file or the audit trail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from graph_service.access.audit import AuditLog
from graph_service.identifiers import build_id_number, mask_id_number
from graph_service.notify.models import MAX_WATCHED
from graph_service.notify.storage import NotifyStore
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from tests import factories as f
from tests.conftest import BACKENDS, SECRET, Neo4jServer
from tests.unresolved_world import full_id_numbers

REPO = Path(__file__).resolve().parents[1]
TAX = "清丰县税务局"


class Cli:
    def __init__(self, tmp: Path, backend: str, request: pytest.FixtureRequest) -> None:
        self.data = tmp / "data"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_GRAPH_")}
        self.env.update(CREDIT_GRAPH_DATA_DIR=str(self.data), CREDIT_GRAPH_HASH_KEY=SECRET)
        self.backend = backend
        if backend == "neo4j":
            server: Neo4jServer = request.getfixturevalue("neo4j_server")
            request.getfixturevalue("neo4j_store").clear()
            self.env.update(
                CREDIT_GRAPH_BACKEND="neo4j",
                CREDIT_GRAPH_NEO4J_URI=server.uri,
                CREDIT_GRAPH_NEO4J_USER=server.user,
                CREDIT_GRAPH_NEO4J_PASSWORD=server.password,
            )
        self.request = request

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "graph_service.cli", *args],
            capture_output=True, text=True, env={**self.env, **env}, timeout=300, check=False, cwd=REPO,
        )  # fmt: skip

    def ok(self, *args: str, **env: str) -> str:
        done = self(*args, **env)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    @contextmanager
    def store(self) -> Iterator[GraphStore]:
        """The store the commands use, opened between them (the embedded one is a file one process holds)."""
        if self.backend == "neo4j":
            yield self.request.getfixturevalue("neo4j_store")
            return
        with EmbeddedStore(self.data / "graph.sqlite3") as held:
            yield held

    @property
    def settings(self) -> Settings:
        return Settings(hash_key=SECRET, data_dir=self.data)

    def watched(self, sub_id: str) -> int:
        notices = NotifyStore(self.settings.notify_file())
        try:
            return notices.get(sub_id).watched
        finally:
            notices.close()


@pytest.fixture(params=BACKENDS)
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    return Cli(tmp_path, request.param, request)


def refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def id_number(n: int) -> str:
    return build_id_number("410922", date(1970, 1, 1), n)


@pytest.fixture
def admin(cli: Cli) -> dict[str, str]:
    with cli.store() as store:
        store.upsert_enterprises([f.enterprise(1)])
        store.upsert_persons([f.person(1)])
    key = cli.ok("keys", "create", "--role", "admin", "--name", "王科长").strip()
    return {"CREDIT_GRAPH_ADMIN_KEY": key}


def test_create_watch_and_manage(cli: Cli, admin: dict[str, str], tmp_path: Path) -> None:
    made = cli.ok(
        "subscriptions", "create", "--kind", "subjects", "--department", TAX,
        "--url", "https://tax.example.gov.cn/in?token=t0k", "--description", "关注企业", **admin,
    )  # fmt: skip
    first, second = made.splitlines()
    sub_id = first.split()[0]
    assert first.endswith("https://tax.example.gov.cn") and "t0k" not in first
    secret = second.rsplit(" ", 1)[1]
    assert secret.startswith("whsec_")
    measures = json.loads(
        cli.ok("subscriptions", "create", "--kind", "measures", "--department", "清丰县财政局",
               "--measure", "limit_fiscal_funds", "--domain", "court", "--json", **admin)
    )  # fmt: skip
    assert measures["subscription"]["measures"] == ["limit_fiscal_funds"] and measures["secret"].startswith(
        "whsec_"
    )
    assert measures["subscription"]["role"] == "admin"

    lines = tmp_path / "subjects.txt"
    numbers = [id_number(1), id_number(2)]
    lines.write_text(
        f"# 关注名单\n{f.uscc(1)}\n\n{numbers[0]}\n{f.person(5).person_key}\n{f.uscc(8)}\n", encoding="utf-8"
    )
    watched = cli.ok("subscriptions", "watch", sub_id, "--file", str(lines), **admin)
    assert "4 newly watched, 4 in all" in watched and "1 enterprises, 1 persons" in watched
    table = tmp_path / "subjects.csv"
    table.write_text(f"名称,证件号码\n甲,{numbers[1]}\n乙,{f.uscc(1)}\n", encoding="gb18030")
    more = cli.ok("subscriptions", "watch", sub_id, "--file", str(table), "--column", "证件号码", **admin)
    assert "1 newly watched, 5 in all" in more
    gone = cli.ok("subscriptions", "unwatch", sub_id, f.uscc(8), **admin)
    assert "1 no longer watched, 4 in all" in gone

    listed = [json.loads(x) for x in cli.ok("subscriptions", "list", "--json").splitlines()]
    assert {s["id"] for s in listed} == {sub_id, measures["subscription"]["id"]}
    assert secret not in cli.ok("subscriptions", "list") + cli.ok("subscriptions", "show", sub_id)
    shown = json.loads(cli.ok("subscriptions", "show", sub_id, "--json"))
    assert (shown["department"], shown["watched"], shown["status"]) == (TAX, 4, "active")
    assert "paused" in cli.ok("subscriptions", "pause", sub_id, **admin)
    assert json.loads(cli.ok("subscriptions", "show", sub_id, "--json"))["status"] == "paused"
    assert "active" in cli.ok("subscriptions", "resume", sub_id, **admin)
    assert cli.ok("subscriptions", "deliveries", sub_id, "--json") == ""
    assert "0 notices back in the queue" in cli.ok("subscriptions", "redeliver", sub_id, **admin)
    pull_only = measures["subscription"]["id"]
    refused(cli("subscriptions", "redeliver", pull_only, **admin), "pull only")
    assert "deleted" in cli.ok("subscriptions", "delete", sub_id, **admin)
    refused(cli("subscriptions", "show", sub_id), f"ID: no subscription {sub_id}")

    log = AuditLog(cli.settings.audit_file(), cli.settings.audit_secret())
    try:
        records = log.records(subject=sub_id, limit=100)
    finally:
        log.close()
    actions = {(r.action, r.summary.split(":")[0]) for r in records}
    for action in ("subscription_create", "subscription_watch", "subscription_update", "subscription_delete"):
        assert (action, "requested") in actions and (action, "done") in actions, action
    assert all(r.role == "admin" for r in records) and len({r.key_id for r in records}) == 1
    assert any(mask_id_number(numbers[0]) in r.summary for r in records)
    notify, audit = cli.settings.notify_file(), cli.settings.audit_file()
    files = [p for base in (notify, audit) for p in (base, base.with_name(base.name + "-wal"))]
    assert full_id_numbers(*files) == []
    for path in files:
        if path.exists():
            assert all(n.encode() not in path.read_bytes() for n in numbers), path


def test_bad_input_is_one_message_and_nothing_written(
    cli: Cli, admin: dict[str, str], tmp_path: Path
) -> None:
    create = ("subscriptions", "create", "--department", TAX)
    refused(cli(*create, "--kind", "subjects"), "--admin-key")
    agency = cli.ok("keys", "create", "--role", "agency", "--name", "税务局", "--department", TAX).strip()
    refused(cli(*create, "--kind", "subjects", CREDIT_GRAPH_ADMIN_KEY=agency), "an agency key")
    refused(cli(*create, "--kind", "weekly", **admin), "--kind", "subjects, lists, measures")
    refused(
        cli(*create, "--kind", "subjects", "--url", "ftp://tax.example.gov.cn/in", **admin), "--url", "scheme"
    )
    with_password = cli(*create, "--kind", "subjects", "--url", "https://u:pw1@tax.example.gov.cn/", **admin)
    refused(with_password, "--url", "credentials")
    assert "pw1" not in with_password.stderr
    refused(
        cli(*create, "--kind", "lists", "--list-type", "tax_evader", **admin), "--list-type[0]", "tax_evader"
    )
    refused(cli(*create, "--kind", "lists", **admin), "--list-type")
    refused(cli(*create, "--kind", "measures", **admin), "--measure")
    refused(cli(*create, "--kind", "measures", "--measure", "flogging", **admin), "--measure[0]")
    assert cli.ok("subscriptions", "list", "--json") == ""

    sub_id = cli.ok(*create, "--kind", "subjects", **admin).split()[0]
    bad = tmp_path / "bad.txt"
    wrong = id_number(3)[:-1] + ("0" if id_number(3)[-1] != "0" else "1")
    bad.write_text(f"{f.uscc(1)}\n{f.uscc(2)}\n{wrong}\nnonsense\n", encoding="utf-8")
    result = cli("subscriptions", "watch", sub_id, "--file", str(bad), **admin)
    refused(result, "--file line 3", "check character", "(and 1 more)")
    assert wrong not in result.stderr
    table = tmp_path / "t.csv"
    table.write_text(f"uscc\n{f.uscc(1)}\n", encoding="utf-8")
    refused(cli("subscriptions", "watch", sub_id, "--file", str(table), "--column", "code", **admin),
            "--column", "no column 'code'")  # fmt: skip
    refused(cli("subscriptions", "watch", sub_id, "--file", str(tmp_path / "missing.txt"), **admin), "--file")
    refused(cli("subscriptions", "watch", sub_id, **admin), "SUBJECT")
    refused(cli("subscriptions", "watch", "S0000000000000000", f.uscc(1), **admin), "ID: no subscription")
    assert cli.watched(sub_id) == 0

    # A file of a subscription's whole allowance is taken at once; a subject more is refused, adding none.
    full = tmp_path / "full.txt"
    full.write_text("".join(f"P{i:032x}\n" for i in range(MAX_WATCHED)), encoding="utf-8")
    assert "100,000 newly watched" in cli.ok("subscriptions", "watch", sub_id, "--file", str(full), **admin)
    one_more = tmp_path / "one.txt"
    one_more.write_text(f"{f.uscc(1)}\n", encoding="utf-8")
    refused(
        cli("subscriptions", "watch", sub_id, "--file", str(one_more), **admin), "--file", "at most 100,000"
    )
    too_long = tmp_path / "too_long.txt"
    too_long.write_text(full.read_text(encoding="utf-8") + f"{f.uscc(1)}\n", encoding="utf-8")
    refused(
        cli("subscriptions", "watch", sub_id, "--file", str(too_long), **admin), "--file", "at most 100,000"
    )
    assert cli.watched(sub_id) == MAX_WATCHED
    audit = cli.settings.audit_file()
    assert full_id_numbers(audit, audit.with_name(audit.name + "-wal")) == []


def test_hostile_input_is_refused_and_nothing_is_written(
    cli: Cli, admin: dict[str, str], tmp_path: Path
) -> None:
    made = cli.ok("subscriptions", "create", "--kind", "subjects", "--department", TAX,
                  "--url", "https://tax.example.gov.cn/in", **admin)  # fmt: skip
    sub_id = made.split()[0]
    beyond = str(2**70)
    for args in (("deliveries", sub_id, "--after", beyond), ("redeliver", sub_id, "--notice", beyond)):
        result = cli("subscriptions", *args, **admin)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert args[2] in result.stderr and "OverflowError" not in result.stderr, result.stderr
    unclosed = cli("subscriptions", "create", "--kind", "subjects", "--department", TAX,
                   "--url", "https://[::1/in", **admin)  # fmt: skip
    refused(unclosed, "--url", "not a URL")
    assert [json.loads(x)["id"] for x in cli.ok("subscriptions", "list", "--json").splitlines()] == [sub_id]
    # A byte that is not UTF-8 on the command line (Python reads it as a lone surrogate).
    refused(cli("subscriptions", "create", "--kind", "subjects", "--department", TAX,
                "--description", "关注\udcff", **admin), "--description", "not UTF-8")  # fmt: skip
    number = id_number(7)
    described = cli.ok("subscriptions", "create", "--kind", "subjects", "--department", TAX,
                       "--description", f"张三 {number}", "--json", **admin)  # fmt: skip
    assert json.loads(described)["subscription"]["description"] == f"张三 {mask_id_number(number)}"
    refused(cli("subscriptions", "create", "--kind", "subjects", "--department", TAX,
                "--url", f"https://tax.example.gov.cn/{number}", **admin), "--url", "ID number")  # fmt: skip
    notify = cli.settings.notify_file()
    assert all(number.encode() not in p.read_bytes() for p in (notify, notify.with_name(notify.name + "-wal"))
               if p.exists())  # fmt: skip
    headerless = tmp_path / "numbers.csv"
    headerless.write_text(f"{number},张三\n{id_number(8)},李四\n", encoding="utf-8")
    no_header = cli(
        "subscriptions", "watch", sub_id, "--file", str(headerless), "--column", "证件号码", **admin
    )
    refused(no_header, "--column", mask_id_number(number))
    assert number not in no_header.stderr and cli.watched(sub_id) == 0
    unreadable = tmp_path / "huge_field.csv"
    unreadable.write_text('证件号码\n"' + "9" * 200_000 + '"\n', encoding="utf-8")
    refused(cli("subscriptions", "watch", sub_id, "--file", str(unreadable), "--column", "证件号码", **admin),
            "--file line", "not CSV")  # fmt: skip
