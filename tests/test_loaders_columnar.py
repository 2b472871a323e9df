"""The columnar CSV path gives the rows the record reader gives, row numbers and refusals included, on the
shipped samples and on files that go wrong part-way (the record reader then takes over)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders import columnar
from loaders.readers import Reader, SourceRow

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").rglob("*.csv"))


def _read(path: Path, use_columnar: bool) -> tuple[list[str], list[SourceRow], str]:
    reader = Reader(path, columnar=use_columnar)
    found = list(reader.rows())
    return reader.header, found, reader.encoding


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("block", [columnar.BLOCK_BYTES, 256])
def test_samples_read_the_same(path: Path, block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "BLOCK_BYTES", block)
    assert _read(path, True) == _read(path, False)


HEADER = "统一社会信用代码,企业名称,法定代表人\n"
GOOD = "91110000600037341L,某某有限公司,张三\n"

ODD = {
    "quote later": GOOD * 40 + '91110000600037341L,"某某,有限公司",张三\n' + GOOD * 5,
    "quote never closed": GOOD * 40 + '91110000600037341L,"某某有限公司,张三\n' + GOOD * 5,
    "short row": GOOD * 40 + "91110000600037341L,某某有限公司\n" + GOOD * 5,
    "long row": GOOD * 40 + "91110000600037341L,某某有限公司,张三,多\n" + GOOD * 5,
    "blank lines": GOOD * 10 + "\n\n,,\n  \n" + GOOD * 10,
    "bare carriage return": GOOD * 40 + "91110000600037341L,某某\r有限公司,张三\n" + GOOD * 5,
    "windows line ends": (GOOD * 40).replace("\n", "\r\n"),
    "no final line end": GOOD * 40 + GOOD.rstrip("\n"),
    "byte order mark": "\ufeff" + HEADER + GOOD * 3,
    "cells with blanks": GOOD * 5 + " 91110000600037341L , 某某 ,\t张三\n" + GOOD,
}


@pytest.mark.parametrize("name", sorted(ODD))
@pytest.mark.parametrize("block", [columnar.BLOCK_BYTES, 64, 300])
def test_odd_files_read_the_same(
    name: str, block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columnar, "BLOCK_BYTES", block)
    text = ODD[name]
    path = tmp_path / "odd.csv"
    path.write_text(text if text.startswith("\ufeff") else HEADER + text, encoding="utf-8", newline="")
    assert _read(path, True) == _read(path, False)


@pytest.mark.parametrize("block", [columnar.BLOCK_BYTES, 64])
def test_bytes_in_another_encoding_and_oversized_cells(
    block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columnar, "BLOCK_BYTES", block)
    monkeypatch.setattr("loaders.readers.MAX_CELL_CHARS", 50)
    path = tmp_path / "mixed.csv"
    good = GOOD.encode("utf-8")
    path.write_bytes(
        HEADER.encode("utf-8")
        + good * 20
        + "91110000600037341L,某某有限公司,李四\n".encode("gb18030")
        + good * 3
        + ("91110000600037341L," + "长" * 60 + ",张三\n").encode("utf-8")
        + good * 3
    )
    header, found, _ = _read(path, True)
    assert (header, found) == _read(path, False)[:2]
    errors = [r for r in found if r.error]
    assert [r.number for r in errors] == [22, 26]


def test_the_columnar_path_reads_plain_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain file never reaches the record reader."""
    path = tmp_path / "plain.csv"
    path.write_text(HEADER + GOOD * 100, encoding="utf-8")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the record reader was used")

    monkeypatch.setattr(Reader, "_records", refuse)
    header, found, _ = _read(path, True)
    assert header == ["统一社会信用代码", "企业名称", "法定代表人"]
    assert [r.number for r in found] == list(range(2, 102))
