"""End to end through the real Application: feed → ingest → index → answer citing the URL → push."""

from __future__ import annotations

from pathlib import Path

from feedserver import FeedServer, feed_server  # noqa: F401 (fixture)

from bot.telegram.app import build_application
from bot.telegram.jobs import poll_and_deliver
from bot.testing.fake_telegram import FAKE_TOKEN, FakeRequest, check_html
from bot.testing.harness import Harness
from bot.core.service import NewsService
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.storage import Storage


def settings_for(tmp_path: Path, server: FeedServer, database: Path | str | None = None) -> Settings:
    return load_settings(
        database=database or tmp_path / "state" / "newsbot.sqlite3",
        seeds_dir=PROJECT_ROOT / "seeds",
        telegram_token=None,
        feeds=[server.url("/rss.xml"), server.url("/status/500"), server.url("/atom.xml")],
        fetch_timeout=2.0,
        max_age_days=None,
    )


async def test_feed_to_answer_and_push(tmp_path: Path, feed_server: FeedServer, database: Path | str) -> None:
    settings = settings_for(tmp_path, feed_server, database)
    async with Harness(settings, rate_limiter=False) as harness:
        await harness.send_text("/subscribe", 1001)
        question = "كم تبلغ قدرة محطة الطاقة الشمسية في تبوك؟"
        before = "\n".join(c.text for c in await harness.send_text(question, 1001))
        assert "500 ميغاواط" not in before

        start = len(harness.request.calls)
        summary = await poll_and_deliver(harness.application.bot, harness.service)
        assert summary.added == 5 and [why for _, why in summary.failed] == ["HTTP 500"]
        pushes = [c for c in harness.request.calls[start:] if c.method == "sendMessage"]
        assert {c.chat_id for c in pushes} == {1001} and all(c.ok and check_html(c.text) is None for c in pushes)
        pushed = "\n".join(c.text for c in pushes)
        for path in ("/news/solar.html", "/news/books.html", "/news/tram.html", "/news/water.html", "/news/dates.html"):
            assert f'href="{feed_server.url(path)}"' in pushed
        assert len(pushes) == 5

        # The new article answers without a restart, quoted and cited with its URL.
        answer = "\n".join(c.text for c in await harness.send_text(question, 1001))
        assert "500 ميغاواط" in answer and "تبوك" in answer
        assert f'href="{feed_server.url("/news/solar.html")}"' in answer

        # Polling again stores nothing and pushes nothing: each article went out once.
        start = len(harness.request.calls)
        again = await poll_and_deliver(harness.application.bot, harness.service)
        assert again.added == 0
        assert [c for c in harness.request.calls[start:] if c.method == "sendMessage"] == []
        delivered = await harness.service.storage.deliveries(1001)
        assert len(delivered) == 5 and {status for *_, status, _ in delivered} == {"sent"}

        # /latest: newest first, with working links.
        latest = "\n".join(c.text for c in await harness.send_text("/latest", 1001))
        tram, solar, books = (latest.find(feed_server.url(f"/news/{k}.html")) for k in ("tram", "solar", "books"))
        assert -1 < tram < solar < books


async def test_the_running_bot_schedules_the_feeds_job(tmp_path: Path, feed_server: FeedServer) -> None:
    settings = settings_for(tmp_path, feed_server)
    service = await NewsService.start(settings)
    try:
        app = build_application(settings, service, request=FakeRequest(), token=FAKE_TOKEN, rate_limiter=False)
        assert app.job_queue is not None
        (job,) = app.job_queue.get_jobs_by_name("feeds")
        assert job.trigger.interval.total_seconds() == settings.feed_seconds
        no_feeds = settings.model_copy(update={"feeds": []})
        app = build_application(no_feeds, service, request=FakeRequest(), token=FAKE_TOKEN, rate_limiter=False)
        assert app.job_queue is not None and app.job_queue.get_jobs_by_name("feeds") == ()
    finally:
        await service.close()


async def test_one_worker_at_a_time_polls_the_feeds(tmp_path: Path, feed_server: FeedServer, pg_url: str) -> None:
    settings = settings_for(tmp_path, feed_server, pg_url)
    async with Harness(settings, rate_limiter=False) as harness, await Storage.open(pg_url) as other_worker:
        async with other_worker.job_lock("feeds") as polling:
            assert polling
            skipped = await poll_and_deliver(harness.application.bot, harness.service)
            assert skipped.added == 0 and skipped.failed == []  # the other worker's round: not even fetched
            assert await harness.service.storage.feed_states() == []
        polled = await poll_and_deliver(harness.application.bot, harness.service)
        assert polled.added == 5
