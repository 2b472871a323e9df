"""Column mappings: which header of a source's file holds which field a loader needs.

A mapping is a YAML file (the shipped ones are in loaders/mappings/). It names, for each field, the
header or headers a source may use, optionally the values a column may take (an enumeration, each raw
value mapped to the loader's word for it), and constants and tables the loader needs (list type, the
positions of key personnel, the change items of change records). A source with other headers needs a
new mapping, not new code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graph_service.identifiers import normalize_name

MAPPINGS_DIR = Path(__file__).parent / "mappings"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class MappingError(Exception):
    """A mapping file cannot be used, or a file does not have the columns its mapping needs."""


def header_key(text: str) -> str:
    """Headers compare after normalisation: full-width letters, brackets and spaces do not matter."""
    return normalize_name(text).replace(" ", "").lower()


class Column(BaseModel):
    """Where one field's value comes from. `headers`: the columns a source may use; in each row the first
    of them present in the file with a non-empty cell wins, so a row without a USCC can fall back to its
    注册号, or a person's 身份证号码 to the 组织机构代码 column of the same table. `constant`: the same value
    for every row, the file not consulted (a list's type, an authority a file does not name). `default`:
    used when the file has none of the headers or the row's cells are empty. `template`: text made from
    other columns of the row, `{header}` standing for that cell, `{a|b}` for the first of two columns,
    `{c?}` for a column that may be absent; a date is put in its ISO form (a decision number for a list
    that publishes none: "{公布日期|公布时间}/{案件性质}")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    headers: tuple[str, ...] = ()
    # Allowed raw values and the loader's word for each; absent: any value.
    values: dict[str, str] | None = None
    default: str | None = None
    constant: str | None = None
    template: str | None = None

    @field_validator("headers", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("values", mode="before")
    @classmethod
    def _list_or_map(cls, value: Any) -> Any:
        if isinstance(value, list):
            return {str(v): str(v) for v in value}
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value

    @field_validator("default", "constant", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _one_source(self) -> Column:
        given = [n for n in ("headers", "constant", "template") if getattr(self, n)]
        if not given:
            raise ValueError("give headers, a constant or a template")
        if len(given) > 1:
            raise ValueError(f"give one of headers, constant and template, not {' and '.join(given)}")
        if self.template is not None and not _PLACEHOLDER.search(self.template):
            raise ValueError("a template names at least one {header}; a fixed text is a constant")
        return self

    def lookup(self) -> dict[str, str] | None:
        return {header_key(k): v for k, v in self.values.items()} if self.values is not None else None

    def template_headers(self) -> list[str]:
        return _PLACEHOLDER.findall(self.template or "")


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    description: str = ""
    # What records from this source carry as their source; a newer snapshot of the same source is
    # compared with what this source loaded before.
    source: str = Field(min_length=1)
    columns: dict[str, Column]
    # Columns of the layout that the graph does not keep (a debtor's age, a row's serial number): read by
    # nothing, on purpose, so the summary does not list them among the columns no field reads.
    ignore: tuple[str, ...] = ()
    # Fields this layout is told by: a file without a column for each does not fit it (a registration
    # extract is keyed by 主体身份代码; without one the plain enterprise layout is the one that fits).
    requires: tuple[str, ...] = ()
    options: dict[str, Any] = {}

    @field_validator("columns", mode="before")
    @classmethod
    def _short_forms(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: {"headers": v} if isinstance(v, str | list) else v for k, v in value.items()}


class LoadedMapping:
    """A mapping with where it came from and a digest of its text, for resuming a load."""

    def __init__(self, mapping: Mapping, path: Path, digest: str) -> None:
        self.mapping = mapping
        self.path = path
        self.digest = digest


def default_mapping_path(kind: str) -> Path:
    return MAPPINGS_DIR / f"{kind}.yaml"


def load_mapping(path: Path) -> LoadedMapping:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping: {exc.strerror}") from None
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: not a valid YAML mapping: {exc}") from None
    if not isinstance(data, dict):
        raise MappingError(f"{path}: expected a mapping with kind, source and columns")
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MappingError(f"{path}: {where}: {first['msg']}") from None
    return LoadedMapping(mapping, path, hashlib.sha256(raw).hexdigest())


class Resolved:
    """A mapping applied to one file's header: for each field the columns that may give its value (in the
    mapping's order), its constant, default or template; and which of the file's columns nothing uses."""

    def __init__(
        self,
        mapping: Mapping,
        header: list[str],
        fields: dict[str, bool],
        origin: str,
        one_of: Sequence[Sequence[str]] = (),
    ) -> None:
        unknown = sorted(set(mapping.columns) - set(fields))
        if unknown:
            raise MappingError(
                f"{origin}: the mapping names fields this kind of load does not have: {', '.join(unknown)} "
                f"(known: {', '.join(sorted(fields))})"
            )
        unmapped = sorted(f for f, required in fields.items() if required and f not in mapping.columns)
        if unmapped:
            raise MappingError(
                f"{origin}: the mapping does not map the required fields {', '.join(unmapped)}"
            )
        positions = {header_key(h): i for i, h in reversed(list(enumerate(header)))}
        self.header = header
        self.index: dict[str, tuple[int, ...]] = {}
        self.header_of: dict[str, str] = {}
        self.defaults: dict[str, str | None] = {}
        self.constants: dict[str, str] = {}
        self.templates: dict[str, list[tuple[str, tuple[int, ...] | None]]] = {}
        self.values: dict[str, dict[str, str] | None] = {}
        self.raw_values: dict[str, list[str] | None] = {}
        used: set[int] = set()
        missing: list[str] = []
        for field, column in mapping.columns.items():
            self.defaults[field] = column.default
            self.values[field] = column.lookup()
            self.raw_values[field] = list(column.values) if column.values is not None else None
            if column.constant is not None:
                self.constants[field] = column.constant
                self.header_of[field] = f"{field} (constant)"
                continue
            if column.template is not None:
                self.templates[field] = self._template(column, positions, origin, field)
                used.update(i for _, ix in self.templates[field] if ix for i in ix)
                self.header_of[field] = f"{field} (from {column.template})"
                continue
            found = tuple(
                dict.fromkeys(positions[header_key(h)] for h in column.headers if header_key(h) in positions)
            )
            self.index[field] = found
            used.update(found)
            self.header_of[field] = header[found[0]] if found else column.headers[0]
            if not found and column.default is None and fields.get(field):
                missing.append(" or ".join(column.headers))
        for name in mapping.requires:
            if not self.index.get(name):
                told_by = mapping.columns.get(name)
                headers = " or ".join(told_by.headers) if told_by is not None else name
                missing.append(f"{headers} (this layout is told by it)")
        for group in one_of:
            if not any(
                self.index.get(f) or f in self.constants or f in self.templates or self.defaults.get(f)
                for f in group
            ):
                wanted = "; ".join(
                    f"{f} ({' or '.join(mapping.columns[f].headers)})" for f in group if f in mapping.columns
                )
                missing.append(f"for any of {wanted or ', '.join(group)}")
        if missing:
            raise MappingError(
                f"{origin}: the file has no column {'; no column '.join(missing)} "
                f"(its columns are: {', '.join(header) or 'none'})"
            )
        used.update(positions[header_key(h)] for h in mapping.ignore if header_key(h) in positions)
        self.fields = list(mapping.columns)
        # Columns of the file no field reads: a summary names them, so that a column a mapping misses
        # (被执行人履行情况 spelt without 的) is seen, not silently dropped.
        self.unused = [h for i, h in enumerate(header) if i not in used and h.strip()]
        self.used = len(used)
        self._multi = {f: ix for f, ix in self.index.items() if len(ix) > 1}
        self._single = {f: ix[0] for f, ix in self.index.items() if len(ix) == 1}
        self._absent = [f for f, ix in self.index.items() if not ix]

    @staticmethod
    def _template(
        column: Column, positions: dict[str, int], origin: str, field: str
    ) -> list[tuple[str, tuple[int, ...] | None]]:
        """The template's literal parts and, for each {header}, the columns that may fill it: {a|b}
        takes the first of a and b the file has (per row, the first non-empty), {c?} may be absent."""
        parts: list[tuple[str, tuple[int, ...] | None]] = []
        text = column.template or ""
        last = 0
        for m in _PLACEHOLDER.finditer(text):
            if m.start() > last:
                parts.append((text[last : m.start()], None))
            spec = m.group(1)
            optional = spec.endswith("?")
            names = [n.strip() for n in spec.removesuffix("?").split("|")]
            where = tuple(positions[header_key(n)] for n in names if header_key(n) in positions)
            if not where and not optional:
                raise MappingError(
                    f"{origin}: {field}: the template names {' or '.join(repr(n) for n in names)}, "
                    "not a column here (a placeholder ending in ? may be absent)"
                )
            parts.append(("", where))
            last = m.end()
        if last < len(text):
            parts.append((text[last:], None))
        return parts

    def values_of(
        self, cells: list[str | None], fallbacks: dict[str, str] | None = None
    ) -> dict[str, str | None]:
        """The row's value for every mapped field: stripped text, None when empty or absent. Where a later
        header of a field gave the value, `fallbacks` learns which (for the row's report lines)."""
        out: dict[str, str | None] = {}
        n = len(cells)
        defaults = self.defaults
        for field, i in self._single.items():
            value = cells[i] if i < n else None
            if value is not None:
                value = value.strip() or None
            out[field] = value if value is not None else defaults[field]
        for field, indices in self._multi.items():
            value = None
            for k, i in enumerate(indices):
                cell = cells[i] if i < n else None
                if cell is not None and cell.strip():
                    value = cell.strip()
                    if k and fallbacks is not None:
                        fallbacks[field] = self.header[i]
                    break
            out[field] = value if value is not None else defaults[field]
        for field in self._absent:
            out[field] = defaults[field]
        for field, constant in self.constants.items():
            out[field] = constant
        for field, parts in self.templates.items():
            pieces = []
            filled = False
            for literal, at in parts:
                if at is None:
                    pieces.append(literal)
                    continue
                cell = next((c.strip() for i in at if i < n and (c := cells[i]) and c.strip()), "")
                filled = filled or bool(cell)
                pieces.append(_as_iso_date(cell))
            out[field] = "".join(pieces) if filled else defaults[field]
        return out


def _as_iso_date(cell: str) -> str:
    """A cell a template puts into an identifier: a date in any published form (2021/7/5 0:00:00)
    becomes its ISO form, so the same listing exported another way keeps its entry."""
    if not cell or not cell[:1].isdigit():
        return cell
    from loaders.fields import parse_date  # fields reads mappings: imported when first needed

    if cell.isdigit() and len(cell) != 8:
        return cell  # a number, not a date (a serial date is not taken for one here)
    found = parse_date(cell)
    return found.isoformat() if found is not None else cell


@dataclass
class Fit:
    """How well a shipped mapping fits a file's header."""

    loaded: LoadedMapping
    used: int  # the file's columns the mapping reads
    unused: list[str]
    problem: str | None  # why it cannot load the file, None when it can

    @property
    def name(self) -> str:
        return self.loaded.path.name

    def why(self, columns: int) -> str:
        if self.problem is not None:
            return f"{self.name}: {self.problem}"
        return f"{self.name}: reads {self.used} of the file's {columns} columns, every required field found"


def shipped_mappings(kind: str) -> list[Path]:
    """The shipped mappings of a kind: <kind>.yaml and the layouts <kind>.<layout>.yaml."""
    return sorted(p for p in MAPPINGS_DIR.glob(f"{kind}*.yaml") if p.stem.split(".")[0] == kind)


def fit(
    loaded: LoadedMapping, header: list[str], fields: dict[str, bool], one_of: Sequence[Sequence[str]] = ()
) -> Fit:
    try:
        resolved = Resolved(loaded.mapping, header, fields, loaded.path.name, one_of)
    except MappingError as exc:
        return Fit(loaded, 0, [], str(exc).removeprefix(f"{loaded.path.name}: "))
    return Fit(loaded, resolved.used, resolved.unused, None)


def pick_mapping(
    kind: str,
    header: list[str],
    fields: dict[str, bool],
    origin: str,
    one_of: Sequence[Sequence[str]] = (),
) -> tuple[LoadedMapping, str]:
    """The shipped mapping of `kind` that reads most of the file's columns with every required field
    found, and why it was picked; MappingError naming the candidates when none fits or two fit equally."""
    fits = [fit(load_mapping(path), header, fields, one_of) for path in shipped_mappings(kind)]
    good = sorted((f for f in fits if f.problem is None), key=lambda f: (-f.used, len(f.unused)))
    columns = len([h for h in header if h.strip()])
    if not good:
        tried = "; ".join(f.why(columns) for f in fits)
        raise MappingError(
            f"{origin}: no shipped {kind} mapping fits this file ({tried}); give one with --mapping"
        )
    best = good[0]
    tied = [f for f in good if (f.used, len(f.unused)) == (best.used, len(best.unused))]
    if len(tied) > 1:
        names = "; ".join(f.why(columns) for f in tied)
        raise MappingError(
            f"{origin}: {len(tied)} shipped {kind} mappings fit equally ({names}); choose one with --mapping"
        )
    others = [f.why(columns) for f in fits if f is not best]
    why = best.why(columns) + (f" (also tried: {'; '.join(others)})" if others else "")
    return best.loaded, why
