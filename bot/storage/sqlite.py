"""The SQLite engine: one file, one connection per process, one write transaction at a time.

The connection is in autocommit mode; every write runs as an explicit BEGIN IMMEDIATE transaction
under an asyncio lock, and every read under the same lock, because coroutines sharing one connection
would otherwise interleave their statements inside each other's transactions. WAL lets `newsbot ingest` write while the bot reads.
PRAGMA user_version counts the migrations a file has.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.backend import StorageError
from bot.storage.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000


class SqliteTx:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return tuple(row) if row is not None else None

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._db.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._db.executemany(sql, rows)

    async def insert_id(self, sql: str, params: Sequence[Any]) -> int:
        cursor = await self._db.execute(sql, params)
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    async def bulk_insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(columns))
        await self._db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


class SqliteBackend:
    dialect = "sqlite"

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self._tx = SqliteTx(db)
        self.path = path
        self._write = asyncio.Lock()
        self._identity = _identity(path)

    @classmethod
    async def open(cls, path: Path) -> SqliteBackend:
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

    # Reads take the lock too: a read between the statements of another coroutine's write transaction
    # would see its uncommitted rows, and a write transaction begun while a read is still stepping must
    # upgrade a read lock, which SQLite refuses at once ("database is locked") if another process wrote.
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._write:
            return await self._tx.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        async with self._write:
            return await self._tx.fetchone(sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.writing() as tx:
            return await tx.execute(sql, params)

    @asynccontextmanager
    async def writing(self, exclusive: bool = False) -> AsyncIterator[SqliteTx]:
        # Every SQLite write transaction is exclusive: BEGIN IMMEDIATE takes the file's write lock.
        async with self._write, _immediate(self._db):
            yield self._tx

    @asynccontextmanager
    async def job_lock(self, name: str) -> AsyncIterator[bool]:
        # A SQLite file serves one bot process (PostgreSQL is the backend for several workers).
        yield True

    async def tables(self) -> list[str]:
        names = [r[0] for r in await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        parents = {name: {r[2] for r in await self.fetchall(f"PRAGMA foreign_key_list({name})")} for name in names}
        ordered: list[str] = []
        while len(ordered) < len(names):
            ready = [n for n in names if n not in ordered and parents[n] <= {*ordered, n}]
            if not ready:  # a cycle: no order satisfies it, take the rest as they come
                ready = [n for n in names if n not in ordered]
            ordered.extend(ready)
        return ordered

    async def reset_ids(self, table: str) -> None:
        pass  # AUTOINCREMENT already continues after the largest id inserted

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def ping(self) -> None:
        """The file at the configured path must still be the one this connection has open, and answer
        a query. An open connection keeps working on a file deleted or replaced under it, so a query
        alone cannot see that: the bot would go on writing into a file nobody opens again (gone at the
        next start, invisible to `newsbot ingest`)."""
        if _identity(self.path) != self._identity:
            raise StorageError(f"{self.path} is no longer the file the bot opened (deleted, moved or replaced)")
        await self.fetchone("SELECT max(id) FROM articles")


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


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, None if there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


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
