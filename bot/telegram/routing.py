"""The bot's own PTB filters: which group messages are meant for it.

In a group the bot answers only what is addressed to it: a message that mentions it or replies to one
of its messages, and commands that name it (/latest@thisbot). The bot's username is known only after
`Application.initialize` (getMe), so these read it from the message's bot when they run.
"""

from __future__ import annotations

from telegram import Message, MessageEntity
from telegram.ext import filters


def _bot_username(message: Message) -> str | None:
    return message.get_bot().username


def _mention_span(message: Message) -> tuple[int, int] | None:
    """Offset and length of the first mention of this bot in `message`, or None."""
    username = _bot_username(message)
    if not username:
        return None
    mention = f"@{username}".casefold()
    for entity, value in message.parse_entities([MessageEntity.MENTION]).items():
        if value.casefold() == mention:
            return entity.offset, entity.length
    return None


def _replies_to_bot(message: Message) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == message.get_bot().id


def question_for_bot(message: Message) -> str | None:
    """The question in a group message meant for the bot (the mention taken out), else None."""
    text = message.text or ""
    if _replies_to_bot(message):
        return text
    span = _mention_span(message)
    if span is None:
        return None
    offset, length = span
    return (text[:offset] + text[offset + length :]).strip()


class _AddressedToBot(filters.MessageFilter):
    """A message that mentions this bot or replies to one of its messages."""

    def filter(self, message: Message) -> bool:
        return _replies_to_bot(message) or _mention_span(message) is not None


class _CommandForBot(filters.MessageFilter):
    """A command that names this bot (/foo@thisbot), as opposed to one meant for another bot."""

    def filter(self, message: Message) -> bool:
        username = _bot_username(message)
        command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
        return bool(username) and command.casefold().endswith("@" + str(username).casefold())


ADDRESSED_TO_BOT = _AddressedToBot(name="AddressedToBot")
COMMAND_FOR_BOT = _CommandForBot(name="CommandForBot")
