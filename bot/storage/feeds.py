"""The feeds aggregate: polling state per followed feed, and each feed entry looked at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.storage.database import Database, utc_now


@dataclass(frozen=True)
class FeedState:
    """What the bot knows about one feed (issue 4); times are ISO 8601 UTC text."""

    url: str
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetch: str | None = None
    last_ok: str | None = None
    last_error: str | None = None
    consecutive_errors: int = 0
    next_attempt: str | None = None
    articles: int = 0


class FeedStore(Database):
    _FEED_COLUMNS = (
        "f.url, f.title, f.etag, f.last_modified, f.last_fetch, f.last_ok, f.last_error,"
        " f.consecutive_errors, f.next_attempt,"
        " (SELECT count(*) FROM articles a WHERE a.feed_url = f.url)"
    )

    async def feed_state(self, url: str) -> FeedState | None:
        row = await self._fetchone(f"SELECT {self._FEED_COLUMNS} FROM feeds f WHERE f.url = ?", (url,))
        return FeedState(*row) if row is not None else None

    async def failing_feeds(self) -> set[str]:
        """The feeds whose last poll failed."""
        return {r[0] for r in await self._fetchall("SELECT url FROM feeds WHERE consecutive_errors > 0")}

    async def feed_states(self) -> list[FeedState]:
        rows = await self._fetchall(f"SELECT {self._FEED_COLUMNS} FROM feeds f ORDER BY f.url")
        return [FeedState(*row) for row in rows]

    async def record_feed_fetch(
        self,
        url: str,
        *,
        error: str | None = None,
        title: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        next_attempt: str | None = None,
    ) -> None:
        """Record one poll of `url`: a success (error None) resets the error count, a failure bumps it.

        A success without new validators (a 304) keeps the stored ETag and Last-Modified.
        """
        now = utc_now()
        if error is None:
            sql = (
                "INSERT INTO feeds (url, title, etag, last_modified, last_fetch, last_ok, consecutive_errors,"
                " next_attempt) VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT(url) DO UPDATE SET"
                " title = coalesce(excluded.title, feeds.title), etag = coalesce(excluded.etag, feeds.etag),"
                " last_modified = coalesce(excluded.last_modified, feeds.last_modified),"
                " last_fetch = excluded.last_fetch, last_ok = excluded.last_ok, last_error = NULL,"
                " consecutive_errors = 0, next_attempt = excluded.next_attempt"
            )
            params: tuple[Any, ...] = (url, title, etag, last_modified, now, now, next_attempt)
        else:
            sql = (
                "INSERT INTO feeds (url, last_fetch, last_error, consecutive_errors, next_attempt)"
                " VALUES (?, ?, ?, 1, ?) ON CONFLICT(url) DO UPDATE SET last_fetch = excluded.last_fetch,"
                " last_error = excluded.last_error, consecutive_errors = feeds.consecutive_errors + 1,"
                " next_attempt = excluded.next_attempt"
            )
            params = (url, now, error, next_attempt)
        await self._transaction([(sql, params)])

    async def feed_entry(self, feed_url: str, entry_key: str) -> tuple[str, int] | None:
        """(status, attempts) of an entry already looked at, or None."""
        row = await self._fetchone(
            "SELECT status, attempts FROM feed_entries WHERE feed_url = ? AND entry_key = ?", (feed_url, entry_key)
        )
        return (str(row[0]), int(row[1])) if row is not None else None

    async def record_feed_entry(self, feed_url: str, entry_key: str, status: str, detail: str | None = None) -> None:
        await self._transaction(
            [
                (
                    "INSERT INTO feed_entries (feed_url, entry_key, status, attempts, seen, detail)"
                    " VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT(feed_url, entry_key) DO UPDATE SET"
                    " status = excluded.status, attempts = feed_entries.attempts + 1, seen = excluded.seen,"
                    " detail = excluded.detail",
                    (feed_url, entry_key, status, utc_now(), detail),
                )
            ]
        )

    async def has_canonical_url(self, url: str) -> bool:
        return await self._fetchone("SELECT 1 FROM articles WHERE canonical_url = ?", (url,)) is not None

    async def add_feed(self, url: str, added_by: int | None) -> bool:
        """Follow `url` from now on (an admin's /addfeed); False if it was already added."""
        return await self._transaction([(
            "INSERT INTO added_feeds (url, added_by, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (url, added_by, utc_now()),
        )]) > 0

    async def remove_feed(self, url: str) -> bool:
        return await self._transaction([("DELETE FROM added_feeds WHERE url = ?", (url,))]) > 0

    async def added_feeds(self) -> list[str]:
        return [r[0] for r in await self._fetchall("SELECT url FROM added_feeds ORDER BY added_at, url")]
