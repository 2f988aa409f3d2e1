"""The bot's Prometheus metrics: one small object per bot, touched where things happen.

Each `Metrics` has a CollectorRegistry of its own, never prometheus_client's global one: tests, the
console and several bots in one process each count their own, and importing this module registers
nothing. The service owns one (`service.metrics`, reached by handlers through the typed context and by
jobs through the service); the HTTP server (bot/telegram/monitoring.py) serves its registry, and the
admins' /stats reads the same figures back (`figures()`).

Counters count what this process did since it started (Prometheus expects that: `rate()` copes with
restarts); gauges hold a current state. With several workers each serves its own: sum the counters
across workers; the gauges read from the shared database (pushes waiting, feeds failing) are the same
in every worker, so take their max.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.utils import floatToGoString

# Questions by outcome. SMALL_TALK is the conversation's (a greeting answered as one); REFUSED is input
# that got the polite "please ask in Arabic" kind of reply instead of a lookup.
ANSWERED, ABSTAINED, SMALL_TALK, REFUSED = "answered", "abstained", "small_talk", "refused"
OUTCOMES = (ANSWERED, ABSTAINED, SMALL_TALK, REFUSED)
# Pushes by kind and outcome (the outcomes of bot/telegram/sending.py's Pushed).
PUSH_KINDS = ("article", "alert", "digest")
PUSH_OUTCOMES = ("sent", "failed", "postponed", "blocked")
# Feed polls by outcome; a feed skipped while it backs off is not polled.
FEED_OK, FEED_NOT_MODIFIED, FEED_FAILED = "ok", "not_modified", "failed"
FEED_OUTCOMES = (FEED_OK, FEED_NOT_MODIFIED, FEED_FAILED)

# Answers take milliseconds on a small corpus and tens on a large one; a second is already very slow.
ANSWER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# A refresh with nothing new is a cheap query; one with 1,000 articles takes seconds.
REFRESH_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0)


@dataclass(frozen=True)
class Figures:
    """The metrics as plain numbers, for /stats (this process, since it started, unless said)."""

    questions: dict[str, int]  # by outcome
    answer_mean_seconds: float | None  # None before the first answer
    answer_p95_seconds: float | None  # the histogram bucket bound under which 95% of answers fall
    pushes: dict[str, int]  # by outcome, all kinds together
    pushes_waiting: int  # article pushes owed now (the last delivery run's count)
    feed_polls: dict[str, int]  # by outcome
    feeds_failing: int  # now
    articles_ingested: int
    index_articles: int
    index_sentences: int
    index_refreshed_ago_seconds: float | None  # since the last refresh that succeeded
    index_refresh_failures: int


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.questions = Counter("newsbot_questions_total", "Questions asked, by outcome.", ["outcome"], registry=r)
        self.answer_seconds = Histogram(
            "newsbot_answer_seconds", "Time to look up an answer (analysis, ranking, checks), per question.",
            buckets=ANSWER_BUCKETS, registry=r)
        self.pushes = Counter("newsbot_pushes_total", "Pushes (articles, topic alerts, digests) by outcome.",
                              ["kind", "outcome"], registry=r)
        self.pushes_waiting = Gauge(
            "newsbot_pushes_waiting", "Article pushes owed to subscribed chats, counted after each delivery run "
            "(from the shared database: the same in every worker).", registry=r)
        self.feed_polls = Counter("newsbot_feed_polls_total", "Feed polls by outcome.", ["outcome"], registry=r)
        self.feeds_failing = Gauge("newsbot_feeds_failing", "Followed feeds whose last poll failed.", registry=r)
        self.articles_ingested = Counter("newsbot_articles_ingested_total", "Articles this worker stored from feeds.",
                                         registry=r)
        self.index_articles = Gauge("newsbot_index_articles", "Articles in this worker's index.", registry=r)
        self.index_sentences = Gauge("newsbot_index_sentences", "Sentences in this worker's index.", registry=r)
        self.index_refresh_seconds = Histogram(
            "newsbot_index_refresh_seconds", "Time to bring the index up to date with the database.",
            buckets=REFRESH_BUCKETS, registry=r)
        self.index_refresh_failures = Counter("newsbot_index_refresh_failures_total", "Index refreshes that failed.",
                                              registry=r)
        self.index_last_refresh = Gauge(
            "newsbot_index_last_refresh_timestamp_seconds", "When the index last refreshed successfully (Unix time).",
            registry=r)
        # Every label value exists from the start at 0, so a dashboard's rate() has a series to read
        # before the first event of its kind.
        for outcome in OUTCOMES:
            self.questions.labels(outcome)
        for kind in PUSH_KINDS:
            for outcome in PUSH_OUTCOMES:
                self.pushes.labels(kind, outcome)
        for outcome in FEED_OUTCOMES:
            self.feed_polls.labels(outcome)
        self._refreshed_at: float | None = None  # monotonic, for /stats

    # Events ------------------------------------------------------------------------------------

    def question(self, outcome: str, seconds: float | None = None) -> None:
        """One question, and how long its lookup took (None: nothing was looked up)."""
        self.questions.labels(outcome).inc()
        if seconds is not None:
            self.answer_seconds.observe(seconds)

    def pushed(self, kind: str, outcome: str) -> None:
        self.pushes.labels(kind, outcome).inc()

    def feed_polled(self, outcome: str, added: int = 0) -> None:
        self.feed_polls.labels(outcome).inc()
        if added:
            self.articles_ingested.inc(added)

    def index_built(self, articles: int, sentences: int) -> None:
        self.index_articles.set(articles)
        self.index_sentences.set(sentences)

    def index_refreshed(self, articles: int, sentences: int, seconds: float) -> None:
        self.index_built(articles, sentences)
        self.index_refresh_seconds.observe(seconds)
        self.index_last_refresh.set(time.time())
        self._refreshed_at = time.monotonic()

    def index_refresh_failed(self) -> None:
        self.index_refresh_failures.inc()

    # Reading -----------------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)

    def _value(self, name: str, labels: dict[str, str] | None = None) -> float:
        return self.registry.get_sample_value(name, labels or {}) or 0.0

    def figures(self) -> Figures:
        count = self._value("newsbot_answer_seconds_count")
        return Figures(
            questions={o: int(self._value("newsbot_questions_total", {"outcome": o})) for o in OUTCOMES},
            answer_mean_seconds=self._value("newsbot_answer_seconds_sum") / count if count else None,
            answer_p95_seconds=self._quantile_bound(0.95, count),
            pushes={o: int(sum(self._value("newsbot_pushes_total", {"kind": k, "outcome": o}) for k in PUSH_KINDS))
                    for o in PUSH_OUTCOMES},
            pushes_waiting=int(self._value("newsbot_pushes_waiting")),
            feed_polls={o: int(self._value("newsbot_feed_polls_total", {"outcome": o})) for o in FEED_OUTCOMES},
            feeds_failing=int(self._value("newsbot_feeds_failing")),
            articles_ingested=int(self._value("newsbot_articles_ingested_total")),
            index_articles=int(self._value("newsbot_index_articles")),
            index_sentences=int(self._value("newsbot_index_sentences")),
            index_refreshed_ago_seconds=None if self._refreshed_at is None else time.monotonic() - self._refreshed_at,
            index_refresh_failures=int(self._value("newsbot_index_refresh_failures_total")),
        )

    def _quantile_bound(self, q: float, count: float) -> float | None:
        """The smallest bucket bound at or under which a share `q` of the answers fell (what a
        histogram can say without guessing inside a bucket); None before the first answer."""
        if not count:
            return None
        for bound in ANSWER_BUCKETS:
            if self._value("newsbot_answer_seconds_bucket", {"le": _le(bound)}) >= q * count:
                return bound
        return float("inf")


def _le(bound: float) -> str:
    return floatToGoString(bound)  # how prometheus_client writes a bucket's bound ("0.005", "1.0")
