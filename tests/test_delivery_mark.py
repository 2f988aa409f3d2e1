"""The delivery low-water mark: a run's claims start at the lowest article that may still owe a push
(every pair below it is final), not at the first article ever stored; the mark lives in memory and is
derived again from the database after a start; a claim held by another worker holds it. Both backends
(a SQLite file, a PostgreSQL database), through the real Application (harness)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.storage import SENT, Storage
from bot.testing.fake_telegram import SimulatedCrash
from bot.testing.harness import Harness
from tests.test_bot_delivery import ingest, pushes, subscribe


@pytest.fixture
def bot_settings(database: Path | str) -> Settings:
    return load_settings(database=database, seeds_dir=PROJECT_ROOT / "seeds", telegram_token=None,
                         refresh_seconds=60, max_age_days=None, top_k=3)


async def _sql(storage: Storage, sql: str, params: tuple = ()) -> int:
    """Plant a state straight in the database (a test's hand, not the bot's)."""
    return await storage._transaction([(sql, params)])


async def test_a_run_reads_no_pair_below_the_mark_and_a_start_derives_it_again(
    bot_settings: Settings, tmp_path: Path
) -> None:
    news = tmp_path / "news"
    async with Harness(bot_settings) as h:
        await subscribe(h, 1001, 1002)
        await ingest(h, news, "wheat1", "القمح الأول")
        assert (await h.deliver()).sent == 2
        first = await h.service.storage.max_article_row()
        assert h.service.waiting_from_row == first + 1  # nothing owed: the next run starts past it
        # Planted: the record of (first, 1002) is gone, so to any search that reads that pair it looks
        # owed. Every later run of this bot starts past it, so none pushes it again.
        assert await _sql(h.service.storage, "DELETE FROM deliveries WHERE article = ? AND chat_id = ?",
                          (first, 1002)) == 1
        assert (await h.deliver()).sent == 0
        await ingest(h, news, "wheat2", "القمح الثاني")
        assert (await h.deliver()).sent == 2
        assert [pushes(h, chat, "القمح الأول") for chat in (1001, 1002)] == [1, 1]
        assert [pushes(h, chat, "القمح الثاني") for chat in (1001, 1002)] == [1, 1]
    # The mark is memory only: after a start it is derived again from the database, from the first
    # article, and so finds what the database says is owed, the planted pair included.
    async with Harness(bot_settings) as again:
        assert again.service.waiting_from_row is None
        run = await again.deliver()
        assert run.sent == 1 and pushes(again, 1002, "القمح الأول") == 1
        assert again.service.waiting_from_row == await again.service.storage.max_article_row() + 1


async def test_a_claim_held_by_a_dead_worker_holds_the_mark_until_it_is_taken_over(
    bot_settings: Settings, tmp_path: Path
) -> None:
    news = tmp_path / "news"
    one = Harness(bot_settings.model_copy(update={"worker_id": "one"}))
    two = Harness(bot_settings.model_copy(update={"worker_id": "two"}))
    async with one, two:
        await subscribe(one, 1001, 1002)
        await ingest(one, news, "wheat1", "القمح الأول")
        first = await one.service.storage.max_article_row()
        # Worker one dies while its push of the first article to 1002 is in flight: its claim stays.
        one.request.fail("sendMessage", "crash", chat_id=1002)
        with pytest.raises(SimulatedCrash):
            await one.deliver()
        # Worker two leaves the live claim alone, and its mark stays at that article, through runs
        # that deliver newer articles.
        assert (await two.deliver()).sent == 0
        await ingest(one, news, "wheat2", "القمح الثاني")
        assert (await two.deliver()).sent == 2
        assert two.service.waiting_from_row == first
        assert two.service.metrics.figures().pushes_waiting == 1
        # The lease runs out (planted: the time it would take): worker two takes the push over.
        await _sql(two.service.storage, "UPDATE deliveries SET lease_until = ? WHERE claimed_by = ?",
                   ("2000-01-01T00:00:00.000000+00:00", "one"))
        assert (await two.deliver()).sent == 1
        assert pushes(two, 1002, "القمح الأول") == 1 and pushes(one, 1002, "القمح الأول") == 0
        assert pushes(one, 1001, "القمح الأول") == 1 and pushes(two, 1001, "القمح الأول") == 0
        assert [pushes(two, chat, "القمح الثاني") for chat in (1001, 1002)] == [1, 1]
        assert two.service.waiting_from_row == await two.service.storage.max_article_row() + 1
        assert {status for _, _, status, _ in await two.service.storage.deliveries()} == {SENT}


async def test_a_subscription_waits_for_an_article_being_stored(pg_url: str) -> None:
    """PostgreSQL: subscribing takes the article writers' lock, so an article stored meanwhile is
    either before the subscription (not owed to it) or after it, never committed unseen in between
    (where a worker's mark could already have passed it: the push would be lost)."""
    import asyncpg

    from bot.storage.postgres import WRITE_LOCK

    storage = await Storage.open(pg_url)
    con = await asyncpg.connect(pg_url)
    try:
        storing = con.transaction()
        await storing.start()
        await con.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)  # as ArticleStore.add_article does
        row = await con.fetchval("INSERT INTO articles (article_id, title, ingested_at)"
                                 " VALUES ('held', 'خبر', '2026-12-01T00:00:00+00:00') RETURNING id")
        subscribing = asyncio.ensure_future(storage.subscribe(5))
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        while not subscribing.done() and not await con.fetchval(waiting):
            await asyncio.sleep(0.01)
        await storing.commit()
        assert await subscribing
        since = await con.fetchval("SELECT since_article FROM subscriptions WHERE chat_id = 5")
        assert since == row  # it saw the article stored while it waited
    finally:
        await con.close()
        await storage.close()
