"""The storage on each backend: what one push costs in delivery bookkeeping, and storing articles.

For SQLite (a file in a temporary folder) and PostgreSQL (the server NEWSBOT_TEST_POSTGRES_URL names,
else a throwaway one started like the tests do), with W workers (separate Storage objects, as
separate processes would hold) claiming and recording pushes at once: pushes/s of bookkeeping
(claim batches of 10, count the attempt, record SENT; no Telegram), and articles stored/s.
A worker that loses a race for a batch simply stops here (bookkeeping only; the bot claims again).
Median of --repeat runs (the machine is shared: take the figures as orders of magnitude).

Run: .venv/bin/python benchmarks/bench_storage.py [--subscribers 300] [--articles 5] [--workers 1 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.storage import SENT, Storage  # noqa: E402
from retrieval.text.article import Article  # noqa: E402


def article(n: int) -> Article:
    return Article(id=f"bench-{n}", title=f"خبر {n}", sentences=(f"الجملة الأولى من الخبر {n}.", f"والثانية {n}."),
                   source="وكالة", url=f"https://example.org/{n}")


async def one_round(target: str | Path, subscribers: int, articles: int, workers: int) -> tuple[float, float]:
    setup = await Storage.open(target)
    for chat in range(1, subscribers + 1):
        await setup.subscribe(chat)
    started = time.perf_counter()
    for n in range(articles):
        await setup.add_article(article(n))
    stored_per_s = articles / (time.perf_counter() - started)
    stores = [await Storage.open(target) for _ in range(workers)]
    run = datetime.now(timezone.utc)

    async def deliver(i: int, storage: Storage) -> int:
        done, after = 0, (0, 0)
        while batch := await storage.claim_deliveries(f"w{i}", 60, 10, run_started=run, after=after):
            after = (batch[-1].article_row, batch[-1].chat_id)
            for d in batch:
                if await storage.start_attempt(d.article_row, d.chat_id, f"w{i}", 60):
                    await storage.record_delivery(d.article_row, d.chat_id, SENT)
                    done += 1
        return done

    started = time.perf_counter()
    total = sum(await asyncio.gather(*(deliver(i, s) for i, s in enumerate(stores))))
    pushes_per_s = total / (time.perf_counter() - started)
    assert total == subscribers * articles, total
    for s in (setup, *stores):
        await s.close()
    return pushes_per_s, stored_per_s


async def fresh_pg(server: str) -> str:
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    con = await asyncpg.connect(server)
    await con.execute(f"CREATE DATABASE {name}")
    await con.close()
    return server.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--articles", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    server_url, server = os.environ.get("NEWSBOT_TEST_POSTGRES_URL"), None
    if not server_url:
        from tests.pg_server import ThrowawayPostgres, find_binaries

        bin_dir = find_binaries()
        if bin_dir is not None:
            server = ThrowawayPostgres(bin_dir)
            server_url = server.start()
    try:
        print(f"{args.subscribers} subscribers × {args.articles} articles; median of {args.repeat}")
        print(f"{'backend':<11} {'workers':>7} {'pushes/s (bookkeeping)':>24} {'articles stored/s':>18}")
        for backend in ("sqlite", "postgresql"):
            if backend == "postgresql" and not server_url:
                print("postgresql: no server (set NEWSBOT_TEST_POSTGRES_URL or install PostgreSQL)")
                continue
            for workers in args.workers:
                figures = []
                for _ in range(args.repeat):
                    with tempfile.TemporaryDirectory() as folder:
                        target = Path(folder) / "bench.sqlite3" if backend == "sqlite" else asyncio.run(fresh_pg(server_url))
                        figures.append(asyncio.run(one_round(target, args.subscribers, args.articles, workers)))
                pushes = statistics.median(f[0] for f in figures)
                stored = statistics.median(f[1] for f in figures)
                print(f"{backend:<11} {workers:>7} {pushes:>24.0f} {stored:>18.0f}")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
