"""bot.storage on both backends (a real SQLite file, a real PostgreSQL database): migrations, dedupe,
ordering, subscriptions, deliveries and their claims, job locks."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from bot.storage import BLOCKED, MIGRATIONS, PG_MIGRATIONS, SENDING, SENT, Storage
from retrieval.text.article import Article, RelatedLink


def make_article(n: int, published: datetime | None = None, **kw: object) -> Article:
    return Article(
        id=kw.pop("id", f"a{n}"),  # type: ignore[arg-type]
        title=f"عنوان الخبر {n}",
        sentences=(f"الجملة الأولى من الخبر رقم {n}.", f"الجملة الثانية من الخبر رقم {n}."),
        related=(RelatedLink("خبر ذو صلة", "https://example.org/r"),),
        source="مصدر",
        url=f"https://example.org/{n}",
        published=published,
    )


async def test_schema_version_and_reopen(database: Path | str) -> None:
    storage = await Storage.open(database)
    row = await storage.add_article(make_article(1))
    await storage.close()
    storage = await Storage.open(database)  # migrations are not re-applied
    try:
        assert [r for r, _ in await storage.all_articles()] == [row]
        assert await storage.schema_version() == len(MIGRATIONS) == len(PG_MIGRATIONS)
    finally:
        await storage.close()


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "bot.sqlite3"
    await (await Storage.open(path)).close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


async def test_add_article_roundtrip_and_dedupe(database: Path | str) -> None:
    storage = await Storage.open(database)
    try:
        art = make_article(1, datetime(2024, 5, 1, 12, tzinfo=timezone.utc))
        row = await storage.add_article(art, canonical_url="https://example.org/1")
        assert row is not None
        assert await storage.add_article(art) is None  # same id
        same_text = Article(id="other", title=art.title, sentences=tuple(" " + s for s in art.sentences))
        assert await storage.add_article(same_text) is None  # same content after whitespace folding
        assert same_text.fingerprint == art.fingerprint
        assert await storage.add_article(make_article(2), canonical_url="https://example.org/1") is None
        [(got_row, got)] = await storage.all_articles()
        assert got_row == row
        assert got == art
        assert await storage.article_count() == 1
    finally:
        await storage.close()


async def test_latest_and_after(database: Path | str) -> None:
    storage = await Storage.open(database)
    try:
        r1 = await storage.add_article(make_article(1, datetime(2024, 1, 1)))
        r2 = await storage.add_article(make_article(2))
        r3 = await storage.add_article(make_article(3, datetime(2024, 6, 1)))
        assert [a.id for a in await storage.latest(5)] == ["a3", "a1", "a2"]
        assert [r for r, _ in await storage.articles_after(r1)] == [r2, r3]
        assert len(await storage.all_articles(max_age_days=10)) == 1  # only the undated one, ingested now
    finally:
        await storage.close()


async def test_subscriptions_and_deliveries(database: Path | str) -> None:
    storage = await Storage.open(database)
    try:
        await storage.add_article(make_article(1))
        assert await storage.subscribe(10)
        assert not await storage.subscribe(10)
        assert await storage.is_subscribed(10)
        assert await storage.pending_deliveries() == []  # no back catalogue
        r2 = await storage.add_article(make_article(2))
        await storage.subscribe(20)
        r3 = await storage.add_article(make_article(3))
        pending = [(d.article_row, d.chat_id) for d in await storage.pending_deliveries()]
        assert pending == [(r2, 10), (r3, 10), (r3, 20)]
        await storage.record_delivery(r2, 10, SENDING)
        assert (await storage.pending_deliveries())[0].attempts == 1
        await storage.record_delivery(r2, 10, SENT)
        await storage.record_delivery(r3, 20, BLOCKED)
        assert [(d.article_row, d.chat_id) for d in await storage.pending_deliveries()] == [(r3, 10)]
        assert await storage.unsubscribe(10)
        assert not await storage.unsubscribe(10)
        assert await storage.subscribers() == [20]
        await storage.log_query(10, "سؤال", True, 1.5)
        assert await storage.query_count() == 1
    finally:
        await storage.close()


async def test_old_news_is_not_pushed(database: Path | str) -> None:
    storage = await Storage.open(database)
    try:
        await storage.subscribe(10)
        old = await storage.add_article(make_article(1, datetime(2020, 1, 1)))
        fresh = await storage.add_article(make_article(2, datetime(2026, 11, 28)))
        now = datetime(2026, 11, 29, tzinfo=timezone.utc)
        owed = [d.article_row for d in await storage.pending_deliveries(max_age_days=30, now=now)]
        assert owed == [fresh]
        assert [d.article_row for d in await storage.pending_deliveries()] == [old, fresh]  # no limit set
    finally:
        await storage.close()


async def test_concurrent_writes_on_one_connection_take_turns(tmp_path: Path) -> None:
    """Coroutines share the connection: without the write lock, one's BEGIN lands inside another's
    transaction ("cannot start a transaction within a transaction") or commits it half done."""
    import asyncio

    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        rows = await asyncio.gather(*(storage.add_article(make_article(n)) for n in range(30)))
        assert sorted(r for r in rows if r is not None) == list(range(1, 31))
        await asyncio.gather(
            *(storage.subscribe(chat) for chat in range(100, 130)),
            *(storage.record_delivery(row, 7, SENDING) for row in range(1, 31)),
            *(storage.log_query(chat, "سؤال", True, 1.0) for chat in range(30)),
            *(storage.remember_chat(chat, "private", "اسم") for chat in range(100, 130)),
        )
        await asyncio.gather(*(storage.unsubscribe(chat) for chat in range(100, 115)),
                             *(storage.record_delivery(row, 7, SENT) for row in range(1, 31)))
        assert await storage.subscribers() == list(range(115, 130))
        assert {(status, n) for _, _, status, n in await storage.deliveries(7)} == {(SENT, 1)}
        assert await storage.query_count() == 30 and await storage.article_count() == 30


async def test_feed_fetch_bookkeeping(database: Path | str) -> None:
    """Each poll's time, success and error count, and validators kept across a 304."""
    async with await Storage.open(database) as storage:
        url = "https://example.org/rss.xml"
        await storage.record_feed_fetch(url, error="HTTP 500", next_attempt="2030-01-01T00:00:00+00:00")
        await storage.record_feed_fetch(url, error="HTTP 502", next_attempt="2030-01-01T00:10:00+00:00")
        failing = await storage.feed_state(url)
        assert failing is not None and failing.last_fetch is not None and failing.last_ok is None
        assert (failing.last_error, failing.consecutive_errors, failing.next_attempt) == (
            "HTTP 502", 2, "2030-01-01T00:10:00+00:00")
        await storage.record_feed_fetch(url, title="وكالة", etag='"v1"', last_modified="Mon, 01 Jan 2029 00:00:00 GMT")
        await storage.record_feed_fetch(url)  # a 304: no new validators
        ok = await storage.feed_state(url)
        assert ok is not None and ok.last_ok is not None and ok.last_fetch is not None
        assert datetime.fromisoformat(ok.last_fetch) <= datetime.now(timezone.utc)
        assert (ok.title, ok.etag, ok.last_modified) == ("وكالة", '"v1"', "Mon, 01 Jan 2029 00:00:00 GMT")
        assert (ok.last_error, ok.consecutive_errors, ok.next_attempt) == (None, 0, None)
        assert [s.url for s in await storage.feed_states()] == [url]


async def test_forget_chat_and_purge_questions(database: Path | str) -> None:
    from datetime import timedelta

    async with await Storage.open(database) as storage:
        row = await storage.add_article(make_article(1))
        assert row is not None
        for chat in (10, 20):
            await storage.remember_chat(chat, "private", f"اسم {chat}")
            await storage.subscribe(chat)
            await storage.log_query(chat, f"سؤال {chat}", True, 1.0)
        await storage.record_delivery(row, 10, SENT)
        assert await storage.forget_chat(10) and not await storage.forget_chat(10)
        assert await storage.chat_record(10) is None and await storage.chat_record(20) == ("private", "اسم 20")
        assert await storage.subscribers() == [20] and await storage.deliveries(10) == []
        assert [(c, q) for c, q, _ in await storage.query_log_rows()] == [(None, "سؤال 10"), (20, "سؤال 20")]
        later = datetime.now(timezone.utc) + timedelta(days=31)
        assert await storage.purge_queries(30) == 0
        assert await storage.purge_queries(30, now=later) == 2 and await storage.query_count() == 0


async def test_an_id_held_by_another_text_is_made_unique(database: Path | str) -> None:
    """Duplicates are decided by content, never by name (issue 20: two files named news.txt, one lost)."""
    first, second, third = (make_article(n, id="news") for n in (1, 2, 3))
    async with await Storage.open(database) as storage:
        rows = await storage.add_articles([first, second, first])  # in one batch: the third is the first again
        assert rows[0] is not None and rows[1] is not None and rows[2] is None
        row = await storage.add_article(third)  # one at a time (feeds, pages)
        assert row is not None
        ids = [h[1] for h in await storage.article_heads()]
        assert ids == ["news", f"news~{second.fingerprint[:10]}", f"news~{third.fingerprint[:10]}"]
        # The same texts again: duplicates, whatever their names; the ids stay.
        assert await storage.add_articles([second, third]) == [None, None]
        assert await storage.add_article(make_article(1, id="other")) is None
        # Even the suffixed id taken by yet another text (a file named so) leaves room.
        taken = make_article(4, id=f"news~{make_article(5).fingerprint[:10]}")
        assert await storage.add_article(taken) is not None
        assert await storage.store_articles([make_article(5, id="news")]) == [
            (rows[1] + 3, make_article(5, id=f"news~{make_article(5).fingerprint[:10]}~2"))
        ]
        stored = await storage.article(rows[1])
        assert stored is not None and stored.sentences == second.sentences


async def test_a_publication_date_in_the_future_is_taken_as_the_ingest_time(database: Path | str) -> None:
    """Issue 20: `published` 9999-12-31T23:59:59+14:00 was stored as given and led every /latest."""
    from datetime import timedelta

    async with await Storage.open(database) as storage:
        before = datetime.now(timezone.utc).replace(microsecond=0)
        bogus = await storage.add_article(make_article(1, datetime.fromisoformat("9999-12-31T23:59:59+14:00")))
        # West of UTC the same date is past year 9999 in UTC, which could not even be stored.
        west = await storage.add_article(make_article(2, datetime.fromisoformat("9999-12-31T23:59:59-14:00")))
        [(_, in_bulk)] = [s for s in await storage.store_articles([make_article(3, datetime(3000, 1, 1))]) if s]
        ancient = await storage.add_article(make_article(4, datetime.fromisoformat("0001-01-01T00:00:00+14:00")))
        soon = datetime.now(timezone.utc) + timedelta(minutes=5)  # a clock a little ahead: kept as given
        fresh = await storage.add_article(make_article(5, soon))
        after = datetime.now(timezone.utc) + timedelta(seconds=1)
        for row in (bogus, west):
            stored = await storage.article(row)  # type: ignore[arg-type]
            assert stored is not None and stored.published is not None and before <= stored.published <= after
        assert in_bulk.published is not None and before <= in_bulk.published.replace(tzinfo=timezone.utc) <= after
        assert (await storage.article(ancient)).published is None  # type: ignore[arg-type, union-attr]
        assert (await storage.article(fresh)).published == soon  # type: ignore[arg-type, union-attr]
        latest = await storage.latest(5)
        assert latest[0].id == "a5"  # the article published now leads, not the one "from 9999"
