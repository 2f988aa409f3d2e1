"""The one place a NewsIndex is built from the bot's articles: the running service and the offline
commands (`newsbot ask`, `newsbot eval`) answer from the same articles, chosen by the same age rule.

A start reads the index snapshot beside the database (bot/storage/snapshot.py): the articles it
still matches keep their postings, only the others are analysed, and the file is written back when
anything was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

from retrieval import Article, Encoded, NewsIndex, TermIndex, load_folder

from bot.age import age_cutoff, too_old
from bot.dburl import DatabaseURL
from bot.settings import Settings
from bot.storage import Storage
from bot.storage.snapshot import (
    SENTENCES, TITLES, Covered, Snapshot, covering, load_snapshot, save_snapshot, title_covering,
)


# A refresh bringing at least this many articles has their sentences analysed in a worker process:
# analysis is pure Python, and in the refresh's thread it shares the interpreter lock with the
# questions answered meanwhile (their p95 while 1,000 articles join: ~50 ms that way, ~6 ms this
# way; BENCHMARKS.md). Fewer cost less than the trip to the worker.
ANALYSE_APART_MIN = 100


def analysis_workers() -> ProcessPoolExecutor:
    """The worker process a running bot analyses big refreshes in: one, spawned, not forked (the bot
    has threads, which a fork would copy mid-lock)."""
    return ProcessPoolExecutor(1, mp_context=get_context("spawn"))


async def grown_index(index: NewsIndex, articles: list[Article], workers: Executor | None) -> NewsIndex:
    """`index` plus `articles` (NewsIndex.with_articles), built in a thread; the sentences analysed in
    `workers` (a process pool) when there are enough of them."""
    if workers is not None and len(articles) >= ANALYSE_APART_MIN:
        texts = [s for a in articles for s in a.sentences]
        analysed = await asyncio.get_running_loop().run_in_executor(workers, Encoded.analysed, texts)
        return await asyncio.to_thread(index.with_articles, articles, analysed)
    return await asyncio.to_thread(index.with_articles, articles)


def build_index(articles: list[Article], previous: NewsIndex | None = None) -> NewsIndex:
    """An index of `articles`; a `previous` index lends the analysis of the articles it already holds."""
    return previous.rebuilt(articles) if previous is not None else NewsIndex(articles)


def index_from_snapshot(database: Path | DatabaseURL, rows: Sequence[int | None], articles: list[Article]) -> NewsIndex:
    """An index of `articles` (with their storage rows; None for one not stored) that analyses only
    what the snapshot beside `database` lacks, and writes the snapshot back if it lacked anything."""
    sentences = _reused(database, covering(rows, articles), [a.sentences for a in articles])
    titles = _reused(database, title_covering(rows, articles), [(a.title,) for a in articles], TITLES)
    return NewsIndex(articles, sentences=sentences, titles=titles)


def _reused(
    database: Path | DatabaseURL, wanted: list[Covered], texts: list[Sequence[str]], kind: str = SENTENCES
) -> TermIndex:
    """The index of `texts` (each article's documents, as `wanted` covers them) from the snapshot of
    that kind beside `database`, analysing what it lacks and writing it back if it lacked a stored one."""
    found = load_snapshot(database, kind=kind)
    snapshot = (found or Snapshot.empty()).reuse(wanted, texts)
    held = set(found.covers) if found is not None else set()
    # Written back when a stored article had to be analysed; seeds not stored are never in the file.
    if any(c.row is not None and c not in held for c in wanted):
        save_snapshot(database, snapshot, kind)
    return snapshot.index


def save_index(database: Path | DatabaseURL, index: NewsIndex, rows: dict[str, int]) -> None:
    """Write the snapshot of a running index (`rows`: storage row of each article id)."""
    stored = [rows.get(a.id) for a in index.articles]
    save_snapshot(database, Snapshot(index.sentences, covering(stored, index.articles)))
    save_snapshot(database, Snapshot(index.titles, title_covering(stored, index.articles)), TITLES)


async def index_from_storage(
    storage: Storage, settings: Settings, now: datetime, previous: NewsIndex | None = None
) -> tuple[int, NewsIndex, dict[str, int]]:
    """An index of every stored article young enough at `now`, the last row it covers, and the row
    of each of its articles.

    The row is read first and the load stops there, so an article stored meanwhile is left to the
    next refresh instead of being counted as seen without being indexed.
    """
    last_row = await storage.max_article_row()
    rows = await storage.all_articles(settings.max_age_days, now=now, upto_row=last_row)
    articles = [article for _, article in rows]
    if previous is not None:
        index = await asyncio.to_thread(build_index, articles, previous)
    else:
        index = await asyncio.to_thread(index_from_snapshot, settings.database, [r for r, _ in rows], articles)
    return last_row, index, {article.id: row for row, article in rows}


def offline_index(settings: Settings) -> NewsIndex:
    """What the running bot would answer from, for `newsbot ask` and `eval`: stored articles within
    NEWSBOT_MAX_AGE_DAYS, and the seeds it would store on its first start (the database is only read;
    the index snapshot beside it is used, and refreshed when stale)."""
    exists = settings.shared_database or isinstance(settings.database, Path) and settings.database.exists()
    stored, stored_ids = asyncio.run(_stored_articles(settings)) if exists else ([], set())
    cutoff = age_cutoff(settings.max_age_days)
    seeds = load_folder(settings.seeds_dir) if settings.seeds_dir.exists() else []
    # A seed already in the database ages there (by its ingest time when undated), so it is not re-added.
    fresh = [a for a in seeds if a.id not in stored_ids and not too_old(a.published, cutoff)]
    if not exists:
        return build_index(fresh)
    rows: list[int | None] = [None] * len(fresh) + [row for row, _ in stored]
    return index_from_snapshot(settings.database, rows, fresh + [article for _, article in stored])


async def _stored_articles(settings: Settings) -> tuple[list[tuple[int, Article]], set[str]]:
    """The stored articles young enough to index (with their rows), and the ids of all stored articles."""
    async with await Storage.open(settings.database) as storage:
        return await storage.all_articles(settings.max_age_days), await storage.article_ids()
