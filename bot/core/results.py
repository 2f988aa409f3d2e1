"""What the service returns to its callers (handlers, jobs, the console): plain data, no Telegram."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval import Article

from bot.core.questions import Asked, Refusal
from bot.metrics import Figures
from bot.storage import DigestPlan

__all__ = ["Asked", "Latest", "Plan", "Refusal", "Stats"]


@dataclass(frozen=True)
class Plan:
    """How a chat gets the news: every article, a digest, or (neither) only what it asks."""

    every_article: bool
    digest: DigestPlan | None

    @property
    def subscribed(self) -> bool:
        return self.every_article or self.digest is not None


@dataclass(frozen=True)
class Latest:
    articles: list[Article]
    subscribed: bool


@dataclass(frozen=True)
class Stats:
    """What /stats shows an admin."""

    articles: int  # stored
    indexed: int  # in the index now (NEWSBOT_MAX_AGE_DAYS leaves older ones out)
    chats: int  # that asked a question or subscribed
    subscribers: int
    answered: int  # questions answered, from the query log
    abstained: int  # questions looked up with no answer good enough to give
    figures: Figures | None = None  # this worker's metrics since it started (bot/metrics.py)
