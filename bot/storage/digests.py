"""The digests aggregate: a chat's digest plan, and each digest owed or sent.

A digest covers the article rows (from_article, upto_article]. Opening one records it PENDING, moves
the plan past those rows and sets its next due time in one transaction; sending records SENDING before
and SENT after, as article pushes do, so a crash neither loses a digest nor sends it twice (beyond the
one message in flight).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database, utc_now
from bot.storage.deliveries import SENDING
from bot.storage.topics import PENDING


@dataclass(frozen=True)
class DigestPlan:
    chat_id: int
    every_hours: int | None  # a digest every N hours…
    at_hour: int | None  # …or daily at this hour of `tz`
    tz: str
    since_article: int
    next_due: str  # ISO 8601 UTC


@dataclass(frozen=True)
class Digest:
    id: int
    chat_id: int
    from_article: int
    upto_article: int
    attempts: int


class DigestStore(Database):
    _PLAN = "chat_id, every_hours, at_hour, tz, since_article, next_due"

    async def set_digest_plan(
        self, chat_id: int, every_hours: int | None, at_hour: int | None, tz: str, next_due: str
    ) -> None:
        """Give `chat_id` a digest instead of every article; a new plan starts from the next article,
        a changed one keeps its place."""
        await self._transaction(
            [
                ("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,)),
                (
                    "INSERT INTO digest_plans (chat_id, every_hours, at_hour, tz, since_article, next_due, created)"
                    " VALUES (?, ?, ?, ?, (SELECT coalesce(max(id), 0) FROM articles), ?, ?)"
                    " ON CONFLICT (chat_id) DO UPDATE SET every_hours = excluded.every_hours,"
                    " at_hour = excluded.at_hour, tz = excluded.tz, next_due = excluded.next_due",
                    (chat_id, every_hours, at_hour, tz, next_due, utc_now()),
                ),
            ]
        )

    async def digest_plan(self, chat_id: int) -> DigestPlan | None:
        row = await self._fetchone(f"SELECT {self._PLAN} FROM digest_plans WHERE chat_id = ?", (chat_id,))
        return DigestPlan(*row) if row else None

    async def drop_digest_plan(self, chat_id: int) -> bool:
        return await self._transaction([("DELETE FROM digest_plans WHERE chat_id = ?", (chat_id,))]) > 0

    async def due_digest_plans(self, now: str) -> list[DigestPlan]:
        rows = await self._fetchall(
            f"SELECT {self._PLAN} FROM digest_plans WHERE next_due <= ? ORDER BY next_due, chat_id", (now,)
        )
        return [DigestPlan(*row) for row in rows]

    async def open_digest(self, chat_id: int, upto_row: int, next_due: str | None) -> int | None:
        """Owe `chat_id` a digest of the rows since its last one up to `upto_row`, and move its plan on
        (to `next_due`, if given); the digest's id, or None when there was no plan or nothing new."""
        async with self._writing() as tx:
            plan = await tx.fetchone("SELECT since_article FROM digest_plans WHERE chat_id = ?", (chat_id,))
            if plan is None:
                return None
            if next_due is not None:
                await tx.execute("UPDATE digest_plans SET next_due = ? WHERE chat_id = ?", (next_due, chat_id))
            since = int(plan[0])
            if upto_row <= since:
                return None
            digest_id = await tx.insert_id(
                "INSERT INTO digests (chat_id, from_article, upto_article, status, at) VALUES (?, ?, ?, ?, ?)",
                (chat_id, since, upto_row, PENDING, utc_now()),
            )
            await tx.execute("UPDATE digest_plans SET since_article = ? WHERE chat_id = ?", (upto_row, chat_id))
            return digest_id

    async def pending_digests(self) -> list[Digest]:
        rows = await self._fetchall(
            "SELECT id, chat_id, from_article, upto_article, attempts FROM digests WHERE status IN (?, ?) ORDER BY id",
            (PENDING, SENDING),
        )
        return [Digest(*row) for row in rows]

    async def record_digest(self, digest_id: int, status: str, detail: str | None = None) -> None:
        bump = 1 if status == SENDING else 0
        await self._transaction(
            [
                (
                    "UPDATE digests SET status = ?, attempts = attempts + ?, at = ?, detail = ? WHERE id = ?",
                    (status, bump, utc_now(), detail, digest_id),
                )
            ]
        )

    async def digests(self, chat_id: int | None = None) -> list[tuple[int, int, int, str, int]]:
        """(chat, from row, upto row, status, attempts) rows, for inspection and tests."""
        where, params = ("WHERE chat_id = ?", (chat_id,)) if chat_id is not None else ("", ())
        rows = await self._fetchall(
            f"SELECT chat_id, from_article, upto_article, status, attempts FROM digests {where} ORDER BY id", params
        )
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
