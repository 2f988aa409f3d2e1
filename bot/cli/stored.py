"""`newsbot ingest` and `newsbot feeds`: filling the database, and showing each feed's state."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from bot.intake.files import ingest_items
from bot.intake.summary import IngestSummary
from bot.settings import Settings
from bot.storage import FeedState, Storage


async def _ingest_all(settings: Settings, items: list[str]) -> IngestSummary:
    storage = await Storage.open(settings.database)
    try:
        return await ingest_items(storage, items, settings, progress=True)
    finally:
        await storage.close()


def ingest_command(settings: Settings, paths: list[str]) -> int:
    summary = asyncio.run(_ingest_all(settings, paths))
    print(f"newsbot ingest: {summary.line()}")
    return 1 if summary.failed else 0


def _when(value: str | None) -> str:
    if not value:
        return "never"
    parsed = datetime.fromisoformat(value)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def _status(state: FeedState | None) -> str:
    if state is None or state.last_fetch is None:
        return "not polled yet"
    if state.last_error is None:
        return "ok"
    return f"failing ×{state.consecutive_errors}, retry after {_when(state.next_attempt)}"


def feeds_table(states: list[FeedState], configured: list[str]) -> str:
    by_url = {s.url: s for s in states}
    urls = list(dict.fromkeys([*configured, *by_url]))
    if not urls:
        return (
            "No feeds yet. Add feed URLs to NEWSBOT_FEEDS (a JSON list, in .env or the environment),\n"
            'e.g. NEWSBOT_FEEDS=["https://example.com/rss.xml"], or run `newsbot ingest FEED_URL`.'
        )
    lines = [f"{'ARTICLES':>8}  {'LAST FETCH (UTC)':<16}  {'LAST OK (UTC)':<16}  STATUS"]
    for url in urls:
        state = by_url.get(url)
        lines.append(
            f"{state.articles if state else 0:>8}  {_when(state.last_fetch if state else None):<16}"
            f"  {_when(state.last_ok if state else None):<16}  {_status(state)}"
        )
        name = f" — {state.title}" if state and state.title else ""
        followed = "" if url in configured else "  [not in NEWSBOT_FEEDS: not polled by the bot]"
        lines.append(f"{'':>8}  {url}{name}{followed}")
        if state and state.last_error:
            lines.append(f"{'':>8}  last error: {state.last_error}")
    total = sum(s.articles for s in states)
    lines.append(f"{len(urls)} feeds, {total} articles from feeds")
    return "\n".join(lines)


async def _feeds(settings: Settings) -> str:
    async with await Storage.open(settings.database) as storage:
        return feeds_table(await storage.feed_states(), list(settings.feeds))


def feeds_command(settings: Settings) -> int:
    print(asyncio.run(_feeds(settings)))
    return 0
