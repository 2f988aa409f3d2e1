"""Grouping the same story told by several outlets: near-duplicate titles and leads by analyzed terms.

Wire copy is republished by many outlets under slightly different titles; a digest shows it once,
naming them all. Two articles are one story when the terms of their titles and leads (through the one
analyzer chain) overlap enough. Candidates come from an inverted index over those terms, so grouping a
day of news compares each article with the few that share its terms, not with all of them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.analysis.analyzer import Analyzer, analyze

# Jaccard similarity of the term sets above which two articles are one story.
MIN_SIMILARITY = 0.4
# Terms of the lead taken with the title: enough to tell a story, not the article's later details.
LEAD_TERMS = 25


@dataclass(frozen=True)
class StoryText:
    title: str
    lead: str  # the first body sentence


def story_terms(text: StoryText, analyzer: Analyzer = analyze) -> frozenset[str]:
    return frozenset(analyzer(text.title)) | frozenset(analyzer(text.lead)[:LEAD_TERMS])


def group_stories(
    texts: Sequence[StoryText], min_similarity: float = MIN_SIMILARITY, analyzer: Analyzer = analyze
) -> list[list[int]]:
    """Indices of `texts` grouped by story, each group in input order, groups by their first member.

    An article joins the group holding the most similar earlier article, if similar enough (single
    link); each article is compared only with earlier ones sharing at least one term with it.
    """
    terms = [story_terms(t, analyzer) for t in texts]
    group_of: list[int] = []
    groups: list[list[int]] = []
    postings: dict[str, list[int]] = defaultdict(list)
    for i, mine in enumerate(terms):
        shared: Counter[int] = Counter()
        for term in mine:
            for j in postings.get(term, ()):
                shared[j] += 1
        best, best_sim = None, min_similarity
        for j, common in shared.items():
            similarity = common / (len(mine) + len(terms[j]) - common)
            if similarity >= best_sim:
                best, best_sim = j, similarity
        if best is None:
            group_of.append(len(groups))
            groups.append([i])
        else:
            group_of.append(group_of[best])
            groups[group_of[best]].append(i)
        for term in mine:
            postings[term].append(i)
    return groups
