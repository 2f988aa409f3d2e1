"""Bulk ingest of article files: parsing, fingerprinting and analysis in worker processes, storage in
batches, and the analysis kept in the index snapshot beside the database.

Per article, parsing and analysis are pure Python and CPU-bound, so they run in a process pool (one
worker per core); the event loop only writes batches (a few statements per few hundred articles)
and adds each batch's terms to the snapshot, which is written once at the end. A start then loads
the snapshot instead of analysing the corpus again (bot/storage/snapshot.py). The workers also embed
each article (bot/intake/embedding.py: its story, and its sentences when it is among the newest
news), each with its own encoder loaded once; the vectors are stored in the articles' transaction.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm import tqdm

from retrieval import Article, Encoded, analyze, display_name, load_article_file
from retrieval.meaning.vectors import ArticleVectors, model_key

from bot.intake.charset import decode
from bot.intake.embedding import embed, in_window, process_encoder, sentence_since, single_threaded
from bot.intake.errors import DecodeError
from bot.intake.summary import IngestSummary
from bot.storage import Storage
from bot.dburl import DatabaseURL
from bot.storage.snapshot import (
    TITLES, Covered, Snapshot, covering, id_hash, load_snapshot, save_snapshot, snapshot_path, title_covering,
)

# Files per task sent to a worker, and per write transaction.
CHUNK = 250
# Below this many files, workers cost more to start (~0.3 s each) than they save.
PARALLEL_MIN = 200
# Below this many files a progress bar is only noise.
PROGRESS_MIN_ITEMS = 20


@dataclass(frozen=True)
class Prepared:
    path: str
    article: Article | None
    digest: str = ""
    error: str | None = None


@dataclass(frozen=True)
class Chunk:
    files: list[Prepared]
    # The analysed sentences of the files that have an article, in order, compact for the trip back
    # to the main process (a few thousand distinct terms instead of a string per token)...
    sentences: Encoded
    # ...and their titles, one document per article.
    titles: Encoded
    # The vectors of the files that have an article, in order, and the model key that made them
    # (None: no encoder).
    vectors: list[ArticleVectors] | None = None
    model: str | None = None


@dataclass(frozen=True)
class Embedding:
    """What the workers embed with: the encoder's name (NEWSBOT_ENCODER), and the oldest article time
    whose sentences are embedded too (None: stories only)."""

    encoder: str = "none"
    since: datetime | None = None


def prepare(files: Sequence[tuple[str, str | None]], embedding: Embedding = Embedding()) -> Chunk:
    """Parse, fingerprint, analyse and embed files, each with the folder it was found in (its id is its
    path below that folder, so two folders' news.txt never collide); runs in a worker process."""
    out: list[Prepared] = []
    docs: list[list[str]] = []
    titles: list[list[str]] = []
    for path, root in files:
        name = display_name(path)
        try:
            # Decoded like a page: a file saved in windows-1256 is as readable as a UTF-8 one.
            article = load_article_file(Path(path), Path(root) if root is not None else None, decode)
        except (OSError, ValueError, DecodeError) as exc:  # JSON errors are ValueErrors
            out.append(Prepared(name, None, error=f"{type(exc).__name__}: {exc}"))
            continue
        if not article.sentences:
            out.append(Prepared(name, None, error="no body sentences found"))
            continue
        docs += [analyze(s) for s in article.sentences]
        titles.append(analyze(article.title))
        out.append(Prepared(name, article, article.fingerprint))
    encoder = process_encoder(embedding.encoder)
    if encoder is None:
        return Chunk(out, Encoded.of(docs), Encoded.of(titles))
    articles = [p.article for p in out if p.article is not None]
    now = datetime.now(timezone.utc)
    vectors = embed(encoder, articles, [in_window(a, embedding.since, now) for a in articles])
    return Chunk(out, Encoded.of(docs), Encoded.of(titles), vectors, model_key(encoder))


def _workers(files: int) -> int:
    if files < PARALLEL_MIN:
        return 0
    return max(1, min(len(os.sched_getaffinity(0)), 8))


async def ingest_files(
    storage: Storage, paths: Sequence[tuple[Path, Path | None]], database: Path | DatabaseURL | None, *,
    progress: bool = False, encoder: str = "none", sentence_days: float = 0.0,
) -> IngestSummary:
    """Store article files (each with the folder it came from, or None) in bulk, embedded by `encoder`
    (NEWSBOT_ENCODER; sentences too within `sentence_days` of the newest news, see embedding.py), and
    keep their analysis in the index snapshot beside `database` (NEWSBOT_DATABASE; none for a database
    server); failures are collected, never raised."""
    summary = IngestSummary()
    pairs = [(str(p), str(root) if root is not None else None) for p, root in paths]
    chunks = [pairs[i : i + CHUNK] for i in range(0, len(pairs), CHUNK)]
    if not chunks:
        return summary
    snapshot = await _current_snapshot(storage, database)
    # The window is fixed by what the database held before this ingest: an archive poured into an
    # empty one is dated long before now, so its sentences are left to the refresh job (a bounded
    # background cost) instead of multiplying this ingest's time by six.
    embedding = Embedding(encoder, sentence_since(await storage.newest_article_time(), sentence_days))
    workers = _workers(len(paths))
    show = progress and len(paths) >= PROGRESS_MIN_ITEMS and sys.stderr.isatty()
    bar = tqdm(total=len(paths), desc="ingest", unit="file", file=sys.stderr, disable=not show)
    # Spawned, not forked: this process has threads (aiosqlite's), which a fork would copy mid-lock.
    pool: Executor | None = (
        ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=single_threaded) if workers else None
    )
    loop = asyncio.get_running_loop()
    try:
        pending: deque[asyncio.Future[Chunk]] = deque()
        queue = deque(chunks)
        while queue or pending:
            # Keep every worker busy, and no more than two chunks each waiting in memory.
            while queue and (pool is None and not pending or pool is not None and len(pending) < 2 * workers):
                chunk = queue.popleft()
                # Without workers, in a thread: a running bot's loop (seeds at start) keeps answering.
                pending.append(loop.run_in_executor(pool, prepare, chunk, embedding))
            chunk = await pending.popleft()
            snapshot = await _store(storage, chunk, summary, snapshot)
            bar.update(len(chunk.files))
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if summary.added and snapshot is not None:
        await asyncio.to_thread(save_snapshot, database, snapshot.sentences)
        await asyncio.to_thread(save_snapshot, database, snapshot.titles, TITLES)
    return summary


@dataclass(frozen=True)
class Snapshots:
    """The two index snapshots an ingest keeps up to date: sentences, and titles (one per article)."""

    sentences: Snapshot
    titles: Snapshot


async def _store(storage: Storage, chunk: Chunk, summary: IngestSummary, snapshot: Snapshots | None) -> Snapshots | None:
    ready = [p for p in chunk.files if p.article is not None]
    articles = [p.article for p in ready if p.article is not None]
    summary.failed += [(p.path, p.error or "") for p in chunk.files if p.article is None]
    stored = await storage.store_articles(articles, [p.digest for p in ready], chunk.vectors, chunk.model)
    # As stored: an id another text held was made unique, and the snapshot must know it by that id.
    added = [s for s in stored if s is not None]
    summary.added += len(added)
    summary.duplicates += len(ready) - len(added)
    if snapshot is None or not added:
        return snapshot
    kept = [s is not None for s in stored]
    keep = np.repeat(kept, [len(a.sentences) for a in articles])
    rows_added, articles_added = [row for row, _ in added], [a for _, a in added]
    return Snapshots(
        snapshot.sentences.grown(covering(rows_added, articles_added), chunk.sentences.subset(keep)),
        snapshot.titles.grown(title_covering(rows_added, articles_added), chunk.titles.subset(np.array(kept))),
    )


async def _current_snapshot(storage: Storage, database: Path | DatabaseURL | None) -> Snapshots | None:
    """The snapshots beside the database, kept to the stored articles they still match (or new ones).
    None when the database is not a file of its own (nothing to write a snapshot beside)."""
    if snapshot_path(database) is None:
        return None
    heads = await storage.article_heads()
    wanted = [Covered(row, id_hash(article_id), n) for row, article_id, n in heads]
    found = await asyncio.to_thread(load_snapshot, database)
    # Nothing to build on: stored articles the file does not cover are analysed by the next start.
    sentences = Snapshot.empty() if found is None else await asyncio.to_thread(found.reuse, wanted)
    titles = await asyncio.to_thread(load_snapshot, database, kind=TITLES)
    if titles is None:
        titles = Snapshot.empty()
    else:  # a stored row's title never changes: keep the titles of the rows still stored (a start checks them)
        rows = {row for row, _, _ in heads}
        held = [i for i, c in enumerate(titles.covers) if c.row in rows]
        titles = Snapshot(titles.index.select(held), [titles.covers[i] for i in held])
    return Snapshots(sentences, titles)
