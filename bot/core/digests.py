"""Digests: when a chat's next digest is due, what a plan request says, and the stories a digest holds.

Times are computed in the chat's time zone (zoneinfo; Asia/Riyadh unless the chat names another) and
stored in UTC. A digest's stories are its articles grouped by story (retrieval's group_stories: the
same wire story from several outlets is one line naming them) and ranked by how many outlets told it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retrieval import Article, StoryText, group_stories

from bot.storage import DigestPlan

DEFAULT_TZ = "Asia/Riyadh"
EVERY_HOURS = (1, 2, 3, 4, 6, 8, 12, 24)  # what "every N hours" accepts: a few messages a day at most
DIGEST_STORIES = 10  # lines in a digest; the rest are counted


@dataclass(frozen=True)
class PlanRequest:
    """What a chat asked for: every article (both None), every N hours, or daily at an hour."""

    every_hours: int | None = None
    at_hour: int | None = None
    tz: str | None = None

    @property
    def every_article(self) -> bool:
        return self.every_hours is None and self.at_hour is None


class PlanError(ValueError):
    """A plan request that cannot be read: `kind` says which part ("usage", "hours", "hour", "tz")."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_HOUR = re.compile(r"^(\d{1,2})(?::00)?$")


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        raise PlanError("tz") from None


def parse_plan(args: list[str]) -> PlanRequest:
    """`all` | `every N` | `daily H [Area/City]`, in English or Arabic (كل، كل N، يوميا H)."""
    words = [a.translate(_ARABIC_DIGITS).strip().lower() for a in args if a.strip()]
    if words in (["all"], ["كل"], ["الكل"]):
        return PlanRequest()
    if len(words) == 2 and words[0] in ("every", "كل"):
        hours = words[1].removesuffix("h")
        if not hours.isdigit() or int(hours) not in EVERY_HOURS:
            raise PlanError("hours")
        return PlanRequest(every_hours=int(hours))
    if len(words) in (2, 3) and words[0] in ("daily", "يوميا", "يوميًا"):
        found = _HOUR.match(words[1])
        if not found or int(found.group(1)) > 23:
            raise PlanError("hour")
        tz = args[-1].strip() if len(words) == 3 else None
        if tz is not None:
            zone(tz)
        return PlanRequest(at_hour=int(found.group(1)), tz=tz)
    raise PlanError("usage")


def next_due(every_hours: int | None, at_hour: int | None, tz: str, now: datetime) -> datetime:
    """When the next digest is due after `now` (aware, UTC)."""
    if every_hours is not None:
        return now + timedelta(hours=every_hours)
    assert at_hour is not None
    local = now.astimezone(zone(tz))
    due = local.replace(hour=at_hour, minute=0, second=0, microsecond=0)
    if due <= local:
        # The same wall-clock hour tomorrow, whatever a DST change does to the day's length.
        due = (local + timedelta(days=1)).replace(hour=at_hour, minute=0, second=0, microsecond=0)
    return due.astimezone(timezone.utc)


def plan_due(plan: DigestPlan, now: datetime) -> datetime:
    return next_due(plan.every_hours, plan.at_hour, plan.tz, now)


@dataclass(frozen=True)
class Story:
    """One story: the articles telling it, the first being the one whose title is shown."""

    articles: tuple[Article, ...]

    @property
    def outlets(self) -> int:
        return len({a.source for a in self.articles})


def _published(article: Article) -> float:
    if article.published is None:
        return float("-inf")
    value = article.published
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()


def top_stories(articles: list[Article]) -> list[Story]:
    """`articles` grouped by story, the most widely told first, then the newest."""
    texts = [StoryText(a.title, a.sentences[0] if a.sentences else "") for a in articles]
    stories = [Story(tuple(articles[i] for i in group)) for group in group_stories(texts)]
    return sorted(stories, key=lambda s: (-s.outlets, -max(_published(a) for a in s.articles)))
