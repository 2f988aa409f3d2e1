"""The one place a NewsIndex is built from the bot's articles: the running service and the offline
commands (`newsbot ask`, `newsbot eval`) answer from the same articles, chosen by the same age rule."""

from __future__ import annotations

import asyncio
from pathlib import Path
from datetime import datetime

from retrieval import Article, NewsIndex, load_folder

from bot.age import age_cutoff, too_old
from bot.settings import Settings
from bot.storage import Storage


def build_index(articles: list[Article], previous: NewsIndex | None = None) -> NewsIndex:
    """An index of `articles`; a `previous` index lends the analysis of the articles it already holds."""
    return previous.rebuilt(articles) if previous is not None else NewsIndex(articles)


async def index_from_storage(
    storage: Storage, settings: Settings, now: datetime, previous: NewsIndex | None = None
) -> tuple[int, NewsIndex]:
    """An index of every stored article young enough at `now`, and the last row it covers.

    The row is read first and the load stops there, so an article stored meanwhile is left to the
    next refresh instead of being counted as seen without being indexed.
    """
    last_row = await storage.max_article_row()
    rows = await storage.all_articles(settings.max_age_days, now=now, upto_row=last_row)
    index = await asyncio.to_thread(build_index, [article for _, article in rows], previous)
    return last_row, index


def offline_index(settings: Settings) -> NewsIndex:
    """What the running bot would answer from, for `newsbot ask` and `eval`: stored articles within
    NEWSBOT_MAX_AGE_DAYS, and the seeds it would store on its first start (the database is only read)."""
    exists = settings.shared_database or isinstance(settings.database, Path) and settings.database.exists()
    stored, stored_ids = asyncio.run(_stored_articles(settings)) if exists else ([], set())
    cutoff = age_cutoff(settings.max_age_days)
    seeds = load_folder(settings.seeds_dir) if settings.seeds_dir.exists() else []
    # A seed already in the database ages there (by its ingest time when undated), so it is not re-added.
    fresh = [a for a in seeds if a.id not in stored_ids and not too_old(a.published, cutoff)]
    return build_index(fresh + stored)


async def _stored_articles(settings: Settings) -> tuple[list[Article], set[str]]:
    """The stored articles young enough to index, and the ids of all stored articles."""
    async with await Storage.open(settings.database) as storage:
        young = [article for _, article in await storage.all_articles(settings.max_age_days)]
        return young, await storage.article_ids()
