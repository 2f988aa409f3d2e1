"""What the metrics cost: per question with them on and off, the calls alone, a scrape, and the count of
pushes waiting that each delivery run makes.

1. The calls alone: `Metrics.question` (a counter and a histogram) and `Metrics.pushed`, timed in a loop.
2. Per question through the real Application (harness, fake transport, rate limiter off), on the seed
   article: the same questions with the real metrics and with a Metrics whose recording does nothing
   ("off"), alternately question by question; wall clock and the process's CPU time.
3. A scrape: `Metrics.exposition()` of a registry that has seen every label.
4. `owed_count` (newsbot_pushes_waiting) from the first row and from the last count's row, against the
   query every delivery run already ends with (`pending_deliveries(1)`), on a SQLite file where S
   subscribers got A articles each and one more article is owed to all.

Run: .venv/bin/python benchmarks/bench_metrics.py [--rounds 6] [--questions 300] [--subscribers 300] [--articles 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.metrics import Metrics  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.telegram.delivery import WAITING_SLICE_PAIRS  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.testing.harness import Harness  # noqa: E402
from retrieval.text.article import Article  # noqa: E402

SEED_QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "tests" / "seed_questions.jsonl").open(encoding="utf-8")]


class Off(Metrics):
    """Metrics that record nothing: the bot as it was before them."""

    def question(self, outcome: str, seconds: float | None = None) -> None:
        pass

    def pushed(self, kind: str, outcome: str) -> None:
        pass


def calls_alone(n: int = 200_000) -> tuple[float, float]:
    metrics = Metrics()
    started = time.perf_counter()
    for _ in range(n):
        metrics.question("answered", 0.003)
    question = (time.perf_counter() - started) / n
    started = time.perf_counter()
    for _ in range(n):
        metrics.pushed("article", "sent")
    return question, (time.perf_counter() - started) / n


def scrape(n: int = 2000) -> float:
    metrics = Metrics()
    for i in range(1000):
        metrics.question("answered", i / 10000)
    started = time.perf_counter()
    for _ in range(n):
        metrics.exposition()
    return (time.perf_counter() - started) / n


async def per_question(rounds: int, questions: int) -> dict[str, dict[str, list[float]]]:
    """Per-question times (s), wall clock and this process's CPU time, with the metrics on and off
    alternately question by question (the machine is shared: alternation gives both the same noise;
    CPU time does not count the time this process waited for a core)."""
    found: dict[str, dict[str, list[float]]] = {"on": {"wall": [], "cpu": []}, "off": {"wall": [], "cpu": []}}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database=Path(tmp) / "bench.sqlite3", seeds_dir=ROOT / "seeds", telegram_token=None)
        async with Harness(settings, rate_limiter=False) as h:
            on, off = h.service.metrics, Off()
            for _ in range(20):  # warm up: first answers build caches
                await h.send_text(SEED_QUESTIONS[0], 5000)
            for i in range(rounds * questions * 2):
                # ABBA: each asks a question first half the time (answers cache per question).
                which = "on" if i % 4 in (0, 3) else "off"
                h.service.metrics = on if which == "on" else off
                question = SEED_QUESTIONS[(i // 2) % len(SEED_QUESTIONS)]
                wall, cpu = time.perf_counter(), time.process_time()
                await h.send_text(question, 6000 + i % 50)
                found[which]["cpu"].append(time.process_time() - cpu)
                found[which]["wall"].append(time.perf_counter() - wall)
                if i % 200 == 0:
                    await h.service.settle()
            h.service.metrics = on
    return found


async def owed_counts(subscribers: int, articles: int) -> dict[str, float]:
    """Median times (s): the count of pushes waiting from the first row (a bot's first run after a
    start), from the row past which pushes may be owed (every later run: one new article, owed to
    every subscriber), and the query every delivery run already ends with."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "owed.sqlite3"
        storage = await Storage.open(db)
        try:
            await storage.add_articles([Article(id="first", title="t", sentences=("جملة أولى.",))])
            for chat in range(subscribers):
                await storage.subscribe(10_000 + chat)
            await storage.add_articles([Article(id=f"a{i}", title=f"t{i}", sentences=(f"جملة رقم {i}.",))
                                        for i in range(articles)])
        finally:
            await storage.close()
        with sqlite3.connect(db) as con:  # every pair delivered, as after a long run of pushes
            con.execute("INSERT INTO deliveries (article, chat_id, status, attempts, at)"
                        " SELECT a.id, s.chat_id, 'sent', 1, '2026-12-01T00:00:00+00:00'"
                        " FROM articles a JOIN subscriptions s ON a.id > s.since_article")
        storage = await Storage.open(db)
        timings: dict[str, list[float]] = {"first": [], "sliced": [], "slice": [], "later": [], "pending": []}
        try:
            top = await storage.max_article_row()
            await storage.add_articles([Article(id="new", title="new", sentences=("جملة جديدة.",))])
            await storage.owed_count()  # warm the page cache
            for _ in range(5):
                started = time.perf_counter()
                count, _ = await storage.owed_count(0)
                timings["first"].append(time.perf_counter() - started)
                # As count_waiting does it: in slices of WAITING_SLICE_PAIRS pairs, the lock free between.
                step = max(1, WAITING_SLICE_PAIRS // subscribers)
                started, row, sliced, longest = time.perf_counter(), 0, 0, 0.0
                while row <= top + 1:
                    one = time.perf_counter()
                    sliced += (await storage.owed_count(row, row + step))[0]
                    longest = max(longest, time.perf_counter() - one)
                    row += step
                timings["sliced"].append(time.perf_counter() - started)
                timings["slice"].append(longest)
                started = time.perf_counter()
                later, _ = await storage.owed_count(top + 1)
                timings["later"].append(time.perf_counter() - started)
                assert count == later == sliced == subscribers
                started = time.perf_counter()
                await storage.pending_deliveries(1)
                timings["pending"].append(time.perf_counter() - started)
        finally:
            await storage.close()
    return {k: statistics.median(v) for k, v in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()

    question, pushed = calls_alone()
    print(f"calls alone: Metrics.question {question * 1e6:.2f} µs, Metrics.pushed {pushed * 1e6:.2f} µs")
    print(f"scrape (exposition of the whole registry): {scrape() * 1e3:.3f} ms")
    found = asyncio.run(per_question(args.rounds, args.questions))
    n = len(found["on"]["wall"])
    print(f"per question through the Application ({n} each, on and off alternately):")
    for clock in ("wall", "cpu"):
        on, off = found["on"][clock], found["off"][clock]
        p50_on, p50_off = statistics.median(on), statistics.median(off)
        mean_on, mean_off = statistics.fmean(on), statistics.fmean(off)
        print(f"  {clock:4}: median on {p50_on * 1e3:.3f} ms, off {p50_off * 1e3:.3f} ms ({(p50_on - p50_off) * 1e6:+.1f} µs);"
              f" mean on {mean_on * 1e3:.3f} ms, off {mean_off * 1e3:.3f} ms ({(mean_on - mean_off) * 1e6:+.1f} µs)")
    owed = asyncio.run(owed_counts(args.subscribers, args.articles))
    print(f"pushes waiting, {args.subscribers} subscribers x {args.articles} articles delivered, one new article owed:"
          f" count from the first row {owed['first'] * 1e3:.1f} ms in one query, {owed['sliced'] * 1e3:.1f} ms in slices"
          f" (the longest {owed['slice'] * 1e3:.1f} ms), from the last count's row {owed['later'] * 1e3:.2f} ms;"
          f" the run's own final pending_deliveries(1) {owed['pending'] * 1e3:.1f} ms")

if __name__ == "__main__":
    main()
