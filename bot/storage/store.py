"""`Storage`: the one interface the rest of the bot uses, made of one class per aggregate.

Each aggregate (articles, chats and subscriptions, deliveries, feeds, the query log, topics, digests, article
vectors) keeps its SQL in
its own module; they share one connection and one write lock through `Database`.
"""

from __future__ import annotations

from bot.storage.articles import ArticleStore
from bot.storage.chats import ChatStore
from bot.storage.deliveries import DeliveryStore
from bot.storage.digests import DigestStore
from bot.storage.feeds import FeedStore
from bot.storage.queries import QueryLog
from bot.storage.topics import TopicStore
from bot.storage.vectors import VectorStore


class Storage(ArticleStore, ChatStore, DeliveryStore, DigestStore, FeedStore, QueryLog, TopicStore, VectorStore):
    """All persistent state: open with `await Storage.open(path)`, close with `await storage.close()`."""
