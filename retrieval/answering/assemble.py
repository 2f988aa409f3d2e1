"""From ranked candidates to a reply: one answer per story, the other outlets named, related articles.

Outlets repeat each other (wire copy, rewrites), so the best sentences for a question are often the
same sentence from five papers. Quoting it five times wastes the reply; one quote that names the
other outlets tells the user more. Near-duplicates are told by their index terms (Jaccard overlap).
Related links are the other articles among the candidates: news that fits the question, not the
story already quoted.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

from retrieval.answering.replies import RelatedHit, SentenceRef
from retrieval.analysis.normalize import normalize
from retrieval.search.term_index import Hit
from retrieval.text.article import Article, RelatedLink

# Two sentences sharing this share of their distinct terms tell the same fact.
NEAR_DUPLICATE = 0.7

Term = TypeVar("Term", bound=Hashable)  # a term, or its id in the index's vocabulary


def overlap(a: frozenset[Term], b: frozenset[Term]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)  # |a ∪ b| without building the union


def title_key(article: Article) -> str:
    """Articles whose titles read the same after normalization are one story (copies, reposts)."""
    return " ".join(normalize(article.title).split())


def group_duplicates(
    candidates: Sequence[tuple[SentenceRef, Hit]], terms_of: Sequence[frozenset[Term]]
) -> list[tuple[int, list[int]]]:
    """Candidates (by position) that lead a story, each with the positions of its near-duplicates in
    other articles (sentences of one article are its own, however alike)."""
    groups: list[tuple[int, list[int]]] = []
    sizes = [len(t) for t in terms_of]
    for i in range(len(candidates)):
        for lead, copies in groups:
            same_article = candidates[i][0].article is candidates[lead][0].article
            # Jaccard is at most min/max of the sizes (and its float no larger): most pairs end there.
            small, large = sorted((sizes[i], sizes[lead]))
            if same_article or small < NEAR_DUPLICATE * large:
                continue
            if overlap(terms_of[i], terms_of[lead]) >= NEAR_DUPLICATE:
                copies.append(i)
                break
        else:
            groups.append((i, []))
    return groups


def other_outlets(lead: Article, copies: Sequence[Article]) -> tuple[Article, ...]:
    """One article per outlet other than the lead's, in rank order."""
    seen = {lead.source}
    out = []
    for article in copies:
        if article.source not in seen:
            seen.add(article.source)
            out.append(article)
    return tuple(out)


def related_articles(
    candidates: Sequence[tuple[SentenceRef, Hit]], quoted: Sequence[Article], limit: int
) -> list[RelatedHit]:
    """Other articles among the candidates, one per story, never a quoted one (nor a copy of it)."""
    taken = {title_key(a) for a in quoted} | {a.id for a in quoted}
    out: list[RelatedHit] = []
    for ref, hit in candidates:
        article = ref.article
        key = title_key(article)
        if article.id in taken or key in taken or not article.title:
            continue
        taken.update({article.id, key})
        out.append(RelatedHit(RelatedLink(title=article.title, url=article.url), hit.score))
        if len(out) == limit:
            break
    return out
