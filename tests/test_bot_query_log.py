"""The query log: never in the way of a reply, and kept only as long as NEWSBOT_QUERY_LOG_DAYS says."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.testing.harness import Harness

QUESTION = "من هو وزير الدفاع التركي الذي ترأس الوفد؟"


@contextmanager
def locked(database: Path) -> Iterator[None]:
    """Another connection (another process, in real life: `newsbot ingest`) holding the write lock."""
    other = sqlite3.connect(database, isolation_level=None, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_reply_does_not_wait_for_a_locked_query_log(harness: Harness, bot_settings: Settings) -> None:
    with locked(bot_settings.database):
        # Before: the reply waited for the log write (10 s busy timeout), then became the error reply.
        calls = await asyncio.wait_for(harness.send_text(QUESTION, 1001), timeout=5)
        assert "خلوصي أكار" in calls[-1].text
    await harness.service.settle()  # the lock is gone: the write goes through after all
    assert await harness.service.storage.query_count() == 1
    assert harness.service.query_log_failures == 0


async def test_a_failed_log_write_is_counted_and_logged_without_the_question(
    harness: Harness, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # A short wait for the lock (the real setting is 10 s) so the write gives up within the test.
    await harness.service.storage._fetchone("PRAGMA busy_timeout = 100")
    caplog.set_level(logging.WARNING, logger="bot")
    with locked(bot_settings.database):
        calls = await harness.send_text(QUESTION, 1001)
        await harness.service.settle()
    assert "خلوصي أكار" in calls[-1].text
    assert harness.service.query_log_failures == 1
    assert await harness.service.storage.query_count() == 0
    [record] = [r for r in caplog.records if "query log" in r.getMessage()]
    assert "1001" in record.getMessage() and "locked" in record.getMessage()
    assert "وزير" not in record.getMessage()


def age_questions(database: Path, days: float) -> None:
    """Backdate every logged question by `days` (as if asked then), from another connection."""
    other = sqlite3.connect(database)
    when = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="seconds")
    other.execute("UPDATE query_log SET at = ?", (when,))
    other.commit()
    other.close()


async def test_questions_are_kept_query_log_days_then_deleted(bot_settings: Settings) -> None:
    settings = bot_settings.model_copy(update={"query_log_days": 30})
    async with Harness(settings) as h:
        await h.send_text(QUESTION, 1001)
        await h.service.settle()
        age_questions(settings.database, 31)
        await h.send_text(QUESTION, 1002)  # a recent one
        await h.service.settle()
        assert await h.service.purge_query_log() == 1
        assert [chat for chat, _, _ in await h.service.storage.query_log_rows()] == [1002]
        age_questions(settings.database, 29.5)
        assert await h.service.purge_query_log() == 0
        age_questions(settings.database, 30.5)
    async with Harness(settings) as h:  # a start purges too
        assert await h.service.storage.query_log_rows() == []


async def test_purge_runs_as_a_job(bot_settings: Settings) -> None:
    from bot.core.service import NewsService
    from bot.telegram.app import PURGE_SECONDS, build_application
    from bot.testing.fake_telegram import FAKE_TOKEN, FakeRequest

    service = await NewsService.start(bot_settings)
    try:
        app = build_application(bot_settings, service, request=FakeRequest(), token=FAKE_TOKEN)
        [job] = app.job_queue.get_jobs_by_name("purge")
        assert job.job.trigger.interval.total_seconds() == PURGE_SECONDS
    finally:
        await service.close()


async def test_unsubscribing_drops_the_chats_data(harness: Harness) -> None:
    storage = harness.service.storage
    await harness.send_text("/subscribe", 1001)
    await harness.send_text("/subscribe", 1002)
    await harness.send_text(QUESTION, 1001)
    await harness.service.settle()
    assert await storage.chat_record(1001) == ("private", "User1001")
    await harness.send_text("/unsubscribe", 1001)
    assert await storage.chat_record(1001) is None and not await storage.is_subscribed(1001)
    assert [(chat, q) for chat, q, _ in await storage.query_log_rows()] == [(None, QUESTION)]  # no longer theirs
    assert await storage.chat_record(1002) is not None and await storage.is_subscribed(1002)


async def test_blocking_or_removing_the_bot_drops_the_chats_data(harness: Harness) -> None:
    storage = harness.service.storage
    harness.request.admins[-2001] = {5}
    for chat, kind in ((1001, "private"), (-2001, "group")):
        await harness.send_text("/subscribe", chat, chat_type=kind, user_id=5)
    bot = {"id": 123456789, "is_bot": True, "first_name": "NewsBot"}
    for chat, kind, status in ((1001, "private", "kicked"), (-2001, "group", "left")):
        await harness.process({"my_chat_member": {
            "chat": harness.chat(chat, kind), "from": harness.user(5), "date": 0,
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": {"status": status, "user": bot} | ({"until_date": 0} if status == "kicked" else {}),
        }})
        assert await storage.chat_record(chat) is None and not await storage.is_subscribed(chat)
