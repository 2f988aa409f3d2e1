"""The one place a NewsIndex is built from the bot's articles: the running service and the offline
commands (`newsbot ask`, `newsbot eval`) answer from the same articles, chosen by the same age rule.

A start reads the index snapshot beside the database (bot/storage/snapshot.py): the articles it
still matches keep their postings, only the others are analysed, and the file is written back when
anything was. It reads every article's vectors from the database and never embeds: an article without
them (ingested with NEWSBOT_ENCODER=none, before issue 19, or by another model) is answered
lexically until the refresh job embeds it (bot/core/embedder.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

from retrieval import Article, Encoded, NewsIndex, TermIndex, load_folder
from retrieval.meaning.encoder import Encoder
from retrieval.meaning.vectors import ArticleVectors, model_key

from bot.age import age_cutoff, too_old
from bot.dburl import DatabaseURL
from bot.intake.embedding import embed, in_window, process_encoder, sentence_since, since_text, single_threaded
from bot.settings import Settings
from bot.storage import Storage
from bot.storage.snapshot import (
    SENTENCES, TITLES, Covered, Snapshot, covering, load_snapshot, save_snapshot, title_covering,
)

log = logging.getLogger(__name__)


# A refresh bringing at least this many articles has their sentences analysed in a worker process:
# analysis is pure Python, and in the refresh's thread it shares the interpreter lock with the
# questions answered meanwhile (their p95 while 1,000 articles join: ~50 ms that way, ~6 ms this
# way; BENCHMARKS.md). Fewer cost less than the trip to the worker.
ANALYSE_APART_MIN = 100
# `newsbot ask` embeds seeds not stored yet when there are at most this many (a second or two).
SEEDS_EMBEDDED_MAX = 100


def analysis_workers() -> ProcessPoolExecutor:
    """The worker process a running bot analyses big refreshes in: one, spawned, not forked (the bot
    has threads, which a fork would copy mid-lock)."""
    return ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=single_threaded)


async def grown_index(
    index: NewsIndex, articles: list[Article], workers: Executor | None,
    vectors: Mapping[str, ArticleVectors] | None = None,
) -> NewsIndex:
    """`index` plus `articles` (NewsIndex.with_articles) and their stored `vectors` (by id), built in a
    thread; the sentences analysed in `workers` (a process pool) when there are enough of them."""
    if workers is not None and len(articles) >= ANALYSE_APART_MIN:
        texts = [s for a in articles for s in a.sentences]
        analysed = await asyncio.get_running_loop().run_in_executor(workers, Encoded.analysed, texts)
        return await asyncio.to_thread(index.with_articles, articles, analysed, vectors)
    return await asyncio.to_thread(index.with_articles, articles, None, vectors)


class AnalysisWorker:
    """The one worker process a running bot analyses big refreshes and embeds in the background in
    (`analysis_workers`): started on first need, replaced when it dies."""

    def __init__(self) -> None:
        self.pool: ProcessPoolExecutor | None = None

    def __call__(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = analysis_workers()
        return self.pool

    def died(self) -> None:
        """Forget a dead worker (killed, out of memory); the next need starts a new one."""
        self.shutdown(wait=False)

    def shutdown(self, wait: bool = True) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=True)
        self.pool = None

    async def grown(self, storage: Storage, settings: Settings, index: NewsIndex, new: list[tuple[int, Article]],
                    after_row: int) -> NewsIndex:
        """`index` plus the articles stored in rows (after_row, …] (`new`), with the vectors stored with
        them by whichever process ingested them; analysed in the worker when there are enough."""
        articles = [article for _, article in new]
        vectors = await stored_vectors(storage, settings, index.encoder, {row: a.id for row, a in new},
                                       after_row=after_row, upto_row=new[-1][0])
        try:
            return await grown_index(index, articles, self() if len(articles) >= ANALYSE_APART_MIN else None, vectors)
        except BrokenProcessPool:
            log.warning("index refresh: the analysis worker died; analysing in this process")
            self.died()
            return await grown_index(index, articles, None, vectors)


def build_index(
    articles: list[Article], previous: NewsIndex | None = None, encoder: Encoder | None = None,
    vectors: Mapping[str, ArticleVectors] | None = None,
) -> NewsIndex:
    """An index of `articles`; a `previous` index lends the analysis (and vectors) of the articles it
    already holds."""
    if previous is not None:
        return previous.rebuilt(articles, vectors)
    return NewsIndex(articles, encoder=encoder, vectors=vectors)


def index_from_snapshot(
    database: Path | DatabaseURL, rows: Sequence[int | None], articles: list[Article],
    encoder: Encoder | None = None, vectors: Mapping[str, ArticleVectors] | None = None,
) -> NewsIndex:
    """An index of `articles` (with their storage rows; None for one not stored) that analyses only
    what the snapshot beside `database` lacks, and writes the snapshot back if it lacked anything;
    with `encoder`, holding the stored `vectors` (by article id)."""
    sentences = _reused(database, covering(rows, articles), [a.sentences for a in articles])
    titles = _reused(database, title_covering(rows, articles), [(a.title,) for a in articles], TITLES)
    return NewsIndex(articles, sentences=sentences, titles=titles, encoder=encoder, vectors=vectors)


async def stored_vectors(
    storage: Storage, settings: Settings, encoder: Encoder | None, ids: Mapping[int, str], *,
    after_row: int = 0, upto_row: int | None = None,
) -> dict[str, ArticleVectors]:
    """The vectors `encoder` made that storage holds for the articles `ids` names (by row), by article
    id; sentence vectors only within the sentence window. None stored under another model is read."""
    if encoder is None or not ids:
        return {}
    since = since_text(sentence_since(await storage.newest_article_time(), settings.sentence_vector_days))
    found = await storage.article_vectors(model_key(encoder), since, after_row=after_row, upto_row=upto_row)
    return {ids[row]: v for row, v in found.items() if row in ids}


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
    storage: Storage, settings: Settings, now: datetime, previous: NewsIndex | None = None,
    encoder: Encoder | None = None,
) -> tuple[int, NewsIndex, dict[str, int]]:
    """An index of every stored article young enough at `now`, with their stored vectors (`encoder`'s;
    a `previous` index carries its own), the last row it covers, and the row of each of its articles.

    The row is read first and the load stops there, so an article stored meanwhile is left to the
    next refresh instead of being counted as seen without being indexed.
    """
    last_row = await storage.max_article_row()
    rows = await storage.all_articles(settings.max_age_days, now=now, upto_row=last_row)
    articles = [article for _, article in rows]
    if previous is not None:
        # Vectors the previous index lacks may have been stored since (by ingest, or another worker).
        missing = {row: a.id for row, a in rows if a.id not in previous.vectors} if previous.encoder else {}
        vectors = await stored_vectors(storage, settings, previous.encoder, missing)
        index = await asyncio.to_thread(build_index, articles, previous, None, vectors)
    else:
        vectors = await stored_vectors(storage, settings, encoder, {row: a.id for row, a in rows}, upto_row=last_row)
        index = await asyncio.to_thread(
            index_from_snapshot, settings.database, [r for r, _ in rows], articles, encoder, vectors)
    return last_row, index, {article.id: row for row, article in rows}


def offline_index(settings: Settings) -> NewsIndex:
    """What the running bot would answer from, for `newsbot ask` and `eval`: stored articles within
    NEWSBOT_MAX_AGE_DAYS, and the seeds it would store on its first start (the database is only read;
    the index snapshot beside it is used, and refreshed when stale)."""
    exists = settings.shared_database or isinstance(settings.database, Path) and settings.database.exists()
    encoder = process_encoder(settings.encoder)
    stored, stored_ids, vectors = asyncio.run(_stored_articles(settings, encoder)) if exists else ([], set(), {})
    cutoff = age_cutoff(settings.max_age_days)
    seeds = load_folder(settings.seeds_dir) if settings.seeds_dir.exists() else []
    # A seed already in the database ages there (by its ingest time when undated), so it is not re-added.
    fresh = [a for a in seeds if a.id not in stored_ids and not too_old(a.published, cutoff)]
    if encoder is not None and 0 < len(fresh) <= SEEDS_EMBEDDED_MAX:
        # The bot would store them with their vectors on its first start; a big seeds folder not
        # ingested yet is answered lexically rather than embedded at every start.
        since = sentence_since(None, settings.sentence_vector_days)
        vectors |= {a.id: v for a, v in zip(fresh, embed(encoder, fresh, [in_window(a, since) for a in fresh]))}
    if not exists:
        return build_index(fresh, encoder=encoder, vectors=vectors)
    rows: list[int | None] = [None] * len(fresh) + [row for row, _ in stored]
    return index_from_snapshot(settings.database, rows, fresh + [article for _, article in stored], encoder, vectors)


async def _stored_articles(
    settings: Settings, encoder: Encoder | None
) -> tuple[list[tuple[int, Article]], set[str], dict[str, ArticleVectors]]:
    """The stored articles young enough to index (with their rows), the ids of all stored articles,
    and the stored vectors of the first (by article id)."""
    async with await Storage.open(settings.database) as storage:
        stored = await storage.all_articles(settings.max_age_days)
        vectors = await stored_vectors(storage, settings, encoder, {row: a.id for row, a in stored})
        return stored, await storage.article_ids(), vectors
