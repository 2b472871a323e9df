"""Mixed load from the four roles, for `bench/load_test.py` (which starts the service and runs locust).

Keys and subjects come in environment variables: CG_KEY_<ROLE> and CG_SUBJECTS (a file of USCC and person
key lines, one subject per line, "enterprise <uscc>" or "person <key>")."""

from __future__ import annotations

import os
import random
from pathlib import Path

from locust import HttpUser, between, task

SUBJECTS = [line.split() for line in Path(os.environ["CG_SUBJECTS"]).read_text("utf-8").splitlines() if line]
ENTERPRISES = [key for kind, key in SUBJECTS if kind == "enterprise"]
PERSONS = [key for kind, key in SUBJECTS if kind == "person"]
ACTIONS = ["public_bidding", "fiscal_funds", "air_ticket", "licence_approval", "green_channel"]
NAMES = ["清丰", "濮阳", "建筑", "商贸", "科技", "农业"]


class Role(HttpUser):
    abstract = True
    role = "public"
    wait_time = between(0.01, 0.05)

    def on_start(self) -> None:
        self.client.headers["X-API-Key"] = os.environ[f"CG_KEY_{self.role.upper()}"]

    def uscc(self) -> str:
        return random.choice(ENTERPRISES)


class Public(Role):
    role = "public"
    weight = 2

    @task(3)
    def record(self) -> None:
        self.client.get(
            f"/v1/enterprises/{self.uscc()}/credit-record", name="/v1/enterprises/{uscc}/credit-record"
        )

    @task(2)
    def search(self) -> None:
        self.client.get(
            "/v1/search", params={"q": random.choice(NAMES), "kind": "enterprise"}, name="/v1/search"
        )

    @task(1)
    def page(self) -> None:
        self.client.get(f"/credit/enterprises/{self.uscc()}", name="/credit/enterprises/{uscc}")


class Agency(Role):
    role = "agency"
    weight = 4

    @task(6)
    def check(self) -> None:
        kind = random.random()
        subject = {"uscc": self.uscc()} if kind < 0.6 else {"person_key": random.choice(PERSONS)}
        body = {"subject": subject, "action": random.choice(ACTIONS), "as_of": "2026-06-30"}
        self.client.post("/v1/checks", json=body, name="/v1/checks")

    @task(1)
    def affected(self) -> None:
        self.client.get(f"/v1/enterprises/{self.uscc()}/affected", name="/v1/enterprises/{uscc}/affected")

    @task(1)
    def search_persons(self) -> None:
        self.client.get(
            "/v1/search", params={"q": "张", "kind": "person", "size": 5}, name="/v1/search (persons)"
        )


class Investigator(Role):
    role = "investigator"
    weight = 2

    @task(3)
    def graph(self) -> None:
        self.client.get(
            f"/v1/graph/enterprise/{self.uscc()}",
            params={"hops": 2, "limit": 200},
            name="/v1/graph/{kind}/{key}",
        )

    @task(2)
    def person(self) -> None:
        key = random.choice(PERSONS)
        self.client.get(f"/v1/persons/{key}/credit-record", name="/v1/persons/{key}/credit-record")

    @task(1)
    def equity(self) -> None:
        self.client.get(f"/v1/investigations/equity/{self.uscc()}", name="/v1/investigations/equity/{uscc}")


class Admin(Role):
    role = "admin"
    weight = 1

    @task(2)
    def multi(self) -> None:
        self.client.get("/v1/multi-list", params={"min_domains": 2, "limit": 50}, name="/v1/multi-list")

    @task(1)
    def audit(self) -> None:
        self.client.get("/v1/audit", params={"limit": 20}, name="/v1/audit")
