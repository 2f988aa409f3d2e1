"""Sending rendered HTML pieces, for replies and pushes alike, and one push with its retries.

render.py keeps every message valid and within 4096 characters, so Telegram refusing one for its markup
or length means a bug of ours; the reader should still get the words, so the piece goes again as plain text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from functools import partial
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.logs import redact
from bot.telegram import render
from bot.telegram.ratelimit import ChatRateLimiter, Flood, retry_seconds
from bot.telegram.render import PhotoPost

log = logging.getLogger(__name__)

# Send one piece: (text, reply_markup=..., parse_mode=...) -> anything. message.reply_text and a
# partial of bot.send_message both fit.
SendFunction = Callable[..., Awaitable[Any]]

# Telegram's descriptions for an HTML message it cannot take (see core.telegram.org/bots/api).
_MARKUP_REFUSALS = ("can't parse entities", "message is too long", "text is too long")


# Telegram's descriptions for a picture it cannot use, whichever chat it goes to: a URL it cannot
# fetch, a page that is not an image, a file too large or of a shape it does not take.
_PHOTO_REFUSALS = (
    "wrong type of the web page content", "failed to get http url content", "wrong file identifier",
    "http url specified", "wrong remote file", "photo_invalid", "image_process_failed", "photo_save_file",
    "file is too big", "photo_ext_invalid", "wrong http url",
)


def refused_markup(exc: BadRequest) -> bool:
    return any(part in exc.message.lower() for part in _MARKUP_REFUSALS)


async def send_pieces(
    send: SendFunction, pieces: Sequence[str], reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send each HTML piece with `send`; a keyboard goes on the last one. Other errors propagate."""
    for i, piece in enumerate(pieces):
        markup = reply_markup if i == len(pieces) - 1 else None
        try:
            await send(piece, reply_markup=markup)
        except BadRequest as exc:
            if not refused_markup(exc):
                raise
            log.error("Telegram refused a rendered message (%s); sending it as plain text", exc.message)
            plain = render.plain_pieces(piece)
            for j, text in enumerate(plain):
                await send(text, reply_markup=markup if j == len(plain) - 1 else None, parse_mode=None)


# Network trouble: a few tries with growing pauses, then the push waits for the next run.
NETWORK_TRIES = 4
BACKOFF_SECONDS = 0.5
# After this many attempts over several runs a push is given up as failed.
MAX_ATTEMPTS = 8
# Flood limits (429) for one message: waited out at most this many times and this long in all; then
# the push is postponed to the next run, so one chat's limit never holds the delivery lock for long.
MAX_FLOOD_WAITS = 3
MAX_FLOOD_WAIT_SECONDS = 30.0
# A push whose picture could not be sent in this many runs (network trouble, timeouts while Telegram
# fetches it) goes as text from then on: the picture must not cost the reader the news.
MAX_PHOTO_ATTEMPTS = 2


class Stopping(Exception):
    """The service is stopping: the push in hand is left for the next start."""


class Pushed(Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the chat blocked or removed the bot
    FAILED = "failed"  # a refusal that retrying will not change, or too many attempts
    POSTPONED = "postponed"  # network trouble: the next run tries again


async def _pause(seconds: float, stopping: asyncio.Event) -> None:
    """Sleep, unless the service starts stopping meanwhile (then Stopping)."""
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    except TimeoutError:
        return
    raise Stopping


async def send_with_retries(
    bot: Bot, chat_id: int, text: str, *, stopping: asyncio.Event,
    before_wait: Callable[[float], Awaitable[None]] | None = None, photo: str | None = None, **kwargs: Any,
) -> None:
    """Send one message (with `photo`: that picture, `text` its caption); RetryAfter waits as told
    (within the flood budget), network errors back off. Other errors, a RetryAfter past the budget and
    the last network error propagate.
    `before_wait(seconds)` runs before each flood wait (a run of pushes steps this chat aside, and keeps
    its delivery claims alive through the wait)."""
    kwargs.setdefault("parse_mode", ParseMode.HTML)  # whatever the Application's defaults say
    network_failures = flood_waits = 0
    flood_waited = 0.0
    while True:
        if stopping.is_set():
            raise Stopping
        try:
            if photo is not None:
                await bot.send_photo(chat_id, photo, caption=text, **kwargs)
            else:
                await bot.send_message(chat_id, text, **kwargs)
            return
        except RetryAfter as exc:
            wait = retry_seconds(exc)
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


def push_arguments(bot: Bot) -> dict[str, Any]:
    """Arguments for each send of a push: with our rate limiter, a chat's flood limit is raised at once
    (Flood.STEP_ASIDE) instead of waited out inside the limiter, so the push can wait aside (its
    `before_wait`) while the others go on."""
    if isinstance(getattr(bot, "rate_limiter", None), ChatRateLimiter):
        return {"rate_limit_args": Flood.STEP_ASIDE}
    return {}


def worth_retrying(exc: TelegramError) -> bool:
    """A flood limit or network trouble; BadRequest subclasses NetworkError in PTB, but retrying it (or
    ChatMigrated, InvalidToken…) will not help."""
    return isinstance(exc, RetryAfter) or (isinstance(exc, NetworkError) and not isinstance(exc, BadRequest))


def refused_photo(exc: BadRequest) -> bool:
    """Telegram could not use the picture itself (so no chat will get it): not a chat's problem."""
    return any(part in exc.message.lower() for part in _PHOTO_REFUSALS)


async def _send_photo_or_text(
    sender: SendFunction, chat_id: int, pieces: Sequence[str], photo: PhotoPost,
    photo_refused: Callable[[str], Awaitable[None]] | None,
) -> None:
    """The push as a picture with its caption; if Telegram refuses the picture (or the caption), the
    text push instead, in the same attempt. A refusal of the picture itself is reported through
    `photo_refused`, so the article is never offered with it again."""
    try:
        await sender(photo.caption, photo=photo.url)
        return
    except BadRequest as exc:
        log.warning("Telegram refused a picture for chat %s (%s): sending the text", chat_id, exc.message)
        if refused_photo(exc) and photo_refused is not None:
            await photo_refused(exc.message)
    await send_pieces(sender, pieces)


async def push(
    bot: Bot, chat_id: int, pieces: Sequence[str], attempts: int, *, stopping: asyncio.Event,
    before_wait: Callable[[float], Awaitable[None]] | None = None,
    photo: PhotoPost | None = None, photo_refused: Callable[[str], Awaitable[None]] | None = None,
) -> tuple[Pushed, str | None]:
    """Send one push (article, alert or digest) that has been tried `attempts` times before this one;
    what came of it, with the error's text (token redacted: it is kept in the database).
    With `photo`, the push is that picture with its caption, falling back to `pieces` as text (at once
    when Telegram refuses the picture; after MAX_PHOTO_ATTEMPTS runs when it cannot be sent)."""
    try:
        sender = partial(send_with_retries, bot, chat_id, stopping=stopping, before_wait=before_wait,
                         **push_arguments(bot))
        if photo is not None and attempts < MAX_PHOTO_ATTEMPTS:
            await _send_photo_or_text(sender, chat_id, pieces, photo, photo_refused)
        else:
            await send_pieces(sender, pieces)
    except Stopping:
        return Pushed.POSTPONED, "stopping"  # its send had not begun: the next start sends it
    except Forbidden as exc:
        log.info("chat %s blocked the bot (%s)", chat_id, exc.message)
        return Pushed.BLOCKED, redact(str(exc), bot.token)
    except TelegramError as exc:
        detail = redact(str(exc), bot.token)
        if worth_retrying(exc) and attempts + 1 < MAX_ATTEMPTS:
            log.warning("push to chat %s postponed: %s", chat_id, type(exc).__name__)
            return Pushed.POSTPONED, detail
        log.warning("push to chat %s failed: %s", chat_id, detail)
        return Pushed.FAILED, detail
    return Pushed.SENT, None
