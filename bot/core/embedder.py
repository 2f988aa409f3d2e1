"""The refresh job's background embedding: the indexed articles that have no vectors yet.

An article ingested with NEWSBOT_ENCODER=none, before issue 19, or by another model (its stored
vectors are stale) is answered lexically until this embeds it; so are the sentences of the newest
news that ingest left out (an archive poured into an empty database is dated long before now). Each
run takes a bounded batch, newest first, reads what another process may have stored meanwhile (the
ingest, another worker), embeds the rest off the event loop (in the analysis worker process when the
batch is big, so questions never wait on it), stores it, and returns it for `NewsIndex.with_vectors`.
With several workers on PostgreSQL, one at a time embeds (a job lock); the others read its vectors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone

from retrieval import Article, NewsIndex
from retrieval.meaning.encoder import Encoder
from retrieval.meaning.vectors import ArticleVectors, model_key

from bot.intake.embedding import embed, embed_by_name, in_window, sentence_since, since_text
from bot.settings import Settings
from bot.storage import Storage

log = logging.getLogger(__name__)

# Per run (every NEWSBOT_REFRESH_SECONDS): ~500 titles are ~10 s of one core, ~25 articles' sentences
# (~175 sentences) about as much; a 30k-article backlog of stories is done within the hour.
STORY_BATCH = 500
SENTENCE_BATCH = 25
# Fewer articles than this are embedded in a thread (the engine releases the interpreter lock);
# more go to the analysis worker process.
EMBED_APART_MIN = 20
# Undated articles are in the sentence window by their ingest time, which storage knows (its query
# picks them); the articles themselves carry no date to judge by here.
_NEVER = datetime.min.replace(tzinfo=timezone.utc)


async def embed_backlog(
    storage: Storage, settings: Settings, index: NewsIndex, rows: Mapping[str, int],
    workers: Callable[[], Executor] | None = None,
) -> dict[str, ArticleVectors]:
    """Vectors for up to a batch of `index`'s articles that lack them (`rows`: the storage row of each
    indexed article id), by article id; stored before they are returned. Empty without an encoder."""
    encoder = index.encoder
    if encoder is None:
        return {}
    model = model_key(encoder)
    ids = {row: article_id for article_id, row in rows.items()}
    stories = [rows[a.id] for a in index.unembedded(STORY_BATCH) if a.id in rows]
    since = sentence_since(await storage.newest_article_time(), settings.sentence_vector_days)
    window: list[int] = []
    if since is not None:  # newest first; rows not indexed (aged out) are left alone
        lacking = await storage.lacking_sentences(model, since_text(since) or "", SENTENCE_BATCH * 4)
        window = [row for row in lacking if row in ids][:SENTENCE_BATCH]
    wanted = list(dict.fromkeys([*stories, *window]))
    if not wanted:
        return {}
    # What another process stored meanwhile is read, not made again.
    found = await storage.article_vectors(model, since_text(since), rows=wanted)
    todo = [r for r in wanted if r not in found or (r in window and found[r].sentences is None)]
    made: dict[int, ArticleVectors] = {}
    if todo:
        async with storage.job_lock("embed") as mine:
            if mine:
                made = await _embed_rows(storage, settings, encoder, todo, window, since, workers)
    if made:
        await storage.store_vectors(model, list(made.items()))
        log.info("meaning: %d articles embedded in the background (%d with their sentences)",
                 len(made), sum(v.sentences is not None for v in made.values()))
    return {ids[row]: v for row, v in {**found, **made}.items() if row in ids}


async def _embed_rows(
    storage: Storage, settings: Settings, encoder: Encoder, rows: list[int], window: list[int],
    since: datetime | None, workers: Callable[[], Executor] | None,
) -> dict[int, ArticleVectors]:
    loaded = await storage.articles_at(rows)
    articles: list[Article] = [a for _, a in loaded]
    flags = [row in window or in_window(a, since, _NEVER) for row, a in loaded]
    if workers is not None and len(articles) >= EMBED_APART_MIN:
        loop = asyncio.get_running_loop()
        vectors = await loop.run_in_executor(workers(), embed_by_name, settings.encoder, articles, flags)
    else:
        vectors = await asyncio.to_thread(embed, encoder, articles, flags)
    if vectors is None:  # the worker could not load the encoder this process has
        return {}
    return {row: v for (row, _), v in zip(loaded, vectors, strict=True)}


class BackgroundEmbedding:
    """The runs of `embed_backlog` a running bot starts after each refresh: one at a time, beside the
    refresh job (never in its way), their vectors handed to the running index by `apply`."""

    def __init__(
        self, storage: Storage, settings: Settings, workers: Callable[[], Executor], workers_died: Callable[[], None]
    ) -> None:
        self._storage, self._settings = storage, settings
        self._workers, self._workers_died = workers, workers_died
        self._task: asyncio.Task[int] | None = None

    def start(
        self, index: NewsIndex, rows: Mapping[str, int], apply: Callable[[dict[str, ArticleVectors]], Awaitable[None]]
    ) -> None:
        """A run over `index` (`rows`: each indexed article's storage row), unless one is going or there
        is no encoder."""
        if index.encoder is not None and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._run(index, dict(rows), apply))

    async def _run(
        self, index: NewsIndex, rows: dict[str, int], apply: Callable[[dict[str, ArticleVectors]], Awaitable[None]]
    ) -> int:
        try:
            vectors = await embed_backlog(self._storage, self._settings, index, rows, self._workers)
        except Exception as exc:  # the worker killed, a locked database: meaning waits, the bot goes on
            log.warning("meaning: background embedding failed (%s: %s); trying again after the next refresh",
                        type(exc).__name__, exc)
            if isinstance(exc, BrokenProcessPool):
                self._workers_died()
            return 0
        if vectors:
            await apply(vectors)
        return len(vectors)

    async def settle(self) -> None:
        """Wait for the run going, if any."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
