"""Telegram's flood limits, kept per chat.

PTB's AIORateLimiter waits out a 429 (RetryAfter) by clearing one event that every request of the bot
waits on, so one chat's flood limit (say 20 s on a busy group) held up every other chat's replies and
pushes for as long. Here the limits Telegram sets for the whole bot stay shared (~30 messages/s,
NEWSBOT_SEND_RATE) and those for one group stay with it (20 a minute), as in AIORateLimiter; a
RetryAfter is remembered for its chat alone: later requests to that chat wait until it is over, the
others go on.

How long a request may wait for its chat is its `rate_limit_args` (PTB passes it from every bot method):
a reply waits (and retries once), a push does not (`STEP_ASIDE`): it gets the RetryAfter at once, so
the delivery can let that chat's push wait aside while it goes on with the other chats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from enum import Enum
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import constants
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# A reply may wait this long in all for its chat's flood limit; past it the RetryAfter goes to the
# caller (the error handler drops the reply rather than answer minutes late).
REPLY_PATIENCE_SECONDS = 30.0
# Chats remembered at most (flood limits over are forgotten first), as AIORateLimiter keeps its groups.
MAX_CHATS = 512

ChatKey = int | str | None  # a chat id, an @username, or None for calls that name no chat

Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


class Flood(Enum):
    """What a request does when its chat is flood-limited (its `rate_limit_args`)."""

    WAIT = "wait"  # wait it out (up to REPLY_PATIENCE_SECONDS) and retry: replies, the default
    STEP_ASIDE = "step aside"  # raise RetryAfter at once, without a retry: pushes, which wait aside


def _chat_key(chat_id: object) -> ChatKey:
    if chat_id is None:
        return None
    with contextlib.suppress(ValueError, TypeError):
        return int(chat_id)  # type: ignore[call-overload]
    return str(chat_id)


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram said to wait, in seconds."""
    with warnings.catch_warnings():
        # PTB 22 warns that the attribute becomes a timedelta; both are handled.
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class ChatRateLimiter(BaseRateLimiter[Flood]):
    """AIORateLimiter's overall and per-group limits; a flood limit (RetryAfter) holds only its chat."""

    def __init__(
        self,
        overall_max_rate: float = constants.FloodLimit.MESSAGES_PER_SECOND,
        group_max_rate: float = constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        group_time_period: float = 60,
        max_retries: int = 1,
    ) -> None:
        self._overall = AsyncLimiter(overall_max_rate, 1) if overall_max_rate else None
        self._paid = AsyncLimiter(constants.FloodLimit.PAID_MESSAGES_PER_SECOND, 1)
        self._group_rate, self._group_period = group_max_rate, group_time_period
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._max_retries = max_retries
        self._flooded: dict[ChatKey, float] = {}  # chat -> the loop time its flood limit ends

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def flood_wait(self, chat_id: object) -> float:
        """Seconds until the chat's flood limit is over (0 when it is not flood-limited)."""
        key = _chat_key(chat_id)
        until = self._flooded.get(key)
        if until is None:
            return 0.0
        left = until - asyncio.get_running_loop().time()
        if left <= 0:
            del self._flooded[key]
            return 0.0
        return left

    def _note(self, key: ChatKey, exc: RetryAfter) -> None:
        now = asyncio.get_running_loop().time()
        if len(self._flooded) >= MAX_CHATS:
            for other in [k for k, until in self._flooded.items() if until <= now]:
                del self._flooded[other]
        self._flooded[key] = max(self._flooded.get(key, now), now + retry_seconds(exc))

    def _group(self, key: ChatKey) -> AsyncLimiter | None:
        # Groups and channels: negative ids and @usernames (as AIORateLimiter tells them apart).
        if not self._group_rate or key is None or (isinstance(key, int) and key > 0):
            return None
        if key not in self._groups:
            if len(self._groups) > MAX_CHATS:
                for other in [k for k, limiter in self._groups.items() if limiter.has_capacity(limiter.max_rate)]:
                    del self._groups[other]
            self._groups[key] = AsyncLimiter(self._group_rate, self._group_period)
        return self._groups[key]

    async def _send(self, key: ChatKey, paid: bool, callback: Callback, args: Any, kwargs: dict[str, Any]) -> Any:
        if paid:
            async with self._paid:
                return await callback(*args, **kwargs)
        group = self._group(key)
        overall = self._overall if key is not None else None  # as AIORateLimiter: calls naming a chat
        async with group or contextlib.nullcontext(), overall or contextlib.nullcontext():
            return await callback(*args, **kwargs)

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Flood | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        key = _chat_key(data.get("chat_id"))
        paid = bool(data.get("allow_paid_broadcast", False))
        aside = rate_limit_args is Flood.STEP_ASIDE
        waited = 0.0
        for attempt in range(1 + (0 if aside else self._max_retries)):
            wait = self.flood_wait(key)
            if wait > 0:
                if aside or waited + wait > REPLY_PATIENCE_SECONDS:
                    raise RetryAfter(max(1, math.ceil(wait)))
                await asyncio.sleep(wait)  # this request only; other chats' go on meanwhile
                waited += wait
            try:
                return await self._send(key, paid, callback, args, kwargs)
            except RetryAfter as exc:
                self._note(key, exc)
                log.info("%s: flood limit for chat %s, %.0fs", endpoint, key, retry_seconds(exc))
                if aside or attempt == self._max_retries:
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")
