"""Feeds managed from Telegram: /addfeed (validated by one fetch), /feeds, /removefeed, and the
running bot's feeds job polling an added feed without a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from feedserver import FeedServer, feed_server  # noqa: F401 (fixture)

from bot.core.service import NewsService
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.telegram import texts
from bot.telegram.app import build_application
from bot.telegram.jobs import poll_and_deliver
from bot.testing.fake_telegram import FAKE_TOKEN, FakeRequest
from bot.testing.harness import Harness

ADMIN = 1001


def settings_for(tmp_path: Path, **extra: object) -> Settings:
    return load_settings(
        database=tmp_path / "state" / "newsbot.sqlite3", seeds_dir=PROJECT_ROOT / "seeds", telegram_token=None,
        admin_ids=[ADMIN], admin_private_feeds=True, fetch_timeout=2.0, max_age_days=None, feeds=[], **extra,
    )


async def test_admin_adds_checks_lists_and_removes_feeds(tmp_path: Path, feed_server: FeedServer) -> None:
    rss = feed_server.url("/rss.xml")
    async with Harness(settings_for(tmp_path), rate_limiter=False) as h:
        assert (await h.send_text(f"/addfeed {rss}", 2002))[-1].text == texts.ADMINS_ONLY
        assert (await h.send_text("/feeds", 2002))[-1].text == texts.ADMINS_ONLY
        assert (await h.send_text("/feeds", ADMIN))[-1].text == texts.FEEDS_EMPTY
        bad = (await h.send_text(f"/addfeed {feed_server.url('/status/500')}", ADMIN))[-1].text
        assert "لم أستطع" in bad and "HTTP 500" in bad
        page = (await h.send_text(f"/addfeed {feed_server.url('/news/solar.html')}", ADMIN))[-1].text
        assert "not an RSS or Atom feed" in page
        assert "لم أستطع" in (await h.send_text("/addfeed ftp://example.org/feed", ADMIN))[-1].text
        added = (await h.send_text(f"/addfeed {rss}", ADMIN))[-1].text
        assert "أضفت الخلاصة" in added and "3 خبرًا" in added
        assert (await h.send_text(f"/addfeed {rss}", ADMIN))[-1].text == texts.FEED_EXISTS
        listing = (await h.send_text("/feeds", ADMIN))[-1].text
        assert rss in listing and texts.FEED_NEVER in listing and texts.FEED_FROM_CHAT in listing

        summary = await poll_and_deliver(h.application.bot, h.service)  # one round of the feeds job
        assert summary.added == 3
        listing = (await h.send_text("/feeds", ADMIN))[-1].text
        assert "✅" in listing and "3 خبرًا مخزنًا" in listing

    async with Harness(settings_for(tmp_path), rate_limiter=False) as h:  # kept across a restart
        assert h.service.feed_urls() == [rss]
        assert (await h.send_text(f"/removefeed {rss}", ADMIN))[-1].text == texts.FEED_REMOVED
        assert (await h.send_text(f"/removefeed {rss}", ADMIN))[-1].text == texts.FEED_UNKNOWN
        hits = feed_server.hits("/rss.xml")
        await poll_and_deliver(h.application.bot, h.service)
        assert feed_server.hits("/rss.xml") == hits  # no longer polled


async def test_private_addresses_are_refused_unless_allowed(tmp_path: Path, feed_server: FeedServer) -> None:
    settings = settings_for(tmp_path).model_copy(update={"admin_private_feeds": False})
    async with Harness(settings, rate_limiter=False) as h:
        refused = (await h.send_text(f"/addfeed {feed_server.url('/rss.xml')}", ADMIN))[-1].text
        assert "refused" in refused and "loopback" in refused
        assert h.service.feed_urls() == [] and feed_server.hits("/rss.xml") == 0


async def test_configured_feed_cannot_be_removed_from_a_chat(tmp_path: Path, feed_server: FeedServer) -> None:
    atom = feed_server.url("/atom.xml")
    settings = settings_for(tmp_path).model_copy(update={"feeds": [atom]})
    async with Harness(settings, rate_limiter=False) as h:
        assert (await h.send_text(f"/removefeed {atom}", ADMIN))[-1].text == texts.FEED_CONFIGURED
        assert (await h.send_text(f"/addfeed {atom}", ADMIN))[-1].text == texts.FEED_EXISTS
        assert texts.FEED_FROM_SETTINGS in (await h.send_text("/feeds", ADMIN))[-1].text


async def test_running_bot_polls_a_feed_added_from_telegram(tmp_path: Path, feed_server: FeedServer) -> None:
    """The real Application with its JobQueue running and no NEWSBOT_FEEDS: /addfeed schedules the
    feeds job, which polls the new feed and pushes its articles to a subscriber."""
    settings = settings_for(tmp_path, refresh_seconds=3600)
    service = await NewsService.start(settings)
    request = FakeRequest()
    app = build_application(settings, service, request=request, token=FAKE_TOKEN, rate_limiter=False)
    try:
        assert app.job_queue is not None and app.job_queue.get_jobs_by_name("feeds") == ()
        await app.initialize()
        await app.start()
        harness = Harness(settings)
        harness.application, harness.request, harness.service = app, request, service
        await harness.send_text("/subscribe", 3003)
        await harness.send_text(f"/addfeed {feed_server.url('/rss.xml')}", ADMIN)
        assert app.job_queue.get_jobs_by_name("feeds")
        for _ in range(200):
            if len([c for c in request.sent(3003) if "🆕" in c.text]) == 3:
                break
            await asyncio.sleep(0.05)
        assert len([c for c in request.sent(3003) if "🆕" in c.text]) == 3
    finally:
        await app.stop()
        await app.shutdown()
        await service.close()
