"""Handlers of subscriptions: topic alerts (/follow, /following, /unfollow and the remove buttons),
the choice of every article or a digest (/subscribe and its buttons), /digest, inline queries. Thin like the others:
parse, one service call, render."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.core.digests import DEFAULT_TZ, PlanError, parse_plan

from bot.telegram import render_subscriptions as render
from bot.telegram import texts
from bot.telegram.context import BotContext as Context
from bot.telegram.handlers import button_refused_in_group, chat_title, message_and_chat, refused_in_group, reply
from bot.telegram.digests import send_digest_now
from bot.telegram.render import esc, strip_tags
from bot.telegram.render_inline import CACHE_SECONDS, inline_results


async def on_follow(update: Update, context: Context) -> None:
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    topic = " ".join(context.args or [])
    if not topic.strip():
        await reply(message, [esc(texts.FOLLOW_USAGE)])
        return
    if await refused_in_group(update, message, chat, context):
        return
    followed = await context.service.follow(chat.id, topic, chat.type, chat_title(chat))
    await reply(message, [render.render_followed(followed)])


async def on_following(update: Update, context: Context) -> None:
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    topics = await context.service.following(chat.id)
    await reply(message, render.render_following(topics), render.following_keyboard(topics))


async def on_unfollow(update: Update, context: Context) -> None:
    """With a topic, drop it; without one, show the list with its buttons."""
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    topic = " ".join(context.args or [])
    if not topic.strip():
        await on_following(update, context)
        return
    if await refused_in_group(update, message, chat, context):
        return
    dropped = await context.service.unfollow(chat.id, topic)
    text = texts.UNFOLLOWED.format(topic=dropped.text) if dropped else texts.NOT_FOLLOWING
    await reply(message, [esc(text)])


async def on_unfollow_button(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None:
        return
    topic_id = render.unfollow_id(query.data)
    if chat is None or topic_id is None:
        await query.answer()
        return
    if await button_refused_in_group(query, chat, context):
        return
    dropped = await context.service.unfollow(chat.id, topic_id)
    await query.answer(texts.UNFOLLOWED.format(topic=dropped.text) if dropped else texts.NOT_FOLLOWING)
    try:
        await query.edit_message_reply_markup(render.following_keyboard(await context.service.following(chat.id)))
    except BadRequest:
        pass  # "message is not modified" after a double tap, or the message is gone


async def on_subscribe(update: Update, context: Context) -> None:
    """/subscribe: every article (as always) with the choice of a digest instead; with arguments,
    the choice typed (`all`, `every N`, `daily H [Area/City]`)."""
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    if await refused_in_group(update, message, chat, context):
        return
    if not context.args:
        plan, added = await context.service.subscribe_default(chat.id, chat.type, chat_title(chat))
        await reply(message, [render.render_plan(plan, added)], render.plan_keyboard(plan))
        return
    try:
        request = parse_plan(context.args)
    except PlanError as error:
        await reply(message, [render.render_plan_error(error)])
        return
    plan = await context.service.set_plan(chat.id, request, chat.type, chat_title(chat))
    await reply(message, [render.render_plan(plan)], render.plan_keyboard(plan))


async def on_plan_button(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None:
        return
    args = render.plan_callback(query.data)
    if chat is None or args is None:
        await query.answer()
        return
    if await button_refused_in_group(query, chat, context):
        return
    if args == ["daily"]:  # first ask the hour
        plan = await context.service.plan(chat.id)
        await query.answer()
        tz = plan.digest.tz if plan.digest else DEFAULT_TZ
        await _edit(query, esc(texts.PLAN_PICK_HOUR.format(tz=tz)), render.hour_keyboard())
        return
    try:
        request = parse_plan(args)
    except PlanError:
        await query.answer()
        return
    plan = await context.service.set_plan(chat.id, request, chat.type, chat_title(chat))
    text = render.render_plan(plan)
    await query.answer(strip_tags(text)[:200])
    await _edit(query, text, render.plan_keyboard(plan))


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup) -> None:
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest:
        pass  # "message is not modified" after a double tap, or the message is gone


async def on_digest(update: Update, context: Context) -> None:
    """/digest: the chat's digest now (its schedule stays)."""
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    sent = await send_digest_now(context.bot, context.service, chat.id)
    if sent is None:
        await reply(message, [esc(texts.DIGEST_NO_PLAN)])
    elif not sent:
        await reply(message, [esc(texts.DIGEST_NOTHING_NEW)])


async def on_inline(update: Update, context: Context) -> None:
    """@bot سؤال in any chat: cited sentences as inline results; an empty query, the latest headlines."""
    query = update.inline_query
    if query is None:
        return
    found = await context.service.inline(query.query)
    await query.answer(inline_results(found), cache_time=CACHE_SECONDS, is_personal=False)
