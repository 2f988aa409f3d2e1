"""`newsbot migrate-db FROM TO`: copy a SQLite database, table by table, into an empty database
(PostgreSQL, typically), keeping every id, so that deliveries, subscriptions and the index's rows
still point at the same articles; then each id sequence is moved past the largest id copied.

Both databases are opened through Storage, so both are migrated to the same schema version first.
The copy is one transaction on the target: it lands whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.storage.backend import StorageError
from bot.storage.database import Database

BATCH_ROWS = 5_000


@dataclass
class Copied:
    rows: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return ", ".join(f"{table} {n}" for table, n in self.rows.items())


async def copy_database(source: Database, target: Database) -> Copied:
    """Copy every table of the SQLite `source` into the empty `target`; StorageError if it is not empty."""
    if source.dialect != "sqlite":
        raise StorageError("migrate-db copies from a SQLite file (FROM is a path)")
    tables = await source._backend.tables()
    missing = set(tables) - set(await target._backend.tables())
    if missing:
        raise StorageError(f"the target has no table {sorted(missing)[0]} (is it a newsbot database?)")
    for table in tables:
        row = await target._fetchone(f"SELECT count(*) FROM {table}")
        if row and row[0]:
            raise StorageError(f"the target already holds data ({row[0]} rows in {table}): copy into an empty database")
    copied = Copied()
    async with target._writing(exclusive=True) as tx:
        for table in tables:
            columns = [r[1] for r in await source._fetchall(f"PRAGMA table_info({table})")]
            names = ", ".join(columns)
            copied.rows[table] = 0
            last = -(2**63)
            while True:
                # Keyset paging by rowid: each batch is one indexed range read, however big the table.
                rows = await source._fetchall(
                    f"SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, BATCH_ROWS))
                if not rows:
                    break
                last = rows[-1][0]
                await tx.bulk_insert(table, columns, [r[1:] for r in rows])
                copied.rows[table] += len(rows)
    for table in tables:
        await target._backend.reset_ids(table)
    return copied
