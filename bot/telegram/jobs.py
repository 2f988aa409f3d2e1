"""The JobQueue's periodic jobs: push what is new (every NEWSBOT_REFRESH_SECONDS) and poll the feeds
(every NEWSBOT_FEED_SECONDS), both ending in the one delivery path.

With several workers on one PostgreSQL database, every worker runs both jobs: the refresh job is how
each worker's index learns of articles another worker (or `newsbot ingest`) stored, by polling the
largest article id every NEWSBOT_REFRESH_SECONDS; deliveries are claimed pair by pair; the feeds are
polled by whichever worker holds the feeds lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
import warnings

from telegram import Bot
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.core.service import NewsService
from bot.intake.summary import IngestSummary
from bot.telegram.context import SERVICE_KEY, BotContext
from bot.telegram.delivery import refresh_and_deliver

log = logging.getLogger(__name__)

# On shutdown a job gets this long to stop at its next step (delivery checks between two sends);
# past it, it is cancelled: storage rolls back the transaction in hand, a feed whose entries were not
# all stored keeps its old validators, and a push cut off in flight stays SENDING (sent again, at most once).
STOP_GRACE_SECONDS = 3.0


async def until_stopping(service: NewsService, work: Awaitable[object]) -> None:
    """Run `work`; once the service is stopping, give it STOP_GRACE_SECONDS, then cancel it."""
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(service.stopping.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            done, _ = await asyncio.wait({task}, timeout=STOP_GRACE_SECONDS)
            if not done:
                log.warning("stopping: a job still running after %.0fs is cancelled", STOP_GRACE_SECONDS)
                task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if not service.stopping.is_set():
                raise
    finally:
        stop.cancel()
        if not task.done():  # this job itself was cancelled
            task.cancel()
FEEDS_JOB = "feeds"


async def delivery_job(context: BotContext) -> None:
    await until_stopping(context.service, refresh_and_deliver(context.bot, context.service))


async def poll_and_deliver(bot: Bot, service: NewsService) -> IngestSummary:
    """One round of the feeds job: poll every followed feed, then index and push what is new through
    the same path as any other ingest (refresh_and_deliver)."""
    # Lazy: feed parsing and page extraction load slowly, and only bots that follow feeds need them.
    from bot.intake.polling import poll_feeds

    # One worker at a time polls (PostgreSQL advisory lock); the others skip the round.
    async with service.storage.job_lock("feeds") as mine:
        urls = await service.feeds.current_urls()
        if not mine:
            log.debug("feeds job: another worker is polling the feeds")
            await _count_failing(service, urls)
            return IngestSummary()
        # NEWSBOT_FEEDS and the feeds admins added from Telegram (through any worker), read at each
        # round: no restart needed.
        summary = await poll_feeds(service.storage, urls, service.settings, metrics=service.metrics)
    await _count_failing(service, urls)
    if summary.added or summary.failed:
        log.info("feeds job: %s", summary.line())
    if summary.added:
        await refresh_and_deliver(bot, service)
    return summary


async def _count_failing(service: NewsService, urls: list[str]) -> None:
    """The feeds failing now, in every worker's metrics (the one polling knows it first; the others
    read it from the database at their own round)."""
    service.metrics.feeds_failing.set(len(await service.storage.failing_feeds() & set(urls)))


async def purge_job(context: BotContext) -> None:
    """Questions older than NEWSBOT_QUERY_LOG_DAYS are deleted (also done at every start)."""
    await context.service.purge_query_log()


async def feeds_job(context: BotContext) -> None:
    await until_stopping(context.service, poll_and_deliver(context.bot, context.service))


def ensure_feeds_job(application: Application, interval: float | None = None, soon: bool = False) -> None:
    """Schedule the feeds job if it is not yet (a bot started without feeds, then /addfeed);
    `soon`: also poll a moment from now, so a feed just added is read without waiting a round."""
    with warnings.catch_warnings():
        # An Application built without a JobQueue (tests, the console) warns on access; no job then.
        warnings.simplefilter("ignore", PTBUserWarning)
        queue = application.job_queue
    if queue is None:
        return
    if not queue.get_jobs_by_name(FEEDS_JOB):
        queue.run_repeating(
            feeds_job, interval=interval or application.bot_data[SERVICE_KEY].settings.feed_seconds, first=1,
            name=FEEDS_JOB,
            job_kwargs={"max_instances": 1, "coalesce": True},
        )
    elif soon:
        queue.run_once(feeds_job, when=1, name=f"{FEEDS_JOB}-now")
