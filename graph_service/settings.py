"""Service settings, read from CREDIT_GRAPH_* environment variables (or a .env file)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(Exception):
    """A setting has a value the service cannot use; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDIT_GRAPH_", env_file=".env", extra="ignore")

    backend: Literal["embedded", "neo4j"] = "embedded"
    data_dir: Path = Path("var")
    # The embedded store's one file; defaults to <data_dir>/graph.sqlite3.
    embedded_path: Path | None = None

    neo4j_uri: str = Field(
        default="bolt://127.0.0.1:7687",
        pattern=r"^(bolt|neo4j)(\+s|\+ssc)?://[^\s/]+/?$",
        description="bolt:// or neo4j:// (optionally +s or +ssc) URI of the Neo4j server",
    )
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str = "neo4j"
    # How long the driver keeps retrying a transaction through transient failures (a restarting server).
    neo4j_retry_seconds: float = Field(default=30.0, ge=0, le=3600)

    batch_size: int = Field(default=10_000, ge=1, le=100_000)
    # Share of a file's data rows a load may reject and still succeed; above it the load fails (exit 1),
    # because that many bad rows usually means a wrong file or mapping rather than a few bad records.
    reject_threshold: float = Field(default=0.05, ge=0, le=1)
    # Key of the keyed hash that turns ID numbers into person keys. When unset, a random key is made
    # once and kept beside the data, so keys stay stable across restarts of one installation.
    hash_key: SecretStr | None = None

    # API keys (hashed) and the audit trail; both default to files in data_dir.
    keys_path: Path | None = None
    audit_path: Path | None = None
    audit_key: SecretStr | None = None
    # A file holding the audit key (made on first use): in production outside the audit trail's folder,
    # so that whoever can write the trail cannot re-chain it.
    audit_key_path: Path | None = None
    # The signed head of the audit chain, rewritten after every record (access/audit_anchor.py).
    audit_checkpoint_path: Path | None = None
    # A demonstration: `serve` accepts the audit key kept beside the trail.
    demo: bool = False

    # Joint punishment rules (list types, measures, actions); the shipped defaults when unset.
    rules_path: Path | None = None

    # The largest request body the API reads (413 beyond): a 10,000-subject batch check is about 600 kB.
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)

    def store_path(self) -> Path:
        return self.embedded_path or self.data_dir / "graph.sqlite3"

    def person_hash_key(self) -> str:
        """The key of the keyed hash from ID numbers to person keys."""
        return self._secret(self.hash_key, "hash.key")

    def audit_secret(self) -> str:
        """The key of the audit chain's keyed hashes; kept apart from the log it protects."""
        return self._secret(self.audit_key, "audit.key", self.audit_key_path)

    def audit_key_file(self) -> Path | None:
        """The file the audit key is kept in, or None when it is given by value."""
        if self.audit_key is not None and self.audit_key.get_secret_value():
            return None
        return self.audit_key_path or self.data_dir / "audit.key"

    def audit_key_beside_log(self) -> bool:
        """Whether the audit key is kept in the audit trail's own folder."""
        key = self.audit_key_file()
        return key is not None and key.resolve().parent == self.audit_file().resolve().parent

    def audit_checkpoint_file(self) -> Path:
        return self.audit_checkpoint_path or self.audit_file().with_name("audit.head")

    def keys_file(self) -> Path:
        return self.keys_path or self.data_dir / "keys.sqlite3"

    def audit_file(self) -> Path:
        return self.audit_path or self.data_dir / "audit.sqlite3"

    def unresolved_file(self) -> Path:
        """The queue of unresolved references (graph_service/unresolved), for either backend."""
        return self.data_dir / "unresolved.sqlite"

    def _secret(self, given: SecretStr | None, file_name: str, path: Path | None = None) -> str:
        """The configured secret, else one made once and kept in its file (beside the data unless
        `path` says where), so that it stays the same across restarts of one installation."""
        if given is not None and given.get_secret_value():
            return given.get_secret_value()
        key_file = path or self.data_dir / file_name
        if key_file.exists():
            return key_file.read_text(encoding="ascii").strip()
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_hex(32)
        # Written whole to a temporary file, synced, then linked into place: a crash never leaves an empty
        # key file. Owner-only permissions: whoever holds a key can test guesses or rewrite the chain.
        tmp = key_file.with_suffix(f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, key_file)  # fails if another process made the key first: then use theirs
        except FileExistsError:
            key = key_file.read_text(encoding="ascii").strip()
        finally:
            tmp.unlink()
        return key

    # Actual controllers computed from cumulative shares (graph_service/investigations/controllers.py):
    # an ultimate owner over the threshold controls; else the largest one over the minimum share.
    controller_threshold: float = Field(default=0.5, gt=0, le=1)
    controller_min_share: float = Field(default=0.25, ge=0, le=1)

    # Push and watch (graph_service/notify, docs/notifications.md). `serve` runs the notifier, the day
    # scheduler and the dispatcher unless told not to (a deployment running `credit-graph notify run`).
    notify_path: Path | None = None
    notify_in_serve: bool = True
    notify_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    notify_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    notify_workers: int = Field(default=8, ge=1, le=64)
    notify_retry_base_seconds: float = Field(default=10.0, gt=0, le=3600)
    notify_retry_max_seconds: float = Field(default=3600.0, gt=0, le=86_400)
    # A notice is retried for at least a day (with some margin for an endpoint down over a weekend night).
    notify_retry_hours: float = Field(default=26.0, ge=24, le=24 * 14)
    notify_failing_after: int = Field(default=5, ge=1, le=1000)

    def notify_file(self) -> Path:
        """Subscriptions, notices and the delivery log (graph_service/notify), for either backend."""
        return self.notify_path or self.data_dir / "notify.sqlite"


def describe_validation_error(err: ValidationError) -> str:
    """One line naming the first bad setting by its environment variable."""
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "settings"
    reason = first["msg"]
    described = Settings.model_fields.get(field)
    if first["type"] == "string_pattern_mismatch" and described is not None and described.description:
        reason = f"expected {described.description}"  # a person reads this, not the regular expression
    return f"invalid setting CREDIT_GRAPH_{field.upper()}: {reason}"


SQLITE_HEADER = b"SQLite format 3\x00"


def check_paths(settings: Settings) -> None:
    """Refuse, before anything is opened or written, a setting naming a path of the wrong kind: the data
    folder a file, a database or key file a folder or something that is not one. SettingsError names the
    setting and the path."""
    folder = settings.data_dir
    if folder.exists() and not folder.is_dir():
        raise SettingsError(f"CREDIT_GRAPH_DATA_DIR: {folder} is a file, not a folder")
    databases = {
        "CREDIT_GRAPH_EMBEDDED_PATH": settings.store_path(),
        "CREDIT_GRAPH_KEYS_PATH": settings.keys_file(),
        "CREDIT_GRAPH_AUDIT_PATH": settings.audit_file(),
        "CREDIT_GRAPH_NOTIFY_PATH": settings.notify_file(),
    }
    files = {**databases, "CREDIT_GRAPH_AUDIT_CHECKPOINT_PATH": settings.audit_checkpoint_file()}
    if settings.audit_key_path is not None:
        files["CREDIT_GRAPH_AUDIT_KEY_PATH"] = settings.audit_key_path
    for name, path in files.items():
        if path.is_dir():
            raise SettingsError(f"{name}: {path} is a folder, not a file")
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise SettingsError(f"{name}: {path} lies under {parent}, which is a file")
    for name, path in databases.items():
        if path.is_file():
            try:
                with path.open("rb") as held:
                    head = held.read(len(SQLITE_HEADER))
            except OSError as exc:
                raise SettingsError(f"{name}: cannot read {path}: {exc.strerror}") from None
            if head and head != SQLITE_HEADER:
                raise SettingsError(f"{name}: {path} is not a SQLite database")


def load_settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as err:
        raise SettingsError(describe_validation_error(err)) from None
    check_paths(settings)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
