"""Telegram handlers: parse the update, call the service once, send what render made. Nothing more.

Which handler sees which update is decided by PTB filters where the handlers are registered
(bot/telegram/app.py, with the bot's own filters in bot/telegram/routing.py), not by checks in here.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Chat, ChatMember, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.logs import format_exception, redact
from bot.core.results import Asked
from bot.telegram import render, render_chat, texts
from bot.telegram.context import BotContext as Context
from bot.telegram.permissions import acting_user, may_change_subscription
from bot.telegram.routing import question_for_bot
from bot.telegram.sending import send_pieces
from bot.telegram.updates import malformed

log = logging.getLogger(__name__)


def message_and_chat(update: Update) -> tuple[Message, Chat] | None:
    message, chat = update.effective_message, update.effective_chat
    return (message, chat) if message is not None and chat is not None else None


def chat_title(chat: Chat) -> str | None:
    return chat.title or chat.full_name


async def reply(message: Message, pieces: list[str], reply_markup: InlineKeyboardMarkup | None = None) -> None:
    await send_pieces(message.reply_text, pieces, reply_markup)


async def refused_in_group(update: Update, message: Message, chat: Chat, context: Context) -> bool:
    """True, after saying so, when someone who is not an administrator of a group tries to change what
    the group receives (subscription, plan, topics): one member must not sign everyone up to pushes."""
    if await may_change_subscription(context.bot, chat, update.effective_user, message.sender_chat):
        return False
    await reply(message, [texts.GROUP_ADMINS_ONLY])
    return True


async def button_refused_in_group(query: CallbackQuery, chat: Chat, context: Context) -> bool:
    """The same check for a button pressed in a group: the refusal is an alert on the button."""
    if await may_change_subscription(context.bot, chat, query.from_user):
        return False
    await query.answer(texts.GROUP_ADMINS_ONLY, show_alert=True)
    return True


async def on_help(update: Update, context: Context) -> None:
    if update.effective_message:
        user = acting_user(update)
        admin = context.service.is_admin(user.id if user else None)
        await reply(update.effective_message, [render.render_help(admin)])


async def on_stats(update: Update, context: Context) -> None:
    if update.effective_message:
        user = acting_user(update)
        stats = await context.service.stats(user.id if user else None)
        await reply(update.effective_message, [render.render_stats(stats)])


async def on_latest(update: Update, context: Context) -> None:
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    latest = await context.service.latest(chat.id)
    await reply(message, render.render_latest(latest.articles), render.subscription_keyboard(latest.subscribed))


async def on_unsubscribe(update: Update, context: Context) -> None:
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    if await refused_in_group(update, message, chat, context):
        return
    removed = await context.service.unsubscribe(chat.id)
    await reply(message, [texts.UNSUBSCRIBED if removed else texts.NOT_SUBSCRIBED])


async def on_button(update: Update, context: Context) -> None:
    query, chat = update.callback_query, update.effective_chat
    if query is None:
        return
    if chat is None or query.data not in (render.CALLBACK_SUBSCRIBE, render.CALLBACK_UNSUBSCRIBE):
        await query.answer()
        return
    if await button_refused_in_group(query, chat, context):
        return
    if query.data == render.CALLBACK_SUBSCRIBE:
        await context.service.subscribe(chat.id, chat.type, chat_title(chat))
        notice, subscribed = texts.SUBSCRIBED, True
    else:
        await context.service.unsubscribe(chat.id)
        notice, subscribed = texts.UNSUBSCRIBED, False
    await query.answer(notice)
    try:
        await query.edit_message_reply_markup(render.subscription_keyboard(subscribed))
    except BadRequest:
        pass  # "message is not modified" after a double tap, or the message is gone: nothing to fix


async def on_my_status(update: Update, context: Context) -> None:
    """The bot's own membership changed: blocked in a private chat ("kicked"), or removed from a group."""
    change = update.my_chat_member
    if change is not None and change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT):
        await context.service.forget_chat(change.chat.id)


# Who reads each turn's result besides the chat: the console's --json mode sets a callable here
# (bot_data[TURN_OBSERVER](chat_id, asked)); the bot on Telegram sets none.
TURN_OBSERVER = "turn_observer"


def _observe(context: Context, chat_id: int, asked: Asked) -> None:
    observer = context.bot_data.get(TURN_OBSERVER)
    if observer is not None:
        observer(chat_id, asked)


async def answer_question(message: Message, chat: Chat, question: str, context: Context) -> None:
    """A turn of the conversation: small talk, a question, or a follow-up read with the last topic
    (of the chat; of the member who asks, in groups)."""
    user = message.from_user.id if message.from_user else None
    asked = await context.service.converse(chat.id, user, question, private=chat.type == Chat.PRIVATE)
    _observe(context, chat.id, asked)
    await reply(message, render_chat.render_turn(asked), render_chat.answer_keyboard(asked.reply, asked.rows, asked.more))


async def on_private_text(update: Update, context: Context) -> None:
    """Any text in a private chat is a question."""
    if (where := message_and_chat(update)) is not None and where[0].text is not None:
        await answer_question(where[0], where[1], where[0].text, context)


async def on_group_text(update: Update, context: Context) -> None:
    """A group message the routing filter found addressed to the bot: the question without the mention."""
    if (where := message_and_chat(update)) is not None:
        question = question_for_bot(where[0])
        if question is not None:
            await answer_question(where[0], where[1], question, context)


async def on_ask(update: Update, context: Context) -> None:
    if (where := message_and_chat(update)) is None:
        return
    message, chat = where
    question = " ".join(context.args or [])
    if not question.strip():
        await reply(message, [render.esc(texts.ASK_USAGE)])
        return
    await answer_question(message, chat, question, context)


async def on_answer_button(update: Update, context: Context) -> None:
    """"More" and "source" under an answer: everything needed is in the button's data, so a button
    from before a restart works the same."""
    query, chat = update.callback_query, update.effective_chat
    if query is None:
        return
    parsed = render_chat.parse_button(query.data)
    await query.answer()
    if parsed is None or chat is None:
        return
    kind, number, rest = parsed
    send = lambda text, **kw: context.bot.send_message(chat.id, text, **kw)  # noqa: E731
    if kind == render_chat.CALLBACK_SOURCE:
        await send_pieces(send, render_chat.render_source(await context.service.source(number), int(rest)))
        return
    asked = await context.service.more(rest, number)
    _observe(context, chat.id, asked)
    keyboard = render_chat.answer_keyboard(asked.reply, asked.rows, asked.more, number + 1)
    await send_pieces(send, render_chat.render_more(asked.reply) if asked.reply else [], keyboard)


async def on_non_text(update: Update, context: Context) -> None:
    # Routed from private chats only: in groups people share photos and stickers with each other.
    if update.effective_message:
        await reply(update.effective_message, [texts.NON_TEXT])


async def on_edited(update: Update, context: Context) -> None:
    # Answering an edit would post a second reply out of order; a private hint is friendlier.
    if update.effective_message:
        await reply(update.effective_message, [texts.EDITED])


async def on_unknown_command(update: Update, context: Context) -> None:
    # Routed from private chats, or groups when the command names this bot (/foo@thisbot).
    if update.effective_message:
        await reply(update.effective_message, [texts.UNKNOWN_COMMAND])


async def on_malformed(update: Update, context: Context) -> None:
    """An update whose parts are not what the Bot API promises (routed by UpdateGuard, before every
    other handler): one log line without its content; a private chat whose message the bot cannot read
    gets the polite reply for that (groups: silence, as for stickers); a button press is answered so
    its spinner stops. Nothing else sees the update."""
    problem = malformed(update)
    if problem is not None:
        log.warning("update %s (%s, chat %s) skipped: %s",
                    update.update_id, problem.kind, problem.chat_id, problem.reason)
        message = update.message or update.edited_message
        try:
            if problem.readable_chat and message is not None and message.chat.type == Chat.PRIVATE:
                await reply(message, [texts.NON_TEXT])
            elif update.callback_query is not None and isinstance(update.callback_query.id, str):
                await update.callback_query.answer()
        except TelegramError as exc:  # the update must still stop here: the handlers after would trip on it
            log.info("update %s: could not answer it: %s", update.update_id, redact(str(exc), context.bot.token))
    raise ApplicationHandlerStop


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
