"""BM25 over postings: exact equality with rank-bm25, the idf edge case, and degenerate corpora."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval.analysis.analyzer import analyze
from retrieval.answering.news_index import NewsIndex
from retrieval.text.article import Article
from retrieval.search.bm25 import LuceneIdfBM25, PostingsScorer
from retrieval.answering.evaluate import squad_corpus
from retrieval.text.files import load_folder
from retrieval.search.term_index import BM25Params, TermIndex

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
XQUAD = Path(__file__).resolve().parent / "data" / "xquad.ar.json"
SEED_QUESTIONS = Path(__file__).resolve().parent / "seed_questions.jsonl"

# Our tuned parameters and rank-bm25's own defaults: equality must hold for any k1/b.
PARAMS = [(0.9, 0.4), (1.5, 0.75)]
MODELS = [LuceneIdfBM25, BM25Okapi]

# Queries that stress the summation: repeated terms, terms the corpus lacks, nothing at all.
EXTRA_QUERIES = [
    "تركيا",
    "تركيا تركيا تركيا",
    "وزير الدفاع وزير الدفاع",
    "كلمة_غير_موجودة xyz",
    "",
    "من؟",
    "فضولي فضولي قره باغ أرمينيا أذربيجان 1993",
]


@pytest.fixture(scope="module")
def seed_article() -> Article:
    (article,) = load_folder(SEEDS)
    return article


@pytest.fixture(scope="module")
def seed_tokens(seed_article: Article) -> list[list[str]]:
    return [analyze(s) for s in seed_article.sentences]


@pytest.fixture(scope="module")
def seed_queries() -> list[list[str]]:
    questions = [json.loads(line)["question"] for line in SEED_QUESTIONS.read_text("utf-8").splitlines() if line.strip()]
    return [analyze(q) for q in questions + EXTRA_QUERIES]


@pytest.fixture(scope="module")
def xquad() -> tuple[list[list[str]], list[list[str]]]:
    articles, questions = squad_corpus(XQUAD)
    tokens = [analyze(s) for a in articles for s in a.sentences]
    # Every fifth question (~240) keeps this to seconds: get_scores scans every sentence in Python.
    queries = [analyze(q.question) for q in questions[::5]] + [analyze(q) for q in EXTRA_QUERIES]
    return tokens, queries


def dense(scorer: PostingsScorer, query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    ids, scores = scorer.score(query)
    full = np.zeros(scorer.corpus_size)
    full[ids] = scores
    return ids, full


def expected_top(reference: np.ndarray, candidates: np.ndarray, n: int) -> list[tuple[int, float]]:
    """rank-bm25's ranking of the candidates, ties to the lower doc id (PostingsScorer's documented rule)."""
    order = sorted(candidates.tolist(), key=lambda d: (-reference[d], d))
    return [(d, float(reference[d])) for d in order[:n]]


def assert_same_top(ours: list[tuple[int, float]], wanted: list[tuple[int, float]], where: object) -> None:
    """Same scores best first, same documents above the cut-off score (ties at the cut may differ)."""
    assert [s for _, s in ours] == [s for _, s in wanted], where
    if wanted:
        cut = wanted[-1][1]
        assert {d for d, s in ours if s > cut} == {d for d, s in wanted if s > cut}, where
        assert len({d for d, _ in ours}) == len(ours), where


def assert_reproduces(model: BM25Okapi, tokens: list[list[str]], queries: list[list[str]]) -> None:
    scorer = PostingsScorer(model)
    assert scorer.corpus_size == len(tokens)
    docs_with: dict[str, set[int]] = {}
    for d, doc in enumerate(tokens):
        for term in doc:
            docs_with.setdefault(term, set()).add(d)
    for query in queries:
        reference = model.get_scores(query)
        ids, full = dense(scorer, query)
        containing = np.array(sorted(set().union(*(docs_with.get(t, set()) for t in query))), dtype=np.int64)
        # Candidates are exactly the sentences sharing a term, ascending and without repeats.
        assert ids.tolist() == containing.tolist(), query
        # Bit-for-bit the same floats, and every other sentence scores 0 in rank-bm25 too.
        assert np.array_equal(full, reference), query
        assert not reference[np.setdiff1d(np.arange(len(tokens)), containing)].any(), query
        for n in (1, 3, 10):
            assert_same_top(scorer.top(query, n), expected_top(reference, ids, n), (query, n))
        # rank-bm25's own top-n (argsort, any tie order) has the same scores, best first.
        if len(ids) >= 10:
            theirs = np.sort(reference)[::-1][:10]
            assert [s for _, s in scorer.top(query, 10)] == theirs.tolist(), query


@pytest.mark.parametrize("model_cls", MODELS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("k1", "b"), PARAMS)
def test_postings_equal_get_scores_on_seed(
    model_cls: type[BM25Okapi], k1: float, b: float, seed_tokens: list[list[str]], seed_queries: list[list[str]]
) -> None:
    assert_reproduces(model_cls(seed_tokens, k1=k1, b=b), seed_tokens, seed_queries)


@pytest.mark.parametrize("model_cls", MODELS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("k1", "b"), PARAMS)
def test_postings_equal_get_scores_on_xquad(
    model_cls: type[BM25Okapi], k1: float, b: float, xquad: tuple[list[list[str]], list[list[str]]]
) -> None:
    tokens, queries = xquad
    assert len(tokens) > 1000 and len(queries) > 200
    assert_reproduces(model_cls(tokens, k1=k1, b=b), tokens, queries)


def test_scorer_reproduces_epsilon_floor_and_zero_idf() -> None:
    # "a" is in 3 of 4 documents (Okapi idf < 0, floored to epsilon * average idf); "b" in exactly half
    # (idf exactly 0, which rank-bm25 does not floor, so it scores nothing).
    tokens = [["a", "b", "c"], ["a", "b"], ["a", "d"], ["e"]]
    model = BM25Okapi(tokens)
    assert model.idf["a"] == pytest.approx(model.epsilon * model.average_idf)
    assert model.idf["b"] == 0.0
    assert_reproduces(model, tokens, [["a"], ["b"], ["a", "b"], ["b", "e"], ["a", "a", "c"], ["z"]])


def test_scorer_handles_an_empty_sentence_among_others() -> None:
    tokens = [["تركيا", "كوسوفو"], [], ["انقر"], []]
    for model_cls in MODELS:
        assert_reproduces(model_cls(tokens), tokens, [["تركيا"], ["انقر", "تركيا"], []])


def test_top_breaks_ties_by_lower_doc_id() -> None:
    tokens = [["x", "y"], ["y", "x"], ["x", "y"], ["q"]]
    scorer = PostingsScorer(LuceneIdfBM25(tokens))
    assert [d for d, _ in scorer.top(["x"], 3)] == [0, 1, 2]
    assert [d for d, _ in scorer.top(["x"], 2)] == [0, 1]
    assert scorer.top(["nothing"], 5) == []


def test_top_ties_at_the_cut_go_to_the_lower_doc_id() -> None:
    twice = {1, 3, 4, 7, 10, 12, 14, 16, 17, 18, 19, 20, 22, 23, 26, 28, 29, 30, 31, 33, 35, 36}
    tokens = [["x", "x"] if d in twice else ["x"] for d in range(40)] + [["q"]]
    scorer = PostingsScorer(LuceneIdfBM25(tokens))
    assert [d for d, _ in scorer.top(["x"], 8)] == sorted(twice)[:8]


# --- the idf edge case: the article's own topic is in half its sentences or more ---------------
# Written against whatever the analyzer makes of تركيا (a stem of its own, or merged with التركي/
# التركية): the subsets below are built from the document frequency, not from a fixed count.

TURKEY = analyze("تركيا")
WANTS = "إن تركيا تريد حل هذه المسألة من جذورها"


def turkey_subsets(article: Article, tokens: list[list[str]]) -> dict[str, list[int]]:
    """Seed sentence numbers (0-based, in article order) where the Turkey term is in half or more."""
    term = TURKEY[0]
    wants = next(i for i, s in enumerate(article.sentences) if WANTS in s)
    containing = [i for i, doc in enumerate(tokens) if term in doc and i != wants]
    others = [i for i, doc in enumerate(tokens) if term not in doc]
    assert others and containing, "the seed has sentences with and without the term"
    m = min(len(containing), len(others))
    subsets = {
        # Exactly half: Okapi idf is exactly 0, which rank-bm25 does not floor.
        "half": sorted([wants, *containing[: m - 1], *others[:m]]),
        # One more containing than not: Okapi idf < 0, floored to epsilon * average idf.
        "majority": sorted([wants, *containing[:m], *others[:m]]),
    }
    if 2 * (len(containing) + 1) >= len(tokens):
        subsets["whole seed"] = list(range(len(tokens)))
    return {name: ids for name, ids in subsets.items() if ids}


def test_turkey_is_one_frequent_term_of_the_seed(seed_tokens: list[list[str]]) -> None:
    assert len(TURKEY) == 1
    assert sum(TURKEY[0] in doc for doc in seed_tokens) >= 5


def test_okapi_idf_collapses_where_lucene_idf_stays_positive(
    seed_article: Article, seed_tokens: list[list[str]]
) -> None:
    term = TURKEY[0]
    subsets = turkey_subsets(seed_article, seed_tokens)
    assert {"half", "majority"} <= subsets.keys()
    for name, ids in subsets.items():
        tokens = [seed_tokens[i] for i in ids]
        df = {t: sum(t in d for d in tokens) for d in tokens for t in d}
        assert 2 * df[term] >= len(tokens), name
        okapi = BM25Okapi(tokens, k1=0.9, b=0.4)
        lucene = LuceneIdfBM25(tokens, k1=0.9, b=0.4)
        floor = okapi.epsilon * okapi.average_idf
        assert okapi.idf[term] <= 0 or okapi.idf[term] == floor, name
        if 2 * df[term] == len(tokens):
            assert okapi.idf[term] == 0.0, name
        else:
            assert okapi.idf[term] == floor, name
        assert lucene.idf[term] > 0, name
        for other, n in df.items():
            if n < df[term]:
                assert lucene.idf[other] > lucene.idf[term], (name, other)
            elif n == df[term]:
                assert lucene.idf[other] == lucene.idf[term], (name, other)


def test_turkey_alone_ranks_by_term_frequency_where_okapi_scores_nothing(
    seed_article: Article, seed_tokens: list[list[str]]
) -> None:
    tokens = [seed_tokens[i] for i in turkey_subsets(seed_article, seed_tokens)["half"]]
    assert not BM25Okapi(tokens, k1=0.9, b=0.4).get_scores(TURKEY).any()
    top = PostingsScorer(LuceneIdfBM25(tokens, k1=0.9, b=0.4)).top(TURKEY, 3)
    assert top and all(score > 0 for _, score in top)
    assert tokens[top[0][0]].count(TURKEY[0]) == max(d.count(TURKEY[0]) for d in tokens) >= 2


@pytest.mark.parametrize("subset", ["half", "majority", "whole"])
def test_question_about_the_common_term_still_finds_its_sentence(
    seed_article: Article, seed_tokens: list[list[str]], subset: str
) -> None:
    ids = turkey_subsets(seed_article, seed_tokens).get(subset, list(range(len(seed_tokens))))
    article = dataclasses.replace(seed_article, sentences=tuple(seed_article.sentences[i] for i in ids))
    reply = NewsIndex([article]).ask("ماذا تريد تركيا؟")
    assert reply.answered
    assert WANTS in reply.answers[0].text
    assert TURKEY[0] in reply.answers[0].matched_terms


# --- degenerate corpora never crash --------------------------------------------------------------

STOPWORD_ONLY = ["في من على", "و", "...", "؟!", "   "]


@pytest.mark.parametrize("texts", [[], STOPWORD_ONLY], ids=["empty", "stopwords-only"])
def test_term_index_without_terms(texts: list[str]) -> None:
    index = TermIndex(texts, BM25Params())
    assert all(not index.doc_terms(d) for d in range(index.size))
    for question in ["ما موقف تركيا؟", "", "في من"]:
        query = index.query(question)
        assert index.search(query, 5) == []


def test_term_index_with_some_empty_sentences() -> None:
    index = TermIndex([*STOPWORD_ONLY, "اجتمع الوفدان في أنقرة"], BM25Params())
    query = index.query("أين اجتمع الوفدان؟")
    hits = index.search(query, 5)
    assert [h.doc for h in hits] == [len(STOPWORD_ONLY)]
    assert hits[0].score > 0 and index.describe(query, hits[0]).coverage == 1.0
    assert index.search(index.query("أنقرة"), 0) == []


@pytest.mark.parametrize(
    "articles",
    [
        [],
        [Article(id="empty", title="", sentences=())],
        [Article(id="stop", title="في", sentences=tuple(STOPWORD_ONLY))],
    ],
    ids=["no-articles", "no-sentences", "stopword-sentences"],
)
def test_news_index_without_terms_abstains(articles: list[Article]) -> None:
    index = NewsIndex(articles)
    for question in ["ما موقف تركيا؟", "", "من؟", "🙂", "x" * 10_000]:
        reply = index.ask(question)
        assert not reply.answered and reply.answers == () and reply.related == ()
    assert index.rank("تركيا", 3) == []


def test_news_index_grows_from_empty(seed_article: Article) -> None:
    index = NewsIndex([]).with_articles([seed_article])
    reply = index.ask("من هو وزير الدفاع التركي الذي ترأس الوفد؟")
    assert reply.answered and "خلوصي أكار" in reply.answers[0].text
