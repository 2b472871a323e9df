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
from typing import IO, Any, Literal

from loaders import columnar
from loaders.columnar import Handover

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
    column: str | None = None  # the header of the cell that spoiled the row, when one did


# The longest cell a row may have (the csv module's own default limit). Records are parsed with a larger
# limit so that the reader can name the column of an oversized cell instead of failing the record blind.
MAX_CELL_CHARS = 131_072


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
    """utf-8 (with or without a byte-order mark) when the start of the file reads as UTF-8, else gb18030.
    Line by line: Chinese text in GB18030 is almost never valid UTF-8, so lines with Chinese that read as
    UTF-8 outvote a stray line in another encoding (that row alone is then rejected, not the file misread)."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    utf8 = other = 0
    lines = head.split(b"\n")
    if len(head) == _SNIFF_BYTES and len(lines) > 1:
        lines.pop()  # cut at the end of the sample
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other += 1
        else:
            utf8 += 1
    return "gb18030" if other > utf8 else "utf-8"


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


# A quoted cell may hold line breaks; one still open after this many lines (or characters) is a quote
# that was never closed, and the record is cut back to its first line.
MAX_RECORD_LINES = 200
MAX_RECORD_CHARS = 1 << 20


def _open_at_end(line: str, quoted: bool, delimiter: str = ",") -> tuple[bool, bool]:
    """Whether a quoted cell is still open after this line, given whether one was open before it (the
    csv module's own reading of quotes: a quote opens a cell only at its start; "" inside is a quote),
    and whether a quote closed with something other than the delimiter or the line's end after it.
    Steps from quote to quote with str.find, so a line costs little more than its quotes."""
    if not quoted and '"' not in line:
        return False, False
    irregular = False
    at_start = not quoted  # at the start of a cell where the scan begins
    i, n = 0, len(line)
    while True:
        j = line.find('"', i)
        if j < 0:
            return quoted, irregular
        if quoted:
            if j + 1 < n and line[j + 1] == '"':
                i = j + 2
                continue
            quoted = False
            after = line[j + 1] if j + 1 < n else "\n"
            irregular = irregular or after not in (delimiter, "\r", "\n")
            i, at_start = j + 1, False
            continue
        if (
            (j == i and at_start)
            or (j > i and line[j - 1] == delimiter)
            or (j == i and j > 0 and line[j - 1] == delimiter)
        ):
            quoted = True
        i, at_start = j + 1, False


class _Records:
    """Whole CSV records from a binary file, one string each, decoded line by line: a line in another
    encoding spoils only its record (error says why), and an unclosed quote is cut back to its line."""

    def __init__(self, raw: IO[bytes], encoding: str, delimiter: str = ",") -> None:
        self.raw = raw
        self.delimiter = delimiter
        self.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self.first = True
        self.error: str | None = None
        self.spanned = 0  # physical lines of the last record
        self._pending: list[tuple[str, str | None]] = []  # lines read again after a cut
        self._last: list[tuple[str, str | None]] = []

    def _line(self) -> tuple[str, str | None] | None:
        if self._pending:
            return self._pending.pop()
        data = self.raw.readline(MAX_RECORD_CHARS)
        if not data:
            return None
        if len(data) >= MAX_RECORD_CHARS and not data.endswith(b"\n"):
            while data and not data.endswith(b"\n"):
                data = self.raw.readline(MAX_RECORD_CHARS)
            return "\n", f"a line longer than {MAX_RECORD_CHARS:,} bytes"
        if self.first:
            self.first = False
            data = data.removeprefix(codecs.BOM_UTF8)
        try:
            return data.decode(self.encoding), None
        except UnicodeDecodeError as exc:
            text = data.decode(self.encoding, errors="replace")
            return text, (
                f"not valid {self.encoding} at byte {exc.start + 1} of the line ({exc.reason}); "
                "the rest of the file is read"
            )

    def retry(self) -> None:
        """Read the last record's lines after its first again, as records of their own."""
        self._pending.extend(reversed(self._last[1:]))
        self._last = []

    def __iter__(self) -> _Records:
        return self

    def __next__(self) -> str:
        first = self._line()
        if first is None:
            raise StopIteration
        lines = [first]
        quoted, _ = _open_at_end(first[0], False, self.delimiter)
        size = len(first[0])
        irregular = False
        while quoted:
            nxt = self._line()
            if irregular or nxt is None or len(lines) >= MAX_RECORD_LINES or size > MAX_RECORD_CHARS:
                # Never closed: the opening line is a bad row, the lines after it rows of their own.
                if nxt is not None:
                    self._pending.append(nxt)
                self._pending.extend(reversed(lines[1:]))
                self._last, self.spanned = lines[:1], 1
                self.error = "an opening quote that is not closed on its line"
                return "\n"
            lines.append(nxt)
            size += len(nxt[0])
            quoted, irregular = _open_at_end(nxt[0], True, self.delimiter)
            if irregular and not quoted:
                # A quote closed many lines later, followed by text rather than a delimiter: an unclosed
                # quote that met another row's quotes, not a cell holding line breaks.
                quoted = True
        self._last, self.spanned = lines, len(lines)
        self.error = next((e for _, e in lines if e is not None), None)
        return "".join(text for text, _ in lines) if len(lines) > 1 else first[0]


class Reader:
    """One input file: its header, then its rows, with how far into the file the reading is."""

    def __init__(
        self, path: Path, encoding: str | None = None, sheet: str | None = None, columnar: bool = True
    ) -> None:
        self.path = path
        # CSV blocks with nothing to take care over go to the columnar parser (loaders/columnar.py).
        self.columnar = columnar
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
        if self.path.suffix.lower() == ".tsv":
            return "\t"
        with self.path.open("rb") as f:
            first = f.read(8192).decode(self.encoding, errors="ignore").splitlines()
        line = first[0] if first else ""
        return "\t" if line.count("\t") > line.count(",") else ","

    def _csv(self) -> Iterator[SourceRow]:
        delimiter = self._delimiter()
        handover = Handover(offset=0)
        if self.columnar and columnar.is_utf8(self.encoding):
            # The plain blocks of the file by the columnar parser; the record reader from the first block
            # that is not plain (or from the start).
            self._counter = _Counting(io.BytesIO())
            progress = [0]
            for number, cells in columnar.rows(
                self.path, delimiter, self.header, MAX_CELL_CHARS, progress, handover
            ):
                self._counter.position = progress[0]
                yield SourceRow(number, cells)
            if handover.offset < 0:
                return
        yield from self._records(delimiter, handover)

    def _records(self, delimiter: str, start: Handover) -> Iterator[SourceRow]:
        """Rows assembled record by record, from a line start (start.offset) with start.number rows
        numbered before it (the header is read here when the start is the file's)."""
        handle = self.path.open("rb")
        handle.seek(start.offset)
        self._counter = _Counting(handle)
        self._counter.position = start.offset
        raw = io.BufferedReader(self._counter, buffer_size=1 << 16)
        records = _Records(raw, self.encoding, delimiter)
        records.first = start.offset == 0
        if csv.field_size_limit() < MAX_RECORD_CHARS:
            csv.field_size_limit(MAX_RECORD_CHARS)
        # One reader over whole records: a record is complete before the csv module sees it, so a bad
        # one (an oversized cell) raises for that record alone and the reader goes on with the next.
        reader = csv.reader(records, delimiter=delimiter)
        number = start.number
        try:
            while True:
                try:
                    cells = next(reader)
                    error = records.error
                except StopIteration:
                    break
                except csv.Error as exc:
                    cells, error = [], f"not valid CSV: {exc}"
                    if records.spanned > 1:
                        records.retry()  # the lines after the first are rows of their own
                        error = "an opening quote that is not closed on its line"
                number += 1
                if number == 1:
                    if error is not None:
                        raise InputError(f"{self.path}: the header row cannot be read: {error}")
                    self.header = [c.strip() for c in cells]
                    continue
                if error is None and not "".join(cells).strip():
                    number -= 1  # a blank line is not a row
                    continue
                if error is None and len(cells) != len(self.header):
                    if records.spanned > 1:
                        # A quote opened and closed many lines later swallowed the rows between: read
                        # again from the line after the opening one.
                        records.retry()
                        cells, error = [], "an opening quote that is not closed on its line"
                    else:
                        error = f"has {len(cells)} fields where the header has {len(self.header)}"
                column = None
                if error is None:
                    column = next(
                        (h for h, c in zip(self.header, cells, strict=False) if len(c) > MAX_CELL_CHARS), None
                    )
                    if column is not None:
                        size = max(len(c) for c in cells)
                        error = f"a cell of {size:,} characters, over the {MAX_CELL_CHARS:,} a cell may hold"
                yield SourceRow(number, [] if error else list(cells), error, column)
        finally:
            raw.close()

    # -- JSON Lines -------------------------------------------------------------------------------

    def _jsonl(self) -> Iterator[SourceRow]:
        self._counter = _Counting(self.path.open("rb"))
        raw = io.BufferedReader(self._counter, buffer_size=1 << 16)
        keys: dict[str, int] = {}
        try:
            number = 0
            while data := raw.readline(MAX_LINE_CHARS + 1):
                number += 1
                if len(data) > MAX_LINE_CHARS and not data.endswith(b"\n"):
                    while data and not data.endswith(b"\n"):
                        data = raw.readline(MAX_LINE_CHARS)
                    yield SourceRow(number, [], f"line longer than {MAX_LINE_CHARS:,} bytes")
                    continue
                if number == 1:
                    data = data.removeprefix(codecs.BOM_UTF8)
                try:
                    line = data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    # One line in another encoding spoils that line alone.
                    yield SourceRow(number, [], f"not valid UTF-8 at byte {exc.start + 1} ({exc.reason})")
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
        finally:
            raw.close()

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
