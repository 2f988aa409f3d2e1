"""Following feeds: poll with conditional GET, fetch each new entry's page, extract, store once.

Every fault of a feed or a page ends as a log line and a counted failure in the IngestSummary; a
feed that fails is retried with exponential backoff, and one broken feed never stops the others.
Duplicates are caught three ways: an entry already looked at (per feed), a link or canonical URL
already stored, and the content fingerprint that Storage.add_article checks in the same transaction
as the insert.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import httpx
from tqdm import tqdm

from retrieval import Article
from retrieval.meaning.vectors import ArticleVectors, model_key

from bot.age import age_cutoff, too_old
from bot.intake.embedding import embed, in_window, process_encoder, sentence_since
from bot.intake.extract import NoArticleError, normalize_url
from bot.intake.feeds import Entry, Feed, FeedError
from bot.intake.fetch import AddressPolicy, DecodeError, FetchError, FetchResult, fetch, make_client
from bot.intake.pages import PageBuildError, build_page, read_feed
from bot.intake.summary import IngestSummary
from bot.metrics import FEED_FAILED, FEED_NOT_MODIFIED, FEED_OK, Metrics
from bot.settings import Settings
from bot.storage import FeedState, Storage, utc_now

log = logging.getLogger(__name__)

PAGE_CONCURRENCY = 4
# A page that failed this many polls in a row is given up on; the feed itself is always retried.
MAX_ENTRY_ATTEMPTS = 3
MAX_BACKOFF_SECONDS = 6 * 3600
PROGRESS_MIN_ENTRIES = 10

# Entry states in feed_entries.
STORED, DUPLICATE, FAILED, OLD = "stored", "duplicate", "failed", "old"
_SETTLED = (STORED, DUPLICATE, OLD)


def backoff_until(errors: int, settings: Settings, now: datetime | None = None) -> str:
    """When to try a feed again after `errors` failures in a row: 1, 2, 4... poll rounds, capped.

    Half a round is taken off so that jitter in the job's timing never skips a due round.
    """
    now = now or datetime.now(timezone.utc)
    delay = min(settings.feed_seconds * 2 ** max(errors - 1, 0), MAX_BACKOFF_SECONDS) - settings.feed_seconds / 2
    return (now + timedelta(seconds=max(delay, 0))).isoformat(timespec="seconds")


async def _entry_article(
    client: httpx.AsyncClient, entry: Entry, source: str | None, settings: Settings, policy: AddressPolicy
) -> tuple[Article, str]:
    """Fetch one entry's page and build its article (with its fingerprint) in the page worker; a page
    that fails outright keeps its error, one with no body falls back to the entry's summary. The
    picture the page or the entry names is then held to the feed's SSRF guard (vetted_image)."""
    result = await fetch(client, entry.link, max_bytes=settings.fetch_max_bytes, timeout=settings.fetch_timeout,
                         policy=policy)
    article, digest = await build_page(
        result,
        link=entry.link,
        source=source,
        timeout=settings.extract_timeout,
        entry_title=entry.title,
        entry_summary=entry.summary,
        entry_published=entry.published,
        entry_image=entry.image,
    )
    return await vetted_image(article, policy, settings), digest


async def vetted_image(article: Article, policy: AddressPolicy, settings: Settings) -> Article:
    """`article` without its picture unless the picture's URL passes the SSRF guard that its page's
    links do: http(s), and a private or loopback address only from a feed or page on one itself.
    Telegram fetches the picture, not us; but a public feed must not make the bot hand out (or a
    later fetch follow) an address inside the network it runs in."""
    if article.image is None:
        return article
    try:
        async with asyncio.timeout(settings.fetch_timeout):
            await policy.check(article.image)
    except (FetchError, TimeoutError) as exc:
        log.info("picture of %s dropped: %s", article.url, str(exc) or "no address in time")
        return replace(article, image=None)
    return article


async def _store(
    storage: Storage, built: tuple[Article, str], feed_url: str | None, summary: IngestSummary, what: str,
    settings: Settings,
) -> int | None:
    article, digest = built
    vectors, model = await _embedded(storage, article, settings)
    row = await storage.add_article(article, canonical_url=article.url, content_hash=digest, feed_url=feed_url,
                                    vectors=vectors, model=model)
    if row is None:
        summary.duplicates += 1
        log.info("duplicate, not stored: %s", what)
    else:
        summary.added += 1
        log.info("stored article %s: %s", article.id, article.url)
    return row


async def _embedded(storage: Storage, article: Article, settings: Settings) -> tuple[ArticleVectors | None, str | None]:
    """The article's vectors and their model key (None, None without an encoder), made in a thread: the
    engine releases the interpreter lock, so the event loop keeps answering meanwhile."""
    encoder = process_encoder(settings.encoder)
    if encoder is None:
        return None, None
    since = sentence_since(await storage.newest_article_time(), settings.sentence_vector_days)
    (vectors,) = await asyncio.to_thread(embed, encoder, [article], [in_window(article, since)])
    return vectors, model_key(encoder)


async def _ingest_entries(
    storage: Storage,
    feed_url: str,
    feed: Feed,
    settings: Settings,
    client: httpx.AsyncClient,
    summary: IngestSummary,
    progress: bool,
    policy: AddressPolicy,
) -> None:
    for what, why in feed.skipped:
        summary.failed.append((f"{feed_url} entry «{what}»", why))
        log.warning("feed %s: entry «%s» skipped: %s", feed_url, what, why)
    cutoff = age_cutoff(settings.max_age_days)
    todo: list[Entry] = []
    for entry in feed.entries:
        seen = await storage.feed_entry(feed_url, entry.key)
        if seen is not None and (seen[0] in _SETTLED or seen[1] >= MAX_ENTRY_ATTEMPTS):
            if seen[0] in (STORED, DUPLICATE):
                summary.duplicates += 1
            continue
        if too_old(entry.published, cutoff):
            log.info("feed %s: entry older than NEWSBOT_MAX_AGE_DAYS skipped: %s", feed_url, entry.link)
            await storage.record_feed_entry(feed_url, entry.key, OLD)
            continue
        if await storage.has_canonical_url(normalize_url(entry.link)):
            summary.duplicates += 1
            await storage.record_feed_entry(feed_url, entry.key, DUPLICATE)
            continue
        todo.append(entry)
    if not todo:
        return
    show = progress and len(todo) >= PROGRESS_MIN_ENTRIES and sys.stderr.isatty()
    bar = tqdm(total=len(todo), desc=(feed.title or feed_url)[:30], unit="entry", file=sys.stderr, disable=not show)
    gate = asyncio.Semaphore(PAGE_CONCURRENCY)

    async def prepare(entry: Entry) -> tuple[Article, str] | str:
        async with gate:
            try:
                return await _entry_article(client, entry, feed.title, settings, policy)
            except (FetchError, NoArticleError, PageBuildError) as exc:
                return str(exc)
            except Exception as exc:  # a page that trips a library bug must not take the feed down
                log.exception("feed %s: unexpected error on %s", feed_url, entry.link)
                return f"{type(exc).__name__}: {exc}"
            finally:
                bar.update(1)

    try:
        prepared = await asyncio.gather(*(prepare(entry) for entry in todo))
    finally:
        bar.close()
    # Stored one by one in feed order, each article in its own transaction.
    for entry, outcome in zip(todo, prepared):
        if isinstance(outcome, str):
            summary.failed.append((entry.link, outcome))
            log.warning("feed %s: entry %s failed: %s", feed_url, entry.link, outcome)
            await storage.record_feed_entry(feed_url, entry.key, FAILED, outcome)
            continue
        if too_old(outcome[0].published, cutoff):
            log.info("feed %s: article older than NEWSBOT_MAX_AGE_DAYS skipped: %s", feed_url, entry.link)
            await storage.record_feed_entry(feed_url, entry.key, OLD)
            continue
        row = await _store(storage, outcome, feed_url, summary, entry.link, settings)
        await storage.record_feed_entry(feed_url, entry.key, STORED if row is not None else DUPLICATE)


async def _feed_failed(storage: Storage, url: str, state: FeedState | None, reason: str, settings: Settings) -> IngestSummary:
    errors = (state.consecutive_errors if state else 0) + 1
    retry = backoff_until(errors, settings)
    log.warning("feed %s failed (%d in a row, next try after %s): %s", url, errors, retry, reason)
    await storage.record_feed_fetch(url, error=reason, next_attempt=retry)
    return IngestSummary(failed=[(url, reason)])


async def poll_feed(
    storage: Storage,
    url: str,
    settings: Settings,
    client: httpx.AsyncClient,
    *,
    force: bool = False,
    prefetched: FetchResult | None = None,
    progress: bool = False,
    policy: AddressPolicy | None = None,
    metrics: Metrics | None = None,
) -> IngestSummary:
    """Poll one feed and ingest its new entries; a feed still backing off is skipped unless `force`.

    `policy` holds the feed's redirects and entry links (SSRF guard); by default it follows from the
    feed URL's own address, which the operator chose and which may itself point anywhere.
    `metrics`: the running bot's, which counts the poll and the articles it stored.
    """
    state = await storage.feed_state(url)
    if not force and state is not None and state.next_attempt and state.next_attempt > utc_now():
        log.debug("feed %s backing off until %s", url, state.next_attempt)
        return IngestSummary()
    policy = policy or await AddressPolicy.for_origin(url, timeout=settings.fetch_timeout)
    try:
        result = prefetched or await fetch(
            client,
            url,
            etag=state.etag if state else None,
            last_modified=state.last_modified if state else None,
            max_bytes=settings.fetch_max_bytes,
            timeout=settings.fetch_timeout,
            policy=policy,
            operator_url=True,
        )
        if result.not_modified:
            log.info("feed %s: not modified", url)
            await storage.record_feed_fetch(url)
            if metrics is not None:
                metrics.feed_polled(FEED_NOT_MODIFIED)
            return IngestSummary()
        feed = await read_feed(result, timeout=settings.extract_timeout)
        if feed is None:
            raise FeedError("not an RSS or Atom feed")
    except (FetchError, FeedError) as exc:
        if metrics is not None:
            metrics.feed_polled(FEED_FAILED)
        return await _feed_failed(storage, url, state, str(exc), settings)
    summary = IngestSummary()
    await _ingest_entries(storage, url, feed, settings, client, summary, progress, policy)
    # Validators are saved last: if the process dies mid-feed, the next poll gets the whole feed again.
    await storage.record_feed_fetch(url, title=feed.title, etag=result.etag, last_modified=result.last_modified)
    log.info("feed %s: %s", url, summary.line())
    if metrics is not None:
        metrics.feed_polled(FEED_OK, summary.added)
    return summary


async def poll_feeds(
    storage: Storage, urls: list[str], settings: Settings, client: httpx.AsyncClient | None = None,
    metrics: Metrics | None = None,
) -> IngestSummary:
    """Poll every feed in turn; whatever one feed does, the others are still polled."""
    total = IngestSummary()
    own = client is None
    client = client or make_client(settings.fetch_timeout)
    try:
        for url in dict.fromkeys(urls):
            try:
                total.merge(await poll_feed(storage, url, settings, client, metrics=metrics))
            except Exception as exc:
                log.exception("feed %s: unexpected error", url)
                if metrics is not None:
                    metrics.feed_polled(FEED_FAILED)
                total.failed.append((url, f"{type(exc).__name__}: {exc}"))
    finally:
        if own:
            await client.aclose()
    return total


async def check_feed(url: str, settings: Settings, *, private_ok: bool = False) -> Feed:
    """Fetch `url` once and parse it: the feed, or FetchError/FeedError saying why it is not one
    (/addfeed's validation). Unless `private_ok`, the URL must be on a public address: a chat command
    must not make the bot probe the network it runs in."""
    policy = AddressPolicy(origin_is_public=True) if not private_ok else await AddressPolicy.for_origin(url)
    async with make_client(settings.fetch_timeout) as client:
        result = await fetch(client, url, max_bytes=settings.fetch_max_bytes, timeout=settings.fetch_timeout,
                             policy=policy, operator_url=private_ok)
        feed = await read_feed(result, timeout=settings.extract_timeout)
    if feed is None:
        raise FeedError("not an RSS or Atom feed")
    return feed


async def ingest_url(storage: Storage, url: str, settings: Settings) -> IngestSummary:
    """`newsbot ingest URL`: a feed (every entry) or a single article page, told apart by content."""
    async with make_client(settings.fetch_timeout) as client:
        try:
            result = await fetch(client, url, max_bytes=settings.fetch_max_bytes, timeout=settings.fetch_timeout)
            feed = await read_feed(result, timeout=settings.extract_timeout)
        except FeedError as exc:
            return await _feed_failed(storage, url, await storage.feed_state(url), str(exc), settings)
        except FetchError as exc:
            state = await storage.feed_state(url)
            if state is not None or url in settings.feeds:  # a known feed: its status shows the failure
                return await _feed_failed(storage, url, state, str(exc), settings)
            log.warning("%s: %s", url, exc)
            return IngestSummary(failed=[(url, str(exc))])
        if feed is not None:
            return await poll_feed(storage, url, settings, client, force=True, prefetched=result, progress=True)
        summary = IngestSummary()
        try:
            built = await build_page(result, link=result.url, source=None, timeout=settings.extract_timeout)
        except (NoArticleError, DecodeError, PageBuildError) as exc:
            log.warning("%s: %s", url, exc)
            summary.failed.append((url, str(exc)))
            return summary
        article, digest = built  # the fingerprint is the title's and sentences', not the picture's
        article = await vetted_image(article, await AddressPolicy.for_origin(url, settings.fetch_timeout), settings)
        await _store(storage, (article, digest), None, summary, url, settings)
        return summary
