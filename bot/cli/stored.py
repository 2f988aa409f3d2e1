"""`newsbot ingest`, `newsbot feeds` and `newsbot migrate-db`: filling the database, showing each
feed's state, and moving a SQLite database to PostgreSQL."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timezone
from pathlib import Path

from bot.intake.files import ingest_items
from bot.intake.summary import IngestSummary
from bot.settings import Settings
from bot.dburl import DatabaseURL, is_database_url
from bot.storage import FeedState, Storage, StorageError


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


async def _migrate_db(source: Path, target: Path | DatabaseURL) -> str:
    from bot.storage.transfer import copy_database

    async with await Storage.open(source) as src, await Storage.open(target) as dst:
        return (await copy_database(src, dst)).line()


def migrate_db_command(source: str, target: str) -> int:
    """Copy the SQLite file `source` into the empty database `target`; the URL's password is never printed."""
    try:
        to: Path | DatabaseURL = DatabaseURL(target) if is_database_url(target) else Path(target)
    except ValueError as exc:
        print(f"newsbot migrate-db: TO: {exc}", file=sys.stderr)
        return 2
    if is_database_url(source) or not Path(source).is_file():
        print(f"newsbot migrate-db: FROM must be an existing SQLite file: {source if not is_database_url(source) else 'a URL'}",
              file=sys.stderr)
        return 2
    try:
        line = asyncio.run(_migrate_db(Path(source), to))
    except StorageError as exc:
        print(f"newsbot migrate-db: {exc}", file=sys.stderr)
        return 2
    print(f"newsbot migrate-db: copied {source} to {to}: {line}")
    return 0
