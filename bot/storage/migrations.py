"""The SQLite schema, as versioned migrations (PRAGMA user_version counts how many a file has)."""

from __future__ import annotations

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
