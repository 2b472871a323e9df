"""Joint punishment rules as data: list types, measures and actions, read from YAML.

The shipped defaults are graph_service/data/rules.yaml; an operator points CREDIT_GRAPH_RULES_PATH at a
file of their own. A bad file fails at load with the file, the line and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graph_service.model import ListKind, MeasureCategory, RoleType

DEFAULT_RULES = Path(__file__).parent / "data" / "rules.yaml"
Reference = Literal["conduct_date", "listing_date", "current"]
ALL_BLACK = "all_black"


class RulesError(Exception):
    """A rules file cannot be used; the message names the file, the line and the reason."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cover(_Rule):
    """A role a listing reaches, and the day its holder must have held it on."""

    role: RoleType
    position: str | None = None  # only holders in this position, e.g. 财务负责人
    min_ratio: float | None = Field(default=None, gt=0.0, le=1.0)  # shareholders: at least this share
    reference: Reference
    basis: str = Field(min_length=1)  # the seed or national document the cover comes from

    @model_validator(mode="after")
    def _ratio_for_shareholders(self) -> Cover:
        if self.min_ratio is not None and self.role != RoleType.SHAREHOLDER_OF:
            raise ValueError("min_ratio: only a SHAREHOLDER_OF cover has a share threshold")
        return self


class ListType(_Rule):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)
    domain: str = Field(min_length=1)
    kind: ListKind
    default_duration_days: int | None = Field(default=None, ge=1)
    basis: str = Field(min_length=1)  # the seed or national document the list comes from
    covers: tuple[Cover, ...] = ()


class MeasureRule(_Rule):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)
    category: MeasureCategory
    mandatory: bool
    legal_basis: str = ""
    triggered_by: tuple[str, ...] | Literal["all_black"]
    reaches: tuple[str, ...] = Field(min_length=1)

    @field_validator("triggered_by")
    @classmethod
    def _some_list(cls, triggered: tuple[str, ...] | str) -> tuple[str, ...] | str:
        if not triggered:
            raise ValueError("name the list types that trigger the measure, or all_black")
        return triggered

    @field_validator("reaches")
    @classmethod
    def _known_reach(cls, reaches: tuple[str, ...]) -> tuple[str, ...]:
        roles = {r.value for r in RoleType}
        references = set(Reference.__args__)  # type: ignore[attr-defined]
        for reach in reaches:
            target, at, reference = reach.partition("@")
            if reach in ("subject", "named_responsible"):
                continue
            if target not in roles:
                raise ValueError(f"{reach!r} is not subject, named_responsible or a role type")
            if at and reference not in references:
                raise ValueError(f"{reach!r}: the day after @ is one of {', '.join(sorted(references))}")
        return reaches

    def reaches_row(self, via: str, role: str | None, reference: str | None) -> bool:
        """Whether the measure reaches whom a row reached: its subject, a person the decision names, or
        the holder of a role, on the reference day the measure names (ROLE@day) or any the list covers."""
        if via != "role":
            return via in self.reaches
        return any(
            target == role and (not day or day == reference)
            for target, _, day in (reach.partition("@") for reach in self.reaches)
        )


class Action(_Rule):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str = Field(min_length=1)
    measures: tuple[str, ...] = Field(min_length=1)


class UnknownListTypeError(ValueError):
    """An entry of a list type the rules do not define: nothing could be decided for it."""


class RuleSet(_Rule):
    list_types: tuple[ListType, ...]
    measures: tuple[MeasureRule, ...]
    actions: tuple[Action, ...] = ()
    origin: str = ""  # the file the rules came from, named in errors about them

    @model_validator(mode="after")
    def _references(self) -> RuleSet:
        groups = (
            ("list_types", [t.code for t in self.list_types]),
            ("measures", [m.code for m in self.measures]),
            ("actions", [a.code for a in self.actions]),
        )
        for field, codes in groups:
            seen: set[str] = set()
            for i, code in enumerate(codes):
                if code in seen:
                    raise _Located((field, i, "code"), f"code {code!r} appears twice")
                seen.add(code)
        kinds = {t.code: t.kind for t in self.list_types}
        for i, m in enumerate(self.measures):
            if m.triggered_by != ALL_BLACK:
                for code in m.triggered_by:
                    if code not in kinds:
                        raise _Located(("measures", i, "triggered_by"), f"unknown list type {code!r}")
                    if kinds[code] != "black":
                        raise _Located(
                            ("measures", i, "triggered_by"),
                            f"{code} is a {kinds[code]} list: punishment measures follow black lists only",
                        )
        for i, t in enumerate(self.list_types):
            for j, c in enumerate(t.covers):
                for earlier in t.covers[:j]:
                    if (earlier.role, earlier.reference) == (c.role, c.reference) and (
                        earlier.position is None or c.position is None or earlier.position == c.position
                    ):
                        raise _Located(
                            ("list_types", i, "covers", j),
                            f"{t.code} covers {c.role.value} on the {c.reference} twice: one holder would be "
                            "reached by two covers; give each role, day and position one cover",
                        )
        measure_codes = {m.code for m in self.measures}
        for i, a in enumerate(self.actions):
            for code in a.measures:
                if code not in measure_codes:
                    raise _Located(("actions", i, "measures"), f"unknown measure {code!r}")
        self._reach_matches_covers()
        return self

    def _reach_matches_covers(self) -> None:
        """A role a list covers must be reached by some measure the list triggers, and a measure may
        reach only roles each list that triggers it covers: otherwise a cover reaches people nothing
        applies to, or a measure is promised to people no list reaches."""
        for i, t in enumerate(self.list_types):
            measures = self.measures_for(t)
            for j, c in enumerate(t.covers):
                if not any(m.reaches_row("role", c.role.value, c.reference) for m in measures):
                    raise _Located(
                        ("list_types", i, "covers", j),
                        f"{t.code} covers {c.role.value} on the {c.reference} but no measure it "
                        "triggers reaches them",
                    )
        for i, m in enumerate(self.measures):
            for t in self.list_types:
                if m not in self.measures_for(t):
                    continue
                for reach in m.reaches:
                    target, _, day = reach.partition("@")
                    if target in ("subject", "named_responsible"):
                        continue
                    if not any(c.role.value == target and (not day or c.reference == day) for c in t.covers):
                        raise _Located(
                            ("measures", i, "reaches"),
                            f"{m.code} reaches {reach}, which list type {t.code} does not cover",
                        )

    def require_list_type(self, code: str) -> ListType:
        """The list type of an entry, or UnknownListTypeError naming it and the rules file."""
        found = self.list_type(code)
        if found is None:
            known = ", ".join(t.code for t in self.list_types)
            raise UnknownListTypeError(
                f"list_type: {code!r} is not a list type of the rules in {self.origin or 'the rules'}; "
                f"known: {known}"
            )
        return found

    def list_type(self, code: str) -> ListType | None:
        return next((t for t in self.list_types if t.code == code), None)

    def measure(self, code: str) -> MeasureRule | None:
        return next((m for m in self.measures if m.code == code), None)

    def action(self, code: str) -> Action | None:
        return next((a for a in self.actions if a.code == code), None)

    def measures_for(self, list_type: ListType) -> list[MeasureRule]:
        """Measures a listing of this type triggers (black lists only trigger punishment)."""
        return [
            m
            for m in self.measures
            if (m.triggered_by == ALL_BLACK and list_type.kind == "black")
            or (m.triggered_by != ALL_BLACK and list_type.code in m.triggered_by)
        ]


class _Located(ValueError):
    """A cross-reference error with the path of the offending item, for its line number."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _line_of(root: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of the nearest ancestor found."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if child is None:  # an unknown or missing key: point at the key itself when it exists
                child = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def parse_rules(text: str, origin: str) -> RuleSet:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark is not None else origin
        raise RulesError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise RulesError(f"{origin}:1: expected a mapping with list_types, measures and actions")
    try:
        return RuleSet.model_validate({**data, "origin": origin})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        located = (first.get("ctx") or {}).get("error")
        if isinstance(located, _Located):
            loc, reason = located.loc, located.message
        else:
            reason = first["msg"]
        field = ".".join(str(p) for p in loc)
        raise RulesError(f"{origin}:{_line_of(root, loc) or 1}: {field}: {reason}") from None


def load_rules(path: Path | None = None) -> RuleSet:
    path = path or DEFAULT_RULES
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RulesError(f"{path}: not a rules file: not UTF-8 text") from None
    return parse_rules(text, str(path))
