"""The schema, as versioned migrations, once per dialect: MIGRATIONS (SQLite; PRAGMA user_version
counts how many a file has) and PG_MIGRATIONS (PostgreSQL; the schema_version table counts them).

Entry N of one list and entry N of the other make the same tables, columns and keys, so a database
at version N can be copied to the other engine (`newsbot migrate-db`). Never edit a shipped entry:
append a new one to both lists.
"""

from __future__ import annotations

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
    # 3: delivery claims (issue 12): the worker sending a delivery, the batch it claimed it in, and until
    # when its claim holds.
    """
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
    ALTER TABLE deliveries ADD COLUMN claim TEXT;
    ALTER TABLE deliveries ADD COLUMN lease_until TEXT;
    """,
    # 4: a delivery batch is read back by its claim token.
    """
    CREATE INDEX deliveries_claim ON deliveries(claim);
    """,
    # 5: topic alerts (issue 11): saved topics per chat, the article row matching has reached, and
    # one row per (article, chat) push, recorded SENDING before the send and SENT after it.
    """
    CREATE TABLE topics (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL,
        text TEXT NOT NULL,
        since_article INTEGER NOT NULL,
        created TEXT NOT NULL,
        UNIQUE (chat_id, text)
    );
    CREATE TABLE topic_pushes (
        article INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        chat_id INTEGER NOT NULL,
        topic INTEGER NOT NULL,
        sentence INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        bundle INTEGER,
        at TEXT NOT NULL,
        detail TEXT,
        UNIQUE (article, chat_id)
    );
    CREATE INDEX topic_pushes_status ON topic_pushes(status, chat_id);
    CREATE TABLE cursors (
        name TEXT PRIMARY KEY,
        upto INTEGER NOT NULL
    );
    """,
    # 6: digests (issue 11): a chat's digest plan (every N hours, or daily at an hour of its time zone)
    # instead of every article, and each digest owed or sent, by the article rows it covers.
    """
    CREATE TABLE digest_plans (
        chat_id INTEGER PRIMARY KEY,
        every_hours INTEGER,
        at_hour INTEGER,
        tz TEXT NOT NULL,
        since_article INTEGER NOT NULL,
        next_due TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE digests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL,
        from_article INTEGER NOT NULL,
        upto_article INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        at TEXT NOT NULL,
        detail TEXT,
        UNIQUE (chat_id, upto_article)
    );
    CREATE INDEX digests_status ON digests(status);
    """,
    # 7: feeds added from Telegram by an admin (/addfeed), polled with NEWSBOT_FEEDS; their polling
    # state lives in `feeds` like any feed's.
    """
    CREATE TABLE added_feeds (
        url TEXT PRIMARY KEY,
        added_by INTEGER,
        added_at TEXT NOT NULL
    );
    """,
    # 8: the story's picture (issue 18): the lead image's URL the page or feed named, and Telegram's
    # reason once it refused that picture (the article is then pushed as text, never tried again).
    """
    ALTER TABLE articles ADD COLUMN image_url TEXT;
    ALTER TABLE articles ADD COLUMN image_refused TEXT;
    """,
    # 9: article embeddings (issue 19): per article, the encoder and recipe that made them (`model`,
    # retrieval.meaning.vectors.model_key), its story vector and (for the newest days) one vector per
    # body sentence, as float16 bytes; NULL sentences: not embedded. Vectors under another model are stale.
    """
    CREATE TABLE article_vectors (
        article INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        story BLOB NOT NULL,
        sentences BLOB
    );
    """,
]

# PostgreSQL: the same schema. Ids are identity columns (BY DEFAULT, so migrate-db can keep the ids it
# copies), chat ids are BIGINT (Telegram's group ids do not fit 32 bits), times stay ISO 8601 UTC text
# so that both engines compare and order them alike.
PG_MIGRATIONS: list[str] = [
    # 1: the bot's core state.
    """
    CREATE TABLE articles (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
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
        article BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (article, position)
    );
    CREATE TABLE related (
        article BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        title TEXT NOT NULL,
        url TEXT,
        PRIMARY KEY (article, position)
    );
    CREATE TABLE chats (
        chat_id BIGINT PRIMARY KEY,
        type TEXT,
        title TEXT,
        created TEXT NOT NULL
    );
    CREATE TABLE subscriptions (
        chat_id BIGINT PRIMARY KEY,
        since_article BIGINT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        article BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        chat_id BIGINT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        at TEXT NOT NULL,
        detail TEXT,
        UNIQUE (article, chat_id)
    );
    CREATE TABLE query_log (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        chat_id BIGINT,
        question TEXT NOT NULL,
        answered INTEGER NOT NULL,
        latency_ms DOUBLE PRECISION,
        at TEXT NOT NULL
    );
    CREATE INDEX articles_published ON articles(published);
    """,
    # 2: feed polling state (issue 4).
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
    # 3: delivery claims (issue 12).
    """
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
    ALTER TABLE deliveries ADD COLUMN claim TEXT;
    ALTER TABLE deliveries ADD COLUMN lease_until TEXT;
    """,
    # 4: a delivery batch is read back by its claim token.
    """
    CREATE INDEX deliveries_claim ON deliveries(claim);
    """,
    # 5: topic alerts (issue 11).
    """
    CREATE TABLE topics (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        chat_id BIGINT NOT NULL,
        text TEXT NOT NULL,
        since_article BIGINT NOT NULL,
        created TEXT NOT NULL,
        UNIQUE (chat_id, text)
    );
    CREATE TABLE topic_pushes (
        article BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        chat_id BIGINT NOT NULL,
        topic BIGINT NOT NULL,
        sentence INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        bundle BIGINT,
        at TEXT NOT NULL,
        detail TEXT,
        UNIQUE (article, chat_id)
    );
    CREATE INDEX topic_pushes_status ON topic_pushes(status, chat_id);
    CREATE TABLE cursors (
        name TEXT PRIMARY KEY,
        upto BIGINT NOT NULL
    );
    """,
    # 6: digests (issue 11).
    """
    CREATE TABLE digest_plans (
        chat_id BIGINT PRIMARY KEY,
        every_hours INTEGER,
        at_hour INTEGER,
        tz TEXT NOT NULL,
        since_article BIGINT NOT NULL,
        next_due TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE digests (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        chat_id BIGINT NOT NULL,
        from_article BIGINT NOT NULL,
        upto_article BIGINT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        at TEXT NOT NULL,
        detail TEXT,
        UNIQUE (chat_id, upto_article)
    );
    CREATE INDEX digests_status ON digests(status);
    """,
    # 7: feeds added from Telegram (issue 11).
    """
    CREATE TABLE added_feeds (
        url TEXT PRIMARY KEY,
        added_by BIGINT,
        added_at TEXT NOT NULL
    );
    """,
    # 8: the story's picture (issue 18).
    """
    ALTER TABLE articles ADD COLUMN image_url TEXT;
    ALTER TABLE articles ADD COLUMN image_refused TEXT;
    """,
    # 9: article embeddings (issue 19).
    """
    CREATE TABLE article_vectors (
        article BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        story BYTEA NOT NULL,
        sentences BYTEA
    );
    """,
]
