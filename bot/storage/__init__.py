"""Persistent state: one module per aggregate behind the one `Storage` interface.

`backend` (what an engine offers) → `sqlite`, `postgres` (the two engines, with `migrations`) →
`database` (opening the engine NEWSBOT_DATABASE names) → `articles`, `chats`, `deliveries`, `feeds`,
`queries`, `topics`, `digests`, `vectors` (one aggregate each) → `store` (the `Storage` the rest of the bot uses).
"""

from bot.storage.database import StorageError, utc_now
from bot.storage.deliveries import BLOCKED, FAILED, FINAL_STATUSES, SENDING, SENT, Delivery
from bot.storage.digests import Digest, DigestPlan
from bot.storage.feeds import FeedState
from bot.storage.migrations import MIGRATIONS, PG_MIGRATIONS
from bot.storage.store import Storage
from bot.storage.topics import PENDING, TOPICS_CURSOR, Topic, TopicPush

__all__ = [
    "BLOCKED",
    "FAILED",
    "FINAL_STATUSES",
    "MIGRATIONS",
    "PG_MIGRATIONS",
    "PENDING",
    "SENDING",
    "SENT",
    "TOPICS_CURSOR",
    "Delivery",
    "Digest",
    "DigestPlan",
    "FeedState",
    "Storage",
    "StorageError",
    "Topic",
    "TopicPush",
    "utc_now",
]
