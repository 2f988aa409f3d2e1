"""The news-stream benchmark (issue 9): the real corpus through the real commands, as a user runs them.

Run: `.venv/bin/python benchmarks/bench_news.py [--seeds DIR] [--code DIR] [--answers OUT.jsonl]`.

1. `newsbot ingest SEEDS` into a fresh database (seeds folder of ../shared/eval/saudinewsnet.jsonl.gz
   laid out by benchmarks/news_corpus.py; --seeds reuses one, otherwise it is written to a temporary
   folder outside the project and deleted after): articles per second.
2. `newsbot ask --json` reading one question per stdin line, NEWSBOT_SEEDS_DIR an empty folder, each
   question written only after the previous answer came back: seconds from spawn to the first answer,
   then per-question latency (write to answer line read, pipe included) on 300 article titles drawn
   with a fixed seed, the news question set (../shared/eval/news_questions.jsonl) and the seed
   questions (tests/seed_questions.jsonl); peak RSS is the process's VmHWM read before it exits.
3. bm25s (method="lucene", same k1, b) in this process on the same sentences (read back from the
   database, analyzed by retrieval's analyzer): per-question analysis + retrieve(k=10) on the titles.

--code DIR runs the `newsbot` of another checkout (e.g. the commit before a change) with this
script, so before/after figures come from one machine state; --answers writes every reply, so two
runs can be compared with --compare (same answers: same article, sentence and text, in order).
Timings on a shared 2-core machine are noisy: run it more than once and compare medians.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from news_corpus import news_records, write_seeds  # noqa: E402

# ../shared/eval of the main checkout; a worktree sits one level deeper.
EVAL = next((p / "shared" / "eval" for p in ROOT.parents if (p / "shared" / "eval").is_dir()), ROOT / "eval")
DEFAULT_CORPUS = EVAL / "saudinewsnet.jsonl.gz"
NEWS_QUESTIONS = EVAL / "news_questions.jsonl"
SEED_QUESTIONS = ROOT / "tests" / "seed_questions.jsonl"
TITLES = 300
SEED = 9


def title_questions(corpus: Path, n: int = TITLES, seed: int = SEED) -> list[str]:
    titles = [r["title"].strip() for r in news_records(corpus) if (r.get("title") or "").strip()]
    return random.Random(seed).sample(titles, n)


def jsonl_questions(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["question"] for line in path.read_text("utf-8").splitlines() if line.strip()]


def newsbot(code: Path, env: dict[str, str], *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=code,
        env={**os.environ, **env, "PYTHONPATH": str(code)},
        **kw,
    )


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ingest(code: Path, env: dict[str, str], seeds: Path) -> tuple[float, str]:
    started = time.perf_counter()
    proc = newsbot(code, env, "ingest", str(seeds), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    if not out.strip():
        raise SystemExit(f"newsbot ingest failed:\n{err[-2000:]}")
    return time.perf_counter() - started, out.strip()[:200]


def ask_all(code: Path, env: dict[str, str], questions: list[str]) -> tuple[float, list[float], list[dict], float]:
    """Seconds to the first answer, each later question's latency (ms), the replies, peak RSS (MB)."""
    started = time.perf_counter()
    proc = newsbot(code, env, "ask", "--json", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                   encoding="utf-8")
    assert proc.stdin is not None and proc.stdout is not None
    replies, latencies, first = [], [], 0.0
    for i, question in enumerate(questions):
        sent = time.perf_counter()
        proc.stdin.write(question.replace("\n", " ") + "\n")
        proc.stdin.flush()
        replies.append(json.loads(proc.stdout.readline()))
        now = time.perf_counter()
        if i == 0:
            first = now - started
        else:
            latencies.append((now - sent) * 1000)
    peak = vm_hwm_mb(proc.pid)
    proc.stdin.close()
    proc.wait()
    return first, latencies, replies, peak


def stored_sentences(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return [r[0] for r in db.execute("SELECT text FROM sentences ORDER BY article, position")]


def bm25s_latencies(sentences: list[str], questions: list[str]) -> tuple[list[float], list[float], float]:
    """bm25s per question (analysis included): `retrieve(k=10)`, and its scoring alone (`get_scores`
    plus an argpartition for the top 10), since its retrieve spends most of its time around the scoring."""
    import bm25s
    from multiprocessing import Pool

    from retrieval.analysis.analyzer import analyze
    from retrieval.search.term_index import BM25Params

    params = BM25Params()
    started = time.perf_counter()
    with Pool(2) as pool:
        tokens = pool.map(analyze, sentences, chunksize=2000)
    retriever = bm25s.BM25(k1=params.k1, b=params.b, method="lucene")
    retriever.index(_ids(tokens), show_progress=False)
    built = time.perf_counter() - started
    vocab = _ids.vocab  # type: ignore[attr-defined]
    out, scoring = [], []
    for q in questions:
        t0 = time.perf_counter()
        terms = [t for t in analyze(q) if t in vocab]  # bm25s refuses a query without a known term
        if terms:
            retriever.retrieve([terms], k=10, show_progress=False)
        out.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        terms = [t for t in analyze(q) if t in vocab]
        if terms:
            scores = retriever.get_scores(terms)
            np.argpartition(-scores, 10)[:10]
        scoring.append((time.perf_counter() - t0) * 1000)
    return out, scoring, built


def _ids(tokens: list[list[str]]):
    import bm25s

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in tokens]
    _ids.vocab = vocab  # type: ignore[attr-defined]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)


def during_refresh(database: Path, questions: list[str], added: int = 1000) -> tuple[list[float], float, int]:
    """Question latencies (ms) while `added` articles join a running index, as the bot's refresh does
    it (bot.core.index_builder.grown_index: the sentences analysed in a worker process, the index
    grown in a thread); the refresh's seconds (worker start excluded); questions asked."""
    import asyncio
    import threading

    from retrieval import Encoded

    from bot.core.index_builder import analysis_workers, grown_index, offline_index
    from bot.settings import load_settings

    with tempfile.TemporaryDirectory() as empty:
        full = offline_index(load_settings(database=database, seeds_dir=Path(empty)))
    articles = list(full.articles)
    index = full.rebuilt(articles[:-added])  # the running index before the last `added` arrived
    del full
    done: list[float] = []
    workers = analysis_workers()
    workers.submit(Encoded.analysed, ["بدء"]).result()  # the bot's worker is started once, long before

    def grow() -> None:
        asyncio.run(grown_index(index, articles[-added:], workers))
        done.append(time.perf_counter())

    refresh = threading.Thread(target=grow)
    latencies: list[float] = []
    started = time.perf_counter()
    refresh.start()
    i = 0
    while refresh.is_alive():
        t0 = time.perf_counter()
        index.ask(questions[i % len(questions)] + " " * (i // len(questions)))  # no cache hits
        latencies.append((time.perf_counter() - t0) * 1000)
        i += 1
    refresh.join()
    workers.shutdown()
    return latencies, done[0] - started, i


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def answer_key(reply: dict) -> list:
    return [reply["answered"], [(a["article"], a["sentence"], a["text"]) for a in reply["answers"]],
            [h["title"] for h in reply["related"]]]


def compare(a: Path, b: Path) -> int:
    left = [json.loads(x) for x in a.read_text("utf-8").splitlines()]
    right = [json.loads(x) for x in b.read_text("utf-8").splitlines()]
    differ = [(x, y) for x, y in zip(left, right, strict=True) if answer_key(x) != answer_key(y)]
    print(f"{len(left) - len(differ)}/{len(left)} replies the same")
    for x, y in differ[:10]:
        print("DIFF", x["question"], "\n  ", answer_key(x), "\n  ", answer_key(y))
    return 0 if not differ else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, help="a seeds folder of the corpus (default: written to a temp dir)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose newsbot to run")
    parser.add_argument("--database", type=Path, help="reuse this database instead of ingesting")
    parser.add_argument("--answers", type=Path, help="write every reply here (JSON lines)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"), help="compare two --answers files")
    parser.add_argument("--no-bm25s", action="store_true")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    with tempfile.TemporaryDirectory(prefix="bench_news_") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "empty").mkdir()
        database = args.database or tmpdir / "news.sqlite3"
        env = {"NEWSBOT_DATABASE": str(database), "NEWSBOT_SEEDS_DIR": str(tmpdir / "empty")}
        seeds = args.seeds
        if seeds is None and args.database is None:
            seeds = tmpdir / "seeds"
            write_seeds(seeds, DEFAULT_CORPUS)
        if args.database is None:
            articles = len(list(seeds.glob("*.txt")))
            seconds, line = ingest(args.code, env, seeds)
            print(f"ingest: {articles} files in {seconds:.1f} s = {articles / seconds:.0f} articles/s ({line})")
        titles = title_questions(DEFAULT_CORPUS)
        others = jsonl_questions(NEWS_QUESTIONS) + jsonl_questions(SEED_QUESTIONS)
        first, lat, replies, peak = ask_all(args.code, env, titles + others)
        title_lat = lat[: len(titles) - 1]
        print(f"ask: first answer after {first:.2f} s; peak RSS {peak:.0f} MB")
        print(f"ask: {len(title_lat)} titles p50 {pct(title_lat, .5):.2f} ms, p95 {pct(title_lat, .95):.2f} ms;"
              f" all {len(lat)} p50 {pct(lat, .5):.2f} ms p95 {pct(lat, .95):.2f} ms")
        if args.answers:
            args.answers.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in replies), "utf-8")
        if args.code.resolve() == ROOT:  # this checkout's index (another checkout's may lack it)
            lat_r, seconds, asked = during_refresh(database, titles)
            print(f"while 1,000 articles join the running index ({seconds:.1f} s: analysed in a worker, grown in a thread): {asked} questions,"
                  f" p50 {pct(lat_r, .5):.2f} ms, p95 {pct(lat_r, .95):.2f} ms")
        if not args.no_bm25s:
            b, scoring, built = bm25s_latencies(stored_sentences(database), titles)
            print(f"bm25s (same sentences, index built in {built:.0f} s incl. analysis): analyze + retrieve k=10"
                  f" p50 {statistics.median(b):.2f} ms, p95 {pct(b, .95):.2f} ms; analyze + get_scores + top 10"
                  f" p50 {statistics.median(scoring):.2f} ms, p95 {pct(scoring, .95):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
