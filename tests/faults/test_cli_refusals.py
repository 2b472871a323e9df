"""One message and exit 2 for bad arguments and settings, naming the argument or setting and the path,
checked before anything is written (README: the command's promise)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parents[2] / "samples"


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "CREDIT_GRAPH_HASH_KEY": "h", **env}
    return subprocess.run([sys.executable, "-m", "graph_service.cli", *args], capture_output=True, text=True,
                          env=full, cwd=cwd, timeout=120, check=False)  # fmt: skip


CASES = [
    ("binary rules file", ["rules", "{tmp}/bin.yaml"], {},
     "{tmp}/bin.yaml: not a rules file: not UTF-8 text"),
    ("an encoding the loaders do not read", ["load", "enterprises", "{samples}/enterprises.csv", "--encoding",
     "utf-16"], {}, "--encoding: 'utf-16' is not one the loaders read"),
    ("export-admin into a file", ["export-admin", "{tmp}/afile", "enterprises={samples}/enterprises.csv"], {},
     "FOLDER: {tmp}/afile is a file"),
    ("generate --answers into a folder", ["generate", "--enterprises", "50", "--answers", "{tmp}/folder"], {},
     "--answers: {tmp}/folder is a folder"),
    ("generate --answers into a missing folder", ["generate", "--enterprises", "50", "--answers",
     "{tmp}/nope/a.json"], {}, "--answers: the folder {tmp}/nope does not exist"),
    ("data folder a file", ["stats"], {"CREDIT_GRAPH_DATA_DIR": "{tmp}/afile"},
     "CREDIT_GRAPH_DATA_DIR: {tmp}/afile is a file, not a folder"),
    ("store path a folder", ["stats"], {"CREDIT_GRAPH_EMBEDDED_PATH": "{tmp}/folder"},
     "CREDIT_GRAPH_EMBEDDED_PATH: {tmp}/folder is a folder, not a file"),
    ("store path not a database", ["stats"], {"CREDIT_GRAPH_EMBEDDED_PATH": "{tmp}/text.sqlite3"},
     "CREDIT_GRAPH_EMBEDDED_PATH: {tmp}/text.sqlite3 is not a SQLite database"),
    ("keys path a folder", ["keys", "list"], {"CREDIT_GRAPH_KEYS_PATH": "{tmp}/folder"},
     "CREDIT_GRAPH_KEYS_PATH: {tmp}/folder is a folder, not a file"),
    ("keys path not a database", ["keys", "list"], {"CREDIT_GRAPH_KEYS_PATH": "{tmp}/text.sqlite3"},
     "CREDIT_GRAPH_KEYS_PATH: {tmp}/text.sqlite3 is not a SQLite database"),
    ("audit path a folder", ["audit", "list"], {"CREDIT_GRAPH_AUDIT_PATH": "{tmp}/folder"},
     "CREDIT_GRAPH_AUDIT_PATH: {tmp}/folder is a folder, not a file"),
    ("audit path not a database", ["audit", "verify"], {"CREDIT_GRAPH_AUDIT_PATH": "{tmp}/text.sqlite3"},
     "CREDIT_GRAPH_AUDIT_PATH: {tmp}/text.sqlite3 is not a SQLite database"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "env", "said"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_arguments_and_settings_get_one_message_and_exit_2(
    tmp_path: Path, args: list[str], env: dict[str, str], said: str
) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"\x00\x01\xff\xfe rules")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "folder").mkdir()
    (tmp_path / "text.sqlite3").write_text("not a database")
    data = tmp_path / "data"

    def fill(text: str) -> str:
        return text.format(tmp=tmp_path, samples=SAMPLES)

    settings = {"CREDIT_GRAPH_DATA_DIR": str(data), **{k: fill(v) for k, v in env.items()}}
    done = cli([fill(a) for a in args], settings, tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0] == f"credit-graph: {lines[0].removeprefix('credit-graph: ')}", lines
    assert fill(said) in lines[0], lines
    assert "Error" not in lines[0] and "Traceback" not in done.stderr
    assert not (data / "graph.sqlite3").exists(), "written before the refusal"
