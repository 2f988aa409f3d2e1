"""`newsbot ingest`, `newsbot feeds` and `newsbot migrate-db`: filling the database (and following the
feeds of an OPML file), showing each feed's state (or writing the feed list as OPML), and moving a
SQLite database to PostgreSQL."""

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


def is_opml(item: str) -> bool:
    return item.lower().endswith(".opml") and not item.lower().startswith(("http://", "https://"))


async def _import_opml(settings: Settings, path: str) -> tuple[str, bool]:
    """Follow every feed of the OPML file at `path`: (the report line, whether all went well)."""
    from bot.core.feed_admin import FeedAdmin
    from bot.intake.opml import MAX_OPML_BYTES, OPMLError
    from retrieval.text.files import read_bounded

    try:
        data = read_bounded(Path(path), MAX_OPML_BYTES)
    except (OSError, ValueError) as exc:
        return f"{path}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}; nothing changed", False
    async with await Storage.open(settings.database) as storage:
        admin = await FeedAdmin.load(storage, settings)
        try:
            # The operator's own file, like NEWSBOT_FEEDS: its feeds may be on a private address.
            result = await admin.import_opml(data, None, private_ok=True)
        except OPMLError as exc:
            return f"{path}: {exc}; nothing changed", False
    return f"{path}: {result.line()}", not result.refused


def ingest_command(settings: Settings, paths: list[str]) -> int:
    """Articles, folders, pages and feeds are ingested; OPML files' feeds are followed from now on."""
    status = 0
    for path in (p for p in paths if is_opml(p)):
        line, ok = asyncio.run(_import_opml(settings, path))
        print(f"newsbot ingest: {line}")
        status = status or (0 if ok else 1)
    rest = [p for p in paths if not is_opml(p)]
    if not rest:
        return status
    summary = asyncio.run(_ingest_all(settings, rest))
    print(f"newsbot ingest: {summary.line()}")
    return 1 if summary.failed else status


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
        # Followed: NEWSBOT_FEEDS and the feeds added from Telegram or an OPML import.
        followed = list(dict.fromkeys([*settings.feeds, *await storage.added_feeds()]))
        return feeds_table(await storage.feed_states(), followed)


async def _feeds_opml(settings: Settings) -> bytes:
    from bot.core.feed_admin import FeedAdmin

    async with await Storage.open(settings.database) as storage:
        return await (await FeedAdmin.load(storage, settings)).export_opml()


def feeds_command(settings: Settings, opml: str | None = None) -> int:
    """The feeds' table; with `opml`, the followed feeds as an OPML file instead ("-": standard output)."""
    if opml is None:
        print(asyncio.run(_feeds(settings)))
        return 0
    document = asyncio.run(_feeds_opml(settings))
    if opml == "-":
        sys.stdout.buffer.write(document)
        sys.stdout.flush()
    else:
        Path(opml).write_bytes(document)
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
