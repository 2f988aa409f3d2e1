"""Telegram handlers: parse the update, call the service once, send what render made. Nothing more."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Chat, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot import render, texts
from bot.logs import format_exception, redact
from bot.service import MAX_QUESTION_CHARS, NewsService, Refusal

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
SERVICE_KEY = "service"


def service_of(context: Context) -> NewsService:
    return context.application.bot_data[SERVICE_KEY]


def is_private(chat: Chat | None) -> bool:
    return chat is not None and chat.type == ChatType.PRIVATE


async def send(message: Message, pieces: list[str], reply_markup: Any = None) -> None:
    """Reply with each piece; a keyboard goes on the last one."""
    for i, piece in enumerate(pieces):
        await message.reply_text(piece, reply_markup=reply_markup if i == len(pieces) - 1 else None)


async def on_help(update: Update, context: Context) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(texts.HELP_HTML)


async def on_latest(update: Update, context: Context) -> None:
    message, chat = update.effective_message, update.effective_chat
    if not message or not chat:
        return
    service = service_of(context)
    articles = await service.latest()
    subscribed = await service.is_subscribed(chat.id)
    await send(message, render.render_latest(articles), render.subscription_keyboard(subscribed))


async def on_subscribe(update: Update, context: Context) -> None:
    message, chat = update.effective_message, update.effective_chat
    if not message or not chat:
        return
    added = await service_of(context).subscribe(chat.id, chat.type, chat.title or chat.full_name)
    await message.reply_text(texts.SUBSCRIBED if added else texts.ALREADY_SUBSCRIBED)


async def on_unsubscribe(update: Update, context: Context) -> None:
    message, chat = update.effective_message, update.effective_chat
    if not message or not chat:
        return
    removed = await service_of(context).unsubscribe(chat.id)
    await message.reply_text(texts.UNSUBSCRIBED if removed else texts.NOT_SUBSCRIBED)


async def on_button(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None:
        return
    if chat is None or query.data not in (render.CALLBACK_SUBSCRIBE, render.CALLBACK_UNSUBSCRIBE):
        await query.answer()
        return
    service = service_of(context)
    if query.data == render.CALLBACK_SUBSCRIBE:
        await service.subscribe(chat.id, chat.type, chat.title or chat.full_name)
        notice, subscribed = texts.SUBSCRIBED, True
    else:
        await service.unsubscribe(chat.id)
        notice, subscribed = texts.UNSUBSCRIBED, False
    await query.answer(notice)
    try:
        await query.edit_message_reply_markup(render.subscription_keyboard(subscribed))
    except BadRequest:
        pass  # "message is not modified" after a double tap, or the message is gone: nothing to fix


async def answer_question(message: Message, chat_id: int, question: str, context: Context) -> None:
    asked = await service_of(context).ask(chat_id, question)
    if asked.reply is None:
        text = texts.EMPTY_QUESTION if asked.refusal is Refusal.EMPTY else texts.NOT_ARABIC
        await message.reply_text(render.esc(text))
        return
    truncated_at = MAX_QUESTION_CHARS if asked.truncated else None
    await send(message, render.render_reply(asked.reply, truncated_at=truncated_at))


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
    message, chat = update.effective_message, update.effective_chat
    if not message or not chat or message.text is None:
        return
    if is_private(chat):
        question: str | None = message.text
    else:
        question = addressed_text(message, context.bot.username, context.bot.id)
        if question is None:
            return  # group chatter not meant for the bot
    await answer_question(message, chat.id, question, context)


async def on_ask(update: Update, context: Context) -> None:
    message, chat = update.effective_message, update.effective_chat
    if not message or not chat:
        return
    question = " ".join(context.args or [])
    if not question.strip():
        await message.reply_text(render.esc(texts.ASK_USAGE))
        return
    await answer_question(message, chat.id, question, context)


async def on_non_text(update: Update, context: Context) -> None:
    # In groups people share photos and stickers with each other all the time: stay quiet there.
    if update.effective_message and is_private(update.effective_chat):
        await update.effective_message.reply_text(texts.NON_TEXT)


async def on_edited(update: Update, context: Context) -> None:
    # Answering an edit would post a second reply out of order; a private hint is friendlier.
    if update.effective_message and is_private(update.effective_chat):
        await update.effective_message.reply_text(texts.EDITED)


async def on_unknown_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if not message or not message.text:
        return
    command = message.text.split(maxsplit=1)[0]
    addressed = "@" in command and context.bot.username and command.casefold().endswith(
        "@" + context.bot.username.casefold()
    )
    if is_private(update.effective_chat) or addressed:
        await message.reply_text(texts.UNKNOWN_COMMAND)


async def on_error(update: object, context: Context) -> None:
    token = context.bot.token if context.application else None
    where = "no update"
    chat_id = None
    if isinstance(update, Update):
        chat_id = update.effective_chat.id if update.effective_chat else None
        kind = next((k for k in ("message", "edited_message", "callback_query") if getattr(update, k)), "other")
        where = f"update {update.update_id} ({kind}, chat {chat_id})"
    error = context.error
    detail = format_exception(error, token) if error is not None else "unknown error"
    log.error("error handling %s:\n%s", where, redact(detail, token))
    if chat_id is not None:
        try:
            await context.bot.send_message(chat_id, texts.ERROR)
        except TelegramError as exc:
            log.warning("could not tell chat %s about the error: %s", chat_id, redact(str(exc), token))
