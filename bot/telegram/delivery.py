"""Pushing new articles to subscribed chats, once each, surviving rate limits, blocks and crashes.

Each delivery is claimed (recorded SENDING, with this worker's name and a lease) before the send and
recorded SENT (or FAILED/BLOCKED) after it, and a run works through whatever the database says is
still owed. So a crash or restart mid-broadcast resumes where it stopped: nobody is skipped, and only
the one message in flight at the crash can go out twice. Several workers sharing a database each
claim pairs before sending them, so none is sent by two; a dead worker's claim is taken over once its
lease (NEWSBOT_DELIVERY_LEASE_SECONDS) runs out. Sends are sequential within a worker; the rate
limiter keeps them within Telegram's limits.
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
from bot.settings import Settings
from bot.storage import BLOCKED, FAILED, SENT, Delivery, Storage
from bot.telegram import render
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
MAX_RETRY_AFTER_SECONDS = 300.0


@dataclass
class DeliveryRun:
    sent: int = 0
    failed: int = 0
    blocked: list[int] = field(default_factory=list)
    postponed: int = 0
    new_articles: int = 0
    skipped: int = 0  # claimed pairs not sent after all: unsubscribed meanwhile, or taken over


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that the attribute becomes a timedelta; both are handled.
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _send_with_retries(
    bot: Bot, chat_id: int, text: str, *, before_wait: Callable[[float], Awaitable[None]] | None = None,
    **kwargs: Any,
) -> None:
    """Send one message; RetryAfter waits as told, network errors back off. Other errors propagate.
    `before_wait(seconds)` runs before each wait (to keep a delivery claim alive through it)."""
    kwargs.setdefault("parse_mode", ParseMode.HTML)  # whatever the Application's defaults say
    network_failures = 0
    while True:
        try:
            await bot.send_message(chat_id, text, **kwargs)
            return
        except RetryAfter as exc:
            wait = min(_retry_after(exc), MAX_RETRY_AFTER_SECONDS)
            log.warning("flood limit for chat %s: waiting %.1fs", chat_id, wait)
            if before_wait is not None:
                await before_wait(wait)
            await asyncio.sleep(wait)
        except (Forbidden, BadRequest):
            raise
        except NetworkError as exc:  # TimedOut is a NetworkError too
            network_failures += 1
            if network_failures >= NETWORK_TRIES:
                raise
            wait = BACKOFF_SECONDS * 2 ** (network_failures - 1)
            log.warning("network error sending to chat %s (%s): retry in %.1fs", chat_id, type(exc).__name__, wait)
            await asyncio.sleep(wait)


async def deliver_pending(bot: Bot, service: NewsService) -> DeliveryRun:
    """Send every delivery the database says is owed, in article order; one run at a time."""
    async with service.delivery_lock:
        return await _deliver_pending(bot, service)


async def _deliver_pending(bot: Bot, service: NewsService) -> DeliveryRun:
    storage, settings = service.storage, service.settings
    worker, lease = settings.worker, settings.delivery_lease_seconds
    run = DeliveryRun()
    started = datetime.now(timezone.utc)
    rendered: dict[int, list[str]] = {}
    lost_races = 0
    after = (0, 0)  # the last pair claimed: each claim searches past it
    while True:
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
            await _deliver_one(bot, storage, settings, delivery, rendered, run)


async def _deliver_one(
    bot: Bot, storage: Storage, settings: Settings, delivery: Delivery, rendered: dict[int, list[str]],
    run: DeliveryRun,
) -> None:
    """Send one claimed delivery and record how it went."""
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
        await send_pieces(partial(_send_with_retries, bot, chat, before_wait=keep_claims), rendered[row])
    except Forbidden as exc:
        log.info("chat %s blocked the bot (%s): subscription dropped", chat, exc.message)
        await storage.record_delivery(row, chat, BLOCKED, detail(exc))
        await storage.unsubscribe(chat)
        run.blocked.append(chat)
        return
    except TelegramError as exc:
        # BadRequest subclasses NetworkError in PTB, but retrying it (or ChatMigrated, InvalidToken…) will not help.
        if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
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
    run.new_articles = len(new)
    if new or run.sent or run.failed or run.blocked:
        log.info(
            "refresh: %d new articles; delivered %d, failed %d, blocked %d, postponed %d",
            run.new_articles, run.sent, run.failed, len(run.blocked), run.postponed,
        )
    return run
