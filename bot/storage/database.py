"""The connection every aggregate shares: opening, migrations, and one write transaction at a time.

One connection per process, in autocommit mode; every write runs as an explicit transaction under an
asyncio lock, because coroutines sharing one connection would otherwise interleave their statements
inside each other's transactions. WAL lets `newsbot ingest` write while the bot reads.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.storage.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000


class StorageError(Exception):
    """The database file cannot be opened or used; the message is one line for the operator."""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Database:
    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._write = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Self:
        """Open (creating if needed) and migrate the database; StorageError if `path` cannot be used."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Probe with plain sqlite3 first: a failed aiosqlite.connect leaves its worker thread behind,
            # which prints a traceback at exit.
            await asyncio.to_thread(_probe, path)
            db = await aiosqlite.connect(str(path), isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open {path}: {exc}") from None
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA synchronous = NORMAL")
            await _migrate(db)
        except sqlite3.DatabaseError as exc:  # "file is not a database", a read-only file…
            await db.close()
            raise StorageError(f"cannot use {path}: {exc}") from None
        except BaseException:
            await db.close()
            raise
        return cls(db, path)

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return tuple(row) if row is not None else None

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        """One write transaction, taken in turn: coroutines share the connection, so without the lock
        their statements would land inside each other's transactions."""
        async with self._write, _immediate(self._db):
            yield

    async def _transaction(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        async with self._writing():
            for sql, params in statements:
                await self._db.execute(sql, params)


@asynccontextmanager
async def _immediate(db: aiosqlite.Connection) -> AsyncIterator[None]:
    """BEGIN IMMEDIATE … COMMIT (the write lock taken up front, so no deadlock upgrading a read);
    rolled back if the body raises or is cancelled."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")


def _probe(path: Path) -> None:
    sqlite3.connect(path).close()


def _statements(script: str) -> list[str]:
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n\t;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements


async def _migrate(db: aiosqlite.Connection) -> None:
    for version, sql in enumerate(MIGRATIONS, start=1):
        # One transaction per migration, version bump included, so a crash never half-applies one;
        # the version is read inside it, so two processes starting together apply each migration once.
        async with _immediate(db):
            async with db.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
            if int(row[0] if row else 0) < version:
                for statement in _statements(sql):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {version}")
