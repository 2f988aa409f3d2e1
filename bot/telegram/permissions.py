"""Who may change a chat's subscription: anyone in a private chat; in a group, its administrators as
Telegram reports them (getChatMember), so that one member cannot subscribe everyone to pushes."""

from __future__ import annotations

import logging

from telegram import Bot, Chat, ChatMember, User
from telegram.error import BadRequest

log = logging.getLogger(__name__)

_ADMIN_STATUSES = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


async def may_change_subscription(bot: Bot, chat: Chat, user: User | None, sender_chat: Chat | None = None) -> bool:
    """Whether `user` (or `sender_chat`) may subscribe or unsubscribe `chat`. Network errors propagate
    (the error handler tells the user to try again); Telegram not knowing the user means no."""
    if chat.type == Chat.PRIVATE:
        return True
    if sender_chat is not None and sender_chat.id == chat.id:
        return True  # an anonymous administrator writes as the group itself
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(chat.id, user.id)
    except BadRequest as exc:  # "user not found", "member list is inaccessible"…
        log.info("chat %s: membership of user %s unknown (%s): not allowed", chat.id, user.id, exc.message)
        return False
    return member.status in _ADMIN_STATUSES
