"""A push follows the index: an article is pushed only once the running bot can answer about it, a
broadcast under way takes in what a refresh indexed meanwhile, and the refresh keeps going however long a
broadcast lasts (issue 20, point 4: an article pushed during another's broadcast 27 s before the bot
could answer about it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core.service import NewsService
from bot.settings import Settings
from bot.telegram.app import build_application
from bot.testing.fake_telegram import FAKE_TOKEN, FakeRequest
from bot.testing.harness import Harness
from tests.test_bot_delivery import ingest, pushes, subscribe

WHEAT = "محصول القمح في الأقصر"
RAIN = "أمطار غزيرة في الإسكندرية"
RAIN_TEXT = "هطلت أمطار غزيرة على مدينة الإسكندرية أمس وأغرقت شوارع حي المنشية.\n"
RAIN_QUESTION = "أين هطلت الأمطار الغزيرة أمس؟"


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for `condition` (a guard against hanging, not a speed limit)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def holds(service: NewsService, article_id: str) -> bool:
    return any(article.id == article_id for article in service.index.articles)


async def answers_rain(service: NewsService) -> bool:
    asked = await service.ask(None, RAIN_QUESTION, log_query=False)
    return asked.reply is not None and any("الإسكندرية" in answer.text for answer in asked.reply.answers)


async def test_a_run_under_way_does_not_push_what_the_index_does_not_hold(harness: Harness, tmp_path: Path) -> None:
    await subscribe(harness, 1001, 1002, 1003)
    await ingest(harness, tmp_path / "news", "wheat", WHEAT)
    release = harness.request.hold(1002)  # a broadcast under way: held at its send to 1002…
    run = asyncio.create_task(harness.deliver())
    await until(lambda: pushes(harness, 1001, WHEAT) == 1)
    await ingest(harness, tmp_path / "news", "rain", RAIN, RAIN_TEXT)  # …when another article is stored
    release.set()
    first = await run
    # Before: the run claimed the new article's pairs straight from the database and pushed it to all
    # three, though the index (refreshed at the run's start) could not answer about it.
    assert first.sent == 3 and [pushes(harness, chat, RAIN) for chat in (1001, 1002, 1003)] == [0, 0, 0]
    assert not await answers_rain(harness.service)
    # The next round refreshes first, then pushes: by then the bot answers about it.
    second = await harness.deliver()
    assert (second.new_articles, second.sent) == (1, 3)
    assert await answers_rain(harness.service)
    assert [pushes(harness, chat, RAIN) for chat in (1001, 1002, 1003)] == [1, 1, 1]


async def test_a_run_under_way_takes_in_what_a_refresh_indexed(harness: Harness, tmp_path: Path) -> None:
    await subscribe(harness, 1001, 1002, 1003)
    await ingest(harness, tmp_path / "news", "wheat", WHEAT)
    release = harness.request.hold(1002)
    run = asyncio.create_task(harness.deliver())
    await until(lambda: pushes(harness, 1001, WHEAT) == 1)
    await ingest(harness, tmp_path / "news", "rain", RAIN, RAIN_TEXT)
    assert len(await harness.service.refresh()) == 1  # the refresh job, beside the broadcast
    release.set()
    assert (await run).sent == 6  # the same run pushes it, once to each
    assert [pushes(harness, chat, RAIN) for chat in (1001, 1002, 1003)] == [1, 1, 1]
    assert (await harness.deliver()).sent == 0


async def test_alerts_follow_the_index_too(harness: Harness, tmp_path: Path) -> None:
    """A topic alert is matched only against articles the index holds (its weights come from it)."""
    await harness.send_text("/follow الإسكندرية", 1001)
    await ingest(harness, tmp_path / "news", "rain", RAIN, RAIN_TEXT)  # stored, not yet indexed
    assert await harness.service.match_topics() == 0
    await harness.service.refresh()
    assert await harness.service.match_topics() == 1


class WatchingRequest(FakeRequest):
    """The fake Bot API, noting at each push of an article whether the bot's index held it then."""

    def __init__(self, watch: dict[str, str]) -> None:
        super().__init__()
        self.watch = watch  # title -> article id
        self.service: NewsService | None = None
        self.pushed_before_indexed: list[str] = []

    async def do_request(self, url: str, method: str, request_data: Any = None, **timeouts: Any) -> tuple[int, bytes]:
        text = str(request_data.parameters.get("text", "")) if request_data else ""
        for title, article_id in self.watch.items():
            if title in text and self.service is not None and not holds(self.service, article_id):
                self.pushed_before_indexed.append(title)
        return await super().do_request(url, method, request_data, **timeouts)


async def test_the_running_jobs_refresh_during_a_long_broadcast_and_never_pile_up(
    bot_settings: Settings, tmp_path: Path, caplog
) -> None:
    """The real JobQueue with a short NEWSBOT_REFRESH_SECONDS: while a broadcast is held up, the index
    still takes in a new article (before: only after the whole broadcast), the delivery job never
    runs twice at once (before: APScheduler's "maximum number of running instances" at every tick),
    and the new article goes out after it is answerable, in the broadcast already under way."""
    caplog.set_level(logging.WARNING)
    settings = bot_settings.model_copy(update={"refresh_seconds": 0.1})
    service = await NewsService.start(settings)
    request = WatchingRequest({WHEAT: "wheat", RAIN: "rain"})
    request.service = service
    application = build_application(settings, service, request=request, token=FAKE_TOKEN)
    try:
        await application.initialize()
        for chat in (1001, 1002, 1003):
            await service.subscribe(chat)
        news = tmp_path / "news"
        await ingest(_Ingest(service, settings), news, "wheat", WHEAT)  # type: ignore[arg-type]
        release = request.hold(1002)
        await application.start()
        await until(lambda: len(request.sent(1001)) == 1)  # wheat to 1001; the broadcast waits at 1002
        await ingest(_Ingest(service, settings), news, "rain", RAIN, RAIN_TEXT)  # type: ignore[arg-type]
        await until(lambda: holds(service, "rain"))  # the refresh job, with the broadcast still held
        assert await answers_rain(service)
        assert not release.is_set() and request.sent(1002) == []
        await asyncio.sleep(0.5)  # several refresh intervals with the delivery round still held up
        release.set()
        await until(lambda: all(len(request.sent(chat)) == 2 for chat in (1001, 1002, 1003)))
        await asyncio.sleep(0.3)
    finally:
        service.stopping.set()
        if application.running:
            await application.stop()
        await application.shutdown()
        await service.close()
    for chat in (1001, 1002, 1003):
        texts = [call.text for call in request.sent(chat)]
        assert [WHEAT in t for t in texts] == [True, False] and [RAIN in t for t in texts] == [False, True]
    assert request.pushed_before_indexed == []
    assert not [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]


class _Ingest:
    """What tests.test_bot_delivery.ingest needs of a Harness: its service and settings."""

    def __init__(self, service: NewsService, settings: Settings) -> None:
        self.service, self.settings = service, settings
