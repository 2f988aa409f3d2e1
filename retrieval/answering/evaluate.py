"""Evaluation on the two formats of shared/eval (see tests/data/README.md): seed questions and SQuAD.

SQuAD task: pool every sentence of every paragraph into one corpus; a question is a hit at rank k
when one of the top k sentences contains a gold answer and comes from the question's own paragraph.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retrieval.answering.news_index import NewsIndex
from retrieval.answering.replies import AnswerPolicy, SentenceRef
from retrieval.meaning.encoder import Encoder
from retrieval.meaning.vectors import ArticleVectors
from retrieval.text.article import Article
from retrieval.search.term_index import BM25Params
from retrieval.text.sentences import split_sentences

TATWEEL = "\u0640"


def fold(text: str) -> str:
    """The comparison the eval README prescribes: tatweel removed, whitespace folded."""
    return " ".join(text.replace(TATWEEL, "").split())


@dataclass
class SeedOutcome:
    id: str
    kind: str
    question: str
    passed: bool
    why: str = ""


@dataclass
class Metrics:
    questions: int = 0
    hit1: float = 0.0
    hit3: float = 0.0
    mrr10: float = 0.0
    abstained: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


def check_seed_question(index: NewsIndex, item: dict[str, Any], top_k: int = 3) -> SeedOutcome:
    reply = index.ask(item["question"], top_k=top_k)
    problems = []
    expect = item.get("expect")
    if expect is not None:
        if not expect:
            if reply.answered:
                problems.append(f"answered but should not: {reply.answers[0].text[:60]}")
        elif not reply.answered:
            problems.append("not answered")
        elif not any(fold(e) in fold(reply.answers[0].text) for e in expect):
            problems.append(f"top answer off: {reply.answers[0].text[:60]}")
    wanted = item.get("related")
    if wanted and not any(fold(wanted) in fold(h.link.title) for h in reply.related[:3]):
        problems.append(f"related {wanted!r} not in top 3")
    return SeedOutcome(item.get("id", ""), item.get("kind", ""), item["question"], not problems, "; ".join(problems))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class SquadQuestion:
    question: str
    answers: tuple[str, ...]
    paragraph: str  # article id of the question's own paragraph
    topic: str


def squad_corpus(path: Path) -> tuple[list[Article], list[SquadQuestion]]:
    """One Article per paragraph (its sentences pooled), and the questions with their gold answers."""
    data = json.loads(path.read_text("utf-8"))
    articles: list[Article] = []
    questions: list[SquadQuestion] = []
    for t, topic in enumerate(data["data"]):
        for p, para in enumerate(topic["paragraphs"]):
            pid = f"{t}-{p}"
            articles.append(Article(id=pid, title=topic.get("title", pid), sentences=tuple(split_sentences(para["context"]))))
            for qa in para["qas"]:
                answers = tuple(a["text"] for a in qa["answers"])
                questions.append(SquadQuestion(qa["question"], answers, pid, str(t)))
    return articles, questions


def _holds_gold(ref: SentenceRef, q: SquadQuestion) -> bool:
    return ref.article.id == q.paragraph and any(fold(a) in fold(ref.text) for a in q.answers)


def squad_metrics(index: NewsIndex, questions: Iterable[SquadQuestion], abstention: bool = True) -> Metrics:
    m = Metrics()
    e2e = 0
    for q in questions:
        m.questions += 1
        ranked = index.rank(q.question, 10)
        rank = next((i + 1 for i, (ref, _) in enumerate(ranked) if _holds_gold(ref, q)), None)
        if rank == 1:
            m.hit1 += 1
        if rank is not None and rank <= 3:
            m.hit3 += 1
        if rank is not None:
            m.mrr10 += 1.0 / rank
        if abstention:
            reply = index.ask(q.question)
            if not reply.answered:
                m.abstained += 1
            elif _holds_gold(reply.answers[0].ref, q):
                e2e += 1
    n = max(m.questions, 1)
    m.hit1, m.hit3, m.mrr10, m.abstained = m.hit1 / n, m.hit3 / n, m.mrr10 / n, m.abstained / n
    if abstention:
        # What a user gets: the first quoted sentence is right; an abstention counts as a miss.
        m.extra["e2e_hit1"] = e2e / n
    return m


def squad_false_answer_rate(
    articles: list[Article],
    questions: list[SquadQuestion],
    params: BM25Params,
    policy: AnswerPolicy = AnswerPolicy(),
    encoder: Encoder | None = None,
    vectors: Mapping[str, ArticleVectors] | None = None,
) -> float:
    """Share of questions answered anyway once every paragraph of their topic is removed from the pool.

    Removing the whole topic (not only the paragraph) leaves nothing that can answer the question,
    so every answer given here is a wrong one: this measures abstention where it matters.
    """
    topic_of = {q.paragraph: q.topic for q in questions}
    by_topic: dict[str, list[SquadQuestion]] = {}
    for q in questions:
        by_topic.setdefault(q.topic, []).append(q)
    wrong = total = 0
    for topic, asked in by_topic.items():
        kept = [a for a in articles if topic_of.get(a.id) != topic]
        index = NewsIndex(kept, params, policy, encoder=encoder, vectors=vectors)
        for q in asked:
            total += 1
            wrong += index.ask(q.question).answered
    return wrong / max(total, 1)
