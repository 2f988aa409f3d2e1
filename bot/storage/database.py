"""The database every aggregate shares: opening the right engine, reads, and write transactions.

`NEWSBOT_DATABASE` is a SQLite file path (the default: one bot process) or a `postgresql://` URL
(several workers sharing one server). Both engines serve the same aggregates through `Backend`
(bot/storage/backend.py): the SQL is written once, in the SQL both accept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Self

from bot.dburl import DatabaseURL, is_database_url
from bot.storage.backend import Backend, StorageError, Tx, utc_now

__all__ = ["Database", "StorageError", "Tx", "utc_now"]


class Database:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    @classmethod
    async def open(cls, target: Path | str | DatabaseURL) -> Self:
        """Open (creating if needed) and migrate the database; StorageError if `target` cannot be used."""
        if isinstance(target, str) and is_database_url(target):
            try:
                target = DatabaseURL(target)
            except ValueError as exc:
                raise StorageError(str(exc)) from None
        if isinstance(target, DatabaseURL):
            # Imported here: a SQLite bot never loads the PostgreSQL driver.
            from bot.storage.postgres import PostgresBackend

            return cls(await PostgresBackend.open(target))
        from bot.storage.sqlite import SqliteBackend

        return cls(await SqliteBackend.open(Path(target)))

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self._backend.dialect

    async def close(self) -> None:
        await self._backend.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return await self._backend.fetchall(sql, params)

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return await self._backend.fetchone(sql, params)

    @asynccontextmanager
    async def _writing(self, exclusive: bool = False) -> AsyncIterator[Tx]:
        """One write transaction, committed at the end, rolled back if the body raises; `exclusive`:
        no other writer in any process at the same time (see Backend.writing)."""
        async with self._backend.writing(exclusive) as tx:
            yield tx

    async def _transaction(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> int:
        """Run `statements` in one transaction; how many rows they changed."""
        statements = list(statements)
        if len(statements) == 1:
            return await self._backend.execute(*statements[0])  # one statement is atomic by itself
        changed = 0
        async with self._writing() as tx:
            for sql, params in statements:
                changed += await tx.execute(sql, params)
        return changed

    def job_lock(self, name: str) -> AbstractAsyncContextManager[bool]:
        """`async with storage.job_lock("feeds") as mine:` — mine is False while another worker runs it."""
        return self._backend.job_lock(name)

    async def schema_version(self) -> int:
        return await self._backend.schema_version()

    async def ping(self) -> None:
        """Whether the database answers (see Backend.ping): raises when it does not."""
        await self._backend.ping()
