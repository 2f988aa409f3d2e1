"""From a fetched page to an article ready to store, and from a fetched feed to its entries, in a
worker process and bounded in time.

Decoding, extraction (trafilatura), feed parsing (feedparser), the article parser and the content
fingerprint are CPU work on text that a stranger wrote: they run in a worker process
(bot/intake/workers.py), never on the event loop that answers users, and one that is not done within
NEWSBOT_EXTRACT_TIMEOUT seconds is given up: its worker is killed and replaced, and the page counts as
failed (a feed entry is retried at the next polls, then given up on like any failing page; a feed
backs off like a feed that failed to fetch).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from retrieval import Article

from bot.intake.extract import build_page_article, extract_page
from bot.intake.feeds import Feed, FeedError, parse_feed
from bot.intake.fetch import FetchResult
from bot.intake.workers import WorkerDiedError, WorkerPool, WorkerTimeoutError


class PageBuildError(Exception):
    """The page could not be built into an article in time, or its worker died; str() says which."""


def build_fetched_page(
    result: FetchResult,
    link: str,
    source: str | None,
    entry_title: str | None,
    entry_summary: str | None,
    entry_published: datetime | None,
    entry_image: str | None = None,
) -> tuple[Article, str]:
    """The article in a fetched page (its entry's summary standing in for a page with no body) and its
    fingerprint; runs in the worker. Raises what decoding and extraction raise (DecodeError,
    NoArticleError)."""
    page = extract_page(result.text(), result.url)
    article = build_page_article(
        page,
        link=link,
        source=source,
        entry_title=entry_title,
        entry_summary=entry_summary,
        entry_published=entry_published,
        entry_image=entry_image,
    )
    return article, article.fingerprint


def _job(kind: str, *args: Any) -> Any:
    """What the worker runs: one process serves pages and feeds alike."""
    return build_fetched_page(*args) if kind == "page" else parse_feed(*args)


# One process: a page takes ~12 ms to extract (benchmarks/bench_extract.py), so one keeps up with
# any stream of feeds, and the bot holds one more interpreter, not one per core.
_pool: WorkerPool[Any] = WorkerPool(_job, size=1)


async def build_page(
    result: FetchResult,
    *,
    link: str,
    source: str | None,
    timeout: float,
    entry_title: str | None = None,
    entry_summary: str | None = None,
    entry_published: datetime | None = None,
    entry_image: str | None = None,
) -> tuple[Article, str]:
    """`build_fetched_page` in the page worker, within `timeout` seconds, else PageBuildError."""
    try:
        built: tuple[Article, str] = await _pool.run(
            "page", result, link, source, entry_title, entry_summary, entry_published, entry_image, timeout=timeout
        )
    except WorkerTimeoutError:
        raise PageBuildError(f"no article built from the page within {timeout:g} s") from None
    except WorkerDiedError as exc:
        raise PageBuildError(f"the page could not be built: {exc}") from None
    return built


async def read_feed(result: FetchResult, *, timeout: float) -> Feed | None:
    """`parse_feed` in the worker, within `timeout` seconds; FeedError when it was not done in time."""
    try:
        feed: Feed | None = await _pool.run("feed", result, timeout=timeout)
    except WorkerTimeoutError:
        raise FeedError(f"feed not read within {timeout:g} s") from None
    except WorkerDiedError as exc:
        raise FeedError(f"the feed could not be read: {exc}") from None
    return feed
