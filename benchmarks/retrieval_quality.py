"""Retrieval quality on pooled XQuAD-ar sentences, one analyzer step at a time.

Prints the table recorded in BENCHMARKS.md: Hit@1 / Hit@3 / MRR@10 for each stage of the chain
(whitespace tokens → normalization → stopwords → light stemming → tuned BM25 → typo tolerance →
who/when/how-many answer-type bonus), and
the abstention trade-off: answerable questions left unanswered vs. questions answered anyway once
their whole topic is removed from the pool. Usage: python benchmarks/retrieval_quality.py [xquad.json]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from retrieval.answering import evaluate
from retrieval.analysis.analyzer import analyze
from retrieval import AnswerPolicy, NewsIndex
from retrieval.search.term_index import BM25Params
from retrieval.analysis.normalize import normalize
from retrieval.analysis.stopwords import drop_stopwords
from retrieval.analysis.tokenize import tokenize

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "xquad.ar.json"
OKAPI_DEFAULTS = BM25Params(k1=1.5, b=0.75, spelling=False)
# BM25 alone: no answer-type bonus, no context or root rerank (the rows below add them back).
NO_ROOTS = AnswerPolicy(root_weight=0.0, root_share=0.0)
BM25_ONLY = AnswerPolicy(answer_type_boost=0.0, context_weight=0.0, context_share=0.0, root_weight=0.0, root_share=0.0)


def stages() -> list[tuple[str, object, BM25Params, AnswerPolicy]]:
    return [
        ("whitespace split", str.split, OKAPI_DEFAULTS, BM25_ONLY),
        ("+ normalize, tokenize", lambda t: tokenize(normalize(t)), OKAPI_DEFAULTS, BM25_ONLY),
        ("+ stopwords", lambda t: drop_stopwords(tokenize(normalize(t))), OKAPI_DEFAULTS, BM25_ONLY),
        ("+ light stem", analyze, OKAPI_DEFAULTS, BM25_ONLY),
        ("+ k1=0.9 b=0.4", analyze, BM25Params(k1=0.9, b=0.4, spelling=False), BM25_ONLY),
        ("+ typo tolerance", analyze, BM25Params(), BM25_ONLY),
        ("+ answer-type bonus", analyze, BM25Params(), replace(NO_ROOTS, context_weight=0.0, context_share=0.0)),
        ("+ context rerank (title, lead, neighbours)", analyze, BM25Params(), NO_ROOTS),
        ("+ root rerank (shipped)", analyze, BM25Params(), AnswerPolicy()),
    ]


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    articles, questions = evaluate.squad_corpus(path)
    print(f"{len(questions)} questions, {sum(len(a.sentences) for a in articles)} pooled sentences\n")
    print(f"{'analyzer / ranking':<32}{'Hit@1':>7}{'Hit@3':>7}{'MRR@10':>8}")
    for name, analyzer, params, policy in stages():
        index = NewsIndex(articles, params, policy, analyzer=analyzer)  # type: ignore[arg-type]
        m = evaluate.squad_metrics(index, questions, abstention=False)
        print(f"{name:<32}{m.hit1:>7.3f}{m.hit3:>7.3f}{m.mrr10:>8.3f}")
    print(f"\n{'min_coverage':<14}{'unanswered (answerable)':>25}{'answered (topic removed)':>26}")
    for threshold in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
        policy = replace(AnswerPolicy(), min_coverage=threshold)
        m = evaluate.squad_metrics(NewsIndex(articles, policy=policy), questions)
        wrong = evaluate.squad_false_answer_rate(articles, questions, BM25Params(), policy)
        print(f"{threshold:<14}{m.abstained:>25.3f}{wrong:>26.3f}")


if __name__ == "__main__":
    main()
