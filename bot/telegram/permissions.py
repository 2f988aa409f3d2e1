"""Who may change a chat's subscription: anyone in a private chat; in a group, its administrators as
Telegram reports them (getChatMember), so that one member cannot subscribe everyone to pushes.

A message sent on behalf of a chat (`sender_chat`: an anonymous administrator writing as the group, a
user posting as their own channel, a linked channel's automatic forward) speaks for that chat, not for
a person: its `from` is a placeholder account (GroupAnonymousBot, Channel_Bot, Telegram), so it is
never the user whose rights are checked."""

from __future__ import annotations

import logging

from telegram import Bot, Chat, ChatMember, Update, User
from telegram.error import BadRequest

log = logging.getLogger(__name__)

_ADMIN_STATUSES = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


async def may_change_subscription(bot: Bot, chat: Chat, user: User | None, sender_chat: Chat | None = None) -> bool:
    """Whether `user` (or `sender_chat`) may subscribe or unsubscribe `chat`. Network errors propagate
    (the error handler tells the user to try again); Telegram not knowing the user means no."""
    if chat.type == Chat.PRIVATE:
        return True
    if sender_chat is not None:
        # Only the group itself (an anonymous administrator) speaks for the group; another chat never
        # does, whatever its placeholder `from` is.
        return sender_chat.id == chat.id
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(chat.id, user.id)
    except BadRequest as exc:  # "user not found", "member list is inaccessible"…
        log.info("chat %s: membership of user %s unknown (%s): not allowed", chat.id, user.id, exc.message)
        return False
    return member.status in _ADMIN_STATUSES


def acting_user(update: Update) -> User | None:
    """The person a message or a button press comes from: None for a message sent on behalf of a chat
    (see the module's doc). A button press always names who pressed it."""
    if update.callback_query is None and update.effective_message is not None:
        if update.effective_message.sender_chat is not None:
            return None
    return update.effective_user
