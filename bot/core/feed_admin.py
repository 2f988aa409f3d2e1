"""Feeds managed from Telegram by the admins: /addfeed (validated by fetching it once), /removefeed,
/feeds. Added feeds are stored and polled with NEWSBOT_FEEDS by the running bot, without a restart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import Enum

from bot.intake.opml import OPMLFeed, parse_opml, write_opml
from bot.settings import Settings
from bot.storage import FeedState, Storage

MAX_URL = 2000
# Feeds of one OPML import checked at once: each check is one fetch of up to NEWSBOT_FETCH_TIMEOUT.
IMPORT_CONCURRENCY = 4


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


@dataclass
class OPMLImport:
    """What an OPML import did, feed by feed."""

    added: list[str] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)  # already followed (or listed twice)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (url, why)

    def line(self) -> str:
        text = f"added {len(self.added)}, already followed {len(self.followed)}, refused {len(self.refused)}"
        if self.refused:
            text += ": " + "; ".join(f"{url[:200]} ({why})" for url, why in self.refused)
        return text


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

    async def add(self, url: str, user_id: int | None, *, private_ok: bool | None = None) -> FeedChange:
        """Follow `url` once a fetch shows it is a feed. `private_ok` (default: NEWSBOT_ADMIN_PRIVATE_FEEDS)
        lets it be on a private or loopback address: the operator's own command line may."""
        url = url.strip()
        if url in self.urls():
            return FeedChange(FeedOutcome.EXISTS)
        if len(url) > MAX_URL or not url.lower().startswith(("http://", "https://")):
            return FeedChange(FeedOutcome.INVALID, reason="not an http(s) URL")
        # Lazy: feed parsing and page extraction load slowly, and only bots that follow feeds need them.
        from bot.intake.feeds import FeedError
        from bot.intake.fetch import FetchError
        from bot.intake.polling import check_feed

        private_ok = self.settings.admin_private_feeds if private_ok is None else private_ok
        try:
            feed = await check_feed(url, self.settings, private_ok=private_ok)
        except (FetchError, FeedError) as exc:
            return FeedChange(FeedOutcome.INVALID, reason=str(exc))
        if not await self.storage.add_feed(url, user_id):
            return FeedChange(FeedOutcome.EXISTS)
        self.added.append(url)
        return FeedChange(FeedOutcome.ADDED, title=feed.title or url, entries=len(feed.entries))

    async def import_opml(
        self, data: bytes, user_id: int | None, *, private_ok: bool | None = None
    ) -> OPMLImport:
        """Follow every feed an OPML document lists, each checked like /addfeed (a few at a time).
        OPMLError, before anything changes, for a document that is malformed, hostile or too large."""
        feeds = parse_opml(data)
        gate = asyncio.Semaphore(IMPORT_CONCURRENCY)

        async def one(feed: OPMLFeed) -> FeedChange:
            async with gate:
                return await self.add(feed.url, user_id, private_ok=private_ok)

        result = OPMLImport()
        unique: dict[str, OPMLFeed] = {}
        for feed in feeds:
            if feed.url.strip() in unique:
                result.followed.append(feed.url)  # listed twice: followed through its first listing
            else:
                unique[feed.url.strip()] = feed
        checked = await asyncio.gather(*(one(f) for f in unique.values()))
        for feed, change in zip(unique.values(), checked):
            if change.outcome is FeedOutcome.ADDED:
                result.added.append(feed.url)
            elif change.outcome is FeedOutcome.EXISTS:
                result.followed.append(feed.url)
            else:
                result.refused.append((feed.url, change.reason or "refused"))
        return result

    async def export_opml(self) -> bytes:
        """The feeds followed (NEWSBOT_FEEDS and those added), as an OPML document, named by their titles."""
        titles = {state.url: state.title for state in await self.storage.feed_states()}
        return write_opml([OPMLFeed(url, titles.get(url)) for url in await self.current_urls()])

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
