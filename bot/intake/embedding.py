"""Embeddings made at ingest: the encoder each process loads once, and which articles get what.

Every article gets its story vector (its title: ~15-25 ms on this machine's cores). Its body
sentences (~35-100 ms each, ~7 an article on the news stream) are embedded only for the newest
news: articles dated within NEWSBOT_SENTENCE_VECTOR_DAYS of the newest article the bot holds (never
later than now), where a question's candidates usually come from; the refresh job embeds the window's
sentences that ingest left out (an archive ingested into an empty database) in the background.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from retrieval import Article, parse_published
from retrieval.meaning.encoder import Encoder, load_encoder
from retrieval.meaning.vectors import ArticleVectors, embed_articles

from bot.age import cutoff_text

log = logging.getLogger(__name__)


# This process's encoders, by NEWSBOT_ENCODER name: each loaded once (the model is ~50 MB and takes a
# moment to load), shared by the index, the feeds and ingest in this process.
LOADED: dict[str, Encoder | None] = {}


def process_encoder(name: str) -> Encoder | None:
    """The encoder `name` names (NEWSBOT_ENCODER), loaded once per process, with one log line saying
    which encoder answers, or that answers are lexical. None: no encoder (off, or unavailable)."""
    if name in LOADED:
        return LOADED[name]
    # One engine thread unless the operator says otherwise: a question is one short text, and on busy
    # cores the engine's OpenMP threads wait on each other (here: p50 34 ms, worst 1 s with two threads
    # under load; 18 ms and 33 ms with one). Read by the engine when it loads, so set before.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    encoder = LOADED[name] = load_encoder(name)
    if encoder is not None:
        log.info("meaning: encoder %s (%d dimensions) reads questions beside BM25", encoder.name, encoder.dim)
    elif name == "none":
        log.info("meaning: off (NEWSBOT_ENCODER=none): answers are lexical")
    # An engine that failed to load has said so in load_encoder's one warning line.
    return encoder


def single_threaded() -> None:
    """Initializer of the worker processes that embed (ingest, the analysis worker): one engine thread
    each, so two workers on two cores do not fight over them."""
    os.environ["OMP_NUM_THREADS"] = "1"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)  # stored naive = UTC


def sentence_since(newest: str | None, days: float, now: datetime | None = None) -> datetime | None:
    """The oldest article time whose sentences are embedded: `days` before the newest article held
    (`newest`, as storage writes it; never later than `now`), or before `now` when none is held.
    None when sentences are not embedded at all (days = 0)."""
    if days <= 0:
        return None
    now = now or datetime.now(timezone.utc)
    held = parse_published(newest)
    reference = now if held is None else min(now, _aware(held))
    return reference - timedelta(days=days)


def since_text(since: datetime | None) -> str | None:
    """`since` as storage compares article times (ISO text, UTC)."""
    return cutoff_text(since)


def in_window(article: Article, since: datetime | None, now: datetime | None = None) -> bool:
    """Whether `article`'s sentences are embedded: dated `since` or later (undated: now, when it is
    being ingested)."""
    if since is None:
        return False
    when = article.published or now or datetime.now(timezone.utc)
    return _aware(when) >= since


def embed(encoder: Encoder, articles: Sequence[Article], sentences: Sequence[bool]) -> list[ArticleVectors]:
    """Each article's vectors, in order: the story always, the sentences where `sentences` says."""
    full = iter(embed_articles(encoder, [a for a, f in zip(articles, sentences, strict=True) if f], sentences=True))
    stories = iter(embed_articles(encoder, [a for a, f in zip(articles, sentences, strict=True) if not f]))
    return [next(full) if f else next(stories) for f in sentences]


def embed_by_name(name: str, articles: Sequence[Article], sentences: Sequence[bool]) -> list[ArticleVectors] | None:
    """`embed` with this process's encoder (a worker process loads it on its first call); None when
    this process has none."""
    encoder = process_encoder(name)
    return None if encoder is None else embed(encoder, articles, sentences)
