"""Which updates the bot asks Telegram for, and getting past one it cannot read.

`allowed_updates` is read off the registered handlers, so a handler added later (inline queries,
channel posts) extends what polling and the webhook ask for, and nothing else is sent to the bot.

`SkipUnreadable` wraps the getUpdates transport: an update PTB cannot parse (no `date`, no
`message_id`, a malformed entity…) would make PTB's whole getUpdates call fail, and polling would
fetch the same batch again forever, logging the user's text each time. Instead the unreadable update
is replaced by a bare `{"update_id": N}` (which no handler matches, and which moves the offset past
it), and only its id is logged.

`UpdateGuard` is the first handler every update meets (group -1), however it came (polling, the
webhook, the console): PTB builds objects from whatever the JSON holds without checking the types of
most fields, so a `text` that is a number or a list, a message without a chat, a button press whose
message has no chat, an inline query whose text is not a string or a membership change without its
chat would trip a filter or a handler further on. `malformed` says what is wrong with such an update;
the guard's callback (handlers.on_malformed) then logs it in one line and stops it there.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, Chat, ChatMemberUpdated, InlineQuery, Message, MessageEntity, Update, User
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    ConversationHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

# What a message handler can see when its filters do not narrow it down (business messages are left
# out: the bot is not a business bot).
_ANY_MESSAGE = frozenset({Update.MESSAGE, Update.EDITED_MESSAGE, Update.CHANNEL_POST, Update.EDITED_CHANNEL_POST})
_UPDATE_TYPE_FILTERS: dict[filters.BaseFilter, frozenset[str]] = {
    filters.UpdateType.MESSAGE: frozenset({Update.MESSAGE}),
    filters.UpdateType.EDITED_MESSAGE: frozenset({Update.EDITED_MESSAGE}),
    filters.UpdateType.MESSAGES: frozenset({Update.MESSAGE, Update.EDITED_MESSAGE}),
    filters.UpdateType.CHANNEL_POST: frozenset({Update.CHANNEL_POST}),
    filters.UpdateType.EDITED_CHANNEL_POST: frozenset({Update.EDITED_CHANNEL_POST}),
    filters.UpdateType.CHANNEL_POSTS: frozenset({Update.CHANNEL_POST, Update.EDITED_CHANNEL_POST}),
    filters.UpdateType.EDITED: frozenset({Update.EDITED_MESSAGE, Update.EDITED_CHANNEL_POST}),
}


def _narrowed(f: filters.BaseFilter) -> frozenset[str] | None:
    """The update types a filter can pass, when its UpdateType parts say so; None: any message."""
    if f in _UPDATE_TYPE_FILTERS:
        return _UPDATE_TYPE_FILTERS[f]
    base = getattr(f, "base_filter", None)
    if base is not None and getattr(f, "and_filter", None) is not None:
        left, right = _narrowed(base), _narrowed(f.and_filter)  # type: ignore[attr-defined]
        if left is None or right is None:
            return left if right is None else right
        return left & right
    if base is not None and getattr(f, "or_filter", None) is not None:
        left, right = _narrowed(base), _narrowed(f.or_filter)  # type: ignore[attr-defined]
        return None if left is None or right is None else left | right
    return None  # a plain filter, a negation or an exclusive or: no narrowing claimed


def _handled(handler: BaseHandler[Any, Any, Any]) -> frozenset[str]:
    if isinstance(handler, UpdateGuard):
        return frozenset()  # it stops bad updates of the kinds the others ask for; it asks for none itself
    if isinstance(handler, (MessageHandler, CommandHandler)):
        return _narrowed(handler.filters) or _ANY_MESSAGE
    if isinstance(handler, CallbackQueryHandler):
        return frozenset({Update.CALLBACK_QUERY})
    if isinstance(handler, InlineQueryHandler):
        return frozenset({Update.INLINE_QUERY})
    if isinstance(handler, ChosenInlineResultHandler):
        return frozenset({Update.CHOSEN_INLINE_RESULT})
    if isinstance(handler, ChatMemberHandler):
        kinds = {ChatMemberHandler.MY_CHAT_MEMBER: {Update.MY_CHAT_MEMBER},
                 ChatMemberHandler.CHAT_MEMBER: {Update.CHAT_MEMBER}}
        return frozenset(kinds.get(handler.chat_member_types, {Update.MY_CHAT_MEMBER, Update.CHAT_MEMBER}))
    if isinstance(handler, ConversationHandler):
        inner = [*handler.entry_points, *handler.fallbacks, *(h for hs in handler.states.values() for h in hs)]
        return frozenset().union(*(_handled(h) for h in inner))
    # A new kind of handler must be added above, or Telegram would never send it anything.
    raise TypeError(f"allowed_updates: no update types known for {type(handler).__name__}")


def allowed_updates(application: Application[Any, Any, Any, Any, Any, Any]) -> list[str]:
    """The update types the registered handlers can take, for getUpdates and setWebhook."""
    kinds: set[str] = set()
    for group in application.handlers.values():
        for handler in group:
            kinds |= _handled(handler)
    return sorted(kinds)


def readable_updates(payload: bytes) -> bytes:
    """A getUpdates answer with every update PTB cannot parse replaced by its bare id."""
    try:
        answer = json.loads(payload)
    except ValueError:
        return payload  # PTB reports an unreadable answer as a whole
    result = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(result, list):
        return payload
    kept: list[Any] = []
    for raw in result:
        try:
            Update.de_json(raw, None)
        except Exception as exc:  # whatever PTB's parser trips on: the update cannot be used
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if isinstance(update_id, int):
                # Its id only: the rest is the user's message.
                log.warning("update %d could not be read (%s): skipped", update_id, type(exc).__name__)
                kept.append({"update_id": update_id})
            else:
                log.warning("an update without an id could not be read (%s): dropped", type(exc).__name__)
            continue
        kept.append(raw)
    if len(kept) == len(result) and all(a is b for a, b in zip(kept, result)):
        return payload
    answer["result"] = kept
    return json.dumps(answer).encode()


class SkipUnreadable(BaseRequest):
    """A transport for getUpdates that hands PTB only updates it can parse (see the module's doc)."""

    def __init__(self, inner: BaseRequest) -> None:
        self._inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **timeouts: Any
    ) -> tuple[int, bytes]:
        code, payload = await self._inner.do_request(url, method, request_data, **timeouts)
        if code == 200 and url.rstrip("/").endswith("/getUpdates"):
            payload = readable_updates(payload)
        return code, payload


# What is wrong with an update ----------------------------------------------------------------------

_MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


@dataclass(frozen=True)
class Malformed:
    kind: str  # "message", "callback_query"…
    reason: str  # for the log: what is wrong, never the content
    chat_id: int | None = None  # the chat it came from, when that much is usable
    readable_chat: bool = False  # a message in a usable chat whose content is not: the user can be told


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _chat_problem(chat: object) -> str | None:
    if not isinstance(chat, Chat):
        return "no chat"
    if not _int(chat.id) or not isinstance(chat.type, str):
        return "a chat without a numeric id or a type"
    return None


def _user_problem(user: object, what: str) -> str | None:
    if user is not None and (not isinstance(user, User) or not _int(user.id)):
        return f"{what} without a numeric id"
    return None


def _entities_problem(entities: object) -> str | None:
    for entity in entities if isinstance(entities, (tuple, list)) else ():
        if not isinstance(entity, MessageEntity) or not (_int(entity.offset) and _int(entity.length)):
            return "an entity without a numeric offset and length"
        if entity.offset < 0 or entity.length < 0:
            return "an entity with a negative offset or length"
    return None


def _message_problem(kind: str, message: Message) -> Malformed | None:
    chat_problem = _chat_problem(message.chat)
    if chat_problem is not None:
        return Malformed(kind, chat_problem)
    chat_id = message.chat.id
    unusable = _user_problem(message.from_user, "a sender")
    if unusable is None and message.sender_chat is not None:
        unusable = _chat_problem(message.sender_chat) and "a sender chat without a numeric id or a type"
    if unusable is None and not _int(message.message_id):
        unusable = "no numeric message id"
    if unusable is not None:
        return Malformed(kind, unusable, chat_id)
    for field in ("text", "caption"):
        value = getattr(message, field)
        if value is not None and not isinstance(value, str):
            return Malformed(kind, f"its {field} is not a string ({type(value).__name__})", chat_id, True)
    content = _entities_problem(message.entities) or _entities_problem(message.caption_entities)
    return Malformed(kind, content, chat_id, True) if content else None


def _query_problem(query: CallbackQuery) -> Malformed | None:
    reason = _user_problem(query.from_user, "a sender") or (None if query.from_user else "no sender")
    if reason is None and query.data is not None and not isinstance(query.data, str):
        reason = f"its data is not a string ({type(query.data).__name__})"
    if reason is None and isinstance(query.message, Message):  # else none, or one Telegram no longer has
        reason = _chat_problem(query.message.chat)
    return Malformed("callback_query", reason) if reason else None


def _inline_problem(query: InlineQuery) -> Malformed | None:
    reason = _user_problem(query.from_user, "a sender") or (None if query.from_user else "no sender")
    if reason is None and not isinstance(query.query, str):
        reason = f"its text is not a string ({type(query.query).__name__})"
    if reason is None and not isinstance(query.id, str):
        reason = "no query id"
    return Malformed("inline_query", reason) if reason else None


def _member_problem(kind: str, change: ChatMemberUpdated) -> Malformed | None:
    reason = _chat_problem(change.chat)
    chat_id = change.chat.id if reason is None else None
    if reason is None and not isinstance(getattr(change.new_chat_member, "status", None), str):
        reason = "no new membership status"
    return Malformed(kind, reason, chat_id) if reason else None


def malformed(update: Update) -> Malformed | None:
    """What is wrong with the parts of `update` the bot reads, or None when it can be handled."""
    for kind in _MESSAGE_KINDS:
        message = getattr(update, kind)
        if message is not None:
            return _message_problem(kind, message)
    if update.callback_query is not None:
        return _query_problem(update.callback_query)
    if update.inline_query is not None:
        return _inline_problem(update.inline_query)
    for kind in ("my_chat_member", "chat_member"):
        change = getattr(update, kind)
        if change is not None:
            return _member_problem(kind, change)
    return None


class UpdateGuard(BaseHandler[Update, Any, None]):
    """Takes (in group -1) only the updates `malformed` finds fault with; its callback must end them
    with ApplicationHandlerStop. Well-formed updates pass on to the bot's handlers untouched."""

    def check_update(self, update: object) -> bool:
        return isinstance(update, Update) and malformed(update) is not None
