"""The chats aggregate: chats the bot has met, and their subscriptions."""

from __future__ import annotations

from bot.storage.database import Database, utc_now


class ChatStore(Database):
    async def remember_chat(self, chat_id: int, type: str | None = None, title: str | None = None) -> None:
        await self._transaction(
            [
                (
                    "INSERT INTO chats (chat_id, type, title, created) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(chat_id) DO UPDATE SET type = excluded.type, title = excluded.title",
                    (chat_id, type, title, utc_now()),
                )
            ]
        )

    async def subscribe(self, chat_id: int) -> bool:
        """Subscribe `chat_id` to articles ingested from now on; False if it already was."""
        # Exclusive, like storing an article: no article is stored between reading the newest row and
        # committing. Else (PostgreSQL, read committed) an article committed meanwhile would be owed to
        # this chat and yet lie below the delivery low-water mark another worker just moved past it
        # (bot/telegram/delivery.py, count_waiting), and never be pushed.
        async with self._writing(exclusive=True) as tx:
            added = await tx.execute(
                "INSERT INTO subscriptions (chat_id, since_article, created)"
                " VALUES (?, (SELECT coalesce(max(id), 0) FROM articles), ?) ON CONFLICT DO NOTHING",
                (chat_id, utc_now()),
            )
        return added > 0

    async def unsubscribe(self, chat_id: int) -> bool:
        """Drop the subscription of `chat_id`; False if there was none."""
        return await self._transaction([("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))]) > 0

    async def forget_chat(self, chat_id: int) -> bool:
        """Drop what is kept about `chat_id` (it unsubscribed, blocked the bot or removed it): its
        name, subscription and delivery records; its questions stay until NEWSBOT_QUERY_LOG_DAYS
        ends, no longer tied to it. False if there was no subscription."""
        async with self._writing() as tx:
            removed = await tx.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,)) > 0
            await tx.execute("DELETE FROM chats WHERE chat_id = ?", (chat_id,))
            await tx.execute("DELETE FROM deliveries WHERE chat_id = ?", (chat_id,))
            await tx.execute("UPDATE query_log SET chat_id = NULL WHERE chat_id = ?", (chat_id,))
        return removed

    async def chat_record(self, chat_id: int) -> tuple[str | None, str | None] | None:
        """(type, title) kept for `chat_id`, or None."""
        row = await self._fetchone("SELECT type, title FROM chats WHERE chat_id = ?", (chat_id,))
        return (row[0], row[1]) if row is not None else None

    async def is_subscribed(self, chat_id: int) -> bool:
        return await self._fetchone("SELECT 1 FROM subscriptions WHERE chat_id = ?", (chat_id,)) is not None

    async def subscribers(self) -> list[int]:
        return [r[0] for r in await self._fetchall("SELECT chat_id FROM subscriptions ORDER BY chat_id")]
