"""Handlers of the admins' commands (NEWSBOT_ADMIN_IDS): feeds managed from Telegram, channels. The service
checks who is asking; anyone else gets a polite refusal."""

from __future__ import annotations

import re

from telegram import Document, InputFile, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.telegram import render_admin, texts
from bot.telegram.context import BotContext as Context
from bot.telegram.handlers import on_non_text, reply
from bot.telegram.permissions import acting_user
from bot.intake.opml import MAX_OPML_BYTES, OPMLError
from bot.telegram.jobs import ensure_feeds_job
from bot.telegram.render import esc
from bot.core.channels import ChannelError, parse_channel
from bot.core.feed_admin import FeedOutcome
from bot.telegram.channels import postable_channel


# A document sent with "/addfeed" (or "/addfeed@thisbot") as its caption.
ADDFEED_CAPTION = re.compile(r"^/addfeed(@\w+)?(\s|$)", re.IGNORECASE)
OPML_FILE_NAME = "newsbot-feeds.opml"


def _user(update: Update) -> int | None:
    """The admin asking: a message sent on behalf of a chat (a channel, an anonymous admin) is nobody's."""
    user = acting_user(update)
    return user.id if user else None


async def on_addfeed(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    url = " ".join(context.args or []).strip()
    if not url:
        attached = message.reply_to_message.document if message.reply_to_message else None
        if attached is not None and context.service.is_admin(_user(update)):
            await _import_document(message, attached, _user(update), context)  # /addfeed in reply to an OPML file
            return
        await reply(message, [esc(texts.ADDFEED_USAGE if context.service.is_admin(_user(update)) else texts.ADMINS_ONLY)])
        return
    change = await context.service.add_feed(_user(update), url)
    if change is not None and change.outcome is FeedOutcome.ADDED:
        ensure_feeds_job(context.application, soon=True)  # polled now and every round, no restart
    await reply(message, [render_admin.render_feed_change(change)])


async def on_removefeed(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    url = " ".join(context.args or []).strip()
    if not url:
        await reply(message, [esc(texts.REMOVEFEED_USAGE if context.service.is_admin(_user(update)) else texts.ADMINS_ONLY)])
        return
    await reply(message, [render_admin.render_feed_change(await context.service.remove_feed(_user(update), url))])


async def on_feeds(update: Update, context: Context) -> None:
    if update.effective_message is not None:
        statuses = await context.service.feed_statuses(_user(update))
        # The list also comes as an OPML file, on request: one tap, for a backup or another reader.
        markup = render_admin.feeds_keyboard() if statuses else None
        await reply(update.effective_message, render_admin.render_feeds(statuses), markup)


async def on_feeds_opml(update: Update, context: Context) -> None:
    """The /feeds button: the followed feeds as an OPML document, for an admin."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None:
        return
    if not context.service.is_admin(_user(update)):
        await query.answer(texts.ADMINS_ONLY, show_alert=True)
        return
    document = await context.service.feeds.export_opml()
    await query.answer()
    await context.bot.send_document(
        chat.id, InputFile(document, filename=OPML_FILE_NAME), caption=esc(texts.FEEDS_OPML_CAPTION))


def _looks_like_opml(document: Document) -> bool:
    name, kind = (document.file_name or "").lower(), (document.mime_type or "").lower()
    return name.endswith((".opml", ".xml")) or "opml" in kind


async def on_document(update: Update, context: Context) -> None:
    """A document in private, or with /addfeed as its caption: an admin's OPML file has every feed in it
    followed; anything else gets the reply to what the bot cannot read (in private) or nothing."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or message.document is None or chat is None:
        return
    command = ADDFEED_CAPTION.match(message.caption or "")
    # "/addfeed@otherbot" is another bot's command.
    asked = command is not None and command.group(1) in (None, f"@{context.bot.username}")
    admin, private = context.service.is_admin(_user(update)), chat.type == ChatType.PRIVATE
    if asked and not admin:
        await reply(message, [esc(texts.ADMINS_ONLY)])
    elif asked or (admin and private and _looks_like_opml(message.document)):
        await _import_document(message, message.document, _user(update), context)
    elif private:
        await on_non_text(update, context)


async def _import_document(message: Message, document: Document, user_id: int | None, context: Context) -> None:
    """Download an admin's OPML file (bounded: its size is checked before and after) and import its feeds."""
    if not context.service.is_admin(user_id):
        await reply(message, [esc(texts.ADMINS_ONLY)])
        return
    if document.file_size is not None and document.file_size > MAX_OPML_BYTES:
        await reply(message, [esc(texts.OPML_TOO_LARGE.format(kb=MAX_OPML_BYTES // 1000))])
        return
    try:
        data = bytes(await (await document.get_file()).download_as_bytearray())
    except TelegramError as exc:
        await reply(message, [esc(texts.OPML_INVALID.format(reason=exc.message[:200]))])
        return
    try:
        # The service's feed list (core/feed_admin.py), as /addfeed uses it; only an admin gets here.
        result = await context.service.feeds.import_opml(data, user_id)
    except OPMLError as exc:
        await reply(message, [esc(texts.OPML_INVALID.format(reason=str(exc)[:200]))])
        return
    if result.added:
        ensure_feeds_job(context.application, soon=True)  # polled now and every round, no restart
    await reply(message, render_admin.render_opml_import(result))


async def on_channel(update: Update, context: Context) -> None:
    """/channel @name [all | topic TEXT | digest [every N | daily H] | off]: post the news in a channel
    where the bot is an administrator (checked with Telegram first)."""
    message = update.effective_message
    if message is None:
        return
    if not context.service.is_admin(_user(update)):
        await reply(message, [esc(texts.ADMINS_ONLY)])
        return
    try:
        request = parse_channel(context.args or [])
    except ChannelError as error:
        await reply(message, [render_admin.render_channel_error(error)])
        return
    channel, problem = await postable_channel(context.bot, request.name)
    if channel is None:
        await reply(message, [esc(problem or texts.CHANNEL_NOT_FOUND)])
        return
    title = channel.title or request.name
    result = await context.service.set_channel(_user(update), channel.id, title, request)
    await reply(message, [render_admin.render_channel(request, title, result)])
