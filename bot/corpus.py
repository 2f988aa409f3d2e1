"""Loading the corpus for the offline commands (ask, eval): the seeds, plus the database when it exists."""

from __future__ import annotations

import asyncio

from retrieval.answer import NewsIndex
from retrieval.article import Article
from retrieval.files import load_folder

from bot.settings import Settings


def load_index(settings: Settings) -> NewsIndex:
    articles = load_folder(settings.seeds_dir) if settings.seeds_dir.exists() else []
    if settings.database.exists():
        known = {a.id for a in articles}
        articles += [a for a in asyncio.run(_stored_articles(settings)) if a.id not in known]
    return NewsIndex(articles)


async def _stored_articles(settings: Settings) -> list[Article]:
    from bot.storage import Storage

    storage = await Storage.open(settings.database)
    try:
        return [article for _, article in await storage.all_articles(settings.max_age_days)]
    finally:
        await storage.close()
