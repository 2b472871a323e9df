"""Named Cypher statements from the cypher/ folder, loaded once by name.

Each statement follows a header line `// name: <name>`; comment lines before the first header are the
file's preamble. Names must be identifiers and unique across files, so a typo fails at start, not at
the first call.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from graph_service.model import RoleType

ROLE_TYPE_PLACEHOLDER = "__ROLE_TYPE__"
HOPS_PLACEHOLDER = "__HOPS__"
# The repository's cypher/ folder; an installed copy (the Docker image) names its own with
# CREDIT_GRAPH_CYPHER_DIR.
CYPHER_DIR = Path(os.environ.get("CREDIT_GRAPH_CYPHER_DIR") or Path(__file__).resolve().parents[2] / "cypher")
_HEADER = re.compile(r"^//\s*name:\s*(\S+)\s*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class QueryFileError(Exception):
    """A cypher file is malformed; the message names the file and line."""


def parse_queries(text: str, origin: str) -> dict[str, str]:
    queries: dict[str, str] = {}
    name: str | None = None
    body: list[str] = []

    def finish() -> None:
        if name is not None:
            statement = "\n".join(line for line in body if not line.lstrip().startswith("//")).strip()
            if not statement:
                raise QueryFileError(f"{origin}: query {name!r} is empty")
            queries[name] = statement

    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line.strip())
        if header:
            finish()
            name, body = header.group(1), []
            if not _NAME.match(name):
                raise QueryFileError(f"{origin}:{number}: bad query name {name!r}")
            if name in queries:
                raise QueryFileError(f"{origin}:{number}: query {name!r} defined twice")
        elif name is not None:
            body.append(line)
        elif line.strip() and not line.lstrip().startswith("//"):
            raise QueryFileError(f"{origin}:{number}: statement before any '// name:' header")
    finish()
    return queries


@lru_cache(maxsize=4)
def load_queries(folder: Path = CYPHER_DIR) -> dict[str, dict[str, str]]:
    """{file stem: {query name: statement}} for every .cypher file in the folder."""
    if not folder.is_dir():
        raise QueryFileError(f"{folder}: the cypher folder is missing")
    files: dict[str, dict[str, str]] = {}
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.cypher")):
        queries = parse_queries(path.read_text(encoding="utf-8"), str(path))
        for name in queries:
            if name in seen:
                raise QueryFileError(f"{path}: query {name!r} also defined in {seen[name]}")
            seen[name] = str(path)
        files[path.stem] = queries
    return files


class Queries:
    """Attribute access to every named statement: `queries.upsert_enterprises`."""

    def __init__(self, folder: Path = CYPHER_DIR) -> None:
        self.by_file = load_queries(folder)
        self._all = {name: q for queries in self.by_file.values() for name, q in queries.items()}

    def __getattr__(self, name: str) -> str:
        try:
            return self._all[name]
        except KeyError:
            raise AttributeError(f"no Cypher statement named {name!r} in cypher/") from None

    def for_role_type(self, name: str, role_type: RoleType) -> str:
        """A statement with its `__ROLE_TYPE__` placeholder set to a role type. Only members of the
        RoleType enumeration are ever put in, so no input reaches the statement's text."""
        statement: str = getattr(self, name)
        if ROLE_TYPE_PLACEHOLDER not in statement:
            raise QueryFileError(f"query {name!r} has no {ROLE_TYPE_PLACEHOLDER} placeholder")
        return statement.replace(ROLE_TYPE_PLACEHOLDER, RoleType(role_type).value)

    def for_hops(self, name: str, hops: int) -> str:
        """A statement with its `__HOPS__` placeholder set to a hop count, checked to be 0 to 3."""
        statement: str = getattr(self, name)
        if HOPS_PLACEHOLDER not in statement:
            raise QueryFileError(f"query {name!r} has no {HOPS_PLACEHOLDER} placeholder")
        if not isinstance(hops, int) or not 0 <= hops <= 3:
            raise ValueError("hops: must be between 0 and 3")
        return statement.replace(HOPS_PLACEHOLDER, str(hops))

    def names(self) -> list[str]:
        return sorted(self._all)
