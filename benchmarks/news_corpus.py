"""Lay out the SaudiNewsNet stream (../shared/eval/saudinewsnet.jsonl.gz) as a seeds folder, for measuring.

Usage: python benchmarks/news_corpus.py OUT_DIR [--limit N] [--corpus PATH]

As ../shared/eval/README.md defines it: one `NAME.txt` per non-empty article holding `content`, with a
sidecar `{"title", "source", "url", "published"}` (date_extracted with a T). The corpus is CC BY-NC-SA 4.0:
this writes it to a folder outside the project for benchmarks and evaluation, never into the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "saudinewsnet.jsonl.gz"


def news_records(corpus: Path = DEFAULT_CORPUS, limit: int | None = None) -> Iterator[dict]:
    """The corpus's articles with a body, in file order, at most `limit` of them."""
    kept = 0
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        for line in lines:
            if limit is not None and kept >= limit:
                return
            record = json.loads(line)
            if (record.get("content") or "").strip():
                kept += 1
                yield record


def sidecar(record: dict) -> dict:
    return {
        "title": record.get("title") or "",
        "source": record.get("source") or "",
        "url": record.get("url") or "",
        "published": (record.get("date_extracted") or "").replace(" ", "T"),
    }


def write_seeds(out: Path, corpus: Path = DEFAULT_CORPUS, limit: int | None = None) -> int:
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for n, record in enumerate(news_records(corpus, limit), start=1):
        name = f"{n:05d}_{record.get('source') or 'news'}"
        (out / f"{name}.txt").write_text(record["content"], encoding="utf-8")
        (out / f"{name}.json").write_text(json.dumps(sidecar(record), ensure_ascii=False), encoding="utf-8")
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"news_corpus: {args.corpus} not found (it lives in ../shared/eval)", file=sys.stderr)
        return 1
    print(f"{write_seeds(args.out, args.corpus, args.limit)} articles written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
