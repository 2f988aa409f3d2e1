"""The JobQueue's periodic jobs: push what is new (every NEWSBOT_REFRESH_SECONDS) and poll the feeds
(every NEWSBOT_FEED_SECONDS), both ending in the one delivery path."""

from __future__ import annotations

import logging

from telegram import Bot

from bot.core.service import NewsService
from bot.intake.summary import IngestSummary
from bot.telegram.context import BotContext
from bot.telegram.delivery import refresh_and_deliver

log = logging.getLogger(__name__)


async def delivery_job(context: BotContext) -> None:
    await refresh_and_deliver(context.bot, context.service)


async def poll_and_deliver(bot: Bot, service: NewsService) -> IngestSummary:
    """One round of the feeds job: poll every followed feed, then index and push what is new through
    the same path as any other ingest (refresh_and_deliver)."""
    # Lazy: feed parsing and page extraction load slowly, and only bots that follow feeds need them.
    from bot.intake.polling import poll_feeds

    summary = await poll_feeds(service.storage, list(service.settings.feeds), service.settings)
    if summary.added or summary.failed:
        log.info("feeds job: %s", summary.line())
    if summary.added:
        await refresh_and_deliver(bot, service)
    return summary


async def feeds_job(context: BotContext) -> None:
    await poll_and_deliver(context.bot, context.service)
