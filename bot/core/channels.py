"""Channels the bot posts to (an admin's /channel @name [all | topic TEXT | digest [every N | daily H] | off]).

A channel is a chat like any other to the subscriptions: every article, a topic, or a digest, through
the same delivery path. Only what the command asks is read here; that the bot may post there is
checked with Telegram by the adapter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.digests import PlanError, PlanRequest, parse_plan

_NAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$|^-100\d{6,15}$")
DEFAULT_DIGEST = PlanRequest(every_hours=6)


@dataclass(frozen=True)
class ChannelRequest:
    name: str  # @username, or a -100… id for a private channel
    kind: str  # "all" | "topic" | "digest" | "off"
    topic: str = ""
    plan: PlanRequest = PlanRequest()


class ChannelError(ValueError):
    """`kind`: "usage", "name", or a PlanError's kind for a digest's schedule."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def parse_channel(args: list[str]) -> ChannelRequest:
    if not args:
        raise ChannelError("usage")
    name, rest = args[0].strip(), [a for a in args[1:] if a.strip()]
    if not _NAME.match(name):
        raise ChannelError("name")
    kind = rest[0].lower() if rest else "all"
    if kind == "all" and len(rest) <= 1:
        return ChannelRequest(name, "all")
    if kind == "off" and len(rest) == 1:
        return ChannelRequest(name, "off")
    if kind == "topic" and len(rest) > 1:
        return ChannelRequest(name, "topic", topic=" ".join(rest[1:]))
    if kind == "digest":
        try:
            plan = parse_plan(rest[1:]) if len(rest) > 1 else DEFAULT_DIGEST
        except PlanError as exc:
            raise ChannelError(exc.kind) from None
        if plan.every_article:
            raise ChannelError("usage")
        return ChannelRequest(name, "digest", plan=plan)
    raise ChannelError("usage")
