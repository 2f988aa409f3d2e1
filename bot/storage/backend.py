"""What the aggregates see of a database engine: reads, one write transaction, a job lock.

Two engines implement it: `sqlite` (one file, one connection per process) and `postgres` (a server
that several workers share). The aggregates write their SQL once, with `?` placeholders and SQL both
engines accept; the PostgreSQL engine numbers the placeholders (`$1`, `$2`…) for its driver.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timezone
from typing import Any, Protocol


class StorageError(Exception):
    """The database cannot be opened or used; the message is one line for the operator (never a password)."""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Tx(Protocol):
    """Statements inside one write transaction."""

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def insert_id(self, sql: str, params: Sequence[Any]) -> int:
        """Run one INSERT into a table with an `id` key; the new row's id."""
        ...

    async def bulk_insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert many rows as they are (ids included), the fastest way the engine has."""
        ...


class Backend(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write statement, atomic by itself; how many rows it changed."""
        ...

    def writing(self, exclusive: bool = False) -> AbstractAsyncContextManager[Tx]:
        """One write transaction. `exclusive`: no other writer (in any process) runs one at the same
        time, for a check-then-insert, and so that row ids commit in the order they were taken."""
        ...

    def job_lock(self, name: str) -> AbstractAsyncContextManager[bool]:
        """Whether this process may run job `name` now (no other worker is running it); held until exit."""
        ...

    async def tables(self) -> list[str]:
        """The bot's tables, parents before the tables that refer to them."""
        ...

    async def reset_ids(self, table: str) -> None:
        """After rows were inserted with their ids: the next id comes after the largest."""
        ...

    async def schema_version(self) -> int: ...

    async def ping(self) -> None:
        """A cheap query that really reaches the database; StorageError (or the driver's error) when it
        cannot be used. Callers bound it in time (a locked or unreachable database may hang)."""
        ...

    async def close(self) -> None: ...
