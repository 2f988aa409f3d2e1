"""The topics aggregate: topics chats follow, how far matching has read, and the pushes owed.

Matching writes a PENDING push per (article, chat) and moves the cursor in the same transaction, so a
crash neither loses nor repeats a match; sending records SENDING before and SENT after, as article
pushes do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.storage.database import Database, utc_now
from bot.storage.deliveries import SENDING, SENT

PENDING = "pending"
TOPICS_CURSOR = "topics"


@dataclass(frozen=True)
class Topic:
    id: int
    chat_id: int
    text: str
    since_article: int


@dataclass(frozen=True)
class TopicPush:
    article_row: int
    chat_id: int
    topic: int
    sentence: int
    attempts: int


class TopicStore(Database):
    async def follow(self, chat_id: int, text: str) -> tuple[int, bool]:
        """Save topic `text` for `chat_id` from the next article on: (its id, whether it is new)."""
        async with self._writing() as tx:
            added = await tx.execute(
                "INSERT INTO topics (chat_id, text, since_article, created)"
                " VALUES (?, ?, (SELECT coalesce(max(id), 0) FROM articles), ?) ON CONFLICT DO NOTHING",
                (chat_id, text, utc_now()),
            ) > 0
            row = await tx.fetchone("SELECT id FROM topics WHERE chat_id = ? AND text = ?", (chat_id, text))
        assert row is not None
        return int(row[0]), added

    async def unfollow(self, chat_id: int, topic_id: int) -> bool:
        """Drop one topic of `chat_id` with the pushes still owed for it; False if it was not there."""
        async with self._writing() as tx:
            await tx.execute("DELETE FROM topic_pushes WHERE topic = ? AND status <> ?", (topic_id, SENT))
            return await tx.execute("DELETE FROM topics WHERE id = ? AND chat_id = ?", (topic_id, chat_id)) > 0

    async def unfollow_all(self, chat_id: int) -> int:
        async with self._writing() as tx:
            await tx.execute("DELETE FROM topic_pushes WHERE chat_id = ? AND status <> ?", (chat_id, SENT))
            return await tx.execute("DELETE FROM topics WHERE chat_id = ?", (chat_id,))

    async def topics(self, chat_id: int | None = None) -> list[Topic]:
        where, params = ("WHERE chat_id = ?", (chat_id,)) if chat_id is not None else ("", ())
        rows = await self._fetchall(f"SELECT id, chat_id, text, since_article FROM topics {where} ORDER BY id", params)
        return [Topic(*row) for row in rows]

    async def cursor(self, name: str) -> int:
        """How far (article row) the job `name` has read; a new cursor starts at the newest article,
        so that following topics never means matching the whole back catalogue."""
        row = await self._fetchone("SELECT upto FROM cursors WHERE name = ?", (name,))
        if row is None:
            await self._transaction([(
                "INSERT INTO cursors (name, upto) VALUES (?, (SELECT coalesce(max(id), 0) FROM articles))"
                " ON CONFLICT DO NOTHING", (name,))])
            row = await self._fetchone("SELECT upto FROM cursors WHERE name = ?", (name,))
        return int(row[0]) if row else 0

    async def record_topic_matches(self, upto_row: int, matches: Sequence[tuple[int, int, int, int]]) -> None:
        """Owe each (article row, chat, topic, sentence) push and move the topics cursor to `upto_row`, at once.

        A chat that two of its topics lead to the same article gets it once (the first match given)."""
        now = utc_now()
        statements = [
            (
                "INSERT INTO topic_pushes (article, chat_id, topic, sentence, status, at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (article, chat, topic, sentence, PENDING, now),
            )
            for article, chat, topic, sentence in matches
        ]
        statements.append(
            ("UPDATE cursors SET upto = ? WHERE name = ? AND upto < ?", (upto_row, TOPICS_CURSOR, upto_row)))
        await self._transaction(statements)

    async def pending_topic_pushes(self, limit: int = 1000) -> list[TopicPush]:
        """Pushes still owed (PENDING, or SENDING when a crash interrupted them), by chat then article."""
        rows = await self._fetchall(
            "SELECT article, chat_id, topic, sentence, attempts FROM topic_pushes WHERE status IN (?, ?)"
            " ORDER BY chat_id, article LIMIT ?",
            (PENDING, SENDING, limit),
        )
        return [TopicPush(*row) for row in rows]

    async def record_topic_pushes(
        self, pushes: Sequence[TopicPush], status: str, bundle: int | None = None, detail: str | None = None
    ) -> None:
        """Record the state of pushes sent together as one message (`bundle`); SENDING counts an attempt."""
        bump = 1 if status == SENDING else 0
        now = utc_now()
        await self._transaction(
            (
                "UPDATE topic_pushes SET status = ?, attempts = attempts + ?, bundle = coalesce(?, bundle),"
                " at = ?, detail = ? WHERE article = ? AND chat_id = ?",
                (status, bump, bundle, now, detail, push.article_row, push.chat_id),
            )
            for push in pushes
        )

    async def topic_messages_since(self, chat_id: int, since: str) -> int:
        """Alert messages sent to `chat_id` since the ISO time `since` (a bundle is one message)."""
        row = await self._fetchone(
            "SELECT count(DISTINCT bundle) FROM topic_pushes WHERE chat_id = ? AND status = ? AND at >= ?",
            (chat_id, SENT, since),
        )
        return int(row[0]) if row else 0

    async def topic_pushes(self, chat_id: int | None = None) -> list[tuple[int, int, str, int]]:
        """(article row, chat, status, attempts) rows, for inspection and tests."""
        where, params = ("WHERE chat_id = ?", (chat_id,)) if chat_id is not None else ("", ())
        rows = await self._fetchall(
            f"SELECT article, chat_id, status, attempts FROM topic_pushes {where} ORDER BY article, chat_id", params
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]
