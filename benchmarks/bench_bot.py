"""Many simulated users asking at once, through the real Application (fake transport only).

Prints questions answered per second and p50/p95 reply latency (from the update entering
`process_update` to the bot's last reply call), on the seed article and on a ~100,000-sentence
corpus synthesized from the XQuAD Arabic paragraphs (each copy gets distinct article ids and its
words shuffled within each sentence, so the corpus is large without being one text repeated).

Run: .venv/bin/python benchmarks/bench_bot.py [--users 100] [--questions 10] [--sentences 100000]
The rate limiter is off here: it would measure Telegram's 30 messages/s cap, not the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.testing.harness import Harness  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage import Storage  # noqa: E402
from retrieval.text.article import Article  # noqa: E402
from retrieval.answering.evaluate import squad_corpus  # noqa: E402

XQUAD = ROOT / "tests" / "data" / "xquad.ar.json"
SEED_QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "tests" / "seed_questions.jsonl").open(encoding="utf-8")]


def synthetic_corpus(target_sentences: int, seed: int = 7, per_article: int = 5) -> list[Article]:
    """The XQuAD paragraphs as articles, then shuffled copies (`per_article` paragraphs each) up to the target."""
    base, _ = squad_corpus(XQUAD)
    rng = random.Random(seed)
    articles = list(base)
    count = sum(len(a.sentences) for a in articles)
    copy = 0
    while count < target_sentences:
        copy += 1
        for start in range(0, len(base), per_article):
            group = base[start : start + per_article]
            sentences = []
            for a in group:
                for s in a.sentences:
                    words = s.split()
                    rng.shuffle(words)
                    sentences.append(" ".join(words))
            articles.append(Article(id=f"copy{copy}-{start}", title=f"{group[0].title} ({copy})", sentences=tuple(sentences)))
            count += len(sentences)
            if count >= target_sentences:
                break
    return articles


async def fill(db: Path, articles: list[Article]) -> None:
    storage = await Storage.open(db)
    try:
        for a in articles:
            await storage.add_article(a)
    finally:
        await storage.close()


async def drive(harness: Harness, questions: list[str], users: int, per_user: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    answered = 0

    async def user(n: int) -> None:
        nonlocal answered
        rng = random.Random(n)
        for _ in range(per_user):
            started = time.perf_counter()
            calls = await harness.send_text(rng.choice(questions), 10_000 + n)
            latencies.append(time.perf_counter() - started)
            answered += any(c.method == "sendMessage" and c.ok for c in calls)

    started = time.perf_counter()
    await asyncio.gather(*(user(n) for n in range(users)))
    return time.perf_counter() - started, latencies, answered


def report(name: str, sentences: int, elapsed: float, latencies: list[float], replied: int) -> None:
    q = statistics.quantiles(latencies, n=100)
    print(
        f"{name:<28}{sentences:>10,}{len(latencies):>10}{replied / elapsed:>12.1f}"
        f"{q[49] * 1000:>10.1f}{q[94] * 1000:>10.1f}"
    )


async def scenario(name: str, folder: Path, articles: list[Article] | None, questions: list[str], users: int,
                   per_user: int) -> None:
    db = folder / f"{name}.sqlite3"
    build = time.perf_counter()
    if articles is not None:
        await fill(db, articles)
    settings = load_settings(database=db, telegram_token=None, max_age_days=None)
    async with Harness(settings, rate_limiter=False) as harness:
        setup = time.perf_counter() - build
        sentences = len(harness.service.index.refs)
        await drive(harness, questions, min(users, 5), 1)  # warm caches
        elapsed, latencies, replied = await drive(harness, questions, 1, 30)
        report(f"{name}, 1 user", sentences, elapsed, latencies, replied)
        elapsed, latencies, replied = await drive(harness, questions, users, per_user)
        report(f"{name}, {users} users", sentences, elapsed, latencies, replied)
    print(f"{'':<28}(database fill + start-up: {setup:.1f}s)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--questions", type=int, default=10, help="questions per user")
    parser.add_argument("--sentences", type=int, default=100_000)
    args = parser.parse_args()
    _, squad_questions = squad_corpus(XQUAD)
    print(f"1 user × 30 questions, then {args.users} concurrent users × {args.questions} questions each;"
          " rate limiter off")
    print(f"{'corpus':<28}{'sentences':>10}{'questions':>10}{'answered/s':>12}{'p50 ms':>10}{'p95 ms':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        await scenario("seed article", Path(tmp), None, SEED_QUESTIONS, args.users, args.questions)
        corpus = synthetic_corpus(args.sentences)
        await scenario("xquad-synthetic", Path(tmp), corpus, [q.question for q in squad_questions],
                       args.users, args.questions)


if __name__ == "__main__":
    asyncio.run(main())
