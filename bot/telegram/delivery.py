"""Pushing new articles to subscribed chats, once each, surviving rate limits, blocks and crashes.

Each delivery is recorded as SENDING before the send and SENT (or FAILED/BLOCKED) after it, and a run
works through whatever the database says is still owed. So a crash or restart mid-broadcast resumes
where it stopped: nobody is skipped, and only the one message in flight at the crash can go out twice.
Sends are sequential for that reason; the rate limiter keeps them within Telegram's limits.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import dataclass, field
from functools import partial
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.core.service import NewsService
from bot.logs import redact
from bot.storage import BLOCKED, FAILED, SENDING, SENT
from bot.telegram import render
from bot.telegram.sending import send_pieces

log = logging.getLogger(__name__)

# Network trouble: a few tries with growing pauses, then the delivery waits for the next run.
NETWORK_TRIES = 4
BACKOFF_SECONDS = 0.5
# After this many attempts over several runs a delivery is given up as failed.
MAX_ATTEMPTS = 8
MAX_RETRY_AFTER_SECONDS = 300.0


@dataclass
class DeliveryRun:
    sent: int = 0
    failed: int = 0
    blocked: list[int] = field(default_factory=list)
    postponed: int = 0
    new_articles: int = 0


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that the attribute becomes a timedelta; both are handled.
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _send_with_retries(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> None:
    """Send one message; RetryAfter waits as told, network errors back off. Other errors propagate."""
    kwargs.setdefault("parse_mode", ParseMode.HTML)  # whatever the Application's defaults say
    network_failures = 0
    while True:
        try:
            await bot.send_message(chat_id, text, **kwargs)
            return
        except RetryAfter as exc:
            wait = min(_retry_after(exc), MAX_RETRY_AFTER_SECONDS)
            log.warning("flood limit for chat %s: waiting %.1fs", chat_id, wait)
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
    storage = service.storage
    run = DeliveryRun()

    def detail(exc: TelegramError) -> str:
        # Kept in the database: an httpx error's text can hold the request URL, and so the token.
        return redact(str(exc), bot.token)

    rendered: dict[int, list[str]] = {}
    for delivery in await storage.pending_deliveries(max_age_days=service.settings.max_age_days):
        if not await storage.is_subscribed(delivery.chat_id):
            continue  # blocked or unsubscribed earlier in this run
        if delivery.article_row not in rendered:
            article = await storage.article(delivery.article_row)
            rendered[delivery.article_row] = render.render_push(article) if article else []
        pieces = rendered[delivery.article_row]
        await storage.record_delivery(delivery.article_row, delivery.chat_id, SENDING)
        try:
            await send_pieces(partial(_send_with_retries, bot, delivery.chat_id), pieces)
        except Forbidden as exc:
            log.info("chat %s blocked the bot (%s): subscription dropped", delivery.chat_id, exc.message)
            await storage.record_delivery(delivery.article_row, delivery.chat_id, BLOCKED, detail(exc))
            await storage.unsubscribe(delivery.chat_id)
            run.blocked.append(delivery.chat_id)
            continue
        except TelegramError as exc:
            # BadRequest subclasses NetworkError in PTB, but retrying it (or ChatMigrated, InvalidToken…) will not help.
            if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
                if delivery.attempts + 1 < MAX_ATTEMPTS:
                    # Still SENDING in the database: the next run tries again.
                    log.warning("delivery to chat %s postponed: %s", delivery.chat_id, type(exc).__name__)
                    run.postponed += 1
                    continue
            log.warning("delivery to chat %s failed: %s", delivery.chat_id, detail(exc))
            await storage.record_delivery(delivery.article_row, delivery.chat_id, FAILED, detail(exc))
            run.failed += 1
            continue
        await storage.record_delivery(delivery.article_row, delivery.chat_id, SENT)
        run.sent += 1
    return run


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
