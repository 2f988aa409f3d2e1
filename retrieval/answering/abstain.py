"""Whether the best sentence found answers the question at all, decided on what is missing.

In a stream of 30k articles some sentence always shares a good part of any question's words. What
tells an answer from a near miss is what it lacks: the question's most specific terms (the names,
places and rare words that single out the story, i.e. its highest-idf terms), even after reading the
sentence's context, or the kind of thing asked for (a number for "how many").
"""

from __future__ import annotations

from retrieval.answering.rerank import Evidence
from retrieval.answering.replies import AnswerPolicy
from retrieval.search.term_index import Query


def answers(
    query: Query, best: Evidence, policy: AnswerPolicy, type_offered: bool | None, floor: float | None = None
) -> bool:
    """`type_offered`: whether the sentence holds the answer type asked for (None: no type asked);
    `floor`: the coverage needed (policy.min_coverage unless given)."""
    floor = policy.min_coverage if floor is None else floor
    if best.coverage(query, policy.context_share, policy.root_share) < floor:
        return False
    if type_offered is False and policy.require_answer_type:
        return False
    return True
