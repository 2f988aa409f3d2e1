"""NewsService: the one object every handler and job calls; it owns the storage and the current index."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from datetime import datetime, timezone

from retrieval import Article, NewsIndex
from retrieval.meaning.vectors import ArticleVectors

from bot.age import age_cutoff
from bot.core.alerts import Followed, TopicAlerts
from bot.core.channels import ChannelRequest
from bot.core.conversation import Conversations
from bot.core.conversing import Conversing
from bot.core.feed_admin import FeedAdmin, FeedChange, FeedStatus
from bot.core.digests import DEFAULT_TZ, PlanRequest, Story, next_due, plan_due, top_stories
from bot.core.embedder import BackgroundEmbedding
from bot.core.index_builder import AnalysisWorker, index_from_storage, save_index
from bot.core.questions import check_question, clean_question, cut_question
from bot.core.results import Asked, Latest, Plan, Stats
from bot.intake.embedding import process_encoder
from bot.intake.files import load_seeds
from bot.metrics import ABSTAINED, ANSWERED, REFUSED, Metrics
from bot.settings import Settings
from bot.storage import Digest, Storage, Topic

log = logging.getLogger(__name__)

LATEST_COUNT = 5
INLINE_ANSWERS = 5
# How often a running bot writes its index snapshot while news arrives (a restart re-analyses at
# most this much news).
SNAPSHOT_SECONDS = 300.0


class NewsService(Conversing):
    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        index: NewsIndex,
        last_row: int,
        cutoff: datetime | None = None,
        alerts: TopicAlerts | None = None,
        feeds: FeedAdmin | None = None,
        rows: dict[str, int] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        # This bot's own metrics (bot/metrics.py): a registry per service, so per Application.
        self.metrics = metrics or Metrics()
        self.metrics.index_built(len(index.articles), len(index.refs))
        # The last index refresh's error, None once one succeeds (for /healthz): a worker whose index
        # cannot follow the database answers from stale news.
        self.refresh_error: str | None = None
        # The low-water mark of article pushes (bot/telegram/delivery.py, count_waiting): every push
        # of an article below this row is final, so the count of pushes waiting and each delivery
        # run's claims start here. None until the first count after a start derives it.
        self.waiting_from_row: int | None = None
        self.storage = storage
        self.conversations = Conversations()  # read by Conversing (bot/core/conversing.py)
        self.alerts = alerts or TopicAlerts(storage, [])
        self.feeds = feeds or FeedAdmin(storage, settings, [])
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
        # The worker process that analyses big refreshes and embeds in the background, started on first need.
        self._analysis = AnalysisWorker()
        # Delivery runs (the refresh job, the feeds job) take turns, or two could send the same message.
        self.delivery_lock = asyncio.Lock()
        # Set on shutdown (SIGTERM): long jobs stop at their next step and leave the rest for the next start.
        self.stopping = asyncio.Event()
        # Set whenever a refresh adds articles to the index: the delivery loop wakes to push them.
        self.index_grew = asyncio.Event()
        # Query-log writes run beside the reply, never in its way (a locked database must not cost the
        # user the answer); failures are counted here and logged.
        self._log_writes: set[asyncio.Task[None]] = set()
        self.query_log_failures = 0
        # The background embedding runs (bot/core/embedder.py) the refresh job starts.
        self._embedding = BackgroundEmbedding(storage, settings, self._analysis, self._analysis.died)

    @classmethod
    async def start(cls, settings: Settings) -> NewsService:
        """Open the database, store the seeds on first start, and build the index off the event loop."""
        storage = await Storage.open(settings.database)
        try:
            # Loaded once, before the seeds (which it embeds) and the index (which asks it questions).
            encoder = process_encoder(settings.encoder)
            await _purge_query_log(storage, settings)
            seeded = await load_seeds(storage, settings)
            if seeded.added:
                log.info("seeds stored: %s", seeded.line())
            for item, why in seeded.failed:
                log.warning("seed not stored: %s (%s)", item, why)
            now = datetime.now(timezone.utc)
            last_row, index, rows = await index_from_storage(storage, settings, now, encoder=encoder)
            alerts = await TopicAlerts.load(storage)
            feeds = await FeedAdmin.load(storage, settings)
            service = cls(settings, storage, index, last_row, age_cutoff(settings.max_age_days, now), alerts, feeds, rows)
        except BaseException:
            await storage.close()
            raise
        log.info("index ready: %d articles, %d sentences%s", len(index.articles), len(index.refs),
                 f", {index.meaning.count} with vectors" if index.meaning is not None else "")
        gc.freeze()  # the index lives long: keep full collections from walking its objects
        return service

    async def close(self) -> None:
        try:
            self._embedding.cancel()
            await self.settle()
            if self._unsaved:
                await self._save_snapshot()
        finally:
            self._analysis.shutdown()
            await self.storage.close()

    async def settle(self) -> None:
        """Wait for the query-log writes still in flight (each ends within the database's busy timeout)
        and for the background embedding run, if one is going."""
        while self._log_writes:
            await asyncio.gather(*self._log_writes, return_exceptions=True)
        await self._embedding.settle()

    async def _with_vectors(self, vectors: dict[str, ArticleVectors]) -> None:
        async with self._refresh_lock:  # a refresh swapping the index meanwhile must not lose them
            self._index = await asyncio.to_thread(self._index.with_vectors, vectors)

    async def _save_snapshot(self) -> None:
        self._unsaved, self._saved_at = False, time.monotonic()
        await asyncio.to_thread(save_index, self.settings.database, self._index, dict(self._rows))

    @property
    def index(self) -> NewsIndex:
        return self._index

    @property
    def indexed_row(self) -> int:
        """The last article row the index has looked at: articles up to it are answerable (or too old
        to be news), so only they are pushed."""
        return self._last_row

    async def ask(
        self, chat_id: int | None, question: str, *, log_query: bool = True, top_k: int | None = None
    ) -> Asked:
        """Answer `question`; `log_query=False` for inline queries, which Telegram sends as the user
        types (one per pause), so logging them would count half-typed questions."""
        question, truncated = cut_question(clean_question(question))
        refusal = check_question(question)
        if refusal is not None:
            if log_query:
                self.metrics.question(REFUSED)
            return Asked(reply=None, refusal=refusal, truncated=truncated)
        started = time.perf_counter()
        index = self._index  # one snapshot for the whole question, whatever refresh() does meanwhile
        reply = await asyncio.to_thread(index.ask, question, top_k or self.settings.top_k)
        seconds = time.perf_counter() - started
        if log_query:
            # Inline queries stay out, as from the query log: they come as the user types.
            self.metrics.question(ANSWERED if reply.answered else ABSTAINED, seconds)
            self._log_asked(chat_id, question, reply.answered, seconds * 1000)
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

    async def inline(self, query: str) -> Asked | list[Article]:
        """An inline query: up to INLINE_ANSWERS cited sentences, or the latest headlines when it is empty."""
        if not query.strip():
            return await self.storage.latest(LATEST_COUNT, self.settings.max_age_days)
        return await self.ask(None, query, log_query=False, top_k=INLINE_ANSWERS)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids

    async def stats(self, user_id: int | None) -> Stats | None:
        """The bot's figures for an admin (NEWSBOT_ADMIN_IDS); None for anyone else."""
        if not self.is_admin(user_id):
            return None
        counts = await self.storage.counts()
        return Stats(indexed=len(self._index.articles), figures=self.metrics.figures(), **counts)

    async def add_feed(self, user_id: int | None, url: str) -> FeedChange | None:
        """An admin's /addfeed: fetched once to check it is a feed, then polled with the others. None
        for anyone else."""
        return await self.feeds.add(url, user_id) if self.is_admin(user_id) else None

    async def remove_feed(self, user_id: int | None, url: str) -> FeedChange | None:
        return await self.feeds.remove(url) if self.is_admin(user_id) else None

    async def feed_statuses(self, user_id: int | None) -> list[FeedStatus] | None:
        return await self.feeds.statuses() if self.is_admin(user_id) else None

    def feed_urls(self) -> list[str]:
        return self.feeds.urls()

    async def set_channel(
        self, user_id: int | None, channel_id: int, title: str | None, request: ChannelRequest
    ) -> Followed | Plan | bool | None:
        """An admin's /channel, once Telegram said the bot may post there: the channel gets every
        article, a topic, a digest, or nothing more (off). None for anyone but an admin."""
        if not self.is_admin(user_id):
            return None
        if request.kind == "topic":
            return await self.follow(channel_id, request.topic, "channel", title)
        if request.kind == "digest":
            return await self.set_plan(channel_id, request.plan, "channel", title)
        if request.kind == "off":
            await self.forget_chat(channel_id)
            return False
        return await self.subscribe(channel_id, "channel", title)

    async def subscribe(self, chat_id: int, type: str | None = None, title: str | None = None) -> bool:
        """Every new article for `chat_id` (instead of a digest it may have had); False if it already had that."""
        await self.storage.remember_chat(chat_id, type, title)
        await self.storage.drop_digest_plan(chat_id)
        return await self.storage.subscribe(chat_id)

    async def subscribe_default(self, chat_id: int, type: str | None = None, title: str | None = None) -> tuple[Plan, bool]:
        """/subscribe without a choice: a chat with a digest keeps it; any other gets every article, as
        /subscribe always did. The plan now, and whether it changed."""
        plan = await self.plan(chat_id)
        if plan.digest is not None:
            return plan, False
        added = await self.subscribe(chat_id, type, title)
        return Plan(True, None), added

    async def unsubscribe(self, chat_id: int) -> bool:
        """End the subscription and the digest, and with them what is kept about the chat
        (Storage.forget_chat); topics stay (/unfollow drops those). False if there was neither."""
        digest = await self.storage.drop_digest_plan(chat_id)
        return await self.storage.forget_chat(chat_id) or digest

    async def forget_chat(self, chat_id: int) -> None:
        """The chat blocked the bot or removed it: drop what is kept about it, its digest and topics."""
        await self.storage.drop_digest_plan(chat_id)
        await self.storage.forget_chat(chat_id)
        await self.alerts.forget_chat(chat_id)
        self.conversations.forget(chat_id)
        log.info("chat %s is gone: its subscription, digest, topics, name and delivery records were dropped", chat_id)

    async def purge_query_log(self) -> int:
        """Delete questions older than NEWSBOT_QUERY_LOG_DAYS (run at start and by a periodic job)."""
        return await _purge_query_log(self.storage, self.settings)

    async def is_subscribed(self, chat_id: int) -> bool:
        return (await self.plan(chat_id)).subscribed

    async def plan(self, chat_id: int) -> Plan:
        return Plan(await self.storage.is_subscribed(chat_id), await self.storage.digest_plan(chat_id))

    async def set_plan(
        self, chat_id: int, request: PlanRequest, type: str | None = None, title: str | None = None,
        now: datetime | None = None,
    ) -> Plan:
        """Every article, or a digest every N hours / daily at an hour (of the chat's time zone: the one
        asked for, else the one it had, else Asia/Riyadh)."""
        if request.every_article:
            await self.subscribe(chat_id, type, title)
            return await self.plan(chat_id)
        await self.storage.remember_chat(chat_id, type, title)
        current = await self.storage.digest_plan(chat_id)
        tz = request.tz or (current.tz if current else DEFAULT_TZ)
        due = next_due(request.every_hours, request.at_hour, tz, now or datetime.now(timezone.utc))
        await self.storage.set_digest_plan(chat_id, request.every_hours, request.at_hour, tz, _utc_text(due))
        return await self.plan(chat_id)

    async def open_due_digests(self, now: datetime | None = None) -> int:
        """Record the digests due by `now` (each plan then moves to its next time); how many were owed."""
        now = now or datetime.now(timezone.utc)
        opened = 0
        for plan in await self.storage.due_digest_plans(_utc_text(now)):
            upto = await self.storage.max_article_row()
            if await self.storage.open_digest(plan.chat_id, upto, _utc_text(plan_due(plan, now))) is not None:
                opened += 1
        return opened

    async def digest_now(self, chat_id: int) -> bool | None:
        """Owe `chat_id` its digest now, ahead of time (its schedule stays): True if one was recorded,
        False if nothing arrived since the last one, None if the chat has no digest plan."""
        if await self.storage.digest_plan(chat_id) is None:
            return None
        upto = await self.storage.max_article_row()
        return await self.storage.open_digest(chat_id, upto, None) is not None

    async def digest_stories(self, digest: Digest) -> list[Story]:
        """The stories of a digest: its articles still young enough, grouped and ranked."""
        rows = await self.storage.articles_after(
            digest.from_article, upto_row=digest.upto_article, max_age_days=self.settings.max_age_days
        )
        return await asyncio.to_thread(top_stories, [article for _, article in rows])

    async def follow(self, chat_id: int, text: str, type: str | None = None, title: str | None = None) -> Followed:
        await self.storage.remember_chat(chat_id, type, title)
        return await self.alerts.follow(chat_id, text)

    async def unfollow(self, chat_id: int, which: int | str) -> Topic | None:
        return await self.alerts.unfollow(chat_id, which)

    async def following(self, chat_id: int) -> list[Topic]:
        return await self.alerts.following(chat_id)

    async def match_topics(self) -> int:
        """Match the articles stored since the last run against every followed topic (after `refresh`,
        so the weights come from an index that holds them); the number of pushes now owed."""
        return await self.alerts.match_new(self._index, self.settings.max_age_days, upto_row=self._last_row)

    async def refresh(self, now: datetime | None = None) -> list[tuple[int, Article]]:
        """Bring the index up to date (`_refresh`), timed and counted; a failure is kept for /healthz
        until a refresh succeeds."""
        started = time.perf_counter()
        try:
            new = await self._refresh(now)
        except Exception as exc:
            self.metrics.index_refresh_failed()
            self.refresh_error = f"{type(exc).__name__}: {exc}"
            raise
        self.refresh_error = None
        self.metrics.index_refreshed(len(self._index.articles), len(self._index.refs), time.perf_counter() - started)
        return new

    async def _refresh(self, now: datetime | None = None) -> list[tuple[int, Article]]:
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
                    index = await self._analysis.grown(self.storage, self.settings, index, new, self._last_row)
                    self._rows.update((article.id, row) for row, article in new)
                    log.info("index refreshed: %d new articles", len(new))
            # Plain assignments: questions in flight keep the snapshot they took.
            self._index, self._last_row = index, last_row
            if new:
                self.index_grew.set()
            self._unsaved = self._unsaved or bool(new) or aged
            if self._unsaved and time.monotonic() - self._saved_at >= SNAPSHOT_SECONDS:
                await self._save_snapshot()
        self._embedding.start(self._index, self._rows, self._with_vectors)
        return new


async def _purge_query_log(storage: Storage, settings: Settings) -> int:
    purged = await storage.purge_queries(settings.query_log_days)
    if purged:
        log.info("query log: %d questions older than %g days deleted", purged, settings.query_log_days)
    return purged


def _utc_text(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")
