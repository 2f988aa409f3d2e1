"""Meaning in the news index (issue 19): the articles' vectors it holds, the question's closeness to
them, and silence when no candidate story is close enough. A mixin of NewsIndex, kept apart so that
each file stays short; the ranking that uses it is `NewsIndex._rank` (with `fusion`)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Self

import numpy as np

from retrieval.answering import fusion
from retrieval.answering.replies import AnswerPolicy, SentenceRef, SentenceRefs
from retrieval.meaning.encoder import Encoder
from retrieval.meaning.matrix import StoryVectors
from retrieval.meaning.vectors import ArticleVectors
from retrieval.search.term_index import Hit, Query
from retrieval.text.article import Article


class WithMeaning:
    """What NewsIndex holds and does for meaning; the attributes below are NewsIndex's."""

    articles: tuple[Article, ...]
    policy: AnswerPolicy
    refs: SentenceRefs
    encoder: Encoder | None
    meaning: StoryVectors | None
    _close: tuple[str, fusion.Closeness] | None
    _wanted: object
    _stamps: np.ndarray
    _query: Callable[[str], Query]
    _rank: Callable[..., list[tuple[SentenceRef, Hit]]]

    def _with_meaning(self, meaning: StoryVectors | None) -> Self:
        """This index with other vectors (everything else shared: nothing is analysed again)."""
        new = copy.copy(self)
        new._wanted, new._close, new.meaning = None, None, meaning
        return new

    def with_vectors(self, more: Mapping[str, ArticleVectors]) -> Self:
        """This index with the vectors of `more` (by article id) added or replaced; cheap: no analysis.
        Without an encoder there is nothing to hold them for: the index itself is returned."""
        if self.meaning is None or not more:
            return self
        return self._with_meaning(self.meaning.with_vectors(more))

    @property
    def vectors(self) -> Mapping[str, ArticleVectors]:
        """The vectors held, by article id (empty without an encoder)."""
        return self.meaning.held() if self.meaning is not None else {}

    def unembedded(self, limit: int | None = None) -> list[Article]:
        """The articles without a vector yet, newest first (what the refresh job embeds next); none
        without an encoder."""
        if self.meaning is None:
            return []
        first = {}  # an id held twice is listed once, at its first position
        for position in np.flatnonzero(~self.meaning.present):
            first.setdefault(self.articles[position].id, int(position))
        # Newest first; of one time, the later added first.
        order = sorted(first.values(), key=lambda p: (-self._stamps[p], -p))
        return [self.articles[p] for p in order[:limit]]

    def closeness(self, question: str) -> fusion.Closeness | None:
        """The question's cosines with the stories (and embedded sentences), or None when this index
        answers lexically: no encoder, no vector yet, or an encoder the policy was not fitted for."""
        if self.meaning is None or self.encoder is None or not self.meaning.count:
            return None
        if self.policy.meaning_model is not None and self.policy.meaning_model != self.encoder.name:
            return None  # coefficients fitted for another model's cosines
        if not (self.policy.story_weight > 0 or self.policy.sentence_weight > 0 or self.policy.silent_by_meaning):
            return None  # meaning switched off in the policy: the question is not embedded at all
        cached = self._close
        if cached is not None and cached[0] == question:
            return cached[1]
        close = fusion.closeness(self.meaning, self.encoder.queries([question])[0], self.refs, self.policy.story_depth)
        self._close = (question, close)
        return close

    def story_closeness(
        self, question: str, pool: list[tuple[SentenceRef, Hit]] | None = None
    ) -> tuple[float, float] | None:
        """How close the best candidates (`pool`, ranked when not given) come to the question in
        meaning: fusion.closest's (story, sentence) cosines, or None when this index answers lexically."""
        close = self.closeness(question)
        if close is None:
            return None
        if pool is None:
            pool = self._rank(question, self._query(question), self.policy.silence_depth, describe=False)
        docs = [hit.doc for _, hit in pool[: self.policy.silence_depth]]
        return fusion.closest(close, docs, self.refs.article_of)

    def _far_in_meaning(self, question: str, pool: list[tuple[SentenceRef, Hit]]) -> bool:
        """Whether none of the best candidates is close enough in meaning to the question."""
        if not self.policy.silent_by_meaning:
            return False
        found = self.story_closeness(question, pool)
        return found is not None and fusion.far(found, self.policy.min_story_cosine, self.policy.min_sentence_cosine)
