"""What one delivery run costs once the history is long: S subscribers × A articles all delivered.

For SQLite (a file in a temporary folder) and PostgreSQL (the server NEWSBOT_TEST_POSTGRES_URL names,
else a throwaway one started like the tests do): S chats subscribe, A articles are stored and every
(article, chat) pair is recorded sent, as after weeks of pushes. Then the real bot (the harness: the
real Application over the fake Bot API transport, rate limiter off) runs its delivery round
(`refresh_and_deliver`, as the delivery loop does every NEWSBOT_REFRESH_SECONDS):

- the first run after a start (the bot does not yet know where the owed pushes begin);
- later runs with nothing owed;
- runs with one new article owed to every subscriber (S pushes through the fake transport).

Each is reported as the run's wall time and, within it, the time spent in the delivery queries
(`claim_deliveries`, `pending_deliveries`, `owed_count`) and the longest one of them: on SQLite each
holds the one database lock, so questions and /healthz wait behind it. Medians of --repeat runs; the machine is shared and
loaded, so take the figures as orders of magnitude.

Run: .venv/bin/python benchmarks/bench_delivery_run.py [--subscribers 300] [--articles 2000] [--repeat 5]
     [--backends sqlite postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import load_settings  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.testing.harness import Harness  # noqa: E402
from retrieval.text.article import Article  # noqa: E402

from bench_storage import fresh_pg  # noqa: E402  (this folder: a database of its own on the server)

QUERIES = ("claim_deliveries", "pending_deliveries", "owed_count")
DELIVERED_ALL = ("INSERT INTO deliveries (article, chat_id, status, attempts, at)"
                 " SELECT a.id, s.chat_id, 'sent', 1, '2026-12-01T00:00:00+00:00'"
                 " FROM articles a JOIN subscriptions s ON a.id > s.since_article")


def article(n: int | str) -> Article:
    return Article(id=f"bench-{n}", title=f"خبر {n}", sentences=(f"الجملة الأولى من الخبر {n}.",),
                   source="وكالة", url=f"https://example.org/{n}")


async def populate(target: Path | str, subscribers: int, articles: int) -> None:
    storage = await Storage.open(target)
    try:
        await storage.add_articles([article("first")])
        for chat in range(subscribers):
            await storage.subscribe(10_000 + chat)
        for start in range(0, articles, 500):
            await storage.add_articles([article(n) for n in range(start, min(articles, start + 500))])
    finally:
        await storage.close()
    if isinstance(target, Path):
        import sqlite3

        with sqlite3.connect(target) as con:
            con.execute(DELIVERED_ALL)
    else:
        import asyncpg

        con = await asyncpg.connect(target)
        try:
            await con.execute(DELIVERED_ALL)
            await con.execute("ANALYZE")
        finally:
            await con.close()


def timed_queries(storage: Storage, spent: dict[str, float]) -> None:
    """Wrap the delivery queries of this one Storage object so that their time adds up in `spent`
    (and the longest one is kept under "longest")."""
    for name in QUERIES:
        method: Callable[..., Awaitable[Any]] = getattr(storage, name)

        async def wrapper(*args: Any, _method=method, _name=name, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await _method(*args, **kwargs)
            finally:
                took = time.perf_counter() - started
                spent[_name] += took
                spent["longest"] = max(spent["longest"], took)

        setattr(storage, name, wrapper)


async def measure(target: Path | str, subscribers: int, repeat: int, folder: Path) -> dict[str, tuple[float, ...]]:
    """(wall s, queries s, longest query s) per kind of run: medians."""
    settings = load_settings(database=target, seeds_dir=folder / "no-seeds", telegram_token=None,
                             refresh_seconds=60, max_age_days=None)
    found: dict[str, list[tuple[float, float, float]]] = {"first after a start": [], "nothing owed": [], "one new article owed": []}
    async with Harness(settings, rate_limiter=False) as h:
        spent = dict.fromkeys((*QUERIES, "longest"), 0.0)
        timed_queries(h.service.storage, spent)

        async def run(kind: str, sends: int) -> None:
            for name in spent:
                spent[name] = 0.0
            started = time.perf_counter()
            done = await h.deliver()
            found[kind].append((time.perf_counter() - started, sum(spent[q] for q in QUERIES), spent["longest"]))
            assert done.sent == sends, (kind, done.sent)

        await run("first after a start", 0)
        for _ in range(repeat):
            await run("nothing owed", 0)
        for n in range(repeat):
            await h.service.storage.add_articles([article(f"new-{n}")])
            await run("one new article owed", subscribers)
    return {kind: tuple(statistics.median(r[i] for r in runs) for i in range(3)) for kind, runs in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    server_url, server = os.environ.get("NEWSBOT_TEST_POSTGRES_URL"), None
    if "postgresql" in args.backends and not server_url:
        from tests.pg_server import ThrowawayPostgres, find_binaries

        bin_dir = find_binaries()
        if bin_dir is not None:
            server = ThrowawayPostgres(bin_dir)
            server_url = server.start()
    try:
        pairs = args.subscribers * args.articles
        print(f"{args.subscribers} subscribers × {args.articles} articles delivered ({pairs:,} pairs); median of {args.repeat}")
        print(f"{'backend':<11} {'run':<22} {'run wall (ms)':>14} {'delivery queries (ms)':>22} {'longest query (ms)':>19}")
        for backend in args.backends:
            if backend == "postgresql" and not server_url:
                print("postgresql: no server (set NEWSBOT_TEST_POSTGRES_URL or install PostgreSQL)")
                continue
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                target = folder / "bench.sqlite3" if backend == "sqlite" else asyncio.run(fresh_pg(server_url))
                asyncio.run(populate(target, args.subscribers, args.articles))
                for kind, (wall, queries, longest) in asyncio.run(
                        measure(target, args.subscribers, args.repeat, folder)).items():
                    print(f"{backend:<11} {kind:<22} {wall * 1e3:>14.1f} {queries * 1e3:>22.1f} {longest * 1e3:>19.1f}")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
