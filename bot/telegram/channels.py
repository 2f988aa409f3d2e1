"""Whether the bot may post in a channel: Telegram's getChat and getChatMember, asked once when an
admin points the bot at it (/channel). Later refusals (the bot demoted or removed) come back as 403
on a push, and delivery drops the channel's subscriptions like any chat's."""

from __future__ import annotations

from telegram import Bot, Chat, ChatMemberAdministrator, ChatMemberOwner
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden

from bot.telegram import texts


async def postable_channel(bot: Bot, name: str) -> tuple[Chat | None, str | None]:
    """The channel `name` (@username or -100… id) if the bot is an administrator there allowed to post;
    else None and what to tell the admin."""
    try:
        chat = await bot.get_chat(name)
    except (BadRequest, Forbidden):
        return None, texts.CHANNEL_NOT_FOUND
    if chat.type != ChatType.CHANNEL:
        return None, texts.CHANNEL_NOT_A_CHANNEL
    title = chat.title or name
    try:
        member = await bot.get_chat_member(chat.id, bot.id)
    except (BadRequest, Forbidden):
        return None, texts.CHANNEL_NOT_ADMIN.format(title=title)
    allowed = isinstance(member, ChatMemberOwner) or (
        isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)
    )
    return (chat, None) if allowed else (None, texts.CHANNEL_NOT_ADMIN.format(title=title))
