"""Building articles from fetched pages: in a worker process, never on the event loop, bounded in time.

A page of 100,000 U+0F73 (issue 20) stalled the bot for 30 s while its article was built on the loop's
thread; a page that cannot be built in time is now given up and reported as failed for its entry.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from feedserver import FeedServer, feed_server  # noqa: F401 (fixture)

from bot.intake import polling
from bot.intake.extract import NoArticleError
from bot.intake.fetch import make_client
from bot.intake.workers import WorkerDiedError, WorkerPool, WorkerTimeoutError
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.storage import Storage
from bot.telegram.jobs import poll_and_deliver
from bot.testing.harness import Harness

STORY = "اجتمع وزير الزراعة مع المزارعين في مدينة الأقصر لمناقشة محصول القمح هذا العام، وقال إن المحصول وفير."


def job(kind: str, value: float) -> float:
    """What the test pool's worker runs (a module-level function: the worker imports it by name)."""
    if kind == "sleep":
        time.sleep(value)
    elif kind == "raise":
        raise NoArticleError("no article here")
    elif kind == "die":
        os._exit(3)
    return value * 2


async def test_a_job_that_overruns_is_killed_and_the_next_one_runs() -> None:
    pool: WorkerPool[float] = WorkerPool(job, size=1)
    try:
        assert await pool.run("double", 2.0, timeout=60) == 4.0
        started = time.perf_counter()
        with pytest.raises(WorkerTimeoutError):
            await pool.run("sleep", 60.0, timeout=0.5)
        assert time.perf_counter() - started < 30  # given up at its bound, not after its 60 s
        with pytest.raises(NoArticleError, match="no article here"):  # the job's own error, as raised
            await pool.run("raise", 0.0, timeout=60)
        with pytest.raises(WorkerDiedError):
            await pool.run("die", 0.0, timeout=60)
        assert await pool.run("double", 3.0, timeout=60) == 6.0  # a new worker took over
        idle = pool._idle[0].process
        idle.kill()  # killed while idle (the OOM killer, an operator)
        idle.join()
        assert await pool.run("double", 4.0, timeout=60) == 8.0
    finally:
        pool.close()


def _rss(server: FeedServer, *paths: str) -> bytes:
    items = "".join(
        f"<item><title>خبر {i}</title><link>{server.url(p)}</link><guid>{server.url(p)}</guid></item>"
        for i, p in enumerate(paths)
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>وكالة</title>{items}</channel></rss>'.encode()


def _page(body: str) -> tuple[int, dict[str, str], bytes]:
    html = f"<html><head><title>خبر</title></head><body><article>{body}</article></body></html>"
    return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode()


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database": tmp_path / "news.sqlite3", "seeds_dir": tmp_path / "no-seeds", "fetch_timeout": 10.0,
        "fetch_max_bytes": 5_000_000, "max_age_days": None,
    }
    return load_settings(**(values | overrides))


async def test_a_page_not_built_in_time_fails_its_entry_and_the_next_page_is_built(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    # ~1 MB of paragraphs: about a second to extract, far past a bound of 0.05 s.
    heavy = "".join(f"<p>{STORY} الفقرة رقم {i}.</p>\n" for i in range(6_000))
    feed_server.routes["/heavy.html"] = _page(heavy)
    feed_server.routes["/plain.html"] = _page(f"<p>{STORY}</p><p>وأضاف الوزير أن الموسم المقبل سيكون أفضل من هذا الموسم.</p>")
    feed_server.routes["/heavy.xml"] = (200, {"Content-Type": "application/rss+xml"}, _rss(feed_server, "/heavy.html"))
    feed_server.routes["/plain.xml"] = (200, {"Content-Type": "application/rss+xml"}, _rss(feed_server, "/plain.html"))
    async with await Storage.open(tmp_path / "news.sqlite3") as storage, make_client(10.0) as client:
        tight = _settings(tmp_path, extract_timeout=0.05)
        summary = await polling.poll_feed(storage, feed_server.url("/heavy.xml"), tight, client)
        assert summary.added == 0
        assert summary.failed == [(feed_server.url("/heavy.html"), "no article built from the page within 0.05 s")]
        # The worker that overran was replaced: the next page is built.
        summary = await polling.poll_feed(storage, feed_server.url("/plain.xml"), _settings(tmp_path), client)
        assert (summary.added, summary.failed) == (1, [])


async def test_a_feed_not_read_in_time_fails_and_backs_off(tmp_path: Path, feed_server: FeedServer) -> None:
    # ~2 MB of entries: far past a bound of 0.05 s to parse.
    feed_server.routes["/long.xml"] = (200, {"Content-Type": "application/rss+xml"},
                                       _rss(feed_server, *(f"/n/{i}.html" for i in range(10_000))))
    async with await Storage.open(tmp_path / "news.sqlite3") as storage, make_client(10.0) as client:
        url = feed_server.url("/long.xml")
        summary = await polling.poll_feed(storage, url, _settings(tmp_path, extract_timeout=0.05), client)
        assert summary.failed == [(url, "feed not read within 0.05 s")]
        state = await storage.feed_state(url)
        assert state is not None and state.consecutive_errors == 1 and state.next_attempt


async def test_help_is_answered_while_a_hostile_page_is_built(tmp_path: Path, feed_server: FeedServer) -> None:
    """The issue's reproducer: a followed feed whose page holds 100,000 U+0F73 (303 KB). Its article is
    built off the loop, so /help, sent again and again while the feed is polled, is answered within
    3 s every time (before: one /help waited 30 s, the whole build)."""
    feed_server.routes["/tibetan.html"] = _page(f"<p>{STORY}</p><p>{chr(0x0F73) * 100_000}</p>")
    feed_server.routes["/tibetan.xml"] = (200, {"Content-Type": "application/rss+xml"}, _rss(feed_server, "/tibetan.html"))
    settings = _settings(tmp_path, seeds_dir=PROJECT_ROOT / "seeds", telegram_token=None,
                         feeds=[feed_server.url("/tibetan.xml")])
    async with Harness(settings, rate_limiter=False) as harness:
        polled = asyncio.create_task(poll_and_deliver(harness.application.bot, harness.service))
        # How long a /help sent at any moment of the poll waits: each gap between two replies, less
        # the pause between them (a loop held during the pause counts, as for a user's /help).
        waits: list[float] = []
        last = time.perf_counter()
        while not polled.done():
            await asyncio.sleep(0.05)
            replies = await harness.send_text("/help", 1001)
            assert replies and all(call.ok for call in replies)
            now = time.perf_counter()
            waits.append(now - last - 0.05)
            last = now
        summary = await polled
        assert (summary.added, summary.failed) == (1, [])
        print(f"/help answered {len(waits)} times while the page was polled, the slowest in {max(waits):.2f} s")
        assert max(waits) < 3.0, f"/help waited {max(waits):.1f} s while the page was built"


async def test_what_the_worker_logs_reaches_the_bots_log(
    tmp_path: Path, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    # faults.xml holds a page with no article whose entry has a summary: the worker says it used that.
    caplog.set_level("INFO")
    async with await Storage.open(tmp_path / "news.sqlite3") as storage, make_client(10.0) as client:
        await polling.poll_feed(storage, feed_server.url("/faults.xml"), _settings(tmp_path, fetch_timeout=0.5), client)
    assert any(
        r.name == "bot.intake.extract" and r.getMessage().endswith("using the feed's summary") for r in caplog.records
    )
