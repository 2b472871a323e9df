"""`credit-graph load` and `credit-graph export-admin` as a user runs them: exit codes, one-line errors,
never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import SECRET
from tests.test_loaders_samples import SAMPLES

REPO = Path(__file__).resolve().parents[1]


def run(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_GRAPH_")}
    environment.update(CREDIT_GRAPH_DATA_DIR=str(tmp / "data"), CREDIT_GRAPH_HASH_KEY=SECRET, **env)
    return subprocess.run(
        [sys.executable, "-m", "graph_service.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
        cwd=REPO,
    )


def clean_failure(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_load_prints_a_summary_and_a_second_load_changes_nothing(tmp_path: Path) -> None:
    first = run(tmp_path, "load", "enterprises", str(SAMPLES / "enterprises.csv"))
    assert first.returncode == 0, first.stderr
    assert "201 rows, 198 loaded, 3 rejected" in first.stdout
    assert "loaded with a bad optional field left empty" in first.stdout
    assert (tmp_path / "data" / "loads" / "enterprises.csv.rejects.csv").exists()
    again = run(tmp_path, "load", "enterprises", str(SAMPLES / "enterprises.csv"))
    assert again.returncode == 0 and " 0 changes" in again.stdout, again.stdout
    stats = run(tmp_path, "stats")
    assert "198" in stats.stdout


def test_bad_arguments_end_with_one_message_and_exit_2(tmp_path: Path) -> None:
    clean_failure(run(tmp_path, "load", "bankruptcies", str(SAMPLES / "enterprises.csv")), 2, "unknown kind")
    clean_failure(run(tmp_path, "load", "court", str(SAMPLES / "enterprises.csv")), 2, "no column 案号")
    clean_failure(run(tmp_path, "load", "court", str(tmp_path / "none.csv")), 2, "no such file")
    clean_failure(
        run(tmp_path, "load", "list", str(SAMPLES / "lists_gb18030.csv"), "--encoding", "utf-8"),
        2,
        "not valid utf-8",
    )
    mapping = tmp_path / "bad.yaml"
    mapping.write_text("kind: court\nsource: x\ncolumns: {whatever: 案号}\n", encoding="utf-8")
    clean_failure(
        run(tmp_path, "load", "court", str(SAMPLES / "court_2024-06.csv"), "--mapping", str(mapping)),
        2,
        "whatever",
    )
    clean_failure(
        run(
            tmp_path,
            "load",
            "enterprises",
            str(SAMPLES / "enterprises.csv"),
            CREDIT_GRAPH_REJECT_THRESHOLD="2",
        ),
        2,
        "CREDIT_GRAPH_REJECT_THRESHOLD",
    )


def test_too_many_rejects_fail_the_run_with_exit_1_after_loading_the_good_rows(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "load",
        "enterprises",
        str(SAMPLES / "enterprises.csv"),
        CREDIT_GRAPH_REJECT_THRESHOLD="0.01",
    )
    clean_failure(result, 1, "3 of 201 rows rejected", "CREDIT_GRAPH_REJECT_THRESHOLD=0.01")
    assert "198 loaded" in result.stdout


def test_export_admin_writes_the_files_and_prints_the_command(tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = run(
        tmp_path,
        "export-admin",
        str(out),
        f"enterprises={SAMPLES / 'enterprises.csv'}",
        f"personnel={SAMPLES / 'personnel.csv'}",
    )
    assert result.returncode == 0, result.stderr
    # The database name before the options: after the many-valued --relationships it is read as a file.
    assert "neo4j-admin database import full neo4j \\\n" in result.stdout
    assert "--nodes=Enterprise=" in result.stdout and "--relationships=" in result.stdout
    for name in ("enterprises.csv", "persons.csv", "roles_person.csv", "entries.csv", "store_meta.csv"):
        assert (out / "import" / name).exists()
    lines = (out / "import" / "enterprises.csv").read_text(encoding="utf-8").splitlines()
    assert "uscc:ID(Enterprise),name," in lines[0] and len(lines) == 199
    clean_failure(run(tmp_path, "export-admin", str(out), "enterprises"), 2, "expected KIND=FILE")


def test_the_shipped_layout_is_named_in_the_summary_and_unread_columns_listed(tmp_path: Path) -> None:
    published = REPO / "samples" / "published"
    first = run(tmp_path, "load", "enterprises", str(published / "registration_enterprises.csv"))
    assert first.returncode == 0, first.stderr
    assert "mapping: enterprises.registration_extract.yaml: reads 12 of the file's 12 columns" in first.stdout
    data = tmp_path / "odd.csv"
    data.write_text(
        "统一社会信用代码,企业名称,电话,备注\n91110000600037341L,北京某某有限公司,1,x\n", encoding="utf-8"
    )
    odd = run(tmp_path, "load", "enterprises", str(data))
    assert odd.returncode == 0, odd.stderr
    assert "mapping: enterprises.yaml: reads 3 of the file's 4 columns" in odd.stdout
    assert "columns the mapping does not read: 备注" in odd.stdout
    # A plain enterprise table is not a registration extract: that layout is told by 主体身份代码.
    data.write_text("统一社会信用代码,企业名称\n91110000600037341L,北京某某有限公司\n", encoding="utf-8")
    plain = run(tmp_path, "load", "enterprises", str(data))
    assert plain.returncode == 0, plain.stderr
    assert "mapping: enterprises.yaml: reads 2 of the file's 2 columns" in plain.stdout
    assert "enterprises.registration_extract.yaml: the file has no column 主体身份代码" in plain.stdout


def test_a_file_no_shipped_layout_fits_ends_with_one_message_and_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "other.csv"
    data.write_text("甲,乙\n1,2\n", encoding="utf-8")
    result = run(tmp_path, "load", "court", str(data))
    clean_failure(
        result, 2, "no shipped court mapping fits", "court.yaml", "court.platform_json.yaml", "--mapping"
    )
    assert len(result.stderr.strip().splitlines()) == 1
