"""Which updates the bot asks Telegram for, and getting past one it cannot read.

`allowed_updates` is read off the registered handlers, so a handler added later (inline queries,
channel posts) extends what polling and the webhook ask for, and nothing else is sent to the bot.

`SkipUnreadable` wraps the getUpdates transport: an update PTB cannot parse (no `date`, no
`message_id`, a malformed entity…) would make PTB's whole getUpdates call fail, and polling would
fetch the same batch again forever, logging the user's text each time. Instead the unreadable update
is replaced by a bare `{"update_id": N}` (which no handler matches, and which moves the offset past
it), and only its id is logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update
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
