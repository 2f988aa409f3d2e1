"""Persistent state: one module per aggregate behind the one `Storage` interface.

`database` (connection, migrations, transactions) → `articles`, `chats`, `deliveries`, `feeds`,
`queries` (one aggregate each) → `store` (the `Storage` the rest of the bot uses).
"""

from bot.storage.database import StorageError, utc_now
from bot.storage.deliveries import BLOCKED, FAILED, FINAL_STATUSES, SENDING, SENT, Delivery
from bot.storage.feeds import FeedState
from bot.storage.migrations import MIGRATIONS
from bot.storage.store import Storage

__all__ = [
    "BLOCKED",
    "FAILED",
    "FINAL_STATUSES",
    "MIGRATIONS",
    "SENDING",
    "SENT",
    "Delivery",
    "FeedState",
    "Storage",
    "StorageError",
    "utc_now",
]
