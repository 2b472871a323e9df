"""CSV read a block at a time by pyarrow's parser, for the well-formed bulk of a registration file.

The record-by-record reader (readers.py) survives what published files do wrong: quotes left open, lines
in another encoding, oversized cells, rows of the wrong width. It pays for that on every line. Here a
block of whole lines (a few MB) goes to pyarrow only when nothing in it needs that care: no quote
character, no NUL or bare carriage return, valid UTF-8, every row as wide as the header, no cell over the
limit. The first block that is not so, and everything after it, is left to the record reader, which then
starts at a line where no quote can be open (no earlier block had one), with the row numbers so far; so
what a load reports is the same whichever reader read a row.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

BLOCK_BYTES = 4 << 20


@dataclass
class Handover:
    """Where the record reader takes over: the byte offset of a line start, and the rows numbered so far
    (the header is row 1); offset 0 means the whole file, header included."""

    offset: int = 0
    number: int = 0


def _plain(block: bytes) -> bool:
    # A quote may open a cell that holds line breaks or is never closed: the record reader's to read.
    # NUL is refused by the csv module, a bare CR ends a line for pyarrow but not for the record reader.
    return b'"' not in block and b"\x00" not in block and block.count(b"\r") == block.count(b"\r\n")


def rows(
    path: Path, delimiter: str, header: list[str], max_cell: int, progress: list[int], handover: Handover
) -> Iterator[tuple[int, list[str | None]]]:
    """(row number, cells) of the file's rows while its blocks are plain; header receives the header.
    Fills handover with where the record reader must go on when a block is not (offset -1: read whole)."""
    handover.offset, handover.number = -1, 0
    with path.open("rb") as raw:
        first = raw.readline()
        line = first.removeprefix(codecs.BOM_UTF8)
        if not _plain(line) or not line.strip():
            handover.offset = 0
            return
        try:
            names = line.decode("utf-8").rstrip("\r\n").split(delimiter)
        except UnicodeDecodeError:
            handover.offset = 0
            return
        header[:] = [n.strip() for n in names]
        width, number, offset = len(names), 1, len(first)
        # Column names of pyarrow's own: the header may repeat or leave out a name, which it would refuse.
        columns = [f"c{i}" for i in range(width)]
        options = pacsv.ReadOptions(column_names=columns, block_size=BLOCK_BYTES * 2, use_threads=False)
        parse = pacsv.ParseOptions(delimiter=delimiter, quote_char=False, double_quote=False)
        convert = pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        while True:
            block = raw.read(BLOCK_BYTES)
            if not block:
                return
            if not block.endswith(b"\n"):
                block += raw.readline()
            cells = _parse(block, options, parse, convert, max_cell) if _plain(block) else None
            if cells is None:
                handover.offset, handover.number = offset, number
                return
            offset += len(block)
            progress[0] = offset
            for row in zip(*cells, strict=True):
                if not "".join(row).strip():
                    continue  # a blank line is not a row, as in the record reader
                number += 1
                yield number, list(row)


def _parse(
    block: bytes,
    options: pacsv.ReadOptions,
    parse: pacsv.ParseOptions,
    convert: pacsv.ConvertOptions,
    max_cell: int,
) -> list[list[str]] | None:
    """The block's columns as lists of text, or None when pyarrow refuses it (a row of another width, bad
    UTF-8) or a cell is over the limit."""
    try:
        table = pacsv.read_csv(
            io.BytesIO(block), read_options=options, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    out: list[list[str]] = []
    for column in table.columns:
        if len(column) and pc.max(pc.utf8_length(column)).as_py() > max_cell:
            return None
        out.append(column.to_pylist())
    return out


def is_utf8(encoding: str) -> bool:
    return encoding in ("utf-8", "utf-8-sig")


__all__ = ["BLOCK_BYTES", "Handover", "is_utf8", "rows"]
