"""The JobQueue's jobs: keep the index current (every NEWSBOT_REFRESH_SECONDS), push what it holds
(one delivery loop), and poll the feeds (every NEWSBOT_FEED_SECONDS).

A push follows the index: the delivery loop only sends articles the index already holds, so a
subscriber who asks about a push gets the answer. The refresh job runs beside it, so a long broadcast
never holds back the index, and each refresh that adds articles wakes the delivery loop; the loop runs
one round at a time (never two, never piling up behind a long broadcast) and at least every
NEWSBOT_REFRESH_SECONDS (postponed pushes, digests falling due, claims a dead worker left).

With several workers on one PostgreSQL database, every worker runs these jobs: the refresh job is how
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
DELIVERY_JOB = "delivery"
REFRESH_JOB = "refresh"


# How often an idle loop checks that the Application is still running (one stopped without the
# service stopping first, as tests do, would otherwise wait for the loop's whole interval).
RUNNING_CHECK_SECONDS = 0.5


def _ending(context: BotContext) -> bool:
    return context.service.stopping.is_set() or not context.application.running


async def _idle(context: BotContext, seconds: float, wake: asyncio.Event | None = None) -> bool:
    """Wait `seconds`, or less if `wake` is set; whether the loop should end (the service is stopping,
    or the Application stopped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    events = [context.service.stopping] + ([wake] if wake is not None else [])
    while not _ending(context) and not (wake is not None and wake.is_set()):
        left = deadline - loop.time()
        if left <= 0:
            break
        waits = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waits, timeout=min(left, RUNNING_CHECK_SECONDS), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
    return _ending(context)


async def _report(context: BotContext, exc: Exception) -> None:
    """A round that failed goes to the one error handler (it redacts the token); the loop goes on."""
    await context.application.process_error(update=None, error=exc, job=context.job)


async def delivery_job(context: BotContext) -> None:
    """The delivery loop, one job for the bot's life: a round (refresh, then push what the index holds,
    then topic alerts and digests) each time the index grows, and at least every NEWSBOT_REFRESH_SECONDS."""
    service = context.service
    while not _ending(context):
        service.index_grew.clear()  # growth from here on calls for another round
        try:
            await until_stopping(service, refresh_and_deliver(context.bot, service))
        except Exception as exc:
            await _report(context, exc)
            await _idle(context, service.settings.refresh_seconds)  # not a tight loop of failures
            continue
        await _idle(context, service.settings.refresh_seconds, wake=service.index_grew)


async def refresh_job(context: BotContext) -> None:
    """The refresh loop, beside the delivery loop: the index takes in what was stored every
    NEWSBOT_REFRESH_SECONDS, whatever a broadcast is doing (a refresh that adds articles wakes the
    delivery loop, and a broadcast under way takes them in at its next claim)."""
    service = context.service
    while not await _idle(context, service.settings.refresh_seconds):
        try:
            await until_stopping(service, service.refresh())
        except Exception as exc:
            await _report(context, exc)


async def poll_and_deliver(bot: Bot, service: NewsService, *, deliver: bool = True) -> IngestSummary:
    """One round of the feeds job: poll every followed feed, then index what is new and push it
    through the same path as any other ingest (refresh_and_deliver). With `deliver` false (the
    running bot) the new articles are indexed here and the delivery loop, woken by the refresh, pushes
    them: the feeds job never waits for a broadcast."""
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
        if deliver:
            await refresh_and_deliver(bot, service)
        else:
            await service.refresh()
    return summary


async def _count_failing(service: NewsService, urls: list[str]) -> None:
    """The feeds failing now, in every worker's metrics (the one polling knows it first; the others
    read it from the database at their own round)."""
    service.metrics.feeds_failing.set(len(await service.storage.failing_feeds() & set(urls)))


async def purge_job(context: BotContext) -> None:
    """Questions older than NEWSBOT_QUERY_LOG_DAYS are deleted (also done at every start)."""
    await context.service.purge_query_log()


async def feeds_job(context: BotContext) -> None:
    await until_stopping(context.service, poll_and_deliver(context.bot, context.service, deliver=False))


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
