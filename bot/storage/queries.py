"""The query log: questions asked, whether they were answered, and how long it took."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.storage.database import Database, utc_now


class QueryLog(Database):
    async def log_query(self, chat_id: int | None, question: str, answered: bool, latency_ms: float) -> None:
        await self._transaction(
            [
                (
                    "INSERT INTO query_log (chat_id, question, answered, latency_ms, at) VALUES (?, ?, ?, ?, ?)",
                    (chat_id, question, int(answered), latency_ms, utc_now()),
                )
            ]
        )

    async def counts(self) -> dict[str, int]:
        """Totals for the admins' /stats: articles, chats, subscribers, questions answered and abstained."""
        row = await self._fetchone(
            "SELECT (SELECT count(*) FROM articles),"
            " (SELECT count(*) FROM (SELECT chat_id FROM chats UNION"
            "  SELECT chat_id FROM query_log WHERE chat_id IS NOT NULL) AS seen),"
            " (SELECT count(*) FROM subscriptions),"
            " (SELECT count(*) FROM query_log WHERE answered <> 0),"
            " (SELECT count(*) FROM query_log WHERE answered = 0)"
        )
        assert row is not None
        names = ("articles", "chats", "subscribers", "answered", "abstained")
        return dict(zip(names, (int(v) for v in row), strict=True))

    async def purge_queries(self, keep_days: float, now: datetime | None = None) -> int:
        """Delete questions logged more than `keep_days` before `now`; how many were deleted."""
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=keep_days)
        return await self._transaction(
            [("DELETE FROM query_log WHERE at < ?", (cutoff.astimezone(timezone.utc).isoformat(timespec="seconds"),))]
        )

    async def query_log_rows(self) -> list[tuple[int | None, str, str]]:
        """(chat, question, when) of every logged question, for inspection and tests."""
        return [(r[0], r[1], r[2]) for r in await self._fetchall("SELECT chat_id, question, at FROM query_log ORDER BY id")]

    async def query_count(self) -> int:
        row = await self._fetchone("SELECT count(*) FROM query_log")
        return int(row[0]) if row else 0
