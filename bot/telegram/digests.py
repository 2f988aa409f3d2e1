"""Sending digests: those due by their plan (the delivery job opens them) and those asked for with
/digest, through the one push path, recorded SENDING before the send and SENT after it. A digest that
fits a photo's caption is headed by its top story's picture."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from telegram import Bot

from bot.core.digests import Story
from bot.core.service import NewsService
from bot.storage import BLOCKED, FAILED, SENDING, SENT, Digest
from bot.telegram import render_subscriptions as render
from bot.telegram.lanes import ChatLanes
from bot.telegram.render import PhotoPost, as_photo
from bot.telegram.sending import Pushed, push

# A digest, rendered once for every chat on its span: the text pieces, and the photo variant.
Rendered = tuple[list[str], PhotoPost | None]


@dataclass
class DigestRun:
    sent: int = 0
    failed: int = 0
    blocked: list[int] = field(default_factory=list)
    postponed: int = 0


async def deliver_digests(bot: Bot, service: NewsService, now: datetime | None = None) -> DigestRun:
    """Open the digests due by `now`, then send every digest owed; callers hold `service.delivery_lock`."""
    storage = service.storage
    await service.open_due_digests(now)
    run = DigestRun()
    # Chats on the same schedule fall due together over the same rows: group their stories once.
    rendered: dict[tuple[int, int], Rendered] = {}
    lanes = ChatLanes()  # a chat told to wait (429) waits aside; the others' digests go on
    try:
        await _send_all(bot, service, run, rendered, lanes)
        await lanes.join()
    finally:
        lanes.cancel()
    return run


async def _send_all(
    bot: Bot, service: NewsService, run: DigestRun, rendered: dict[tuple[int, int], Rendered], lanes: ChatLanes
) -> None:
    storage = service.storage
    for digest in await storage.pending_digests():
        span = (digest.from_article, digest.upto_article)
        if span not in rendered:
            stories = await service.digest_stories(digest)
            pieces = render.render_digest(stories)
            rendered[span] = (pieces, as_photo(pieces, lead_picture(stories)))
        pieces, photo = rendered[span]
        if not pieces:  # every article of it aged out meanwhile: nothing to say
            await storage.record_digest(digest.id, SENT, "empty")
            continue

        async def photo_refused(reason: str, span: tuple[int, int] = span, photo: PhotoPost | None = photo) -> None:
            rendered[span] = (rendered[span][0], None)
            if photo is not None:
                await storage.refuse_image(photo.url, reason)

        await lanes.send(digest.chat_id, partial(_send, bot, service, digest, pieces, photo, photo_refused, run))


async def _send(
    bot: Bot, service: NewsService, digest: Digest, pieces: list[str], photo: PhotoPost | None,
    photo_refused: Callable[[str], Awaitable[None]], run: DigestRun, step_aside: Callable[[], None],
) -> None:
    storage = service.storage

    async def aside(wait: float) -> None:
        step_aside()

    await storage.record_digest(digest.id, SENDING)
    outcome, detail = await push(bot, digest.chat_id, pieces, digest.attempts, stopping=service.stopping,
                                 before_wait=aside, photo=photo, photo_refused=photo_refused)
    service.metrics.pushed("digest", outcome.value)
    if outcome is Pushed.BLOCKED:
        await storage.record_digest(digest.id, BLOCKED, detail)
        await service.forget_chat(digest.chat_id)
        run.blocked.append(digest.chat_id)
    elif outcome is Pushed.FAILED:
        await storage.record_digest(digest.id, FAILED, detail)
        run.failed += 1
    elif outcome is Pushed.POSTPONED:
        run.postponed += 1
    else:
        await storage.record_digest(digest.id, SENT)
        run.sent += 1


def lead_picture(stories: list[Story]) -> str | None:
    """The top story's picture (any outlet's telling of it), to head the digest; None if it has none:
    a picture of another story would sit above the wrong headline."""
    return next((a.image for a in stories[0].articles if a.image), None) if stories else None


async def send_digest_now(bot: Bot, service: NewsService, chat_id: int) -> bool | None:
    """/digest: the chat's digest now, ahead of its schedule. True if sent, False if nothing new,
    None if the chat has no digest plan."""
    async with service.delivery_lock:
        opened = await service.digest_now(chat_id)
        if opened:
            # One worker at a time sends digests; if another holds the turn, it sends this one too.
            async with service.storage.job_lock("alerts") as mine:
                if mine:
                    await deliver_digests(bot, service)
    return opened
