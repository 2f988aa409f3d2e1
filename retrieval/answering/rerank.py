"""Second stage over BM25's candidates: a sentence read with its context, and the newest report.

BM25 scores a sentence alone, but news sentences lean on their article: "وأضاف أن ..." names nobody,
the title says what the story is about, the lead sentence names the actors. A question term absent
from the sentence but present in its context (title, lead, the sentences either side) still counts,
at a discount. So does a question term the sentence holds only in another derivation of its root
(حمولة ~ تحمل; analysis/roots.py). rank-bm25's score is left as it is; this is a separate rerank on top.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import lru_cache

from retrieval.analysis.analyzer import RootTable, term_root, words
from retrieval.answering.replies import AnswerPolicy, SentenceRef
from retrieval.search.term_index import Hit, Query, TermIndex
from retrieval.text.article import Article

# Words that ask for the latest state of a developing story ("ما آخر ...", "وش أحدث ...", "اليوم").
_RECENCY_WORDS = frozenset(words("آخر أحدث أخيرا مؤخرا اليوم الآن حاليا حاليًا لحد الحين الحالي"))


@dataclass(frozen=True)
class Evidence:
    """The question terms a candidate holds itself, those only its context holds, and those it holds
    only by root (another derivation, or the word under a proclitic)."""

    own: frozenset[str]
    context: frozenset[str]
    rooted: frozenset[str] = frozenset()

    def coverage(self, query: Query, context_share: float, root_share: float = 0.0) -> float:
        """Share of the question's weight found, a term found only in the context counting
        `context_share`, one found only by root `root_share`."""
        total = query.total_weight
        if not total:
            return 0.0
        got = 0.0
        for t, w in query.weights.items():
            c = query.corrected.get(t, t)
            factor = 0.5 if query.guessed(t) else 1.0  # a typo correction may be a guess
            if c in self.own:
                got += w * factor
            elif c in self.context:  # held by the context, and maybe by root too: the larger share
                got += w * factor * (max(context_share, root_share) if c in self.rooted else context_share)
            elif c in self.rooted:
                got += w * factor * root_share
        return got / total

    def missing(self, query: Query) -> list[str]:
        """Question terms found neither in the sentence nor in its context, nor by root."""
        return [t for t in query.weights if query.corrected.get(t, t) not in self.own | self.context | self.rooted]


# (sentence d, terms) -> those of the terms that sentence d (or, for titles, its article's title) holds
Holds = Callable[[int, frozenset[str]], frozenset[str]]


def evidence(
    refs: Sequence[SentenceRef],
    held: Holds,
    doc: int,
    wanted: frozenset[str],
    title_held: Holds,
    by_root: Holds,
    roots_over_context: bool = False,
) -> Evidence:
    """Which of the `wanted` terms (see query_terms) the sentence `doc` holds, which only its title,
    lead and neighbours add, and which it holds by root only (`by_root`). Roots are read for the
    terms the context lacks, and for the others too only when `roots_over_context` (a root weighing
    more than the context): otherwise a root match could not change what they count, and most
    candidates' context holds every term they lack, so their roots need no reading at all."""
    own = held(doc, wanted)
    missing = wanted - own
    if not missing:
        return Evidence(own=own, context=frozenset())
    ref = refs[doc]
    around = title_held(doc, missing)
    first = doc - ref.position  # the article's lead sentence; its sentences are first .. end - 1
    end = first + len(ref.article.sentences)
    for other in (first, doc - 1, doc + 1):
        if other != doc and first <= other < end:
            around |= held(other, missing)
    look_up = missing if roots_over_context else missing - around
    return Evidence(own=own, context=frozenset(around), rooted=by_root(doc, look_up) if look_up else frozenset())


def query_terms(query: Query) -> frozenset[str]:
    """The corpus terms a query looks for (typo fixes applied)."""
    return frozenset(query.corrected.get(t, t) for t in query.weights)


def with_context(
    hits: list[Hit], query: Query, evidence_of: Callable[[int], Evidence], weights: tuple[float, float], keep: int
) -> list[Hit]:
    """Add, for each question term the sentence lacks, its idf × the context weight when only the
    context holds it, × the root weight when the sentence holds it by root, then re-sort.
    `weights`: (context weight, root weight).

    Only the best `keep` hits by BM25 are read, and of those only the ones the largest possible bonus
    could lift (the others keep their score), so the cost does not grow with the candidate pool.
    """
    context_weight, root_weight = weights
    if not hits or max(weights) <= 0:
        return hits
    keep = min(keep, len(hits))
    reach = hits[keep - 1].score - max(weights) * query.total_weight
    weight_of = {query.corrected.get(t, t): w for t, w in query.weights.items()}
    lifted = []
    for i, h in enumerate(hits):
        if i < keep and h.score >= reach:
            found = evidence_of(h.doc)
            bonus = context_weight * sum(weight_of[t] for t in found.context)
            if found.rooted:  # a term held both ways counts once, at the larger weight
                both = found.rooted & found.context
                bonus += root_weight * sum(weight_of[t] for t in found.rooted - both)
                if root_weight > context_weight:
                    bonus += (root_weight - context_weight) * sum(weight_of[t] for t in both)
            if bonus:
                h = replace(h, score=h.score + bonus)
        lifted.append(h)
    return sorted(lifted, key=lambda h: (-h.score, h.doc))


@lru_cache(maxsize=1024)
def asks_for_latest(question: str) -> bool:
    return any(w in _RECENCY_WORDS for w in words(question))


def without_recency_words(question: str) -> str:
    """The question with its "latest/now" words taken out: they ask when, not what."""
    return " ".join(w for w in words(question) if w not in _RECENCY_WORDS)


def published_key(article: Article) -> float:
    return _timestamp(article.published)


@lru_cache(maxsize=100_000)
def _timestamp(published: datetime | None) -> float:
    if published is None:
        return float("-inf")
    if published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    return published.timestamp()


def newest_first(hits: list[Hit], published: Callable[[int], float], band: float) -> list[Hit]:
    """Hits scoring within `band` (a share) of the best, newest article first; the rest after them.
    `published(doc)`: the timestamp of the article of sentence `doc` (see published_key).

    Used when the question asks for the latest report: three weeks of a developing story hold
    many sentences that match about equally well, and the newest one is the answer.
    """
    if not hits:
        return hits
    floor = hits[0].score * (1.0 - band)
    near = [h for h in hits if h.score >= floor]
    rest = [h for h in hits if h.score < floor]
    near.sort(key=lambda h: (-published(h.doc), -h.score, h.doc))
    return near + rest


def prefer_newer_on_ties(hits: list[Hit], published: Callable[[int], float], margin: float, keep: int) -> list[Hit]:
    """A newer article moves ahead of an older one scoring within `margin` (a share) of it.

    Only the best `keep` hits and those tied with them are reordered; the tail stays in score order.
    """
    if not hits:
        return hits
    floor = hits[min(keep, len(hits)) - 1].score * (1.0 - margin)
    cut = next((i for i, h in enumerate(hits) if h.score < floor), len(hits))
    return _newer_on_ties(hits[:cut], published, margin) + hits[cut:]


def _newer_on_ties(hits: list[Hit], published_of: Callable[[int], float], margin: float) -> list[Hit]:
    hits = list(hits)
    published = {h.doc: published_of(h.doc) for h in hits}
    if len(set(published.values())) < 2:
        return hits  # one date (or none) among the candidates: nothing to prefer
    for i in range(1, len(hits)):
        j = i
        while (
            j > 0
            and hits[j - 1].score - hits[j].score <= margin * hits[j - 1].score
            and published[hits[j].doc] > published[hits[j - 1].doc]
        ):
            hits[j - 1], hits[j] = hits[j], hits[j - 1]
            j -= 1
    return hits


class Asked:
    """The question being answered, as the evidence of its candidates reads it: its corpus terms,
    the ids of their roots, and each candidate's evidence once computed."""

    def __init__(
        self, query: Query, policy: AnswerPolicy, terms: frozenset[str], sentences: TermIndex, roots: RootTable | None
    ) -> None:
        """`roots`: None when the policy weighs no root (nothing is then read by root)."""
        self.query, self.policy, self.terms, self.sentences = query, policy, terms, sentences
        self.evidence: dict[int, Evidence] = {}
        by_root: dict[int, list[str]] = {}
        for t in terms if roots is not None else ():
            # A root no term of the index has (no id) cannot be held by any of its sentences.
            if (r := term_root(t)) is not None and (found := roots.id_of(r)) is not None:
                by_root.setdefault(found, []).append(t)
        self.terms_by_root = by_root
        self.table = roots

    def held_by_root(self, doc: int, terms: frozenset[str]) -> frozenset[str]:
        """Those of `terms` (asked terms) whose root one of sentence `doc`'s terms has."""
        if not self.terms_by_root or self.table is None:
            return frozenset()
        found = self.table.held(self.sentences.term_ids_of(doc), self.terms_by_root)
        return frozenset(t for r in found for t in self.terms_by_root[r] if t in terms)
