"""What answering returns: the quoted sentences with their citations, related headlines, the policy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from bisect import bisect_right
from itertools import accumulate
from typing import overload

from retrieval.text.article import Article, RelatedLink


def _fitted() -> tuple[dict[str, float], str | None]:
    """Meaning's coefficients as benchmarks/fit_meaning.py wrote them (with where they came from), and
    the encoder they were fitted for."""
    found = json.loads(resources.files("retrieval.resources").joinpath("meaning_fit.json").read_text("utf-8"))
    model = found.get("model")
    return {k: float(v) for k, v in found["policy"].items()}, model.split("/")[0] if model else None


_FIT, _FIT_MODEL = _fitted()


@dataclass(frozen=True)
class AnswerPolicy:
    # Answer only when the best sentence carries at least this share of the question's informative
    # weight (idf); below it the words that make the question specific are missing from the news.
    min_coverage: float = 0.4
    # Further sentences are quoted only when they score close to the best one.
    min_relative_score: float = 0.6
    # Sentences within this relative score of each other count as a tie, which the newer article wins.
    tie_margin: float = 0.02
    # Score bonus for a sentence holding what a who/when/how-many question asks for
    # (+0.006 Hit@1 on XQuAD-ar at 0.15; see BENCHMARKS.md).
    answer_type_boost: float = 0.15
    # A question term found only in the sentence's context (title, lead, neighbours) scores this share
    # of its idf on top of BM25, and counts this share towards coverage.
    context_weight: float = 0.2
    # Context is read for this many of the best BM25 candidates (and related articles come from them).
    context_depth: int = 20
    context_share: float = 0.25
    # A question term the sentence holds only in another derivation of its root (تحمل for حمولة,
    # بتمديد for مددوا) scores root_weight × its idf, as a context-only term does, and counts root_share
    # of it towards coverage, a fifth of the context's (XQuAD-ar Hit@1 +0.005, end to end +0.003, news
    # dev +1, same false answers; a larger share answers more and wrongly more often: BENCHMARKS.md).
    root_weight: float = 0.2
    root_share: float = 0.05
    # Abstain when the question asks for a number or a match result and the best sentence has none.
    require_answer_type: bool = True
    # ...unless a candidate within this share of its score has one: that one is quoted instead.
    type_fallback: float = 0.15
    # For "ما آخر ..." questions, candidates within this share of the best score go newest first.
    recency_band: float = 0.25
    related_min_coverage: float = 0.5
    related_limit: int = 3
    # Other corpus articles offered as related news (besides "تابع أيضا" headlines); a candidate must
    # cover this share of the question, sentence and context counted as for answering.
    related_articles: int = 3
    related_article_coverage: float = 0.5
    # How many candidates to rank before the tie-break and cut.
    pool: int = 50
    # Meaning (only with an encoder and the articles' vectors; fitted by benchmarks/fit_meaning.py on
    # ARCD-train and benchmarks/news_train.jsonl, never on the dev sets: BENCHMARKS.md, "Meaning").
    # The sentences of the story_depth stories closest to the question join BM25's candidates; a
    # candidate's score gains story_weight (sentence_weight) × the pool's BM25 spread × its story's
    # (sentence's) min-max normalised cosine (answering/fusion.py).
    story_depth: int = 10
    # The encoder the coefficients below were fitted for (their cosines are that model's): with
    # another one (the test suite's hash encoder) the index answers lexically, unless a policy names
    # it here (None: whichever encoder the index has).
    meaning_model: str | None = _FIT_MODEL
    story_weight: float = _FIT.get("story_weight", 0.0)
    sentence_weight: float = _FIT.get("sentence_weight", 0.0)
    # Abstain when none of the silence_depth best candidates is close to the question: no embedded
    # sentence with a cosine of min_sentence_cosine, no other candidate whose story has min_story_cosine.
    # With that check on, the lexical floor is meaning_min_coverage instead of min_coverage (fitted together).
    min_story_cosine: float = _FIT.get("min_story_cosine", 0.0)
    min_sentence_cosine: float = _FIT.get("min_sentence_cosine", 0.0)
    meaning_min_coverage: float = _FIT.get("min_coverage_with_meaning", 0.4)
    silence_depth: int = 5
    # A follow-up («كم طولها؟») prefers the story the previous answer came from: its sentences (and
    # those of its near-duplicates) score this much more (×1.5), so another story on the same topic
    # wins only when it is clearly better.
    prefer_boost: float = 0.5
    # ...and the previous turn's topic words weigh this share of the question's own (in BM25 and in
    # coverage): they say what the question is about, its own words what it asks.
    topic_weight: float = 0.5

    @property
    def silent_by_meaning(self) -> bool:
        """Whether meaning's closeness check can silence an answer (a threshold is set)."""
        return self.min_story_cosine > 0 or self.min_sentence_cosine > 0

    @property
    def weighs_roots(self) -> bool:
        """Whether a term held by root counts at all (in the rerank or in coverage)."""
        return self.root_weight > 0 or self.root_share > 0

    @property
    def roots_over_context(self) -> bool:
        """Whether a root weighs more than the context (then roots are read for context-held terms too)."""
        return self.root_weight > self.context_weight or self.root_share > self.context_share


@dataclass(frozen=True)
class SentenceRef:
    article: Article
    position: int  # 0-based index into article.sentences

    @property
    def text(self) -> str:
        return self.article.sentences[self.position]


REF_CACHE = 4096


class SentenceRefs(Sequence[SentenceRef]):
    """Every body sentence of `articles`, in order, made on demand: a news index holds hundreds of
    thousands of sentences and reads a few dozen per question, so it keeps one offset per article."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self._articles = articles
        self._starts = [0, *accumulate(len(a.sentences) for a in articles)]
        # A question reads its few dozen candidates again and again (context, ties, checks, assembly):
        # the references made lately are kept, up to REF_CACHE, and the whole lot dropped when full.
        self._made: dict[int, SentenceRef] = {}

    def __len__(self) -> int:
        return self._starts[-1]

    @overload
    def __getitem__(self, i: int) -> SentenceRef: ...
    @overload
    def __getitem__(self, i: slice) -> list[SentenceRef]: ...

    def __getitem__(self, i: int | slice) -> SentenceRef | list[SentenceRef]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        made = self._made.get(i)
        if made is not None:
            return made
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        a = bisect_right(self._starts, i) - 1
        ref = SentenceRef(self._articles[a], i - self._starts[a])
        if len(self._made) >= REF_CACHE:
            self._made.clear()
        self._made[i] = ref
        return ref


    def docs_of(self, position: int) -> range:
        """The sentence numbers of the article at `position` in `articles`."""
        return range(self._starts[position], self._starts[position + 1])

    # The same range, by the name the meaning fusion (issue 19) calls it.
    span = docs_of

    def article_of(self, i: int) -> int:
        """The position in `articles` of the article sentence `i` belongs to."""
        if not 0 <= i < len(self):
            raise IndexError(i)
        return bisect_right(self._starts, i) - 1


def sentence_refs(articles: Sequence[Article]) -> SentenceRefs:
    return SentenceRefs(articles)


@dataclass(frozen=True)
class Answer:
    ref: SentenceRef
    score: float
    matched_terms: frozenset[str]
    # The same fact from other outlets (near-duplicate sentences), one article per outlet.
    also_reported_by: tuple[Article, ...] = ()

    @property
    def text(self) -> str:
        return self.ref.text

    @property
    def article(self) -> Article:
        return self.ref.article

    @property
    def sentence(self) -> int:
        """1-based sentence number within the article's body."""
        return self.ref.position + 1

    @property
    def citation(self) -> str:
        return citation(self.article, self.sentence)


@dataclass(frozen=True)
class RelatedHit:
    link: RelatedLink
    score: float


@dataclass(frozen=True)
class Reply:
    question: str
    answered: bool
    answers: tuple[Answer, ...] = ()
    related: tuple[RelatedHit, ...] = ()


# The words of a citation; bot/texts.py reuses them so the console and Telegram cite alike.
UNKNOWN_SOURCE = "مصدر غير معروف"
SENTENCE_LABEL = "الجملة"


def published_label(article: Article) -> str | None:
    """The article's date as citations show it (YYYY-MM-DD), or None when undated."""
    return article.published.strftime("%Y-%m-%d") if article.published else None


def citation(article: Article, sentence: int) -> str:
    parts = [article.source or UNKNOWN_SOURCE, f"«{article.title}»"]
    date = published_label(article)
    if date:
        parts.append(date)
    parts.append(f"{SENTENCE_LABEL} {sentence}")
    return "، ".join(parts)
