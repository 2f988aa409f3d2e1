"""Shared fixtures: the bot harness over a real SQLite file in tmp_path, and the two storage backends.

`database` runs a test twice: on a SQLite file, and on a fresh database of a throwaway PostgreSQL
server that the session starts (tests/pg_server.py) — or of the server NEWSBOT_TEST_POSTGRES_URL names.
Without PostgreSQL binaries the PostgreSQL runs are skipped, except under CI, where they must run.

The suite is hermetic: the developer's NEWSBOT_* environment is dropped before anything reads it
(subprocesses inherit os.environ too; NEWSBOT_TEST_* configure the suite itself and stay; the suite sets
NEWSBOT_ENCODER=hash), and every
test runs in its own empty folder, so a `.env` where pytest was started is never read (Settings reads
`.env` from the working folder).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

for _name in [name for name in os.environ if name.startswith("NEWSBOT_") and not name.startswith("NEWSBOT_TEST_")]:
    del os.environ[_name]
# The suite embeds with the small deterministic hash encoder (fast, the same on every machine); the
# tests of the bundled model and of NEWSBOT_ENCODER=none say so themselves.
os.environ["NEWSBOT_ENCODER"] = "hash"

from bot.testing.harness import Harness  # noqa: E402 (after the environment is cleaned)
from bot.settings import PROJECT_ROOT, Settings, load_settings
from tests.pg_server import ThrowawayPostgres, database_url, find_binaries

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _no_stray_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    return load_settings(
        database=tmp_path / "state" / "newsbot.sqlite3",
        seeds_dir=PROJECT_ROOT / "seeds",
        telegram_token=None,
        refresh_seconds=60,
        max_age_days=None,
        top_k=3,
    )


@pytest.fixture
async def harness(bot_settings: Settings) -> AsyncIterator[Harness]:
    async with Harness(bot_settings) as h:
        yield h


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server for this session (its `postgres` database)."""
    given = os.environ.get("NEWSBOT_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bin_dir = find_binaries()
    if bin_dir is None:
        reason = "no PostgreSQL binaries (initdb, pg_ctl) found; install postgresql or set NEWSBOT_TEST_POSTGRES_URL"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    server = ThrowawayPostgres(bin_dir)
    try:
        server.start()
        os.environ["NEWSBOT_TEST_POSTGRES_URL"] = server.url  # for the processes tests start
        yield server.url
    finally:
        os.environ.pop("NEWSBOT_TEST_POSTGRES_URL", None)
        server.stop()


def _admin(server_url: str, sql: str) -> None:
    """One statement on the server's maintenance database, from a thread with its own event loop
    (a fixture must not run or replace the loop of the test)."""
    import asyncpg

    async def run() -> None:
        con = await asyncpg.connect(server_url)
        try:
            await con.execute(sql)
        finally:
            await con.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped after it."""
    name = f"newsbot_test_{uuid.uuid4().hex[:12]}"
    _admin(postgres_server, f"CREATE DATABASE {name}")
    try:
        yield database_url(postgres_server, name)
    finally:
        _admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """A database for one test: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "db.sqlite3"
    return request.getfixturevalue("pg_url")
