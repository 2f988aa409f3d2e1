"""Loading the corpus for the offline commands (ask, eval): the seeds, plus the database when it exists."""

from __future__ import annotations

import asyncio

from retrieval import NewsIndex
from retrieval import Article
from retrieval import load_folder

from bot.age import age_cutoff, too_old
from bot.settings import Settings


def load_index(settings: Settings) -> NewsIndex:
    """What the running bot would answer from: stored articles within NEWSBOT_MAX_AGE_DAYS, and the
    seeds it would store on its first start."""
    stored, stored_ids = asyncio.run(_stored_articles(settings)) if settings.database.exists() else ([], set())
    cutoff = age_cutoff(settings.max_age_days)
    seeds = load_folder(settings.seeds_dir) if settings.seeds_dir.exists() else []
    # A seed already in the database ages there (by its ingest time when undated), so it is not re-added.
    fresh = [a for a in seeds if a.id not in stored_ids and not too_old(a.published, cutoff)]
    return NewsIndex(fresh + stored)


async def _stored_articles(settings: Settings) -> tuple[list[Article], set[str]]:
    """The stored articles young enough to index, and the ids of all stored articles."""
    from bot.storage import Storage

    storage = await Storage.open(settings.database)
    try:
        young = [article for _, article in await storage.all_articles(settings.max_age_days)]
        return young, await storage.article_ids()
    finally:
        await storage.close()
