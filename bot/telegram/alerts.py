"""Sending topic alerts: the pushes matching recorded, at most a few messages per chat an hour.

A chat's owed alerts go one message each while they fit its hourly allowance; when more are owed than
that, they go together as one message (a bundle), so a topic that the news talks about all day costs
the chat a few messages an hour, not one a minute. Each push is recorded SENDING before the send and
SENT after it, bundle id included, so a crash re-sends at most the one message in flight.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial

from telegram import Bot

from bot.core.service import NewsService
from bot.storage import BLOCKED, FAILED, SENDING, SENT, TopicPush
from bot.telegram import render_subscriptions as render
from bot.telegram.lanes import ChatLanes
from bot.telegram.render import as_photo
from bot.telegram.sending import Pushed, push

log = logging.getLogger(__name__)

# Alert messages a chat gets in any hour; matches beyond it wait and go out together.
ALERTS_PER_HOUR = 4
# Matches in one bundled message at most (the rest go in the next one).
BUNDLE_MAX = 10


@dataclass
class AlertRun:
    sent: int = 0  # messages
    matches: int = 0  # matches they carried
    failed: int = 0
    blocked: list[int] = field(default_factory=list)
    postponed: int = 0


async def deliver_topic_pushes(bot: Bot, service: NewsService, now: datetime | None = None) -> AlertRun:
    """Send the alerts owed, chat by chat; callers hold `service.delivery_lock`."""
    storage = service.storage
    now = now or datetime.now(timezone.utc)
    hour_ago = (now - timedelta(hours=1)).isoformat(timespec="seconds")
    by_chat: dict[int, list[TopicPush]] = defaultdict(list)
    for owed in await storage.pending_topic_pushes():
        by_chat[owed.chat_id].append(owed)
    run = AlertRun()
    lanes = ChatLanes()  # a chat told to wait (429) waits aside; the others' alerts go on
    try:
        for chat_id, owed in by_chat.items():
            allowance = ALERTS_PER_HOUR - await storage.topic_messages_since(chat_id, hour_ago)
            if allowance <= 0:
                run.postponed += len(owed)
                continue
            # Each alone while they fit; otherwise one bundle, keeping the last message of the hour free.
            groups = [[p] for p in owed] if len(owed) < allowance else [owed[:BUNDLE_MAX]]
            await lanes.send(chat_id, partial(_send_chat, bot, service, chat_id, groups, run))
        await lanes.join()
    finally:
        lanes.cancel()
    return run


async def _send_chat(
    bot: Bot, service: NewsService, chat_id: int, groups: list[list[TopicPush]], run: AlertRun,
    step_aside: Callable[[], None],
) -> None:
    for group in groups:
        outcome = await _send(bot, service, chat_id, group, step_aside)
        if outcome is Pushed.BLOCKED:
            run.blocked.append(chat_id)
            break
        if outcome is Pushed.SENT:
            run.sent += 1
            run.matches += len(group)
        elif outcome is Pushed.FAILED:
            run.failed += 1
        else:
            run.postponed += len(group)


async def _send(
    bot: Bot, service: NewsService, chat_id: int, group: list[TopicPush], step_aside: Callable[[], None]
) -> Pushed:
    storage = service.storage
    items = []
    for owed in group:
        article = await storage.article(owed.article_row)
        topic = service.alerts.topics.get(owed.topic)
        if article is not None and owed.sentence < len(article.sentences):
            items.append(render.Alert(article, owed.sentence, service.alerts.terms(owed.topic),
                                      topic.text if topic else None))
    pieces = render.render_alerts(items)
    # One article's alert carries its picture when the alert fits a caption (a bundle is several stories).
    photo = as_photo(pieces, items[0].article.image) if len(items) == 1 else None
    bundle = group[0].article_row

    async def photo_refused(reason: str) -> None:
        if photo is not None:
            await storage.refuse_image(photo.url, reason)

    await storage.record_topic_pushes(group, SENDING, bundle)

    async def aside(wait: float) -> None:
        step_aside()

    outcome, detail = (Pushed.SENT, None) if not pieces else await push(
        bot, chat_id, pieces, max(p.attempts for p in group), stopping=service.stopping, before_wait=aside,
        photo=photo, photo_refused=photo_refused)
    if pieces:
        service.metrics.pushed("alert", outcome.value)
    if outcome is Pushed.BLOCKED:
        await storage.record_topic_pushes(group, BLOCKED, detail=detail)
        await service.forget_chat(chat_id)
    elif outcome is Pushed.FAILED:
        await storage.record_topic_pushes(group, FAILED, detail=detail)
    elif outcome is Pushed.SENT:
        await storage.record_topic_pushes(group, SENT)
    return outcome
