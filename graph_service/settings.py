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

    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str = "neo4j"
    # How long the driver keeps retrying a transaction through transient failures (a restarting server).
    neo4j_retry_seconds: float = Field(default=30.0, ge=0, le=3600)

    batch_size: int = Field(default=10_000, ge=1, le=100_000)
    # Key of the keyed hash that turns ID numbers into person keys. When unset, a random key is made
    # once and kept beside the data, so keys stay stable across restarts of one installation.
    hash_key: SecretStr | None = None

    # Joint punishment rules (list types, measures, actions); the shipped defaults when unset.
    rules_path: Path | None = None

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)

    def store_path(self) -> Path:
        return self.embedded_path or self.data_dir / "graph.sqlite3"

    def person_hash_key(self) -> str:
        if self.hash_key is not None and self.hash_key.get_secret_value():
            return self.hash_key.get_secret_value()
        key_file = self.data_dir / "hash.key"
        if key_file.exists():
            return key_file.read_text(encoding="ascii").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        # Created with owner-only permissions: whoever holds the key can test guesses of ID numbers.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key)
        return key


def describe_validation_error(err: ValidationError) -> str:
    """One line naming the first bad setting by its environment variable."""
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "settings"
    return f"invalid setting CREDIT_GRAPH_{field.upper()}: {first['msg']}"


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as err:
        raise SettingsError(describe_validation_error(err)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
