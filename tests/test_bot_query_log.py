"""The query log: never in the way of a reply, and kept only as long as NEWSBOT_QUERY_LOG_DAYS says."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
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
    await harness.service.storage._db.execute("PRAGMA busy_timeout = 100")
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
