"""What a question reads its candidates through, made cheap per question: sentence references kept
once made, each candidate's evidence computed once per question, and duplicate grouping that skips
pairs too different in size. Each must equal its plain definition."""

from __future__ import annotations

import random
from dataclasses import replace
from itertools import combinations

import pytest

from retrieval.analysis.analyzer import analyze, term_root
from retrieval.answering import assemble, replies, rerank
from retrieval.answering.news_index import NewsIndex
from retrieval.answering.replies import SentenceRef, sentence_refs
from retrieval.search.term_index import Hit
from retrieval.text.article import Article

WORDS = "وزير خارجية رياض جدة نفط سوق مطار قطار ميناء مصنع عمال طاقة شمس رياح قمة سفير تعاون".split()


def articles(n: int, seed: int) -> list[Article]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        sentences = tuple(" ".join(rng.choices(WORDS, k=rng.randint(3, 9))) + "." for _ in range(rng.randint(0, 5)))
        title = " ".join(rng.choices(WORDS, k=4))
        out.append(Article(id=f"a{i}", title=title, sentences=sentences, source=f"s{i % 3}"))
    return out


def test_sentence_refs_equal_the_plain_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reference (kept ones, past the bound, negative indexes, slices) is the article and
    position the plain list of all sentences gives."""
    monkeypatch.setattr(replies, "REF_CACHE", 5)
    arts = articles(40, seed=1)
    plain = [SentenceRef(a, p) for a in arts for p in range(len(a.sentences))]
    refs = sentence_refs(arts)
    assert len(refs) == len(plain)
    order = [*range(len(plain)), *random.Random(2).sample(range(len(plain)), len(plain)), 3, 3, 3]
    for i in order:
        assert refs[i] == plain[i] and refs[i].article is plain[i].article, i
        assert refs[-1 - i] == plain[-1 - i]
    assert len(refs._made) <= 5
    assert refs[2:9] == plain[2:9] and refs[::-4] == plain[::-4]
    for bad in (len(plain), -len(plain) - 1):
        with pytest.raises(IndexError):
            refs[bad]


def test_evidence_is_computed_once_per_question_and_equals_the_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    """NewsIndex.evidence keeps each candidate's evidence for the question being answered; with two
    questions read in turn, every document's evidence is still its own question's."""
    index = NewsIndex(articles(60, seed=3))
    first, second = index.sentences.query("وزير خارجية نفط"), index.sentences.query("مطار قطار سفير")
    computed: list[int] = []
    plain = rerank.evidence

    def counted(refs, held, doc, wanted, title_held, by_root, over=False):  # noqa: ANN001 (its own signature)
        computed.append(doc)
        return plain(refs, held, doc, wanted, title_held, by_root, over)

    # The definitions: set intersections with the sentence's terms, with its title as analysed, and
    # with the roots of the sentence's terms.
    def held(doc: int, terms: frozenset[str]) -> frozenset[str]:
        return terms & index.sentences.terms_of(doc)

    def title_held(doc: int, terms: frozenset[str]) -> frozenset[str]:
        return terms & frozenset(analyze(index.refs[doc].article.title))

    def by_root(doc: int, terms: frozenset[str]) -> frozenset[str]:
        roots = {term_root(t) for t in index.sentences.terms_of(doc)} - {None}
        return frozenset(t for t in terms if term_root(t) in roots)

    monkeypatch.setattr(rerank, "evidence", counted)
    for query in (first, second, first):
        wanted = rerank.query_terms(query)
        computed.clear()
        for _ in range(3):
            for doc in range(len(index.refs)):
                assert index.evidence(doc, query) == plain(index.refs, held, doc, wanted, title_held, by_root), doc
        assert sorted(computed) == list(range(len(index.refs)))  # once each, for this question


def test_title_terms_are_each_articles_analysed_title_as_the_index_grows_and_is_rebuilt() -> None:
    """The context rerank reads titles off the titles index: after growth, ageing and a changed title
    each article's entry still equals the analysis of its own title."""
    arts = articles(40, seed=5)
    index = NewsIndex(arts[:30]).with_articles(arts[25:])  # 5 already held, 10 new
    renamed = replace(arts[3], title="عنوان جديد عن ميناء جدة")
    rebuilt = index.rebuilt([arts[10], renamed, *arts[20:], arts[10]])  # dropped, reordered, renamed, repeated
    for built in (index, rebuilt):
        assert built.titles.size == len(built.articles)
        for i, article in enumerate(built.articles):
            assert sorted(built.titles.terms_of(i)) == sorted(set(analyze(article.title))), article.id


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def test_duplicate_groups_equal_plain_jaccard_grouping() -> None:
    """group_duplicates (size bound, union by counting) groups as the plain Jaccard rule does, on
    candidates of few words where sizes often differ and overlaps sit near the threshold."""
    rng = random.Random(4)
    arts = articles(12, seed=5)
    for _ in range(300):
        terms = [frozenset(rng.sample(WORDS[:9], rng.randint(0, 9))) for _ in range(20)]
        cands = [(SentenceRef(rng.choice(arts), 0), Hit(doc=i, score=1.0)) for i in range(20)]
        expected: list[tuple[int, list[int]]] = []
        for i in range(20):
            for lead, copies in expected:
                if cands[i][0].article is not cands[lead][0].article and jaccard(terms[i], terms[lead]) >= assemble.NEAR_DUPLICATE:
                    copies.append(i)
                    break
            else:
                expected.append((i, []))
        assert assemble.group_duplicates(cands, terms) == expected
    for a, b in combinations([frozenset(rng.sample(WORDS, rng.randint(0, 6))) for _ in range(30)], 2):
        assert assemble.overlap(a, b) == jaccard(a, b)


def test_answers_carry_the_terms_they_match() -> None:
    """ask ranks its pool undescribed and describes only what it quotes: each answer's matched terms
    are the question's corpus terms its sentence holds, as describe gives them."""
    index = NewsIndex(articles(80, seed=6))
    answered = 0
    for question in ("وزير خارجية نفط", "مطار قطار سفير", "طاقة شمس رياح", "قمة تعاون رياض جدة"):
        query = index._query(question)
        wanted = rerank.query_terms(query)
        for answer in index.ask(question, top_k=3).answers:
            doc = index.refs.index(answer.ref)
            assert answer.matched_terms == wanted.intersection(index.sentences.terms_of(doc)) != frozenset()
            assert answer.matched_terms == index.sentences.describe(query, Hit(doc, answer.score)).matched
            answered += 1
    assert answered >= 4


def test_the_doc_major_view_is_built_with_the_index_not_by_a_question() -> None:
    """The view the answer checks read is built where the index is built (a start, a refresh thread),
    so no question waits for it, in a fresh index and in one grown by new articles."""
    arts = articles(50, seed=7)
    index = NewsIndex(arts[:30])
    grown = index.with_articles(arts[30:])
    for built in (index, grown):
        assert all("_forward" in vars(seg) for seg in built.sentences.segments)
