"""Answer quality on the SaudiNewsNet stream and XQuAD-ar end to end, one rule at a time.

Loads the seeds folder once (the parsed articles are cached as a pickle, since parsing 30k articles
takes most of a minute), then for each stage of the answering rules prints the per-kind pass table on
the news question files and, on XQuAD-ar, the ranking Hit@1, the end-to-end Hit@1 (the first quoted
sentence holds the answer; an abstention is a miss) and the false-answer rate with the question's topic
removed. With --curve, the abstention trade-off on both sets as min_coverage moves. Usage:
  python benchmarks/news_quality.py SEEDS_DIR QUESTIONS.jsonl [MORE.jsonl ...] [--xquad FILE] [--curve]
(`python benchmarks/news_corpus.py /tmp/news_seeds` lays out the stream; it is not in the project.)
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from retrieval import AnswerPolicy, NewsIndex, load_folder
from retrieval.answering import evaluate

# Each stage switches on one more rule of issue 8 (the analyzer and parser changes are in every stage).
NO_ROOTS = dict(root_weight=0.0, root_share=0.0)
BASE = dict(context_weight=0.0, context_share=0.0, recency_band=0.0, require_answer_type=False, type_fallback=0.0, **NO_ROOTS)
CONTEXT = {**BASE, "context_weight": 0.2, "context_share": 0.25}
STAGES: list[tuple[str, dict[str, Any]]] = [
    ("BM25 + answer-type bonus, coverage on the sentence", BASE),
    ("+ context rerank (title, lead, neighbours)", {**BASE, "context_weight": 0.2}),
    ("+ context counted in coverage (x0.25)", CONTEXT),
    ("+ newest first for 'آخر' questions", {**CONTEXT, "recency_band": 0.25}),
    ("+ abstain without the number/score asked", NO_ROOTS),
    ("+ root rerank (x0.2 idf per question term held by root only)", {"root_share": 0.0}),
    ("+ root evidence counted in coverage (x0.05) (shipped)", {}),
]


def load_articles(seeds: Path, cache: Path | None) -> list:
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    articles = load_folder(seeds)
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(articles))
    return articles


def news_table(index: NewsIndex, path: Path, verbose: bool = False) -> dict[str, list[bool]]:
    by_kind: dict[str, list[bool]] = {}
    for item in evaluate.read_jsonl(path):
        o = evaluate.check_seed_question(index, item)
        by_kind.setdefault(o.kind, []).append(o.passed)
        if verbose and not o.passed:
            print(f"  FAIL {o.id} [{o.kind}] {o.question} — {o.why}")
    return by_kind


def show(by_kind: dict[str, list[bool]]) -> str:
    cells = [f"{k} {sum(v)}/{len(v)}" for k, v in by_kind.items()]
    total = sum(len(v) for v in by_kind.values())
    return "  ".join(cells) + f"  all {sum(sum(v) for v in by_kind.values())}/{total}"


def xquad_line(articles: list, questions: list, policy: AnswerPolicy) -> str:
    index = NewsIndex(articles, policy=policy)
    m = evaluate.squad_metrics(index, questions)
    wrong = evaluate.squad_false_answer_rate(articles, questions, index.params, policy)
    return f"Hit@1 {m.hit1:.3f}  e2e Hit@1 {m.extra['e2e_hit1']:.3f}  unanswered {m.abstained:.3f}  topic removed answered {wrong:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seeds")
    ap.add_argument("questions", nargs="*")
    ap.add_argument("--xquad")
    ap.add_argument("--cache", default="/tmp/newsbot-bench/articles.pickle")
    ap.add_argument("--curve", action="store_true")
    ap.add_argument("-v", action="store_true", help="name the failing questions (shipped policy)")
    args = ap.parse_args()
    t = time.perf_counter()
    articles = load_articles(Path(args.seeds), Path(args.cache) if args.cache else None)
    news = NewsIndex(articles)
    print(f"{len(articles)} articles indexed in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    xquad = evaluate.squad_corpus(Path(args.xquad)) if args.xquad else None
    for name, changes in STAGES:
        policy = replace(AnswerPolicy(), **changes)
        news.policy = policy
        print(f"## {name}")
        for q in args.questions:
            print(f"  {Path(q).name}: {show(news_table(news, Path(q), args.v and not changes))}")
        if xquad:
            print(f"  xquad: {xquad_line(*xquad, policy)}")
    if args.curve:
        print("## abstention curve (min_coverage)")
        for threshold in (0.3, 0.35, 0.4, 0.45, 0.5):
            policy = replace(AnswerPolicy(), min_coverage=threshold)
            news.policy = policy
            cells = [show(news_table(news, Path(q))) for q in args.questions]
            line = f"  {threshold}: " + " | ".join(cells)
            if xquad:
                line += f" | xquad {xquad_line(*xquad, policy)}"
            print(line)


if __name__ == "__main__":
    main()
