"""Pushing new articles to subscribed chats, once each, surviving rate limits, blocks and crashes.

Each delivery is claimed (recorded SENDING, with this worker's name and a lease) before the send and
recorded SENT (or FAILED/BLOCKED) after it, and a run works through whatever the database says is
still owed. So a crash or restart mid-broadcast resumes where it stopped: nobody is skipped, and only
the one message in flight at the crash can go out twice. Several workers sharing a database each
claim pairs before sending them, so none is sent by two; a dead worker's claim is taken over once its
lease (NEWSBOT_DELIVERY_LEASE_SECONDS) runs out. Sends are sequential within a worker; the rate
limiter keeps them within Telegram's limits.

A run holds the delivery lock, so nothing in it may wait without bound: flood waits (429) are capped
in number and in total time, after which the delivery is postponed to the next run; and a run stops
between two sends as soon as the service is stopping (SIGTERM), leaving the rest for the next start
(a restarted worker takes its own claims back at once).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.core.service import NewsService
from bot.logs import redact
from bot.storage import FAILED, SENT, Delivery
from bot.telegram import render
from bot.telegram.alerts import deliver_topic_pushes
from bot.telegram.digests import deliver_digests
from bot.telegram.sending import send_pieces

log = logging.getLogger(__name__)

# Network trouble: a few tries with growing pauses, then the delivery waits for the next run.
NETWORK_TRIES = 4
BACKOFF_SECONDS = 0.5
# After this many attempts over several runs a delivery is given up as failed.
MAX_ATTEMPTS = 8
# Deliveries claimed at a time: few, so that a worker that dies strands few until its lease runs out.
CLAIM_BATCH = 10
MAX_LOST_RACES = 100
# Flood limits (429) for one message: waited out at most this many times and this long in all; then
# the delivery is postponed to the next run, so one chat's limit never holds the lock for long.
MAX_FLOOD_WAITS = 3
MAX_FLOOD_WAIT_SECONDS = 30.0


class Stopping(Exception):
    """The service is stopping: the delivery in hand is left for the next start."""


@dataclass
class DeliveryRun:
    sent: int = 0
    failed: int = 0
    blocked: list[int] = field(default_factory=list)
    postponed: int = 0
    new_articles: int = 0
    skipped: int = 0  # claimed pairs not sent after all: unsubscribed meanwhile, or taken over
    stopped: bool = False  # ended early because the service is stopping
    alerts: int = 0  # topic alert messages sent (a bundle of matches is one)
    digests: int = 0


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that the attribute becomes a timedelta; both are handled.
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _pause(seconds: float, stopping: asyncio.Event) -> None:
    """Sleep, unless the service starts stopping meanwhile (then Stopping)."""
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    except TimeoutError:
        return
    raise Stopping


async def _send_with_retries(
    bot: Bot, chat_id: int, text: str, *, stopping: asyncio.Event,
    before_wait: Callable[[float], Awaitable[None]] | None = None, **kwargs: Any,
) -> None:
    """Send one message; RetryAfter waits as told (within the flood budget), network errors back off.
    Other errors, a RetryAfter past the budget and the last network error propagate.
    `before_wait(seconds)` runs before each flood wait (to keep a delivery claim alive through it)."""
    kwargs.setdefault("parse_mode", ParseMode.HTML)  # whatever the Application's defaults say
    network_failures = flood_waits = 0
    flood_waited = 0.0
    while True:
        if stopping.is_set():
            raise Stopping
        try:
            await bot.send_message(chat_id, text, **kwargs)
            return
        except RetryAfter as exc:
            wait = _retry_after(exc)
            flood_waits += 1
            if flood_waits > MAX_FLOOD_WAITS or flood_waited + wait > MAX_FLOOD_WAIT_SECONDS:
                raise
            flood_waited += wait
            log.warning("flood limit for chat %s: waiting %.1fs", chat_id, wait)
            if before_wait is not None:
                await before_wait(wait)
            await _pause(wait, stopping)
        except (Forbidden, BadRequest):
            raise
        except NetworkError as exc:  # TimedOut is a NetworkError too
            network_failures += 1
            if network_failures >= NETWORK_TRIES:
                raise
            wait = BACKOFF_SECONDS * 2 ** (network_failures - 1)
            log.warning("network error sending to chat %s (%s): retry in %.1fs", chat_id, type(exc).__name__, wait)
            await _pause(wait, stopping)


def _worth_retrying(exc: TelegramError) -> bool:
    """A flood limit or network trouble; BadRequest subclasses NetworkError in PTB, but retrying it (or
    ChatMigrated, InvalidToken…) will not help."""
    return isinstance(exc, RetryAfter) or (isinstance(exc, NetworkError) and not isinstance(exc, BadRequest))


async def deliver_pending(bot: Bot, service: NewsService) -> DeliveryRun:
    """Send every delivery the database says is owed, in article order; one run at a time."""
    async with service.delivery_lock:
        return await _deliver_pending(bot, service)


async def _deliver_pending(bot: Bot, service: NewsService) -> DeliveryRun:
    storage, settings, stopping = service.storage, service.settings, service.stopping
    worker, lease = settings.worker, settings.delivery_lease_seconds
    run = DeliveryRun()
    started = datetime.now(timezone.utc)
    rendered: dict[int, list[str]] = {}
    lost_races = 0
    after = (0, 0)  # the last pair claimed: each claim searches past it
    while not stopping.is_set():
        batch = await storage.claim_deliveries(
            worker, lease, CLAIM_BATCH, run_started=started, after=after, max_age_days=settings.max_age_days)
        if not batch:
            # Other workers may have claimed the very pairs this claim aimed at: claim again while any
            # owed pair is still free (a bounded number of times; the next run picks up the rest, and
            # pairs behind `after` that another worker gave back).
            lost_races += 1
            owed = await storage.pending_deliveries(1, settings.max_age_days, worker=worker, since=started)
            if not owed or lost_races > MAX_LOST_RACES:
                return run
            if (owed[0].article_row, owed[0].chat_id) < after:
                after = (0, 0)  # free again behind the cursor (a claim that ran out): go back for it
            continue
        after = (batch[-1].article_row, batch[-1].chat_id)
        for delivery in batch:
            if stopping.is_set():
                break  # the rest of the batch stays claimed by this worker, which takes it back on restart
            await _deliver_one(bot, service, delivery, rendered, run)
    run.stopped = True
    return run


async def _deliver_one(
    bot: Bot, service: NewsService, delivery: Delivery, rendered: dict[int, list[str]], run: DeliveryRun
) -> None:
    """Send one claimed delivery and record how it went."""
    storage, settings = service.storage, service.settings
    worker, lease = settings.worker, settings.delivery_lease_seconds
    row, chat = delivery.article_row, delivery.chat_id
    if chat in run.blocked or not await storage.start_attempt(row, chat, worker, lease):
        # Blocked or unsubscribed since the claim, or the claim ran out and another worker took it over.
        run.skipped += 1
        return
    if row not in rendered:
        article = await storage.article(row)
        rendered[row] = render.render_push(article) if article else []

    async def keep_claims(wait: float) -> None:
        await storage.extend_claims(worker, wait + lease)

    def detail(exc: TelegramError) -> str:
        # Kept in the database: an httpx error's text can hold the request URL, and so the token.
        return redact(str(exc), bot.token)

    try:
        sender = partial(_send_with_retries, bot, chat, stopping=service.stopping, before_wait=keep_claims)
        await send_pieces(sender, rendered[row])
    except Stopping:
        # Still SENDING and claimed: the next start sends it (its send had not begun).
        return
    except Forbidden as exc:
        # Blocked, kicked or deleted: nobody to push to, and nothing to keep about the chat.
        log.info("chat %s blocked the bot (%s): subscription dropped", chat, exc.message)
        await service.forget_chat(chat)
        run.blocked.append(chat)
        return
    except TelegramError as exc:
        if _worth_retrying(exc):
            if delivery.attempts + 1 < MAX_ATTEMPTS:
                # Still SENDING and claimed: this worker's next run tries again, or another worker once
                # the claim runs out.
                log.warning("delivery to chat %s postponed: %s", chat, type(exc).__name__)
                run.postponed += 1
                return
        log.warning("delivery to chat %s failed: %s", chat, detail(exc))
        await storage.record_delivery(row, chat, FAILED, detail(exc))
        run.failed += 1
        return
    await storage.record_delivery(row, chat, SENT)
    run.sent += 1


async def refresh_and_deliver(bot: Bot, service: NewsService) -> DeliveryRun:
    new = await service.refresh()
    run = await deliver_pending(bot, service)
    # Topic alerts and digests (bot/telegram/alerts.py, digests.py): one worker at a time, since they
    # are not claimed pair by pair like articles.
    async with service.delivery_lock, service.storage.job_lock("alerts") as mine:
        if mine and not run.stopped:
            await service.match_topics()
            alerts = await deliver_topic_pushes(bot, service)
            digests = await deliver_digests(bot, service)
            run.alerts, run.digests = alerts.sent, digests.sent
            for other in (alerts, digests):
                run.blocked += other.blocked
                run.failed += other.failed
                run.postponed += other.postponed
    run.new_articles = len(new)
    if new or run.sent or run.alerts or run.digests or run.failed or run.blocked or run.stopped:
        log.info(
            "refresh: %d new articles; delivered %d, alerts %d, digests %d, failed %d, blocked %d, postponed %d%s",
            run.new_articles, run.sent, run.alerts, run.digests, run.failed, len(run.blocked), run.postponed,
            "; stopping, the rest is left for the next start" if run.stopped else "",
        )
    return run
