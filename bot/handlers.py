"""Telegram handlers: parse the update, call the service once, send what render made. Nothing more."""

from __future__ import annotations

import logging

from telegram import Chat, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot import render, texts
from bot.logs import format_exception, redact
from bot.sending import send_pieces
from bot.service import NewsService

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
SERVICE_KEY = "service"


def service_of(context: Context) -> NewsService:
    return context.application.bot_data[SERVICE_KEY]


def is_private(chat: Chat | None) -> bool:
    return chat is not None and chat.type == ChatType.PRIVATE


def message_and_chat(update: Update) -> tuple[Message, Chat] | None:
    message, chat = update.effective_message, update.effective_chat
    return (message, chat) if message is not None and chat is not None else None


def chat_title(chat: Chat) -> str | None:
    return chat.title or chat.full_name


async def reply(message: Message, pieces: list[str], reply_markup: InlineKeyboardMarkup | None = None) -> None:
    await send_pieces(message.reply_text, pieces, reply_markup)


async def on_help(update: Update, context: Context) -> None:
    if update.effective_message:
        admin = service_of(context).is_admin(update.effective_user.id if update.effective_user else None)
        await reply(update.effective_message, [render.render_help(admin)])


async def on_stats(update: Update, context: Context) -> None:
    if update.effective_message:
        stats = await service_of(context).stats(update.effective_user.id if update.effective_user else None)
        await reply(update.effective_message, [render.render_stats(stats)])


async def on_latest(update: Update, context: Context) -> None:
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    latest = await service_of(context).latest(chat.id)
    await reply(message, render.render_latest(latest.articles), render.subscription_keyboard(latest.subscribed))


async def on_subscribe(update: Update, context: Context) -> None:
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    added = await service_of(context).subscribe(chat.id, chat.type, chat_title(chat))
    await reply(message, [texts.SUBSCRIBED if added else texts.ALREADY_SUBSCRIBED])


async def on_unsubscribe(update: Update, context: Context) -> None:
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    removed = await service_of(context).unsubscribe(chat.id)
    await reply(message, [texts.UNSUBSCRIBED if removed else texts.NOT_SUBSCRIBED])


async def on_button(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None:
        return
    if chat is None or query.data not in (render.CALLBACK_SUBSCRIBE, render.CALLBACK_UNSUBSCRIBE):
        await query.answer()
        return
    if query.data == render.CALLBACK_SUBSCRIBE:
        await service_of(context).subscribe(chat.id, chat.type, chat_title(chat))
        notice, subscribed = texts.SUBSCRIBED, True
    else:
        await service_of(context).unsubscribe(chat.id)
        notice, subscribed = texts.UNSUBSCRIBED, False
    await query.answer(notice)
    try:
        await query.edit_message_reply_markup(render.subscription_keyboard(subscribed))
    except BadRequest:
        pass  # "message is not modified" after a double tap, or the message is gone: nothing to fix


async def answer_question(message: Message, chat_id: int, question: str, context: Context) -> None:
    asked = await service_of(context).ask(chat_id, question)
    await reply(message, render.render_asked(asked))


def addressed_text(message: Message, bot_username: str | None, bot_id: int) -> str | None:
    """In a group, the question if the message is meant for the bot (mention or reply), else None."""
    text = message.text or ""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    if bot_username:
        mention = f"@{bot_username}".casefold()
        for entity, value in message.parse_entities([MessageEntity.MENTION]).items():
            if value.casefold() == mention:
                return (text[: entity.offset] + text[entity.offset + entity.length :]).strip()
    return None


async def on_text(update: Update, context: Context) -> None:
    if (where := message_and_chat(update)) is None or where[0].text is None:
        return
    message, chat = where
    if is_private(chat):
        question: str | None = message.text
    else:
        question = addressed_text(message, context.bot.username, context.bot.id)
        if question is None:
            return  # group chatter not meant for the bot
    await answer_question(message, chat.id, question, context)


async def on_ask(update: Update, context: Context) -> None:
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    question = " ".join(context.args or [])
    if not question.strip():
        await reply(message, [render.esc(texts.ASK_USAGE)])
        return
    await answer_question(message, chat.id, question, context)


async def on_non_text(update: Update, context: Context) -> None:
    # In groups people share photos and stickers with each other all the time: stay quiet there.
    if update.effective_message and is_private(update.effective_chat):
        await reply(update.effective_message, [texts.NON_TEXT])


async def on_edited(update: Update, context: Context) -> None:
    # Answering an edit would post a second reply out of order; a private hint is friendlier.
    if update.effective_message and is_private(update.effective_chat):
        await reply(update.effective_message, [texts.EDITED])


async def on_unknown_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if not message or not message.text:
        return
    command = message.text.split(maxsplit=1)[0]
    addressed = "@" in command and context.bot.username and command.casefold().endswith(
        "@" + context.bot.username.casefold()
    )
    if is_private(update.effective_chat) or addressed:
        await reply(message, [texts.UNKNOWN_COMMAND])


async def on_error(update: object, context: Context) -> None:
    """Log what went wrong with enough context to find it, and tell the user when that can help.

    Never raises: an error here would only be logged by PTB without the redaction of the token.
    """
    try:
        await _report_error(update, context)
    except Exception as exc:  # the last line of defence
        log.error("the error handler failed: %s", redact(f"{type(exc).__name__}: {exc}", context.bot.token))


async def _report_error(update: object, context: Context) -> None:
    token = context.bot.token
    error = context.error
    where, chat_id = "no update", None
    if isinstance(update, Update):
        chat_id = update.effective_chat.id if update.effective_chat else None
        kind = next((k for k in ("message", "edited_message", "callback_query") if getattr(update, k)), "other")
        where = f"update {update.update_id} ({kind}, chat {chat_id})"
    if isinstance(error, Forbidden):
        # Blocked, kicked or never started: nobody to tell. Delivery drops its subscription if it has one.
        log.info("%s: chat unreachable: %s", where, redact(error.message, token))
        return
    if isinstance(error, RetryAfter):
        # The rate limiter already waited and retried once; an apology now would hit the same limit.
        log.warning("%s: flood limit from Telegram, reply dropped: %s", where, redact(error.message, token))
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        # TimedOut included: Telegram may still have delivered it. One line is enough, no traceback.
        log.warning("%s: network error replying (%s): %s", where, type(error).__name__, redact(error.message, token))
    else:
        detail = format_exception(error, token) if error is not None else "unknown error"
        log.error("error handling %s:\n%s", where, detail)
    if chat_id is not None:
        try:
            await context.bot.send_message(chat_id, texts.ERROR)
        except TelegramError as exc:
            log.warning("could not tell chat %s about the error: %s", chat_id, redact(str(exc), token))
