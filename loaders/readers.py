"""Streaming readers for the input formats: CSV (UTF-8 or GB18030), XLSX and JSON Lines.

Each reader yields the header row once and then data rows as lists of cell texts, one at a time, so a
file of any size is read in constant memory. Row numbers are where an operator finds a row in the file:
in CSV and XLSX the header is row 1, as a spreadsheet shows it; in JSON Lines a row is its line.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, Literal, TextIO

Format = Literal["csv", "xlsx", "jsonl"]
ENCODINGS = ("utf-8", "gb18030")
# Enough of a file to tell UTF-8 from GB18030: Chinese text in GB18030 is almost never valid UTF-8.
_SNIFF_BYTES = 1 << 20


class InputError(Exception):
    """The file cannot be read as the format it claims; the message says where and why."""


@dataclass
class SourceRow:
    number: int  # CSV and XLSX: 1-based with the header as row 1; JSON Lines: the line
    cells: list[str | None]
    error: str | None = None  # the row could not be read (bad JSON, wrong shape): a reject, not a crash


class _Counting(io.RawIOBase):
    """Counts the bytes read from a binary file, for a progress bar over the file's size."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.position += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def detect_format(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    raise InputError(f"{path}: unknown file type {suffix!r}; expected .csv, .xlsx or .jsonl")


def detect_encoding(path: Path) -> str:
    """utf-8 (with or without a byte-order mark) when the start of the file decodes as UTF-8, else gb18030."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: a character cut at the end of the sample is not an error.
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


# What published files come in: UTF-8 (with or without a byte-order mark) and the GB family (GB18030 reads
# GBK and GB2312 text). Others are refused by name rather than misread.
READABLE = ("utf-8", "utf-8-sig", "gb18030")


def normalise_encoding(name: str) -> str:
    lowered = name.lower().replace("_", "-")
    aliases = {"utf8": "utf-8", "gbk": "gb18030", "gb2312": "gb18030", "utf-8-bom": "utf-8-sig"}
    lowered = aliases.get(lowered, lowered)
    if lowered not in READABLE:
        raise InputError(f"--encoding: {name!r} is not one the loaders read; use utf-8 or gb18030")
    return lowered


# A JSON Lines record longer than this is refused whole (a CSV cell stops at 128 KiB, the csv module's limit).
MAX_LINE_CHARS = 1 << 20


def _skip_rest_of_line(text: TextIO) -> None:
    """Read and drop the rest of an overlong line in bounded pieces, never holding it whole."""
    rest = text.readline(MAX_LINE_CHARS)
    while rest and not rest.endswith("\n"):
        rest = text.readline(MAX_LINE_CHARS)


def cell_text(value: object) -> str | None:
    """A spreadsheet or JSON cell as text; dates as ISO dates, whole numbers without a decimal point."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


class Reader:
    """One input file: its header, then its rows, with how far into the file the reading is."""

    def __init__(self, path: Path, encoding: str | None = None, sheet: str | None = None) -> None:
        self.path = path
        self.format = detect_format(path)
        self.size = path.stat().st_size
        self.encoding = (
            normalise_encoding(encoding)
            if encoding
            else (detect_encoding(path) if self.format == "csv" else "")
        )
        if self.encoding == "utf-8" and self.format == "csv":
            self.encoding = "utf-8-sig"  # a byte-order mark anywhere Excel put one is not part of a header
        self.sheet = sheet
        self.header: list[str] = []
        self._counter: _Counting | None = None
        self._rows_total: int | None = None

    @property
    def position(self) -> int:
        """Bytes read so far (CSV, JSON Lines), for progress; rows for XLSX."""
        return self._counter.position if self._counter is not None else 0

    @property
    def total(self) -> int | None:
        return self._rows_total if self.format == "xlsx" else self.size

    def rows(self) -> Iterator[SourceRow]:
        """Data rows after the header (which is in self.header once the first row is yielded)."""
        if self.format == "xlsx":
            return self._xlsx()
        if self.format == "jsonl":
            return self._jsonl()
        return self._csv()

    # -- CSV --------------------------------------------------------------------------------------

    def _delimiter(self) -> str:
        with self.path.open("rb") as f:
            first = f.read(8192).decode(self.encoding, errors="ignore").splitlines()
        line = first[0] if first else ""
        return "\t" if line.count("\t") > line.count(",") else ","

    def _csv(self) -> Iterator[SourceRow]:
        delimiter = self._delimiter()
        self._counter = _Counting(self.path.open("rb"))
        buffered = io.BufferedReader(self._counter, buffer_size=1 << 16)
        text = io.TextIOWrapper(buffered, encoding=self.encoding, newline="")
        number = 0
        try:
            for cells in csv.reader(text, delimiter=delimiter):
                number += 1
                if number == 1:
                    self.header = [c.strip() for c in cells]
                    continue
                if not "".join(cells).strip():
                    continue
                error = None
                if len(cells) != len(self.header):
                    error = f"has {len(cells)} fields where the header has {len(self.header)}"
                yield SourceRow(number, list(cells), error)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{self.path}: not valid {self.encoding} after row {number}: {exc.reason}; "
                "give the file's encoding with --encoding (utf-8 or gb18030)"
            ) from None
        except csv.Error as exc:
            raise InputError(f"{self.path}: row {number + 1}: not valid CSV: {exc}") from None
        finally:
            text.close()

    # -- JSON Lines -------------------------------------------------------------------------------

    def _jsonl(self) -> Iterator[SourceRow]:
        self._counter = _Counting(self.path.open("rb"))
        buffered = io.BufferedReader(self._counter, buffer_size=1 << 16)
        text = io.TextIOWrapper(buffered, encoding=self.encoding or "utf-8-sig")
        keys: dict[str, int] = {}
        try:
            number = 0
            while line := text.readline(MAX_LINE_CHARS + 1):
                number += 1
                if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
                    _skip_rest_of_line(text)
                    yield SourceRow(number, [], f"line longer than {MAX_LINE_CHARS:,} characters")
                    continue
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield SourceRow(number, [], f"not valid JSON: {exc.msg} at column {exc.colno}")
                    continue
                if not isinstance(record, dict):
                    yield SourceRow(number, [], "not a JSON object")
                    continue
                for key in record:
                    if key not in keys:
                        keys[key] = len(keys)
                        self.header.append(key.strip())
                cells: list[str | None] = [None] * len(keys)
                nested = next((k for k, v in record.items() if isinstance(v, dict | list)), None)
                if nested is not None:
                    # A record's field holds one value; an object or a list there is a layout we cannot read.
                    yield SourceRow(number, [], f"{nested}: an object or list where one value belongs")
                    continue
                for key, value in record.items():
                    cells[keys[key]] = cell_text(value)
                yield SourceRow(number, cells)
        except UnicodeDecodeError as exc:
            raise InputError(f"{self.path}: not valid UTF-8: {exc.reason}") from None
        finally:
            text.close()

    # -- XLSX -------------------------------------------------------------------------------------

    def _xlsx(self) -> Iterator[SourceRow]:
        from openpyxl import load_workbook

        try:
            # read_only streams the sheet's XML instead of building every cell in memory.
            book = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise InputError(f"{self.path}: not a readable XLSX workbook: {exc}") from None
        sheet: Any
        try:
            if self.sheet is not None:
                if self.sheet not in book.sheetnames:
                    raise InputError(
                        f"{self.path}: no sheet {self.sheet!r}; it has {', '.join(book.sheetnames)}"
                    )
                sheet = book[self.sheet]
            else:
                sheet = book.worksheets[0]
            self._rows_total = getattr(sheet, "max_row", None)
            self._counter = _Counting(io.BytesIO())
            header_seen = False
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                self._counter.position = number
                cells = [cell_text(v) for v in values]
                if not header_seen:
                    if not any(c and c.strip() for c in cells):
                        continue
                    while cells and not (cells[-1] or "").strip():
                        cells.pop()
                    self.header = [(c or "").strip() for c in cells]
                    header_seen = True
                    continue
                if not any(c and c.strip() for c in cells):
                    continue
                extra = [c for c in cells[len(self.header) :] if c and c.strip()]
                cells = (cells + [None] * len(self.header))[: len(self.header)]
                error = f"has {len(extra)} values beyond the header's columns" if extra else None
                yield SourceRow(number, cells, error)
        finally:
            book.close()
