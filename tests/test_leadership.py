"""One leader among the processes of an installation, and audit anchors that only move forward whoever
writes them: the pieces `serve --workers N` rests on, each on its own (tests/test_serve_workers.py has them
together in real worker processes)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from graph_service.access.audit import AuditLog
from graph_service.access.audit_anchor import STORE_META, FileAnchor, Head, StoreAnchor
from graph_service.access.keys import Principal
from graph_service.api.leadership import Leadership
from graph_service.store.base import GraphStore

KEY = b"anchor-key"
WHO = Principal(key_id="k", role="agency", department="财政局", name="t")


def _wait(condition: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.02)
    return False


def test_one_leads_and_another_takes_over_when_it_lets_go(tmp_path: Path) -> None:
    gained: list[str] = []
    first = Leadership(tmp_path / "serve.lead", lambda: gained.append("first"), retry_seconds=0.05)
    second = Leadership(tmp_path / "serve.lead", lambda: gained.append("second"), retry_seconds=0.05)
    first.start()
    second.start()
    time.sleep(0.3)
    assert (first.held(), second.held(), gained) == (True, False, ["first"])
    first.release()
    assert _wait(second.held)
    assert gained == ["first", "second"]
    second.release()


def test_a_dead_process_hands_the_lead_on(tmp_path: Path) -> None:
    """The kernel drops the lock of a process killed outright; the next one in line leads."""
    path = tmp_path / "serve.lead"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'w'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    waiting = Leadership(path, lambda: None, retry_seconds=0.05)
    waiting.start()
    time.sleep(0.2)
    assert not waiting.held()
    holder.kill()
    holder.wait(timeout=10)
    assert _wait(waiting.held)
    assert int(path.read_text()) > 0  # whoever leads now says so
    waiting.release()


def test_the_checkpoint_file_never_goes_back(tmp_path: Path) -> None:
    anchor = FileAnchor(tmp_path / "audit.head")
    anchor.write(Head(6, "f" * 64, "2026-01-01T00:00:06+00:00"), KEY)
    anchor.write(Head(5, "e" * 64, "2026-01-01T00:00:05+00:00"), KEY)  # a slower worker's older record
    text = anchor.read()
    assert text is not None and Head.parse(text, KEY).seq == 6
    anchor.write(Head(7, "a" * 64, "2026-01-01T00:00:07+00:00"), KEY)
    text = anchor.read()
    assert text is not None and Head.parse(text, KEY).seq == 7


def test_the_store_head_is_written_by_the_leader_alone_from_the_log(
    store: GraphStore, tmp_path: Path
) -> None:
    """Two processes' logs on one file: the one that does not lead writes nothing to the store; the leader
    writes the log's newest head, also a record the other one appended."""
    leading = {"now": False}
    follower_anchor = StoreAnchor(store, leading=lambda: False)
    leader_anchor = StoreAnchor(store, leading=lambda: leading["now"])
    follower = AuditLog(tmp_path / "audit.sqlite3", KEY.decode(), [follower_anchor])
    leader = AuditLog(tmp_path / "audit.sqlite3", KEY.decode(), [leader_anchor])
    follower_anchor.follow(follower.newest, KEY)
    leader_anchor.follow(leader.newest, KEY)
    leader.append(WHO, "check", "s1", "one")
    time.sleep(0.5)
    assert store.get_meta(STORE_META) is None  # nobody leads yet
    leading["now"] = True
    last = follower.append(WHO, "check", "s2", "two")  # appended by the one that does not lead
    assert _wait(lambda: (m := store.get_meta(STORE_META)) is not None and Head.parse(m, KEY).seq == last.seq)
    follower.close()
    leader.close()
    meta = store.get_meta(STORE_META)
    assert meta is not None and Head.parse(meta, KEY).hash == last.hash
