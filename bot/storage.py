"""All persistent state in one SQLite file through aiosqlite: articles, chats, subscriptions, deliveries, queries.

One connection per process, in autocommit mode; every write runs as an explicit transaction under an
asyncio lock, because coroutines sharing one connection would otherwise interleave their statements
inside each other's transactions. WAL lets `newsbot ingest` write while the bot reads.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiosqlite

from retrieval import Article, RelatedLink
from retrieval import parse_published
from retrieval.analysis.normalize import normalize

from bot.age import age_cutoff, cutoff_text
from bot.settings import SettingsError

BUSY_TIMEOUT_MS = 10_000

# Schema migrations, applied in order; PRAGMA user_version counts how many are in the file.
# Never edit a shipped entry: append a new one.
MIGRATIONS: list[str] = [
    # 1: the bot's core state.
    """
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        article_id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        source TEXT,
        url TEXT,
        canonical_url TEXT UNIQUE,
        content_hash TEXT UNIQUE,
        published TEXT,
        ingested_at TEXT NOT NULL,
        feed_url TEXT
    );
    CREATE TABLE sentences (
        article INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (article, position)
    );
    CREATE TABLE related (
        article INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        title TEXT NOT NULL,
        url TEXT,
        PRIMARY KEY (article, position)
    );
    CREATE TABLE chats (
        chat_id INTEGER PRIMARY KEY,
        type TEXT,
        title TEXT,
        created TEXT NOT NULL
    );
    CREATE TABLE subscriptions (
        chat_id INTEGER PRIMARY KEY,
        since_article INTEGER NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        article INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        chat_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        at TEXT NOT NULL,
        detail TEXT,
        UNIQUE (article, chat_id)
    );
    CREATE TABLE query_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER,
        question TEXT NOT NULL,
        answered INTEGER NOT NULL,
        latency_ms REAL,
        at TEXT NOT NULL
    );
    CREATE INDEX articles_published ON articles(published);
    """,
    # 2: feed polling state (issue 4): one row per followed feed, one per feed entry looked at.
    """
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        title TEXT,
        etag TEXT,
        last_modified TEXT,
        last_fetch TEXT,
        last_ok TEXT,
        last_error TEXT,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        next_attempt TEXT
    );
    CREATE TABLE feed_entries (
        feed_url TEXT NOT NULL,
        entry_key TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        seen TEXT NOT NULL,
        detail TEXT,
        PRIMARY KEY (feed_url, entry_key)
    );
    CREATE INDEX articles_feed_url ON articles(feed_url);
    """,
]

# Delivery states. SENDING is written before the send and SENT after it, so after a crash only the
# one message in flight (still SENDING) can go out twice.
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"
FINAL_STATUSES = (SENT, FAILED, BLOCKED)

_SPACE = re.compile(r"\s+")


def content_hash(article: Article) -> str:
    """Fingerprint of what an article says, so the same story from two paths (file, feed) dedupes."""
    text = normalize(article.title) + "\n" + "\n".join(normalize(s) for s in article.sentences)
    folded = _SPACE.sub(" ", text).strip()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


_content_hash = content_hash  # add_article's keyword of the same name shadows it


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _published_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    # Aware datetimes are stored in UTC so that text order is time order.
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.isoformat()


# An article's age: its publication date, or when it was ingested if it has none (an undated
# article still ages out, counted from when the bot first saw it).
AGE_SQL = "coalesce(a.published, a.ingested_at)"


def _young(max_age_days: float | None, now: datetime | None) -> tuple[str, tuple[Any, ...]]:
    """SQL condition (on alias `a`) for articles within `max_age_days` of `now`, with its parameters."""
    cutoff = cutoff_text(age_cutoff(max_age_days, now))
    return ("1", ()) if cutoff is None else (f"{AGE_SQL} >= ?", (cutoff,))


@dataclass(frozen=True)
class Delivery:
    article_row: int
    chat_id: int
    attempts: int


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


class Storage:
    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._write = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Storage:
        """Open (creating if needed) and migrate the database; SettingsError if `path` cannot be used."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Probe with plain sqlite3 first: a failed aiosqlite.connect leaves its worker thread behind,
            # which prints a traceback at exit.
            await asyncio.to_thread(_probe, path)
            db = await aiosqlite.connect(str(path), isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise SettingsError(f"NEWSBOT_DATABASE: cannot open {path}: {exc}") from None
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA synchronous = NORMAL")
            await _migrate(db)
        except sqlite3.DatabaseError as exc:  # "file is not a database", a read-only file…
            await db.close()
            raise SettingsError(f"NEWSBOT_DATABASE: cannot use {path}: {exc}") from None
        except BaseException:
            await db.close()
            raise
        return cls(db, path)

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return tuple(row) if row is not None else None

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        """One write transaction, taken in turn: coroutines share the connection, so without the lock
        their statements would land inside each other's transactions."""
        async with self._write, _immediate(self._db):
            yield

    async def _transaction(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        async with self._writing():
            for sql, params in statements:
                await self._db.execute(sql, params)

    # Articles ----------------------------------------------------------------------------------

    async def add_article(
        self,
        article: Article,
        *,
        canonical_url: str | None = None,
        content_hash: str | None = None,
        feed_url: str | None = None,
    ) -> int | None:
        """Store `article` in one transaction; its row id, or None if it duplicates a stored one."""
        digest = content_hash if content_hash is not None else _content_hash(article)
        async with self._writing():
            dup = await self._fetchone(
                "SELECT id FROM articles WHERE article_id = ? OR canonical_url = ? OR content_hash = ?",
                (article.id, canonical_url, digest),
            )
            if dup is not None:
                return None
            cursor = await self._db.execute(
                "INSERT INTO articles (article_id, title, source, url, canonical_url, content_hash,"
                " published, ingested_at, feed_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    article.id,
                    article.title,
                    article.source,
                    article.url,
                    canonical_url,
                    digest,
                    _published_text(article.published),
                    utc_now(),
                    feed_url,
                ),
            )
            row_id = cursor.lastrowid
            await self._db.executemany(
                "INSERT INTO sentences (article, position, text) VALUES (?, ?, ?)",
                [(row_id, i, s) for i, s in enumerate(article.sentences)],
            )
            await self._db.executemany(
                "INSERT INTO related (article, position, title, url) VALUES (?, ?, ?, ?)",
                [(row_id, i, link.title, link.url) for i, link in enumerate(article.related)],
            )
        assert row_id is not None
        return int(row_id)

    async def article_count(self) -> int:
        row = await self._fetchone("SELECT count(*) FROM articles")
        return int(row[0]) if row else 0

    async def article_ids(self) -> set[str]:
        return {str(r[0]) for r in await self._fetchall("SELECT article_id FROM articles")}

    async def max_article_row(self) -> int:
        row = await self._fetchone("SELECT coalesce(max(id), 0) FROM articles")
        return int(row[0]) if row else 0

    async def _load(self, where: str, params: Sequence[Any], order: str = "a.id") -> list[tuple[int, Article]]:
        heads = await self._fetchall(
            f"SELECT a.id, a.article_id, a.title, a.source, a.url, a.published FROM articles a"
            f" WHERE {where} ORDER BY {order}",
            params,
        )
        if not heads:
            return []
        sentences: dict[int, list[str]] = {}
        for row, text in await self._fetchall(
            f"SELECT s.article, s.text FROM sentences s JOIN articles a ON a.id = s.article"
            f" WHERE {where} ORDER BY s.article, s.position",
            params,
        ):
            sentences.setdefault(row, []).append(text)
        related: dict[int, list[RelatedLink]] = {}
        for row, title, url in await self._fetchall(
            f"SELECT r.article, r.title, r.url FROM related r JOIN articles a ON a.id = r.article"
            f" WHERE {where} ORDER BY r.article, r.position",
            params,
        ):
            related.setdefault(row, []).append(RelatedLink(title=title, url=url))
        return [
            (
                row,
                Article(
                    id=article_id,
                    title=title,
                    sentences=tuple(sentences.get(row, ())),
                    related=tuple(related.get(row, ())),
                    source=source,
                    url=url,
                    published=parse_published(published),
                ),
            )
            for row, article_id, title, source, url, published in heads
        ]

    async def all_articles(
        self, max_age_days: float | None = None, *, now: datetime | None = None, upto_row: int | None = None
    ) -> list[tuple[int, Article]]:
        """Every stored article in ingest order; with `max_age_days`, only those that recent (at `now`);
        with `upto_row`, only rows up to it, so a caller can pair the list with a row it read first."""
        return await self.articles_after(0, upto_row=upto_row, max_age_days=max_age_days, now=now)

    async def articles_after(
        self,
        row_id: int,
        *,
        upto_row: int | None = None,
        max_age_days: float | None = None,
        now: datetime | None = None,
    ) -> list[tuple[int, Article]]:
        where, params = _young(max_age_days, now)
        where, params = f"{where} AND a.id > ?", (*params, row_id)
        if upto_row is not None:
            where, params = f"{where} AND a.id <= ?", (*params, upto_row)
        return await self._load(where, params)

    async def aged_between(self, since: datetime, until: datetime, upto_row: int) -> bool:
        """Whether an article up to `upto_row` dates from [since, until): young enough when the index
        was built at cutoff `since`, too old at cutoff `until`."""
        row = await self._fetchone(
            f"SELECT 1 FROM articles a WHERE a.id <= ? AND {AGE_SQL} >= ? AND {AGE_SQL} < ? LIMIT 1",
            (upto_row, cutoff_text(since), cutoff_text(until)),
        )
        return row is not None

    async def article(self, row_id: int) -> Article | None:
        found = await self._load("a.id = ?", (row_id,))
        return found[0][1] if found else None

    async def latest(
        self, n: int, max_age_days: float | None = None, *, now: datetime | None = None
    ) -> list[Article]:
        """The `n` newest articles: by publication date, undated ones after, then by ingest order."""
        where, params = _young(max_age_days, now)
        heads = await self._fetchall(
            f"SELECT a.id FROM articles a WHERE {where}"
            " ORDER BY a.published IS NULL, a.published DESC, a.id DESC LIMIT ?",
            (*params, n),
        )
        if not heads:
            return []
        ids = [r[0] for r in heads]
        marks = ",".join("?" * len(ids))
        loaded = dict(await self._load(f"a.id IN ({marks})", ids))
        return [loaded[i] for i in ids]

    # Chats and subscriptions -------------------------------------------------------------------

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
        async with self._writing():
            cursor = await self._db.execute(
                "INSERT OR IGNORE INTO subscriptions (chat_id, since_article, created)"
                " VALUES (?, (SELECT coalesce(max(id), 0) FROM articles), ?)",
                (chat_id, utc_now()),
            )
            added = cursor.rowcount > 0
        return added

    async def unsubscribe(self, chat_id: int) -> bool:
        """Drop the subscription of `chat_id`; False if there was none."""
        async with self._write:
            cursor = await self._db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
            return cursor.rowcount > 0

    async def is_subscribed(self, chat_id: int) -> bool:
        return await self._fetchone("SELECT 1 FROM subscriptions WHERE chat_id = ?", (chat_id,)) is not None

    async def subscribers(self) -> list[int]:
        return [r[0] for r in await self._fetchall("SELECT chat_id FROM subscriptions ORDER BY chat_id")]

    # Deliveries --------------------------------------------------------------------------------

    async def pending_deliveries(
        self, limit: int | None = None, max_age_days: float | None = None, now: datetime | None = None
    ) -> list[Delivery]:
        """(article, chat) pairs still owed: articles newer than the subscription, not finally recorded,
        and not older than `max_age_days` (an archive ingested late is not news to push).

        Ordered by article then chat, so a broadcast resumes in the order it was going.
        """
        young, young_params = _young(max_age_days, now)
        rows = await self._fetchall(
            "SELECT a.id, s.chat_id, coalesce(d.attempts, 0) FROM subscriptions s"
            " JOIN articles a ON a.id > s.since_article"
            " LEFT JOIN deliveries d ON d.article = a.id AND d.chat_id = s.chat_id"
            f" WHERE (d.status IS NULL OR d.status NOT IN ({','.join('?' * len(FINAL_STATUSES))}))"
            f" AND {young}"
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

    # Feeds (issue 4) -----------------------------------------------------------------------------

    _FEED_COLUMNS = (
        "f.url, f.title, f.etag, f.last_modified, f.last_fetch, f.last_ok, f.last_error,"
        " f.consecutive_errors, f.next_attempt,"
        " (SELECT count(*) FROM articles a WHERE a.feed_url = f.url)"
    )

    async def feed_state(self, url: str) -> FeedState | None:
        row = await self._fetchone(f"SELECT {self._FEED_COLUMNS} FROM feeds f WHERE f.url = ?", (url,))
        return FeedState(*row) if row is not None else None

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

    # Query log ---------------------------------------------------------------------------------

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
            "  SELECT chat_id FROM query_log WHERE chat_id IS NOT NULL)),"
            " (SELECT count(*) FROM subscriptions),"
            " (SELECT count(*) FROM query_log WHERE answered),"
            " (SELECT count(*) FROM query_log WHERE NOT answered)"
        )
        assert row is not None
        names = ("articles", "chats", "subscribers", "answered", "abstained")
        return dict(zip(names, (int(v) for v in row), strict=True))

    async def query_count(self) -> int:
        row = await self._fetchone("SELECT count(*) FROM query_log")
        return int(row[0]) if row else 0


@asynccontextmanager
async def _immediate(db: aiosqlite.Connection) -> AsyncIterator[None]:
    """BEGIN IMMEDIATE … COMMIT (the write lock taken up front, so no deadlock upgrading a read);
    rolled back if the body raises or is cancelled."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")


def _probe(path: Path) -> None:
    sqlite3.connect(path).close()


def _statements(script: str) -> list[str]:
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n\t;"):
                statements.append(buffer.strip())
            buffer = ""
    return statements


async def _migrate(db: aiosqlite.Connection) -> None:
    for version, sql in enumerate(MIGRATIONS, start=1):
        # One transaction per migration, version bump included, so a crash never half-applies one;
        # the version is read inside it, so two processes starting together apply each migration once.
        async with _immediate(db):
            async with db.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
            if int(row[0] if row else 0) < version:
                for statement in _statements(sql):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {version}")
