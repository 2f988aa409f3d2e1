"""NewsService: the one object every handler and job calls; it owns the storage and the current index."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from datetime import datetime, timezone

from retrieval import Article, NewsIndex

from bot.age import age_cutoff
from bot.core.index_builder import index_from_storage, save_index
from bot.core.questions import MAX_QUESTION_CHARS, check_question
from bot.core.results import Asked, Latest, Stats
from bot.intake.files import load_seeds
from bot.settings import Settings
from bot.storage import Storage

log = logging.getLogger(__name__)

LATEST_COUNT = 5
# How often a running bot writes its index snapshot while news arrives (a restart re-analyses at
# most this much news).
SNAPSHOT_SECONDS = 300.0


class NewsService:
    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        index: NewsIndex,
        last_row: int,
        cutoff: datetime | None = None,
        rows: dict[str, int] | None = None,
    ) -> None:
        self.settings = settings
        self.storage = storage
        self._index = index
        self._last_row = last_row
        # The age cutoff the index was last built from; once a newer cutoff passes an indexed article,
        # the index is rebuilt from storage without it (NewsIndex.rebuilt reuses the analysis).
        self._cutoff = cutoff
        # Storage row of each indexed article, for the index snapshot; written at most every
        # SNAPSHOT_SECONDS while news arrives, and at close.
        self._rows = dict(rows or {})
        self._saved_at = time.monotonic()
        self._unsaved = False
        self._refresh_lock = asyncio.Lock()
        # Delivery runs (the refresh job, the feeds job) take turns, or two could send the same message.
        self.delivery_lock = asyncio.Lock()

    @classmethod
    async def start(cls, settings: Settings) -> NewsService:
        """Open the database, store the seeds on first start, and build the index off the event loop."""
        storage = await Storage.open(settings.database)
        try:
            seeded = await load_seeds(storage, settings)
            if seeded.added:
                log.info("seeds stored: %s", seeded.line())
            for item, why in seeded.failed:
                log.warning("seed not stored: %s (%s)", item, why)
            now = datetime.now(timezone.utc)
            last_row, index, rows = await index_from_storage(storage, settings, now)
        except BaseException:
            await storage.close()
            raise
        log.info("index ready: %d articles, %d sentences", len(index.articles), len(index.refs))
        gc.freeze()  # the index lives long: keep full collections from walking its objects
        return cls(settings, storage, index, last_row, age_cutoff(settings.max_age_days, now), rows)

    async def close(self) -> None:
        if self._unsaved:
            await self._save_snapshot()
        await self.storage.close()

    async def _save_snapshot(self) -> None:
        self._unsaved, self._saved_at = False, time.monotonic()
        await asyncio.to_thread(save_index, self.settings.database, self._index, dict(self._rows))

    @property
    def index(self) -> NewsIndex:
        return self._index

    async def ask(self, chat_id: int | None, question: str) -> Asked:
        truncated = len(question) > MAX_QUESTION_CHARS
        question = question[:MAX_QUESTION_CHARS].strip()
        refusal = check_question(question)
        if refusal is not None:
            return Asked(reply=None, refusal=refusal, truncated=truncated)
        started = time.perf_counter()
        index = self._index  # one snapshot for the whole question, whatever refresh() does meanwhile
        reply = await asyncio.to_thread(index.ask, question, self.settings.top_k)
        latency_ms = (time.perf_counter() - started) * 1000
        await self.storage.log_query(chat_id, question, reply.answered, latency_ms)
        return Asked(reply=reply, truncated=truncated)

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
        return await self.storage.unsubscribe(chat_id)

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
                last_row, index, rows = await index_from_storage(self.storage, self.settings, now, self._index)
                self._rows = rows
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
                    # A new segment of the new articles only; questions keep the old index meanwhile.
                    index = await asyncio.to_thread(index.with_articles, [article for _, article in new])
                    self._rows.update((article.id, row) for row, article in new)
                    log.info("index refreshed: %d new articles", len(new))
            # Plain assignments: questions in flight keep the snapshot they took.
            self._index, self._last_row = index, last_row
            self._unsaved = self._unsaved or bool(new) or aged
            if self._unsaved and time.monotonic() - self._saved_at >= SNAPSHOT_SECONDS:
                await self._save_snapshot()
            return new
