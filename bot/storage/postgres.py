"""The PostgreSQL engine (asyncpg): a connection pool, so that several workers share one database.

The aggregates' SQL is written once with `?` placeholders; `numbered` turns them into asyncpg's `$1,
$2…`. Where SQLite's BEGIN IMMEDIATE serializes every writer, PostgreSQL runs writes side by side;
a write that checks and then inserts (an article against its duplicates) asks for `exclusive`, which
takes a transaction-scoped advisory lock, so those run one at a time across all workers, and article
ids commit in the order they were taken (a worker that reads up to the largest id never skips a row
that commits later). Jobs that one worker at a time should run (polling the feeds) hold a session
advisory lock, which PostgreSQL drops by itself if the worker dies.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import asyncpg

from bot.dburl import DatabaseURL
from bot.storage.backend import StorageError
from bot.storage.migrations import PG_MIGRATIONS

POOL_MIN = 1
POOL_MAX = 8
CONNECT_TIMEOUT_SECONDS = 10.0


def lock_key(name: str) -> int:
    """A stable 64-bit advisory lock key for `name` (the same in every worker)."""
    return int.from_bytes(hashlib.blake2b(f"newsbot:{name}".encode(), digest_size=8).digest(), "big", signed=True)


WRITE_LOCK = lock_key("exclusive-write")
MIGRATE_LOCK = lock_key("migrate")


@lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """`?` placeholders as `$1, $2…`, leaving quoted text and identifiers alone."""
    out: list[str] = []
    n = 0
    quote: str | None = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(ch)
    return "".join(out)


def _rowcount(status: str) -> int:
    # asyncpg returns the command tag: "INSERT 0 1", "UPDATE 3", "DELETE 0".
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTx:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await self._con.fetch(numbered(sql), *params)]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = await self._con.fetchrow(numbered(sql), *params)
        return tuple(row) if row is not None else None

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _rowcount(await self._con.execute(numbered(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            await self._con.executemany(numbered(sql), rows)

    async def insert_id(self, sql: str, params: Sequence[Any]) -> int:
        return int(await self._con.fetchval(numbered(sql) + " RETURNING id", *params))

    async def bulk_insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            await self._con.copy_records_to_table(table, records=rows, columns=list(columns))


class PostgresBackend:
    dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: DatabaseURL) -> None:
        self._pool = pool
        self.url = url

    @classmethod
    async def open(cls, url: DatabaseURL) -> PostgresBackend:
        try:
            # Custom plans always: asyncpg prepares every statement, and PostgreSQL's generic plan for
            # the delivery claim cannot see that its cursor leaves only a few pairs to walk.
            pool = await asyncpg.create_pool(url.dsn, min_size=POOL_MIN, max_size=POOL_MAX,
                                             timeout=CONNECT_TIMEOUT_SECONDS,
                                             server_settings={"plan_cache_mode": "force_custom_plan"})
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            raise StorageError(f"cannot open {url}: {_safe(exc, url)}") from None
        assert pool is not None
        backend = cls(pool, url)
        try:
            await backend._migrate()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            await pool.close()
            raise StorageError(f"cannot use {url}: {_safe(exc, url)}") from None
        except BaseException:
            await pool.close()
            raise
        return backend

    async def close(self) -> None:
        await self._pool.close()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._pool.acquire() as con:
            return await PostgresTx(con).fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        async with self._pool.acquire() as con:
            return await PostgresTx(con).fetchone(sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        # Autocommit: one round trip instead of BEGIN, the statement, COMMIT.
        async with self._pool.acquire() as con:
            return await PostgresTx(con).execute(sql, params)

    @asynccontextmanager
    async def writing(self, exclusive: bool = False) -> AsyncIterator[PostgresTx]:
        async with self._pool.acquire() as con, con.transaction():
            if exclusive:
                await con.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield PostgresTx(con)

    @asynccontextmanager
    async def job_lock(self, name: str) -> AsyncIterator[bool]:
        key = lock_key(f"job:{name}")
        async with self._pool.acquire() as con:
            mine = bool(await con.fetchval("SELECT pg_try_advisory_lock($1)", key))
            try:
                yield mine
            finally:
                if mine:
                    await con.execute("SELECT pg_advisory_unlock($1)", key)

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT c.relname, coalesce(array_agg(DISTINCT f.relname) FILTER (WHERE f.relname IS NOT NULL), '{}')"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()"
            " LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'"
            " LEFT JOIN pg_class f ON f.oid = k.confrelid"
            " WHERE c.relkind = 'r' AND c.relname <> 'schema_version' GROUP BY c.relname ORDER BY c.relname"
        )
        parents = {name: set(refs) for name, refs in rows}
        ordered: list[str] = []
        while len(ordered) < len(parents):
            ready = [n for n in parents if n not in ordered and parents[n] <= {*ordered, n}]
            ordered.extend(ready or [n for n in parents if n not in ordered])
        return ordered

    async def reset_ids(self, table: str) -> None:
        async with self._pool.acquire() as con:
            identities = await con.fetch(
                "SELECT column_name, pg_get_serial_sequence(table_name, column_name) FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'", table)
            for column, sequence in identities:
                await con.execute(
                    f"SELECT setval($1, coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)", sequence)

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT coalesce(max(version), 0) FROM schema_version")
        return int(row[0]) if row else 0

    async def ping(self) -> None:
        # Through the pool, as every query goes: a server that is down, or a pool whose connections
        # all broke, fails here; the refresh job's own query (an index on articles) is the cheap probe.
        await self.fetchone("SELECT max(id) FROM articles")

    async def _migrate(self) -> None:
        async with self._pool.acquire() as con:
            for version, sql in enumerate(PG_MIGRATIONS, start=1):
                # One transaction per migration, version bump included; the advisory lock makes
                # workers starting together apply each migration once.
                async with con.transaction():
                    await con.execute("SELECT pg_advisory_xact_lock($1)", MIGRATE_LOCK)
                    await con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                    current = await con.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
                    if current < version:
                        await con.execute(sql)
                        await con.execute("DELETE FROM schema_version")
                        await con.execute("INSERT INTO schema_version (version) VALUES ($1)", version)


def _safe(exc: BaseException, url: DatabaseURL) -> str:
    """The driver's message in one line, without the password even if it quotes the connection string."""
    text = (" ".join(str(exc).split()) or type(exc).__name__).replace(url.dsn, str(url))
    for secret in url.secrets:
        text = text.replace(secret, "***")
    return text
