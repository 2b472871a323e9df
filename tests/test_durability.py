"""An acknowledged write survives kill -9 of the writing process (embedded backend)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graph_service.store.embedded import EmbeddedStore
from tests import factories as f

BATCH = 200

WRITER = textwrap.dedent(
    f"""
    import sys
    from graph_service.store.embedded import EmbeddedStore
    from tests import factories as f
    store = EmbeddedStore(sys.argv[1])
    for b in range(10_000):
        rows = [f.enterprise(b * {BATCH} + i) for i in range({BATCH})]
        store.upsert_enterprises(rows)
        print(b, flush=True)  # acknowledged: the batch call returned
    """
)


@pytest.mark.parametrize("kill_after", [1, 7, 23])
def test_acknowledged_batches_survive_sigkill(tmp_path: Path, kill_after: int) -> None:
    path = tmp_path / "graph.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert writer.stdout is not None
    acked = -1
    for line in writer.stdout:
        acked = int(line)
        if acked + 1 >= kill_after:
            writer.send_signal(signal.SIGKILL)  # right after the batch returned, mid-way through the next
            break
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert acked + 1 == kill_after

    store = EmbeddedStore(path)
    count = store.counts()["enterprises"]
    for n in range((acked + 1) * BATCH):
        assert store.get_enterprise(f.uscc(n)) is not None, f"acknowledged row {n} lost"
    # A batch is one transaction: the one in flight is either wholly there or wholly absent.
    assert count % BATCH == 0
    assert count >= (acked + 1) * BATCH
    store.close()
