"""Column mappings: which header of a source's file holds which field a loader needs.

A mapping is a YAML file (the shipped ones are in loaders/mappings/). It names, for each field, the
header or headers a source may use, optionally the values a column may take (an enumeration, each raw
value mapped to the loader's word for it), and constants and tables the loader needs (list type, the
positions of key personnel, the change items of change records). A source with other headers needs a
new mapping, not new code.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from graph_service.identifiers import normalize_name

MAPPINGS_DIR = Path(__file__).parent / "mappings"


class MappingError(Exception):
    """A mapping file cannot be used, or a file does not have the columns its mapping needs."""


def header_key(text: str) -> str:
    """Headers compare after normalisation: full-width letters, brackets and spaces do not matter."""
    return normalize_name(text).replace(" ", "").lower()


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    headers: tuple[str, ...] = Field(min_length=1)
    # Allowed raw values and the loader's word for each; absent: any value.
    values: dict[str, str] | None = None
    # Used when the file has none of the headers (or the cell is empty): a constant of the source.
    default: str | None = None

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

    def lookup(self) -> dict[str, str] | None:
        return {header_key(k): v for k, v in self.values.items()} if self.values is not None else None


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    description: str = ""
    # What records from this source carry as their source; a newer snapshot of the same source is
    # compared with what this source loaded before.
    source: str = Field(min_length=1)
    columns: dict[str, Column]
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
    """A mapping applied to one file's header: the column index of each field, or None."""

    def __init__(
        self,
        mapping: Mapping,
        header: list[str],
        fields: dict[str, bool],
        origin: str,
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
        self.index: dict[str, int | None] = {}
        self.header_of: dict[str, str] = {}
        self.defaults: dict[str, str | None] = {}
        self.values: dict[str, dict[str, str] | None] = {}
        self.raw_values: dict[str, list[str] | None] = {}
        missing: list[str] = []
        for field, column in mapping.columns.items():
            found = next(
                (positions[header_key(h)] for h in column.headers if header_key(h) in positions), None
            )
            self.index[field] = found
            self.header_of[field] = header[found] if found is not None else column.headers[0]
            self.defaults[field] = column.default
            self.values[field] = column.lookup()
            self.raw_values[field] = list(column.values) if column.values is not None else None
            if found is None and column.default is None and fields.get(field):
                missing.append(" or ".join(column.headers))
        if missing:
            raise MappingError(
                f"{origin}: the file has no column {'; no column '.join(missing)} "
                f"(its columns are: {', '.join(header) or 'none'})"
            )
        self.fields = list(mapping.columns)

    def values_of(self, cells: list[str | None]) -> dict[str, str | None]:
        """The row's value for every mapped field: stripped text, None when empty or absent."""
        out: dict[str, str | None] = {}
        n = len(cells)
        for field, i in self.index.items():
            value = cells[i] if i is not None and i < n else None
            if value is not None:
                value = value.strip()
                if not value:
                    value = None
            out[field] = value if value is not None else self.defaults[field]
        return out
