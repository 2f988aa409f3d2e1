"""Answer quality on the SaudiNewsNet stream and XQuAD-ar end to end, in one process.

Loads the seeds folder once (cached as a pickle of the parsed articles, since parsing 30k articles
takes most of a minute), then prints for each question file the per-kind pass table, and for XQuAD
the ranking Hit@1, the end-to-end Hit@1 (abstention = miss) and the false-answer rate with the
topic removed. Usage:
  python benchmarks/news_quality.py SEEDS_DIR QUESTIONS.jsonl [MORE.jsonl ...] [--xquad FILE] [-v]
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

from retrieval import NewsIndex, load_folder
from retrieval.answering import evaluate


def load_articles(seeds: Path, cache: Path | None):
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    articles = load_folder(seeds)
    if cache:
        cache.write_bytes(pickle.dumps(articles))
    return articles


def news_table(index: NewsIndex, path: Path, verbose: bool) -> dict[str, tuple[int, int]]:
    by_kind: dict[str, list[bool]] = {}
    for item in evaluate.read_jsonl(path):
        o = evaluate.check_seed_question(index, item)
        by_kind.setdefault(o.kind, []).append(o.passed)
        if verbose and not o.passed:
            print(f"  FAIL {o.id} [{o.kind}] {o.question} — {o.why}")
    print(f"{path.name}: " + "  ".join(f"{k} {sum(v)}/{len(v)}" for k, v in by_kind.items())
          + f"  all {sum(sum(v) for v in by_kind.values())}/{sum(len(v) for v in by_kind.values())}")
    return {k: (sum(v), len(v)) for k, v in by_kind.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seeds")
    ap.add_argument("questions", nargs="*")
    ap.add_argument("--xquad")
    ap.add_argument("--negatives", action="store_true")
    ap.add_argument("--cache", default="/tmp/issue8/articles.pickle")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    if args.questions:
        t = time.perf_counter()
        articles = load_articles(Path(args.seeds), Path(args.cache) if args.cache else None)
        index = NewsIndex(articles)
        print(f"{len(articles)} articles indexed in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        for q in args.questions:
            news_table(index, Path(q), args.v)
    if args.xquad:
        articles, questions = evaluate.squad_corpus(Path(args.xquad))
        index = NewsIndex(articles)
        m = evaluate.squad_metrics(index, questions)
        line = f"xquad: hit@1 {m.hit1:.3f} e2e {m.extra.get('e2e_hit1', float('nan')):.3f} abstained {m.abstained:.3f}"
        if args.negatives:
            line += f" negatives {evaluate.squad_false_answer_rate(articles, questions, index.params):.3f}"
        print(line)


if __name__ == "__main__":
    main()
