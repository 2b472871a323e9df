"""A first load into an empty Neo4j database by Neo4j's own import tool, run by the project.

`credit-graph import-offline` validates the files as `credit-graph load` would (the same loaders, reject
reports and threshold, into a staging embedded store), writes the neo4j-admin import files from it
(loaders/admin_export.py), stops the project's local Neo4j (scripts/neo4j-local) keeping its data folder,
runs `neo4j-admin database import full` on that folder, starts the server again on the result, lets the
store apply its schema and compares the counts with the staging store's.

The import tool is `org.neo4j.cli.AdminTool` on the local server's own class path: the `neo4j` artifact
the server is built from brings neo4j-command-line and neo4j-import-tool, so no second build is needed.
Only the project's local server is a target: a server elsewhere keeps its files where this process
cannot reach them, so its operator runs the tool there (README, "Offline first load").
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from neo4j import GraphDatabase
from neo4j.exceptions import DriverError, Neo4jError

from graph_service.store.cypher_queries import Queries
from loaders.admin_export import AdminExport

LOCAL_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "neo4j-local"
# scripts/neo4j-local's password when CREDIT_GRAPH_NEO4J_PASSWORD is not set.
LOCAL_PASSWORD = "credit-graph-local"
# The local server serves Community's one user database.
LOCAL_DATABASE = "neo4j"
# The tool's own memory: its default takes 90% of the machine, which starves whatever else runs on it.
IMPORT_HEAP = os.environ.get("CREDIT_GRAPH_IMPORT_HEAP", "1g")
IMPORT_OFF_HEAP = os.environ.get("CREDIT_GRAPH_IMPORT_OFF_HEAP", "2g")
# Neo4j reaches into JDK internals; Java 17 refuses that without these (as scripts/neo4j-local passes).
_JVM_OPENS = [
    f"--add-opens=java.base/{package}=ALL-UNNAMED"
    for package in ("java.nio", "sun.nio.ch", "java.lang", "java.lang.invoke", "java.io", "java.util")
]
_LOG_TAIL = 15


class OfflineImportError(Exception):
    """The import cannot go on; the message says why and what to do. code: the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _tail(text: str, lines: int = _LOG_TAIL) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


@dataclass
class LocalNeo4j:
    """The project's local server, driven through scripts/neo4j-local (its state folder is
    CREDIT_GRAPH_NEO4J_LOCAL_DIR, as for the script itself)."""

    script: Path = LOCAL_SCRIPT
    env: Mapping[str, str] | None = None

    def _run(self, *args: str, port: int | None = None) -> subprocess.CompletedProcess[str]:
        if not self.script.is_file():
            raise OfflineImportError(
                f"{self.script} is not here: the offline import runs from a checkout of the project"
            )
        env = dict(os.environ if self.env is None else self.env)
        if port is not None:
            env["CREDIT_GRAPH_NEO4J_PORT"] = str(port)
        try:
            return subprocess.run(
                [str(self.script), *args], capture_output=True, text=True, env=env, check=False
            )
        except OSError as exc:
            raise OfflineImportError(f"cannot run {self.script}: {exc.strerror}") from None

    def _must(self, what: str, *args: str, port: int | None = None) -> str:
        done = self._run(*args, port=port)
        if done.returncode != 0:
            raise OfflineImportError(f"local Neo4j: {what} failed:\n{_tail(done.stderr or done.stdout)}")
        return done.stdout

    def uri(self) -> str | None:
        """The Bolt URI of the running server, or None when none runs."""
        done = self._run("uri")
        if done.returncode != 0:
            return None
        return done.stdout.strip() or None

    def start(self, port: int | None = None) -> str:
        """Starts the server (building it on first use) and gives its Bolt URI."""
        lines = self._must("start", "start", port=port).strip().splitlines()
        if not lines or not lines[-1].startswith("bolt://"):
            raise OfflineImportError("local Neo4j: start printed no Bolt URI")
        return lines[-1]

    def halt(self) -> None:
        """A clean stop that keeps the data folder and port for the next start."""
        self._must("stop", "halt")

    def home(self) -> Path:
        home = self._run("home").stdout.strip()
        if not home or not Path(home).is_dir():
            raise OfflineImportError("local Neo4j: no data folder is recorded")
        return Path(home)

    def classpath(self) -> str:
        lines = self._must("build", "classpath").strip().splitlines()
        if not lines:
            raise OfflineImportError("local Neo4j: the build gave no class path")
        return lines[-1]


def java_command() -> str:
    """The java the import tool runs on: JAVA_HOME's, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise OfflineImportError(
            "Java 17 or later is needed to run Neo4j's import tool and was not found: install a JDK "
            "(e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME",
            2,
        )
    return found


def same_server(a: str, b: str) -> bool:
    """Whether two Bolt URIs name the same server (localhost and 127.0.0.1 alike)."""

    def where(uri: str) -> tuple[str, int]:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        return ("127.0.0.1" if host in ("localhost", "::1") else host, parts.port or 7687)

    return where(a) == where(b)


def answers(uri: str, timeout: float = 2.0) -> bool:
    """Whether something accepts connections at the URI's host and port."""
    parts = urlsplit(uri)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 7687), timeout=timeout):
            return True
    except OSError:
        return False


def loopback_port(uri: str) -> int | None:
    """The URI's port when it names this machine (a local server can be started there), else None."""
    parts = urlsplit(uri)
    if parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return parts.port or 7687
    return None


def node_count(uri: str, user: str, password: str, database: str) -> int:
    """Nodes in the database (the count store answers it without a scan)."""
    auth = (user, password) if password else None
    try:
        with GraphDatabase.driver(uri, auth=auth) as driver:
            records, _, _ = driver.execute_query(Queries().node_count, database_=database)
    except (DriverError, Neo4jError, OSError) as exc:
        raise OfflineImportError(f"cannot read the database at {uri}: {exc}") from None
    return int(records[0]["nodes"])


def import_arguments(export: AdminExport, report: Path, threads: int) -> list[str]:
    """neo4j-admin's arguments. The database name goes first: --nodes and --relationships take any
    number of values, so a name after them is read as one more file, even after a value given with '='
    ("File 'neo4j' doesn't exist")."""
    args = [
        "database",
        "import",
        "full",
        export.database,
        "--overwrite-destination=true",
        f"--report-file={report}",
        f"--threads={threads}",
        f"--max-off-heap-memory={IMPORT_OFF_HEAP}",
        # The files come from validated records: a bad entry is a fault of the export, not data to skip.
        "--bad-tolerance=0",
    ]
    args += [f"--nodes={label}={path}" for label, path, _ in export.nodes]
    args += [
        f"--relationships={type_}={path}" if type_ else f"--relationships={path}"
        for type_, path, _ in export.relationships
    ]
    return args


def run_import_tool(export: AdminExport, home: Path, classpath: str, work: Path) -> Path:
    """Runs neo4j-admin database import full into the (stopped) server's home; gives the tool's log."""
    work.mkdir(parents=True, exist_ok=True)
    # An empty neo4j.conf: the defaults put the store in <home>/data, where the local server keeps it
    # (it passes its own settings on its command line, none of which moves the store).
    conf = work / "conf"
    conf.mkdir(exist_ok=True)
    (conf / "neo4j.conf").write_text("", encoding="utf-8")
    log = work / "neo4j-admin-import.log"
    command = [
        java_command(),
        f"-Xmx{IMPORT_HEAP}",
        *_JVM_OPENS,
        "-cp",
        classpath,
        "org.neo4j.cli.AdminTool",
        *import_arguments(export, work / "import.report", max(os.cpu_count() or 1, 1)),
    ]
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(conf)}
    with log.open("w", encoding="utf-8") as out:
        try:
            done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
        except OSError as exc:
            raise OfflineImportError(f"cannot run {command[0]}: {exc.strerror}", 2) from None
    if done.returncode != 0:
        raise OfflineImportError(
            f"neo4j-admin database import full failed (exit {done.returncode}); the local server is "
            "stopped with its data kept (`scripts/neo4j-local start` serves what is there, `stop` "
            f"discards it). Log {log}:\n{_tail(log.read_text(encoding='utf-8'))}"
        )
    return log
