"""Storage shared by several workers, on both backends: delivery claims and their leases, the job
lock, concurrent inserts; and a PostgreSQL URL's password kept out of every message."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.logs import TokenRedactor
from bot.settings import SettingsError, load_settings
from bot.storage import SENDING, SENT, Delivery, Storage, StorageError
from tests.test_bot_storage import make_article

BIG_GROUP = -1001234567890  # a supergroup id: more than 32 bits


def pairs(claimed: list[Delivery]) -> list[tuple[int, int]]:
    return [(d.article_row, d.chat_id) for d in claimed]


async def test_claims_keep_two_workers_off_the_same_delivery(database: Path | str) -> None:
    one, two = await Storage.open(database), await Storage.open(database)
    try:
        for chat in (BIG_GROUP, 5, 6):
            await one.subscribe(chat)
        row = await one.add_article(make_article(1))
        assert row is not None
        run = datetime.now(timezone.utc)
        assert pairs(await one.claim_deliveries("one", 60, 2, run_started=run)) == [(row, BIG_GROUP), (row, 5)]
        assert pairs(await one.claim_deliveries("one", 60, 2, run_started=run)) == [(row, 6)]  # not its own again
        assert await one.claim_deliveries("one", 60, 2, run_started=run) == []
        assert await two.claim_deliveries("two", 60, 10, run_started=datetime.now(timezone.utc)) == []  # one's leases
        assert await two.pending_deliveries(worker="two") == []
        assert len(await two.pending_deliveries()) == 3  # still owed, though
        assert await one.start_attempt(row, BIG_GROUP, "one", 60)
        assert not await two.start_attempt(row, 5, "two", 60)  # not its claim
        await one.record_delivery(row, BIG_GROUP, SENT)
        # `one` restarts: its next run takes its own claims back at once.
        again = await one.claim_deliveries("one", 60, 10, run_started=datetime.now(timezone.utc))
        assert pairs(again) == [(row, 5), (row, 6)]
        # `one` dies: once its leases have run out, `two` takes the deliveries over.
        later = datetime.now(timezone.utc) + timedelta(seconds=61)
        taken = await two.claim_deliveries("two", 60, 10, run_started=later, now=later)
        assert pairs(taken) == [(row, 5), (row, 6)] and [d.attempts for d in taken] == [0, 0]
        assert not await one.start_attempt(row, 5, "one", 60)  # a late `one` finds its claim gone
        assert await two.start_attempt(row, 5, "two", 60)
        await two.record_delivery(row, 5, SENT)
        much_later = later + timedelta(days=1)
        final = await one.claim_deliveries("one", 60, 10, run_started=much_later, now=much_later)
        assert pairs(final) == [(row, 6)]  # the sent ones are never claimed again
        assert await one.delivery_claims() == [(row, BIG_GROUP, "one", 1), (row, 5, "two", 1), (row, 6, "one", 0)]
        await one.unsubscribe(6)
        assert not await one.start_attempt(row, 6, "one", 60)  # unsubscribed since the claim: not sent
    finally:
        await one.close()
        await two.close()


async def test_extended_claims_outlast_a_flood_wait(database: Path | str) -> None:
    async with await Storage.open(database) as storage:
        await storage.subscribe(5)
        row = await storage.add_article(make_article(1))
        assert row is not None
        run = datetime.now(timezone.utc)
        [claimed] = await storage.claim_deliveries("one", 60, 10, run_started=run)
        assert await storage.start_attempt(row, 5, "one", 60)
        await storage.extend_claims("one", 600)
        in_five_minutes = datetime.now(timezone.utc) + timedelta(minutes=5)
        assert await storage.claim_deliveries("two", 60, 10, run_started=in_five_minutes, now=in_five_minutes) == []
        assert await storage.deliveries() == [(row, 5, SENDING, 1)]
        in_eleven = in_five_minutes + timedelta(minutes=6)
        assert len(await storage.claim_deliveries("two", 60, 10, run_started=in_eleven, now=in_eleven)) == 1


async def test_racing_claims_have_one_winner(database: Path | str) -> None:
    workers = [await Storage.open(database) for _ in range(4)]
    try:
        for chat in range(1, 31):
            await workers[0].subscribe(chat)
        row = await workers[0].add_article(make_article(1))
        assert row is not None
        run = datetime.now(timezone.utc)

        async def claim_all(i: int, worker: Storage) -> list[Delivery]:
            # Like a delivery run: claim again while anything is claimable (a claim that lost the race
            # for its batch gets nothing).
            mine: list[Delivery] = []
            while await worker.pending_deliveries(1, worker=f"w{i}", since=run):
                mine += await worker.claim_deliveries(f"w{i}", 60, 7, run_started=run)
            return mine

        batches = await asyncio.gather(*(claim_all(i, w) for i, w in enumerate(workers)))
        claimed = [pair for batch in batches for pair in pairs(batch)]
        assert len(claimed) == len(set(claimed)) == 30  # each delivery claimed by exactly one worker
        owners = {chat: owner for _, chat, owner, _ in await workers[0].delivery_claims()}
        for i, batch in enumerate(batches):
            assert all(owners[d.chat_id] == f"w{i}" for d in batch)
    finally:
        for w in workers:
            await w.close()


async def test_concurrent_inserts_of_one_article_store_it_once(database: Path | str) -> None:
    workers = [await Storage.open(database) for _ in range(3)]
    try:
        rows = await asyncio.gather(*(w.add_article(make_article(7)) for w in workers for _ in range(3)))
        assert len([r for r in rows if r is not None]) == 1
        stored = await asyncio.gather(*(w.add_article(make_article(n)) for n, w in zip(range(10, 40), workers * 10)))
        assert sorted(stored) == sorted(set(stored)) and None not in stored
        assert await workers[1].article_count() == 31
    finally:
        for w in workers:
            await w.close()


async def test_job_lock_lets_one_worker_in(database: Path | str) -> None:
    one, two = await Storage.open(database), await Storage.open(database)
    try:
        async with one.job_lock("feeds") as first:
            async with two.job_lock("feeds") as second:
                async with two.job_lock("other") as other:
                    assert first and other
                    # PostgreSQL: one worker at a time. A SQLite file serves one bot process.
                    assert second is (one.dialect == "sqlite")
        async with two.job_lock("feeds") as again:
            assert again  # released
    finally:
        await one.close()
        await two.close()


async def test_counts_and_large_chat_ids(database: Path | str) -> None:
    async with await Storage.open(database) as storage:
        await storage.remember_chat(BIG_GROUP, "supergroup", "مجموعة")
        await storage.subscribe(BIG_GROUP)
        await storage.log_query(BIG_GROUP, "سؤال", True, 2.5)
        await storage.log_query(7, "سؤال آخر", False, 1.0)
        assert await storage.counts() == {"articles": 0, "chats": 2, "subscribers": 1, "answered": 1,
                                          "abstained": 1}
        assert await storage.subscribers() == [BIG_GROUP]


SECRET = "Pa55-w0rd-very-secret"


async def test_unreachable_server_error_hides_the_password() -> None:
    url = f"postgresql://newsbot:{SECRET}@127.0.0.1:1/newsbot"
    with pytest.raises(StorageError) as caught:
        await Storage.open(url)
    message = str(caught.value)
    assert SECRET not in message and "***" in message and "\n" not in message
    assert "127.0.0.1:1" in message  # it still says which server


def test_settings_read_a_postgresql_url_and_never_show_the_password() -> None:
    settings = load_settings(database=f"postgresql://newsbot:{SECRET}@db.internal:5432/news")
    assert settings.shared_database and settings.database.dsn.endswith("@db.internal:5432/news")
    assert SECRET not in repr(settings) and SECRET not in str(settings.database)
    assert SECRET in settings.secrets
    assert not load_settings(database="state/bot.sqlite3").shared_database
    for bad in (f"postgresql://u:{SECRET}@host:port/db", f"mysql://u:{SECRET}@host/db", "postgresql:///nohost"):
        with pytest.raises(SettingsError) as caught:
            load_settings(database=bad)
        assert str(caught.value).startswith("NEWSBOT_DATABASE:") and SECRET not in str(caught.value)


def test_log_lines_never_show_the_database_password() -> None:
    settings = load_settings(database=f"postgresql://newsbot:{SECRET}@db.internal/news")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TokenRedactor("1:abcdefghijkl", settings.secrets))
    logger = logging.getLogger("test.secrets")
    logger.addHandler(handler)
    try:
        logger.warning("connecting to %s", settings.database.dsn)
        try:
            raise ConnectionError(f"could not connect with {settings.database.dsn}")
        except ConnectionError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert SECRET not in stream.getvalue() and "[SECRET]" in stream.getvalue() and "db.internal" in stream.getvalue()
