"""The update types the bot asks Telegram for follow the handlers it registers."""

from __future__ import annotations

import pytest
from telegram import Update
from telegram.ext import InlineQueryHandler, MessageHandler, TypeHandler, filters

from bot.telegram.updates import allowed_updates
from bot.testing.harness import Harness


async def noop(update: object, context: object) -> None:
    pass


async def test_allowed_updates_follow_the_handlers(harness: Harness) -> None:
    app = harness.application
    base = allowed_updates(app)
    assert base == sorted({Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER,
                           Update.INLINE_QUERY})  # inline mode (issue 11)
    assert Update.CHANNEL_POST not in base and Update.POLL not in base
    # A handler added later (channel posts) extends what is asked for, and only by its kinds.
    app.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POST & filters.TEXT, noop), group=1)
    app.add_handler(InlineQueryHandler(noop), group=1)
    assert allowed_updates(app) == sorted({*base, Update.CHANNEL_POST})
    # A message handler whose filters do not say which messages: every kind of message.
    app.add_handler(MessageHandler(filters.PHOTO, noop), group=2)
    assert {Update.EDITED_CHANNEL_POST, Update.CHANNEL_POST} <= set(allowed_updates(app))
    app.add_handler(TypeHandler(Update, noop), group=3)
    with pytest.raises(TypeError, match="TypeHandler"):
        allowed_updates(app)
