"""Metrics and health in process: the real Application through the harness, its monitoring server on a
loopback port read over HTTP, a real SQLite file (and, for the database going away, a PostgreSQL server
of the test's own that it stops and starts again)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.intake.files import ingest_items
from bot.metrics import Metrics
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.telegram import delivery, texts
from bot.telegram.monitoring import MonitoringServer
from bot.testing.harness import Harness
from bot.telegram.jobs import poll_and_deliver
from tests.feedserver import FeedServer, feed_server  # noqa: F401 (fixture)
from tests.pg_server import ThrowawayPostgres, find_binaries

QUESTION = "من هو وزير الدفاع التركي الذي ترأس الوفد؟"
WHEAT = "اجتمع وزير الزراعة مع المزارعين في مدينة الأقصر لمناقشة محصول القمح هذا العام.\nوقال الوزير إن المحصول وفير.\n"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page, keyed by name and sorted labels (parsed as Prometheus would)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


@pytest.fixture
async def monitored(bot_settings: Settings) -> AsyncIterator[tuple[Harness, str]]:
    """A harness whose Application is started, and the base URL of its monitoring server."""
    async with Harness(bot_settings) as h:
        server = MonitoringServer(h.application)
        port = server.start("127.0.0.1", 0)
        await h.application.start()
        try:
            yield h, f"http://127.0.0.1:{port}"
        finally:
            await h.application.stop()
            await server.stop()


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(url)


async def ingest(h: Harness, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.txt"
    path.write_text(WHEAT, encoding="utf-8")
    path.with_suffix(".json").write_text(f'{{"title": "القمح {name}", "source": "وكالة", "url": "https://example.org/{name}"}}')
    assert (await ingest_items(h.service.storage, [str(path)], h.settings)).added == 1


async def test_metrics_move_with_questions_and_pushes(
    monitored: tuple[Harness, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, base = monitored
    page = await get(base + "/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    before = samples(page.text)
    for outcome in ("answered", "abstained", "small_talk", "refused"):
        assert value(before, "newsbot_questions_total", outcome=outcome) == 0  # every label there from the start
    assert value(before, "newsbot_index_articles") == 1 and value(before, "newsbot_index_sentences") > 0

    await h.send_text(QUESTION, 1001)
    await h.send_text("ما هي عاصمة البرازيل؟", 1002)
    await h.send_text("hello there", 1003)  # not Arabic: refused politely, nothing looked up
    await h.send_inline(QUESTION)  # inline queries come as the user types: not counted
    await h.send_text("/subscribe", 1004)
    h.request.fail("sendMessage", "403", chat_id=1005, times=None)
    await h.send_text("/subscribe", 1005)
    await ingest(h, tmp_path / "news", "wheat1")
    await ingest(h, tmp_path / "news", "wheat2")
    run = await h.deliver()
    assert run.sent == 2 and run.blocked == [1005]

    after = samples((await get(base + "/metrics")).text)
    assert value(after, "newsbot_questions_total", outcome="answered") == 1
    assert value(after, "newsbot_questions_total", outcome="abstained") == 1
    assert value(after, "newsbot_questions_total", outcome="refused") == 1
    assert value(after, "newsbot_answer_seconds_count") == 2  # the two looked up
    assert 0 < value(after, "newsbot_answer_seconds_sum") < 10
    assert value(after, "newsbot_pushes_total", kind="article", outcome="sent") == 2
    assert value(after, "newsbot_pushes_total", kind="article", outcome="blocked") == 1
    assert value(after, "newsbot_pushes_waiting") == 0
    assert value(after, "newsbot_index_articles") == 3
    assert value(after, "newsbot_index_refresh_seconds_count") == 1
    assert value(after, "newsbot_index_last_refresh_timestamp_seconds") > 0

    # A push owed and not sent (network down for that chat) is waiting.
    h.request.fail("sendMessage", "network", chat_id=1004, times=None)
    await ingest(h, tmp_path / "news", "wheat3")
    await h.deliver()
    later = samples((await get(base + "/metrics")).text)
    assert value(later, "newsbot_pushes_total", kind="article", outcome="postponed") == 1
    assert value(later, "newsbot_pushes_waiting") == 1
    # Another article while it is still down: both wait (the count starts at the older one).
    await ingest(h, tmp_path / "news", "wheat4")
    await h.deliver()
    assert h.service.metrics.figures().pushes_waiting == 2
    # Counted again from the first article (as after a start), one article per slice: the same two.
    monkeypatch.setattr(delivery, "WAITING_SLICE_PAIRS", 1)
    h.service.waiting_from_row = 0
    assert await delivery.count_waiting(h.service) == 2
    assert h.service.waiting_from_row == await h.service.storage.max_article_row() - 1  # wheat3's row
    # The network is back: both go, nothing waits; a new subscriber's push waits when its chat is down.
    h.request.failures.clear()
    await h.deliver()
    assert h.service.metrics.figures().pushes_waiting == 0
    await h.send_text("/subscribe", 1006)
    h.request.fail("sendMessage", "network", chat_id=1006, times=None)
    await ingest(h, tmp_path / "news", "wheat5")
    await h.deliver()
    assert h.service.metrics.figures().pushes_waiting == 1
    assert value(samples((await get(base + "/metrics")).text), "newsbot_pushes_total", kind="article", outcome="sent") == 5


async def test_each_bot_counts_in_its_own_registry(bot_settings: Settings, tmp_path: Path) -> None:
    other = bot_settings.model_copy(update={"database": tmp_path / "other.sqlite3"})
    async with Harness(bot_settings) as one, Harness(other) as two:
        await one.send_text(QUESTION, 1001)
        await one.send_text(QUESTION, 1001)
        await two.send_text(QUESTION, 1001)
        assert one.service.metrics.registry is not two.service.metrics.registry
        assert one.service.metrics.figures().questions["answered"] == 2
        assert two.service.metrics.figures().questions["answered"] == 1
    # Nothing went into prometheus_client's global registry.
    from prometheus_client import REGISTRY

    assert REGISTRY.get_sample_value("newsbot_questions_total", {"outcome": "answered"}) is None


async def test_healthz_is_200_while_alive_and_503_once_the_sqlite_file_is_gone(monitored: tuple[Harness, str]) -> None:
    h, base = monitored
    ok = await get(base + "/healthz")
    assert (ok.status_code, ok.text) == (200, "ok\n")
    # Deleted under the open connection: queries still work, on a file nobody will open again.
    database = Path(h.settings.database)
    os.replace(database, database.with_suffix(".moved"))
    gone = await get(base + "/healthz")
    assert gone.status_code == 503 and "database: failing" in gone.text
    os.replace(database.with_suffix(".moved"), database)  # put back: alive again
    assert (await get(base + "/healthz")).status_code == 200
    database.unlink()
    assert (await get(base + "/healthz")).status_code == 503


async def test_healthz_is_503_when_the_bot_is_not_running_or_stopping(bot_settings: Settings) -> None:
    async with Harness(bot_settings) as h:
        server = MonitoringServer(h.application)
        base = f"http://127.0.0.1:{server.start('127.0.0.1', 0)}"
        try:
            starting = await get(base + "/healthz")
            assert starting.status_code == 503 and "bot: not running" in starting.text
            await h.application.start()
            assert (await get(base + "/healthz")).status_code == 200
            h.service.stopping.set()  # SIGTERM: a draining worker takes no new traffic
            assert (await get(base + "/healthz")).status_code == 503
            await h.application.stop()
        finally:
            await server.stop()


async def test_stats_shows_the_same_figures_in_arabic(bot_settings: Settings) -> None:
    settings = bot_settings.model_copy(update={"admin_ids": [1001]})
    async with Harness(settings) as h:
        await h.send_text(QUESTION, 2002)
        await h.send_text(QUESTION, 2002)
        await h.send_text("ما هي عاصمة البرازيل؟", 3003)
        await h.deliver()
        [call] = await h.send_text("/stats", 1001)
        figures = h.service.metrics.figures()
        assert "2 أُجيب عنها، 1 بلا جواب، 0 دردشة، 0 غير صالحة" in call.text
        assert "الفهرس: 1 خبرًا" in call.text and "آخر تحديث قبل 0 ثانية" in call.text
        assert figures.answer_p95_seconds is not None
        p95 = f"{figures.answer_p95_seconds * 1000:.1f}".removesuffix(".0")
        assert f"95٪ منها خلال {p95} ميلي ثانية" in call.text
        assert texts.ADMINS_ONLY == (await h.send_text("/stats", 2002))[0].text


def test_p95_is_the_bucket_bound_that_holds_95_percent() -> None:
    metrics = Metrics()
    assert metrics.figures().answer_p95_seconds is None and metrics.figures().answer_mean_seconds is None
    for _ in range(95):
        metrics.question("answered", 0.004)
    for _ in range(5):
        metrics.question("answered", 0.3)
    assert metrics.figures().answer_p95_seconds == 0.005
    metrics.question("abstained", 0.3)  # now 6 of 101 are slow: 95% no longer fit under 5 ms
    assert metrics.figures().answer_p95_seconds == 0.5
    assert metrics.figures().answer_mean_seconds == pytest.approx((95 * 0.004 + 6 * 0.3) / 101)


@pytest.fixture
def own_postgres() -> ThrowawayPostgres:
    """A PostgreSQL server this test alone uses, so it may stop it."""
    bin_dir = find_binaries()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: no PostgreSQL binaries")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl)")
    server = ThrowawayPostgres(bin_dir)
    server.start()
    yield server
    server.stop()


async def test_healthz_follows_a_postgresql_server_stopped_and_started(own_postgres: ThrowawayPostgres) -> None:
    settings = load_settings(database=own_postgres.url, seeds_dir=PROJECT_ROOT / "seeds", telegram_token=None)
    async with Harness(settings) as h:
        server = MonitoringServer(h.application)
        base = f"http://127.0.0.1:{server.start('127.0.0.1', 0)}"
        await h.application.start()
        try:
            assert (await get(base + "/healthz")).status_code == 200
            own_postgres.halt()
            down = await get(base + "/healthz")
            assert down.status_code == 503 and "database:" in down.text
            with pytest.raises(Exception):
                await h.service.refresh()  # the refresh job fails the same way
            assert h.service.metrics.figures().index_refresh_failures == 1
            own_postgres.resume()
            # The database answers again, but the index has not caught up yet: still not alive.
            still = await get(base + "/healthz")
            assert still.status_code == 503 and still.text == "index: the last refresh failed\n"
            await h.service.refresh()
            assert (await get(base + "/healthz")).status_code == 200
        finally:
            await h.application.stop()
            await server.stop()


async def test_feed_polls_articles_ingested_and_failing_feeds_are_counted(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = feed_server
    settings = load_settings(
        database=tmp_path / "bot.sqlite3", seeds_dir=PROJECT_ROOT / "seeds", telegram_token=None,
        feeds=[feeds.url("/rss.xml"), feeds.url("/status/500"), feeds.url("/atom.xml")], fetch_timeout=2.0)
    async with Harness(settings, rate_limiter=False) as h:
        summary = await poll_and_deliver(h.application.bot, h.service)
        figures = h.service.metrics.figures()
        assert figures.feed_polls == {"ok": 2, "not_modified": 0, "failed": 1}
        assert figures.articles_ingested == summary.added == 5
        assert figures.feeds_failing == 1
        assert figures.index_articles == 6  # the seed and the five, indexed by the delivery that follows
        await poll_and_deliver(h.application.bot, h.service)  # the 500 backs off; rss.xml has an ETag
        figures = h.service.metrics.figures()
        assert figures.feed_polls["not_modified"] == 1 and figures.feed_polls["failed"] == 1
        assert figures.articles_ingested == 5 and figures.feeds_failing == 1


async def test_topic_alerts_and_digests_are_counted_by_kind(harness: Harness, tmp_path: Path) -> None:
    await harness.send_text("/follow القمح", 1001)
    await harness.send_text("/subscribe every 3", 1002)
    await ingest(harness, tmp_path / "news", "wheat1")
    run = await harness.deliver()
    assert run.alerts == 1
    await harness.send_text("/digest", 1002)
    registry = harness.service.metrics.registry
    for kind, sent in (("alert", 1), ("digest", 1), ("article", 0)):
        assert registry.get_sample_value("newsbot_pushes_total", {"kind": kind, "outcome": "sent"}) == sent
