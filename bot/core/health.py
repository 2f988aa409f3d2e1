"""Whether this worker is alive: what /healthz answers (bot/telegram/monitoring.py serves it).

Alive means, all at once:
- the event loop answers: the check runs on it (the health server is served by the bot's own loop),
  so a loop blocked by some CPU-bound call does not answer at all, which a health checker counts as down;
- the database answers a real query within DATABASE_SECONDS (Storage.ping: for SQLite also that the
  file at NEWSBOT_DATABASE is still the one the bot has open; for PostgreSQL, that the server answers);
- the index exists (a service does not start without one) and its last refresh did not fail (a worker whose index cannot follow the database
  answers from stale news);
- the bot is running and not stopping (a worker draining on SIGTERM should get no new traffic).

Each worker checks only itself: with several workers behind a balancer, each one's health is its own.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.core.service import NewsService
from bot.logs import redact

log = logging.getLogger(__name__)

# A database query this slow means the database is not usable (a load balancer's check times out
# after a few seconds; the answer must come before it).
DATABASE_SECONDS = 3.0


@dataclass(frozen=True)
class Health:
    problems: tuple[str, ...]  # fixed phrases, no error text: /healthz may face the internet

    @property
    def ok(self) -> bool:
        return not self.problems


class HealthCheck:
    """Runs the checks; concurrent requests share one database probe, so a hung database cannot pile
    up queries, one per health request."""

    def __init__(self, service: NewsService) -> None:
        self.service = service
        self._probe: asyncio.Task[str | None] | None = None

    async def check(self, running: bool = True) -> Health:
        """`running`: whether the Application is started and serving updates."""
        service = self.service
        problems = []
        if not running or service.stopping.is_set():
            problems.append("bot: not running (starting or stopping)")
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._database())
        database = await asyncio.shield(self._probe)
        if database is not None:
            problems.append(database)
        # The index exists from the service's start on (NewsService.start builds it or fails).
        if service.refresh_error is not None:
            problems.append("index: the last refresh failed")
        return Health(tuple(problems))

    async def _database(self) -> str | None:
        try:
            await asyncio.wait_for(self.service.storage.ping(), DATABASE_SECONDS)
        except TimeoutError:
            log.warning("health: the database did not answer within %.0fs", DATABASE_SECONDS)
            return "database: not answering"
        except Exception as exc:
            settings = self.service.settings
            log.warning("health: the database failed: %s",
                        redact(f"{type(exc).__name__}: {exc}", settings.token, settings.secrets))
            return "database: failing"
        return None
