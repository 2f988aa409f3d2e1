"""NewsService: the one object every handler and job calls; it owns the storage and the current index."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

from retrieval import Article, NewsIndex

from bot.age import age_cutoff
from bot.core.index_builder import index_from_storage
from bot.core.questions import check_question, clean_question, cut_question
from bot.core.results import Asked, Latest, Stats
from bot.intake.files import load_seeds
from bot.settings import Settings
from bot.storage import Storage

log = logging.getLogger(__name__)

LATEST_COUNT = 5


class NewsService:
    def __init__(
        self, settings: Settings, storage: Storage, index: NewsIndex, last_row: int, cutoff: datetime | None = None
    ) -> None:
        self.settings = settings
        self.storage = storage
        self._index = index
        self._last_row = last_row
        # The age cutoff the index was last built from; once a newer cutoff passes an indexed article,
        # the index is rebuilt from storage without it (NewsIndex.rebuilt reuses the analysis).
        self._cutoff = cutoff
        self._refresh_lock = asyncio.Lock()
        # Delivery runs (the refresh job, the feeds job) take turns, or two could send the same message.
        self.delivery_lock = asyncio.Lock()
        # Set on shutdown (SIGTERM): long jobs stop at their next step and leave the rest for the next start.
        self.stopping = asyncio.Event()
        # Query-log writes run beside the reply, never in its way (a locked database must not cost the
        # user the answer); failures are counted here and logged.
        self._log_writes: set[asyncio.Task[None]] = set()
        self.query_log_failures = 0

    @classmethod
    async def start(cls, settings: Settings) -> NewsService:
        """Open the database, store the seeds on first start, and build the index off the event loop."""
        storage = await Storage.open(settings.database)
        try:
            await _purge_query_log(storage, settings)
            seeded = await load_seeds(storage, settings)
            if seeded.added:
                log.info("seeds stored: %s", seeded.line())
            for item, why in seeded.failed:
                log.warning("seed not stored: %s (%s)", item, why)
            now = datetime.now(timezone.utc)
            last_row, index = await index_from_storage(storage, settings, now)
        except BaseException:
            await storage.close()
            raise
        log.info("index ready: %d articles, %d sentences", len(index.articles), len(index.refs))
        return cls(settings, storage, index, last_row, age_cutoff(settings.max_age_days, now))

    async def close(self) -> None:
        try:
            await self.settle()
        finally:
            await self.storage.close()

    async def settle(self) -> None:
        """Wait for the query-log writes still in flight (each ends within the database's busy timeout)."""
        while self._log_writes:
            await asyncio.gather(*self._log_writes, return_exceptions=True)

    @property
    def index(self) -> NewsIndex:
        return self._index

    async def ask(self, chat_id: int | None, question: str) -> Asked:
        question, truncated = cut_question(clean_question(question))
        refusal = check_question(question)
        if refusal is not None:
            return Asked(reply=None, refusal=refusal, truncated=truncated)
        started = time.perf_counter()
        index = self._index  # one snapshot for the whole question, whatever refresh() does meanwhile
        reply = await asyncio.to_thread(index.ask, question, self.settings.top_k)
        latency_ms = (time.perf_counter() - started) * 1000
        task = asyncio.create_task(self._log_query(chat_id, question, reply.answered, latency_ms))
        self._log_writes.add(task)
        task.add_done_callback(self._log_writes.discard)
        return Asked(reply=reply, truncated=truncated)

    async def _log_query(self, chat_id: int | None, question: str, answered: bool, latency_ms: float) -> None:
        try:
            await self.storage.log_query(chat_id, question, answered, latency_ms)
        except Exception as exc:  # "database is locked" under a long ingest, a full disk…
            self.query_log_failures += 1
            # The question itself stays out of the log: it is the user's text.
            log.warning("query log: a question from chat %s was not logged (%s: %s); %d lost so far",
                        chat_id, type(exc).__name__, exc, self.query_log_failures)

    async def latest(self, chat_id: int, n: int = LATEST_COUNT) -> Latest:
        """The newest articles within NEWSBOT_MAX_AGE_DAYS, and whether `chat_id` is subscribed
        (for the button under them)."""
        articles = await self.storage.latest(n, self.settings.max_age_days)
        return Latest(articles, await self.storage.is_subscribed(chat_id))

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids

    async def stats(self, user_id: int | None) -> Stats | None:
        """The bot's figures for an admin (NEWSBOT_ADMIN_IDS); None for anyone else."""
        if not self.is_admin(user_id):
            return None
        counts = await self.storage.counts()
        return Stats(indexed=len(self._index.articles), **counts)

    async def subscribe(self, chat_id: int, type: str | None = None, title: str | None = None) -> bool:
        await self.storage.remember_chat(chat_id, type, title)
        return await self.storage.subscribe(chat_id)

    async def unsubscribe(self, chat_id: int) -> bool:
        """End the subscription, and with it what is kept about the chat (Storage.forget_chat)."""
        return await self.storage.forget_chat(chat_id)

    async def forget_chat(self, chat_id: int) -> None:
        """The chat blocked the bot or removed it: drop what is kept about it."""
        await self.storage.forget_chat(chat_id)
        log.info("chat %s is gone: its subscription, name and delivery records were dropped", chat_id)

    async def purge_query_log(self) -> int:
        """Delete questions older than NEWSBOT_QUERY_LOG_DAYS (run at start and by a periodic job)."""
        return await _purge_query_log(self.storage, self.settings)

    async def is_subscribed(self, chat_id: int) -> bool:
        return await self.storage.is_subscribed(chat_id)

    async def refresh(self, now: datetime | None = None) -> list[tuple[int, Article]]:
        """Bring the index up to date with storage (written by any process) at time `now`: add the
        articles stored since the last look, and drop those aged past NEWSBOT_MAX_AGE_DAYS.
        Returns the newly indexed articles."""
        async with self._refresh_lock:
            now = now or datetime.now(timezone.utc)
            cutoff = age_cutoff(self.settings.max_age_days, now)
            aged = (
                cutoff is not None
                and self._cutoff is not None
                and await self.storage.aged_between(self._cutoff, cutoff, self._last_row)
            )
            if aged:
                before = len(self._index.articles)
                last_row, index = await index_from_storage(self.storage, self.settings, now, self._index)
                new = await self.storage.articles_after(self._last_row, upto_row=last_row,
                                                        max_age_days=self.settings.max_age_days, now=now)
                self._cutoff = cutoff
                log.info("index rebuilt: %d articles aged out, %d new",
                         before + len(new) - len(index.articles), len(new))
            else:
                last_row = await self.storage.max_article_row()
                new = await self.storage.articles_after(self._last_row, upto_row=last_row,
                                                        max_age_days=self.settings.max_age_days, now=now)
                index = self._index
                if new:
                    index = await asyncio.to_thread(index.with_articles, [article for _, article in new])
                    log.info("index refreshed: %d new articles", len(new))
            # Plain assignments: questions in flight keep the snapshot they took.
            self._index, self._last_row = index, last_row
            return new


async def _purge_query_log(storage: Storage, settings: Settings) -> int:
    purged = await storage.purge_queries(settings.query_log_days)
    if purged:
        log.info("query log: %d questions older than %g days deleted", purged, settings.query_log_days)
    return purged
