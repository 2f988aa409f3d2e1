"""Sending rendered HTML pieces, for replies and pushes alike.

render.py keeps every message valid and within 4096 characters, so Telegram refusing one for its markup
or length means a bug of ours; the reader should still get the words, so the piece goes again as plain text.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.telegram import render

log = logging.getLogger(__name__)

# Send one piece: (text, reply_markup=..., parse_mode=...) -> anything. message.reply_text and a
# partial of bot.send_message both fit.
SendFunction = Callable[..., Awaitable[Any]]

# Telegram's descriptions for an HTML message it cannot take (see core.telegram.org/bots/api).
_MARKUP_REFUSALS = ("can't parse entities", "message is too long", "text is too long")


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
