"""The deliveries aggregate: which article went to which subscribed chat, and in what state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.articles import young
from bot.storage.database import Database, utc_now

# Delivery states. SENDING is written before the send and SENT after it, so after a crash only the
# one message in flight (still SENDING) can go out twice.
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"
FINAL_STATUSES = (SENT, FAILED, BLOCKED)


@dataclass(frozen=True)
class Delivery:
    article_row: int
    chat_id: int
    attempts: int


class DeliveryStore(Database):
    async def pending_deliveries(
        self, limit: int | None = None, max_age_days: float | None = None, now: datetime | None = None
    ) -> list[Delivery]:
        """(article, chat) pairs still owed: articles newer than the subscription, not finally recorded,
        and not older than `max_age_days` (an archive ingested late is not news to push).

        Ordered by article then chat, so a broadcast resumes in the order it was going.
        """
        condition, young_params = young(max_age_days, now)
        rows = await self._fetchall(
            "SELECT a.id, s.chat_id, coalesce(d.attempts, 0) FROM subscriptions s"
            " JOIN articles a ON a.id > s.since_article"
            " LEFT JOIN deliveries d ON d.article = a.id AND d.chat_id = s.chat_id"
            f" WHERE (d.status IS NULL OR d.status NOT IN ({','.join('?' * len(FINAL_STATUSES))}))"
            f" AND {condition}"
            " ORDER BY a.id, s.chat_id LIMIT ?",
            (*FINAL_STATUSES, *young_params, -1 if limit is None else limit),
        )
        return [Delivery(article_row=r[0], chat_id=r[1], attempts=r[2]) for r in rows]

    async def record_delivery(self, article_row: int, chat_id: int, status: str, detail: str | None = None) -> None:
        """Record the state of one delivery; SENDING counts an attempt."""
        bump = 1 if status == SENDING else 0
        await self._transaction(
            [
                (
                    "INSERT INTO deliveries (article, chat_id, status, attempts, at, detail)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(article, chat_id) DO UPDATE SET"
                    " status = excluded.status, attempts = deliveries.attempts + ?, at = excluded.at,"
                    " detail = excluded.detail",
                    (article_row, chat_id, status, bump, utc_now(), detail, bump),
                )
            ]
        )

    async def deliveries(self, chat_id: int | None = None) -> list[tuple[int, int, str, int]]:
        """(article row, chat, status, attempts) rows, for inspection and tests."""
        where, params = ("WHERE chat_id = ?", (chat_id,)) if chat_id is not None else ("", ())
        return [
            (r[0], r[1], r[2], r[3])
            for r in await self._fetchall(
                f"SELECT article, chat_id, status, attempts FROM deliveries {where} ORDER BY article, chat_id", params
            )
        ]
