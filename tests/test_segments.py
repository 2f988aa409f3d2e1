"""The segmented index: rank-bm25's scores across segments, pruned top-n, growth, ageing, save/load."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from retrieval.search.bm25 import LuceneIdfBM25
from retrieval.search.segments import merge_policy
from retrieval.search import term_index
from retrieval.search.term_index import BM25Params, Hit, Query, TermIndex

# Our own words (stems as the analyzer would leave them), drawn with Zipf-like weights so some terms
# are in most sentences and most are rare: the shape that makes pruning matter.
WORDS = (
    "ملك وزير رياض جده مكه سعود حكوم شرك نفط سوق اسهم مجلس امير منطق مشروع تعليم صحه طالب مدرس مستشف"
    " اقتصاد بنك تمويل عقار سكن مطار طيران قطار طريق جسر ميناء زراع مياه كهرباء طاقه شمس رياح مؤتمر"
    " قمه سفير تعاون اتفاق تجار تصدير استيراد صناع مصنع عمال وظيف بطال رواتب ميزان ضريب جمرك حدود"
).split()
WEIGHTS = [1 / (rank + 1) for rank in range(len(WORDS))]
PARAMS = BM25Params()


def corpus(n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        length = rng.choice([0, 2, 4, 6, 8, 10, 14, 20])  # empty documents count in N and avgdl too
        docs.append(rng.choices(WORDS, WEIGHTS, k=length))
    return docs


def queries(seed: int, count: int = 40) -> list[list[str]]:
    rng = random.Random(seed)
    out = [rng.choices(WORDS, k=rng.randint(1, 9)) for _ in range(count)]
    out.append(["ملك", "ملك", "سعود"])  # a repeated term counts twice, as in rank-bm25
    out.append(["ملك", "كلمه_غايبه"])  # a term the corpus lacks adds nothing
    return out


def grown(docs: list[list[str]], cuts: list[int]) -> TermIndex:
    """An index fed in batches, as a running bot feeds it (segments, merges)."""
    index = TermIndex([], PARAMS, tokens=[])
    start = 0
    for cut in [*cuts, len(docs)]:
        index = index.with_texts([" ".join(d) for d in docs[start:cut]], tokens=docs[start:cut])
        start = cut
    return index


def ids(index: TermIndex, terms: list[str]) -> list[int]:
    return [index.vocab.ids.get(t, len(index.vocab) + 10) for t in terms]


def dense(index: TermIndex, terms: list[str]) -> np.ndarray:
    docs, scores = index.scorer.score(ids(index, terms))
    out = np.zeros(index.size)
    out[docs] = scores
    return out


@pytest.mark.parametrize("cuts", [[], [50, 51, 90, 300, 310, 311, 320, 500]], ids=["one segment", "many batches"])
def test_scores_equal_rank_bm25_exactly(cuts: list[int]) -> None:
    docs = corpus(600, seed=1)
    index = grown(docs, cuts)
    model = LuceneIdfBM25(docs, k1=PARAMS.k1, b=PARAMS.b)
    if cuts:
        assert len(index.segments) > 1  # the statistics really span segments
    for q in queries(seed=2):
        assert np.array_equal(dense(index, q), model.get_scores(q)), q


def test_pruned_top_equals_exhaustive_ranking() -> None:
    docs = corpus(3000, seed=3)
    index = grown(docs, [1000, 2000, 2500])
    model = LuceneIdfBM25(docs, k1=PARAMS.k1, b=PARAMS.b)
    for q in queries(seed=4, count=80):
        scores = model.get_scores(q)
        for n in (1, 3, 10, 50):
            expected = sorted(((-s, d) for d, s in enumerate(scores) if s > 0))[:n]
            assert index.scorer.top(ids(index, q), n) == [(d, -s) for s, d in expected], (q, n)


def test_pruning_skips_common_terms_postings() -> None:
    # A question with one rare word and two of the commonest: the rare word's sentences win, and only
    # they are scored (the common words' postings are looked up for them, never read whole).
    docs = corpus(3000, seed=5) + [["ملك", "وزير", "نادر"]] * 3
    index = grown(docs, [])
    q = ids(index, ["ملك", "وزير", "نادر"])
    candidates, _ = index.scorer.candidates(q, 3)
    assert list(candidates) == [3000, 3001, 3002]
    assert [d for d, _ in index.scorer.top(q, 3)] == [3000, 3001, 3002]
    everyone, _ = index.scorer.candidates(ids(index, ["ملك", "وزير"]), 3)
    assert len(everyone) > 1000  # without a rare term nothing can be skipped here


def test_with_texts_leaves_the_older_snapshot_alone() -> None:
    docs = corpus(200, seed=6)
    small = grown(docs[:100], [])
    big = small.with_texts([""] * 100, tokens=docs[100:])
    assert small.size == 100 and big.size == 200
    model = LuceneIdfBM25(docs[:100], k1=PARAMS.k1, b=PARAMS.b)
    assert np.array_equal(dense(small, ["ملك", "رياض"]), model.get_scores(["ملك", "رياض"]))


def test_merge_policy_keeps_few_segments() -> None:
    index = TermIndex([], PARAMS, tokens=[])
    docs = corpus(1000, seed=7)
    for i in range(0, 1000, 10):
        index = index.with_texts([""] * 10, tokens=docs[i : i + 10])
    assert index.size == 1000
    assert len(index.segments) <= 8
    sizes = [s.size for s in index.segments]
    assert sizes == sorted(sizes, reverse=True)  # older, bigger segments first
    assert merge_policy(list(index.segments), len(index.vocab)) == list(index.segments)


def test_select_equals_a_fresh_index_of_the_kept_texts() -> None:
    docs = corpus(500, seed=8)
    index = grown(docs, [100, 250])
    keep = [i for i in range(500) if i % 3] [::-1]  # any order, ageing drops every third one here
    picked = index.select(keep)
    fresh = grown([docs[i] for i in keep], [])
    for q in queries(seed=9, count=15):
        assert np.array_equal(dense(picked, q), dense(fresh, q))
    assert picked.doc_terms(0) == fresh.doc_terms(0)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    docs = corpus(400, seed=10)
    index = grown(docs, [150, 300])
    path = tmp_path / "index.npz"
    index.save(path, {"rows": 42}, {"labels": np.arange(400) * 2})
    loaded, meta, arrays = TermIndex.load(path, PARAMS)
    assert meta == {"rows": 42} and list(arrays["labels"][:3]) == [0, 2, 4]
    for q in queries(seed=11, count=15):
        assert np.array_equal(dense(loaded, q), dense(index, q))
    more = loaded.with_texts(["x"], tokens=[["ملك", "جديد"]])
    assert more.size == 401 and more.search(more.query("جديد"), 1)[0].doc == 400


def test_load_refuses_what_is_not_a_snapshot(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not numpy at all")
    with pytest.raises(ValueError):
        TermIndex.load(bad, PARAMS)
    index = grown(corpus(20, seed=12), [])
    index.save(tmp_path / "ok.npz", {})
    with pytest.raises(ValueError):
        TermIndex.load(tmp_path / "ok.npz", BM25Params(k1=1.5))


def test_repeated_questions_are_analysed_once() -> None:
    calls: list[str] = []

    def analyzer(text: str) -> list[str]:
        calls.append(text)
        return text.split()

    index = TermIndex(["ملك رياض", "وزير جده"], PARAMS, analyzer)
    grown_index = index.with_texts(["ملك جده"])
    calls.clear()
    for _ in range(3):
        index.query("ملك جده")
        grown_index.query("ملك جده")
    assert calls == ["ملك جده"]  # one analysis, shared by the snapshots


def test_reassembled_keeps_reorders_and_adds() -> None:
    docs = corpus(300, seed=13)
    index = grown(docs[:200], [120])
    extra = docs[200:210]
    # Kept documents, dropped ones, and new ones in between: the result equals a fresh build.
    plan = [*range(0, 50), *[-1] * 5, *range(60, 200, 2), *[-1] * 5]
    out = index.reassembled(plan, [""] * 10, tokens=extra)
    wanted = [*docs[:50], *extra[:5], *docs[60:200:2], *extra[5:]]
    fresh = grown(wanted, [])
    assert out.size == len(wanted)
    for q in queries(seed=14, count=15):
        assert np.array_equal(dense(out, q), dense(fresh, q))
    same = index.reassembled(list(range(200)), [])
    assert same is index  # nothing to do costs nothing


def test_build_in_chunks_equals_rank_bm25(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval.search import term_index

    monkeypatch.setattr(term_index, "BUILD_CHUNK", 70)  # a big corpus, in miniature
    docs = corpus(500, seed=15)
    index = TermIndex([" ".join(d) for d in docs], PARAMS, analyzer=str.split)
    assert len(index.segments) == 1
    model = LuceneIdfBM25(docs, k1=PARAMS.k1, b=PARAMS.b)
    for q in queries(seed=16, count=15):
        assert np.array_equal(dense(index, q), model.get_scores(q))


def test_terms_of_a_document_are_its_distinct_terms_across_segments_and_selections() -> None:
    """The doc-major view the answer checks read (NewsIndex.terms) holds exactly each document's terms,
    in an index grown in batches and in one selected from it (documents renumbered)."""
    docs = corpus(600, seed=5)
    index = grown(docs, [50, 51, 90, 300, 310, 311, 320, 500])
    assert len(index.segments) > 1
    for doc, tokens in enumerate(docs):
        assert sorted(index.terms_of(doc)) == sorted(set(tokens)), doc
    picks = list(range(599, -1, -3))
    selected = index.select(picks)
    for new, old in enumerate(picks):
        assert sorted(selected.terms_of(new)) == sorted(set(docs[old])), (new, old)


def test_terms_of_keeps_what_it_read_without_sharing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The documents read are kept (term_ids_of, TERMS_CACHE of them): read again, in any order and
    past the bound, they stay each document's terms, in a set no caller can change."""
    monkeypatch.setattr(term_index, "TERMS_CACHE", 7)
    docs = corpus(300, seed=10)
    index = grown(docs, [100, 200])
    order = [*range(300), *random.Random(11).sample(range(300), 300), *range(0, 300, 7)]
    for doc in order:
        got = index.terms_of(doc)
        assert got == frozenset(docs[doc]), doc
    assert len(index._terms_read) <= 7
    with pytest.raises(IndexError):
        index.terms_of(300)


def test_held_by_is_the_intersection_with_the_documents_terms() -> None:
    """held_by reads by term id what `terms & terms_of(doc)` says, unknown terms included."""
    docs = corpus(200, seed=14)
    index = grown(docs, [80, 150])
    vocabulary = sorted({t for d in docs for t in d})
    rng = random.Random(15)
    for doc in rng.sample(range(200), 60):
        terms = frozenset(rng.sample(vocabulary, 5) + ["غريب", *docs[doc][:1]])
        assert index.held_by(doc, terms) == terms & frozenset(docs[doc]), doc


def test_holds_is_posting_membership_across_segments() -> None:
    """The batch membership test behind describe_all: any documents (unsorted, repeated, past the
    last one), any terms (unknown ones too), every segment."""
    docs = corpus(600, seed=12)
    index = grown(docs, [50, 51, 90, 300, 310, 311, 320, 500])
    assert len(index.segments) > 1
    rng = random.Random(13)
    picks = np.array([rng.randrange(620) for _ in range(60)] + [0, 599, 599, 600], dtype=np.int64)
    terms = [*WORDS[:12], "كلمه_غايبه"]
    held = index.scorer.holds(ids(index, terms), picks)
    for row, t in enumerate(terms):
        for col, doc in enumerate(picks):
            assert held[row, col] == (doc < len(docs) and t in docs[doc]), (t, doc)
            assert index.scorer.contains(ids(index, [t])[0], int(doc)) == held[row, col]
    # A few documents are read through their own terms (the doc-major view), with the same result.
    for start in range(0, len(picks), 3):
        few = picks[start : start + 3]
        assert np.array_equal(index.scorer.holds(ids(index, terms), few), held[:, start : start + 3])


def test_describe_all_equals_describing_each_hit_from_its_terms() -> None:
    """Coverage and matched terms of many hits at once, against the definition read off each
    document's own tokens: a term counts its idf, half of it when read through a typo guess."""
    docs = corpus(600, seed=14)
    index = grown(docs, [50, 51, 90, 300, 310, 311, 320, 500])
    assert len(index.segments) > 1
    rng = random.Random(15)
    for q in queries(seed=16, count=30):
        weights = {t: rng.uniform(0.1, 5.0) for t in dict.fromkeys([*q, "كلمه_غايبه"])}
        # "وزيير" read as the corpus word وزير by a guess (one edit): a guess weighs half.
        corrected = {"وزيير": "وزير"} if rng.random() < 0.5 else {}
        weights.update({t: 1.5 for t in corrected})
        query = Query(terms=tuple(q), weights=weights, corrected=corrected)
        hits = [Hit(doc=d, score=float(d)) for d in rng.sample(range(600), 40)]
        described = index.describe_all(query, hits)
        for hit, got in zip(hits, described, strict=True):
            matched = [t for t in weights if corrected.get(t, t) in docs[hit.doc]]
            coverage = sum(weights[t] * (0.5 if t in corrected else 1.0) for t in matched) / sum(weights.values())
            assert (got.doc, got.score) == (hit.doc, hit.score)
            assert got.matched == frozenset(corrected.get(t, t) for t in matched)
            assert got.coverage == coverage, (q, hit.doc)
            assert index.describe(query, hit) == got
    assert index.describe_all(query, []) == []


def test_a_repeated_question_is_analysed_once_per_snapshot() -> None:
    """The question cache: asked again, a question is not analysed again and gets the very same Query;
    a grown snapshot keeps the analysis but computes its own weights (its statistics differ)."""
    docs = corpus(200, seed=17)
    calls: list[str] = []

    def analyzer(text: str) -> list[str]:
        calls.append(text)
        return text.split()

    index = TermIndex([" ".join(d) for d in docs], PARAMS, analyzer=analyzer)
    calls.clear()
    first = index.query("ملك رياض وزيير")
    assert index.query("ملك رياض وزيير") is first and calls == ["ملك رياض وزيير"]
    fresh = TermIndex([" ".join(d) for d in docs], PARAMS, analyzer=str.split).query("ملك رياض وزيير")
    assert first == fresh and first.corrected == {"وزيير": "وزير"}
    bigger = index.with_texts(["ملك ملك"] * 50, tokens=[["ملك", "ملك"]] * 50)
    calls.clear()
    grown_query = bigger.query("ملك رياض وزيير")
    assert calls == [] and grown_query.terms == first.terms
    assert grown_query.weights["ملك"] < first.weights["ملك"]  # ملك got commoner: a lower idf
