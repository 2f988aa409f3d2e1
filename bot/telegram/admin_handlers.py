"""Handlers of the admins' commands (NEWSBOT_ADMIN_IDS): feeds managed from Telegram, channels. The service
checks who is asking; anyone else gets a polite refusal."""

from __future__ import annotations

from telegram import Update

from bot.telegram import render_admin, texts
from bot.telegram.context import BotContext as Context
from bot.telegram.handlers import reply
from bot.telegram.permissions import acting_user
from bot.telegram.jobs import ensure_feeds_job
from bot.telegram.render import esc
from bot.core.channels import ChannelError, parse_channel
from bot.core.feed_admin import FeedOutcome
from bot.telegram.channels import postable_channel


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
        await reply(update.effective_message, render_admin.render_feeds(statuses))


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
