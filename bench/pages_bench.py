"""Pages benchmark: server time of the public pages, and what an investigator waits for in the explorer.

    .venv/bin/python bench/pages_bench.py --enterprises 20000 [--backend embedded|neo4j] [--store PATH]

Neo4j comes from NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD (scripts/neo4j-local start prints a URI); its
database is cleared and loaded unless it already holds the county.

The synthetic county is loaded into an embedded store (unless the store already holds it) and served by
uvicorn on 127.0.0.1 in this process. Public pages are fetched over loopback with httpx, one at a time.
The explorer is driven in Debian's Chromium (Playwright, /usr/bin/chromium): from pressing Enter on a
search to the side panel complete (graph, credit record, who else, multi-list, equity tree), and the
expansion of a node.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from graph_service.api.app import create_app
from graph_service.model import Enterprise
from graph_service.settings import Settings
from graph_service.store.base import GraphStore
from graph_service.store.embedded import EmbeddedStore
from graph_service.store.neo4j_store import Neo4jStore
from graph_service.synthetic import Answers, Generator, load_synthetic

# The browser tests' server and Chromium settings, shared (the repository root is not on the path of a
# script run from bench/).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.live_server import CHROMIUM, CHROMIUM_ARGS, serve

SECRET = "bench-key"


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    p50, mean = statistics.median(ms), statistics.fmean(ms)
    return f"| {name} | {len(ms)} | {p50:.1f} ms | {p99:.1f} ms | {mean:.1f} ms |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--browser-samples", type=int, default=20)
    parser.add_argument("--backend", choices=["embedded", "neo4j"], default="embedded")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp())
    store: GraphStore
    if args.backend == "neo4j":
        store = Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                           os.environ.get("NEO4J_PASSWORD", ""), batch_size=10_000)  # fmt: skip
        if store.counts()["enterprises"] != args.enterprises:
            store.clear()
    else:
        store = EmbeddedStore(args.store or data_dir / "graph.sqlite3")
    generator = Generator(args.enterprises, seed=args.seed, secret=SECRET)
    if store.counts()["enterprises"] < args.enterprises:
        started = time.perf_counter()
        load_synthetic(store, generator)
        print(f"loaded {args.enterprises:,} enterprises in {time.perf_counter() - started:.1f} s")
    # Generated again (cheap beside loading) for the names, codes and planted answers, also when the
    # store already held the county.
    again = Generator(args.enterprises, seed=args.seed, secret=SECRET)
    enterprises = [e for batch in again.batches() for e in batch.enterprises]
    answers = again.answers
    rng = random.Random(7)

    app = create_app(store=store, settings=Settings(hash_key=SECRET, data_dir=data_dir))  # type: ignore[arg-type]
    with serve(app) as base:
        run(args, app, base, enterprises, answers, rng)
    store.close()


def run(args: argparse.Namespace, app: Any, base: str, enterprises: list[Enterprise], answers: Answers,
        rng: random.Random) -> None:  # fmt: skip
    usccs = [e.uscc for e in enterprises]
    key = app.state.keys.create("investigator", "bench")[1]

    def fragment() -> str:
        return rng.choice(enterprises).name[3:5]

    rows = []
    with httpx.Client(base_url=base) as client:
        for name, make in (
            ("public subject page", lambda: f"/credit/enterprises/{rng.choice(usccs)}"),
            ("credit report page", lambda: f"/credit/enterprises/{rng.choice(usccs)}/report"),
            # Two characters of a name after the county's name: a broad search, many hits to count.
            ("public search by name (2 characters)", lambda: "/credit/search?q=" + fragment()),
        ):
            times = []
            for _ in range(args.samples):
                url = make()
                started = time.perf_counter()
                r = client.get(url, follow_redirects=False)
                times.append(time.perf_counter() - started)
                assert r.status_code in (200, 303, 404), (url, r.status_code)
            rows.append(summary(name, times))

    from playwright.sync_api import sync_playwright

    planted = ("legal_rep_change", "finance_head", "multi_listed_enterprise")
    subjects = [answers.cases[c]["uscc"] for c in planted]
    subjects += rng.sample(usccs, max(0, args.browser_samples - len(subjects)))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/explorer")
        page.fill("#api-key", key)
        page.press("#api-key", "Enter")
        page.wait_for_selector("#workbench:not([hidden])")
        opened, expanded = [], []
        for uscc in subjects:
            page.fill("#q", uscc)
            started = time.perf_counter()
            page.press("#q", "Enter")
            page.locator("#results button").first.click()
            page.wait_for_selector(f"#panel[data-key='{uscc}']")
            opened.append(time.perf_counter() - started)
            other = page.locator("#node-list li[data-kind='person'] button").first
            if other.count():
                person = page.locator("#node-list li[data-kind='person']").first.get_attribute("data-key")
                started = time.perf_counter()
                other.click()
                page.wait_for_selector(f"#panel[data-key='{person}']")
                expanded.append(time.perf_counter() - started)
        browser.close()
    rows.append(summary("explorer: search to complete panel", opened))
    rows.append(summary("explorer: expand a person and show its panel", expanded))

    print(f"\n{args.enterprises:,} enterprises, {args.backend} store\n")
    print("| measure | samples | p50 | p99 | mean |\n|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
