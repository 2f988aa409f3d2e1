"""Feeds managed from Telegram by the admins: /addfeed (validated by fetching it once), /removefeed,
/feeds. Added feeds are stored and polled with NEWSBOT_FEEDS by the running bot, without a restart."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.settings import Settings
from bot.storage import FeedState, Storage

MAX_URL = 2000


class FeedOutcome(Enum):
    ADDED = "added"
    EXISTS = "exists"
    INVALID = "invalid"
    REMOVED = "removed"
    CONFIGURED = "configured"  # in NEWSBOT_FEEDS: removed there, not from a chat
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class FeedChange:
    outcome: FeedOutcome
    title: str | None = None
    entries: int = 0
    reason: str | None = None


@dataclass(frozen=True)
class FeedStatus:
    url: str
    state: FeedState | None  # None until its first poll
    added: bool  # from Telegram (else NEWSBOT_FEEDS)


class FeedAdmin:
    def __init__(self, storage: Storage, settings: Settings, added: list[str]) -> None:
        self.storage = storage
        self.settings = settings
        self.added = added

    @classmethod
    async def load(cls, storage: Storage, settings: Settings) -> FeedAdmin:
        return cls(storage, settings, await storage.added_feeds())

    async def current_urls(self) -> list[str]:
        """`urls()` after re-reading the added feeds: another worker may have added or removed one."""
        self.added = await self.storage.added_feeds()
        return self.urls()

    def urls(self) -> list[str]:
        """Every feed to poll: NEWSBOT_FEEDS, then those added from Telegram."""
        return list(dict.fromkeys([*self.settings.feeds, *self.added]))

    async def add(self, url: str, user_id: int | None) -> FeedChange:
        url = url.strip()
        if url in self.urls():
            return FeedChange(FeedOutcome.EXISTS)
        if len(url) > MAX_URL or not url.lower().startswith(("http://", "https://")):
            return FeedChange(FeedOutcome.INVALID, reason="not an http(s) URL")
        # Lazy: feed parsing and page extraction load slowly, and only bots that follow feeds need them.
        from bot.intake.feeds import FeedError
        from bot.intake.fetch import FetchError
        from bot.intake.polling import check_feed

        try:
            feed = await check_feed(url, self.settings, private_ok=self.settings.admin_private_feeds)
        except (FetchError, FeedError) as exc:
            return FeedChange(FeedOutcome.INVALID, reason=str(exc))
        if not await self.storage.add_feed(url, user_id):
            return FeedChange(FeedOutcome.EXISTS)
        self.added.append(url)
        return FeedChange(FeedOutcome.ADDED, title=feed.title or url, entries=len(feed.entries))

    async def remove(self, url: str) -> FeedChange:
        url = url.strip()
        if await self.storage.remove_feed(url):
            self.added.remove(url)
            return FeedChange(FeedOutcome.REMOVED)
        if url in self.settings.feeds:
            return FeedChange(FeedOutcome.CONFIGURED)
        return FeedChange(FeedOutcome.UNKNOWN)

    async def statuses(self) -> list[FeedStatus]:
        return [FeedStatus(url, await self.storage.feed_state(url), url in self.added) for url in self.urls()]
