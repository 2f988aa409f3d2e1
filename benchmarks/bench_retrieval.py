"""Per-question retrieval latency at 1k, 10k and 100k sentences: our postings scorer, rank-bm25, bm25s.

Run: `.venv/bin/python benchmarks/bench_retrieval.py [--out notes.md]`. It prints figures; it asserts nothing
about speed (the test suite holds no timed assertions), but it does check and print that our top 10 equals
rank-bm25's top 10 for every question the scan ran on.

Systems, all over the same pre-analyzed token lists (retrieval.analysis.analyzer.analyze) with k1=0.9, b=0.4:
  (i)   ours: `PostingsScorer(LuceneIdfBM25(tokens)).top(query, 10)`, the scorer under retrieval/search/bm25.py;
  (ii)  scan: rank-bm25's `get_scores` on the same LuceneIdfBM25 model, then `np.argsort` (what
        `get_top_n` does), i.e. every sentence scored in Python;
  (iii) bm25s: `bm25s.BM25(method="lucene").index(token_lists)`, then `retrieve([query], k=10)`; its
        Lucene idf equals ours and its tf part differs from ours only by the constant factor (k1 + 1),
        so its ranking should match ours up to float32 rounding (agreement is printed too); its
        `get_scores` alone is timed too, since its numpy top-k (argpartition over every sentence,
        almost all scoring 0) costs more than its scoring;
  (iv)  product path: `NewsIndex(articles).rank(question, 10)` on the raw question (analysis, typo
        correction, coverage and tie-break included), for the real cost of one question in the bot.

Questions: the XQuAD-ar questions (tests/data/xquad.ar.json) through `analyze`, those with at least one
term. Ours, bm25s and NewsIndex run on all of them; the scan runs on fewer at 10k and 100k (it costs
~100 ms per question at 100k), the same first questions for every system, so the medians compare.

Corpus: the 1,217 pooled XQuAD-ar sentences (as `newsbot eval` pools them), grown to N with synthetic
sentences, seeded RNG (--seed, default 7):
  - a sentence's length in words is drawn from the XQuAD sentence lengths;
  - each word is, with probability p(T), a new word, otherwise a copy of a word drawn uniformly from
    every word written so far (XQuAD's and the synthetic ones): the Simon process, which keeps each
    word's share of the text (frequent words stay frequent, so the question terms' posting lists grow
    with N as they would) and gives the Zipf tail;
  - p(T) = dV/dT of Heaps' law V = K T^beta fitted on XQuAD's own words (beta ~0.8 here: Arabic
    surface words with clitics), so the vocabulary keeps growing at the rate XQuAD's does;
  - a new word is a string of Arabic letters with a length drawn from XQuAD's word lengths.
A Heaps fit on a 27k-word sample overstates vocabulary growth (beta ~0.5-0.6 is usual for large
corpora) and the new words are random letter strings the stemmer cannot fold, so the 100k vocabulary
is on the high side: build time and memory figures are pessimistic; query latency depends on the
question terms' posting lengths, which the copying keeps realistic.
Sentences are grouped 20 to an article for NewsIndex. The 1k corpus is the first 1,000 XQuAD sentences.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bm25s  # noqa: E402

from retrieval.analysis.analyzer import analyze  # noqa: E402
from retrieval.answering.news_index import NewsIndex  # noqa: E402
from retrieval.text.article import Article  # noqa: E402
from retrieval.search.bm25 import LuceneIdfBM25, PostingsScorer  # noqa: E402
from retrieval.answering.evaluate import squad_corpus  # noqa: E402
from retrieval.search.term_index import BM25Params  # noqa: E402

XQUAD = ROOT / "tests" / "data" / "xquad.ar.json"
ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآةى"
TOP = 10


# --- corpus -------------------------------------------------------------------------------------


def heaps_fit(words: Sequence[str]) -> tuple[float, float]:
    """K and beta of V = K T^beta, from the vocabulary at a quarter and at all of the text."""
    t1, t2 = len(words) // 4, len(words)
    v1, v2 = len(set(words[:t1])), len(set(words))
    beta = math.log(v2 / v1) / math.log(t2 / t1)
    return v2 / t2**beta, beta


def grow(sentences: list[str], n: int, seed: int) -> list[str]:
    """`sentences` followed by synthetic ones up to n in all (see the module docstring)."""
    if n <= len(sentences):
        return sentences[:n]
    rng = random.Random(seed)
    words = [w for s in sentences for w in s.split()]
    lengths = [len(s.split()) for s in sentences if s.split()]
    word_lengths = [len(w) for w in words]
    k, beta = heaps_fit(words)
    vocab = set(words)
    stream = list(words)
    out = list(sentences)
    while len(out) < n:
        sentence = []
        for _ in range(rng.choice(lengths)):
            t = len(stream)
            if rng.random() < k * beta * t ** (beta - 1):
                word = "".join(rng.choice(ARABIC_LETTERS) for _ in range(rng.choice(word_lengths)))
                vocab.add(word)
            else:
                word = stream[rng.randrange(t)]
            stream.append(word)
            sentence.append(word)
        out.append(" ".join(sentence).rstrip(".،") + ".")
    return out


def as_articles(sentences: list[str], per_article: int = 20) -> list[Article]:
    return [
        Article(id=f"a{i // per_article}", title=f"a{i // per_article}", sentences=tuple(sentences[i : i + per_article]))
        for i in range(0, len(sentences), per_article)
    ]


# --- measuring ----------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def latencies(fn: Callable[[object], object], queries: Sequence[object]) -> tuple[list[object], list[float]]:
    fn(queries[0])  # warm caches and lazy imports
    gc.collect()
    results, ms = [], []
    for q in queries:
        start = time.perf_counter_ns()
        results.append(fn(q))
        ms.append((time.perf_counter_ns() - start) / 1e6)
    return results, ms


def p95(values: Sequence[float]) -> float:
    return float(np.percentile(values, 95))


def same_top(ours: list[tuple[int, float]], scan_scores: np.ndarray) -> bool:
    """Our top 10 against the scan's: same scores best first, same documents above the 10th score.

    Documents tied at the 10th score may differ (either set is a correct top 10).
    """
    order = np.argsort(scan_scores)[::-1][:TOP]
    theirs = [(int(d), float(scan_scores[d])) for d in order if scan_scores[d] > 0]
    if [s for _, s in ours] != [s for _, s in theirs]:
        return False
    if not theirs:
        return True
    cut = theirs[-1][1]
    tied = set(np.flatnonzero(scan_scores == cut).tolist())
    return {d for d, s in ours if s > cut} == {d for d, s in theirs if s > cut} and all(
        d in tied for d, s in ours if s == cut
    )


def bm25s_agrees(ours: list[tuple[int, float]], docs: np.ndarray, scores: np.ndarray) -> bool:
    """bm25s ranks in float32: its ids match ours above the last score that float32 could tie."""
    theirs = [(int(d), float(s)) for d, s in zip(docs, scores) if s > 0]
    if len(theirs) != len(ours):
        return False
    if not ours:
        return True
    cut = np.float32(ours[-1][1] / (BM25Params().k1 + 1))
    return {d for d, s in ours if np.float32(s / (BM25Params().k1 + 1)) > cut * (1 + 1e-6)} <= {d for d, _ in theirs}


@dataclass
class Row:
    n: int
    terms: int
    vocab: int
    build: dict[str, float] = field(default_factory=dict)  # seconds
    rss: dict[str, float] = field(default_factory=dict)  # MB after each step
    lat: dict[str, list[float]] = field(default_factory=dict)  # ms per question
    scan_questions: int = 0
    identical: int = 0
    bm25s_same: int = 0


def run_size(sentences: list[str], questions: list[str], scan_count: int) -> Row:
    analyzed_q = [analyze(q) for q in questions]
    tokens, t_analyze = timed(lambda: [analyze(s) for s in sentences])
    row = Row(n=len(sentences), terms=sum(map(len, tokens)), vocab=len({t for d in tokens for t in d}))
    row.build["analyze"] = t_analyze
    row.rss["start"] = rss_mb()
    params = BM25Params()
    model, row.build["rank-bm25 fit"] = timed(lambda: LuceneIdfBM25(tokens, k1=params.k1, b=params.b))
    row.rss["rank-bm25 model"] = rss_mb()
    scorer, row.build["postings"] = timed(lambda: PostingsScorer(model))
    row.rss["+ postings"] = rss_mb()

    def bm25s_index() -> bm25s.BM25:
        retriever = bm25s.BM25(k1=params.k1, b=params.b, method="lucene")
        retriever.index(tokens, show_progress=False)
        return retriever

    retriever, row.build["bm25s index"] = timed(bm25s_index)
    row.rss["+ bm25s"] = rss_mb()
    news, row.build["NewsIndex"] = timed(lambda: NewsIndex(as_articles(sentences)))
    row.rss["+ NewsIndex"] = rss_mb()

    ours, row.lat["ours: PostingsScorer.top"] = latencies(lambda q: scorer.top(q, TOP), analyzed_q)
    scan_q = analyzed_q[:scan_count]

    def scan(q: list[str]) -> tuple[np.ndarray, np.ndarray]:
        scores = model.get_scores(q)
        return scores, np.argsort(scores)[::-1][:TOP]

    scans, row.lat["rank-bm25 get_scores + argsort"] = latencies(scan, scan_q)
    found, row.lat["bm25s retrieve"] = latencies(
        lambda q: retriever.retrieve([q], k=min(TOP, row.n), show_progress=False), analyzed_q
    )
    # Its scoring alone, without the top-k selection (an argpartition over every sentence).
    _, row.lat["bm25s get_scores"] = latencies(retriever.get_scores, [q for q in analyzed_q if q])
    _, row.lat["NewsIndex.rank (raw question)"] = latencies(lambda q: news.rank(q, TOP), questions)
    row.scan_questions = len(scan_q)
    row.identical = sum(same_top(o, s) for o, (s, _) in zip(ours, scans))
    row.bm25s_same = sum(bm25s_agrees(o, r.documents[0], r.scores[0]) for o, r in zip(ours, found))
    return row


# --- report -------------------------------------------------------------------------------------


def report(rows: list[Row], questions: int, seed: int, heaps: tuple[float, float]) -> str:
    lines = [
        "# Retrieval latency: postings scorer vs rank-bm25 scan vs bm25s",
        "",
        f"`benchmarks/bench_retrieval.py --seed {seed}`; {platform.python_implementation()} "
        f"{platform.python_version()}, numpy {np.__version__}, rank-bm25 {_version('rank-bm25')}, "
        f"bm25s {bm25s.__version__}, {os.cpu_count()} CPUs ({platform.machine()}), one thread. "
        f"Corpus: XQuAD-ar sentences grown with synthetic ones (see the script's docstring); "
        f"{questions} XQuAD-ar questions. k1=0.9, b=0.4, top {TOP}. Heaps' law fitted on XQuAD-ar words: "
        f"V = {heaps[0]:.2f} T^{heaps[1]:.3f}.",
        "",
        "Per-question latency, ms (median / p95):",
        "",
        "| sentences | terms | vocab | ours: PostingsScorer.top | rank-bm25 scan (questions) | bm25s retrieve "
        "| bm25s get_scores only | speed-up vs scan (median) | ours / bm25s retrieve (median) "
        "| NewsIndex.rank (raw question) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ours = r.lat["ours: PostingsScorer.top"]
        scan = r.lat["rank-bm25 get_scores + argsort"]
        b = r.lat["bm25s retrieve"]
        bs = r.lat["bm25s get_scores"]
        news = r.lat["NewsIndex.rank (raw question)"]
        # Medians over the scan's own questions, so the speed-up compares like with like.
        ours_on_scan = statistics.median(ours[: r.scan_questions])
        lines.append(
            f"| {r.n:,} | {r.terms:,} | {r.vocab:,} "
            f"| {statistics.median(ours):.3f} / {p95(ours):.3f} "
            f"| {statistics.median(scan):.2f} / {p95(scan):.2f} ({r.scan_questions}) "
            f"| {statistics.median(b):.3f} / {p95(b):.3f} "
            f"| {statistics.median(bs):.3f} / {p95(bs):.3f} "
            f"| {statistics.median(scan) / ours_on_scan:.0f}× "
            f"| {statistics.median(ours) / statistics.median(b):.2f} "
            f"| {statistics.median(news):.3f} / {p95(news):.3f} |"
        )
    lines += [
        "",
        "Top-10 agreement:",
        "",
        "| sentences | ours = rank-bm25 scan (scores exact, ties at the 10th allowed) | ours ≈ bm25s (ids, float32) |",
        "|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r.n:,} | {r.identical}/{r.scan_questions} | {r.bm25s_same}/{questions} |")
    lines += [
        "",
        "Index build, seconds, and process RSS (MB) after each step (cumulative; one process builds all):",
        "",
        "| sentences | analyze | rank-bm25 fit | + postings | bm25s index | NewsIndex (all, incl. analyze) "
        "| RSS: tokens | + rank-bm25 model | + postings | + bm25s | + NewsIndex |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        b, m = r.build, r.rss
        lines.append(
            f"| {r.n:,} | {b['analyze']:.2f} | {b['rank-bm25 fit']:.2f} | {b['postings']:.2f} | {b['bm25s index']:.2f} "
            f"| {b['NewsIndex']:.2f} | {m['start']:.0f} | {m['rank-bm25 model']:.0f} | {m['+ postings']:.0f} "
            f"| {m['+ bm25s']:.0f} | {m['+ NewsIndex']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--scan-questions", default="all,300,60", help="per size: how many questions the scan runs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="also write the Markdown tables here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    scan_counts = args.scan_questions.split(",")

    articles, squad = squad_corpus(XQUAD)
    real = [s for a in articles for s in a.sentences]
    questions = [q.question for q in squad if analyze(q.question)]
    corpus = grow(real, max(sizes), args.seed)
    rows = []
    for n, count in zip(sizes, scan_counts, strict=True):
        scan_count = len(questions) if count == "all" else int(count)
        print(f"{n:,} sentences …", file=sys.stderr, flush=True)
        rows.append(run_size(corpus[:n], questions, scan_count))
        gc.collect()
    text = report(rows, len(questions), args.seed, heaps_fit([w for s in real for w in s.split()]))
    print(text)
    if args.out:
        args.out.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
