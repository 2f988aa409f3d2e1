"""`newsbot ask` and `newsbot eval`: answering from the command line, and scoring the answers."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path
from typing import Any

from retrieval import NewsIndex, Reply
from retrieval.answering import evaluate
from retrieval.meaning.vectors import embed_articles

from bot.core.index_builder import offline_index
from bot.intake.embedding import process_encoder
from bot.core.questions import MAX_QUESTION_CHARS, cut_question
from bot.settings import Settings
from bot.telegram import texts


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """The `ask --json` object; its field names are a contract (see README)."""
    from retrieval import published_label

    return {
        "question": reply.question,
        "answered": reply.answered,
        "answers": [
            {
                "text": a.text,
                "article": a.article.id,
                "sentence": a.sentence,
                "score": round(a.score, 6),
                "citation": a.citation,
                "url": a.article.url,
                # Added in issue 8 (extensions; the fields above are unchanged).
                "published": published_label(a.article),
                "source": a.article.source,
                "also_reported_by": [
                    {"source": o.source, "title": o.title, "url": o.url, "published": published_label(o)}
                    for o in a.also_reported_by
                ],
            }
            for a in reply.answers
        ],
        "related": [{"title": h.link.title, "url": h.link.url} for h in reply.related],
    }


def reply_to_text(reply: Reply) -> str:
    if not reply.answered:
        lines = [texts.NO_ANSWER_PLAIN]
    else:
        lines = []
        for i, a in enumerate(reply.answers, 1):
            lines.append(f"{i}. {a.text}\n   — {a.citation}")
            if a.also_reported_by:
                lines.append(f"   {texts.ALSO_REPORTED_BY}: " + "، ".join(o.source or texts.UNKNOWN_SOURCE for o in a.also_reported_by))
    if reply.related:
        lines.append(texts.RELATED_HEADING + ":")
        lines += [f"  • {h.link.title}" + (f" <{h.link.url}>" if h.link.url else "") for h in reply.related]
    return "\n".join(lines)


def _clean_line(line: str) -> str:
    # Control characters (other than tab) would only confuse the analyzer and the terminal.
    return "".join(ch if ch.isprintable() or ch == "\t" else " " for ch in line)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    index = offline_index(settings)
    # The index's millions of objects live as long as the process: out of the collector's sight,
    # a question never waits for a full collection to walk them.
    gc.freeze()
    # Whatever the locale, read and write UTF-8 and never die on a bad byte: one line in, one reply out.
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    questions = [args.question] if args.question is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for question in questions:
        # Cut like the bot cuts (a pasted page must not cost minutes); the note goes to stderr so
        # that stdout keeps one reply per question.
        question, truncated = cut_question(_clean_line(question))
        if truncated:
            print(texts.TRUNCATED_NOTE.format(chars=MAX_QUESTION_CHARS), file=sys.stderr, flush=True)
        reply = index.ask(question, top_k=args.top_k or settings.top_k)
        if args.json:
            print(json.dumps(reply_to_json(reply), ensure_ascii=False), flush=True)
        else:
            print(reply_to_text(reply), end="\n\n", flush=True)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    if path.suffix == ".jsonl":
        index = offline_index(settings)
        outcomes = [evaluate.check_seed_question(index, item, settings.top_k) for item in evaluate.read_jsonl(path)]
        by_kind: dict[str, list[bool]] = {}
        for o in outcomes:
            by_kind.setdefault(o.kind or "-", []).append(o.passed)
            if not o.passed:
                print(f"FAIL {o.id} [{o.kind}] {o.question} — {o.why}")
        print(f"{'kind':<14}{'passed':>8}{'total':>8}")
        for kind, results in by_kind.items():
            print(f"{kind:<14}{sum(results):>8}{len(results):>8}")
        passed = sum(o.passed for o in outcomes)
        print(f"{'all':<14}{passed:>8}{len(outcomes):>8}")
        print(f"end-to-end: {passed}/{len(outcomes)} = {passed / max(len(outcomes), 1):.3f} (top answer right, or silence where the news holds none)")
        return 0 if passed == len(outcomes) else 1
    articles, questions = evaluate.squad_corpus(path)
    # The pool is embedded here (titles and every sentence: ~a minute for XQuAD's 1,218 sentences on
    # two cores), never cached: the answers are those the bot would give with the encoder it runs.
    encoder = process_encoder(settings.encoder)
    vectors = None
    if encoder is not None:
        vectors = {a.id: v for a, v in zip(articles, embed_articles(encoder, articles, sentences=True), strict=True)}
    index = NewsIndex(articles, encoder=encoder, vectors=vectors)
    m = evaluate.squad_metrics(index, questions)
    sentences = sum(len(a.sentences) for a in articles)
    print(f"SQuAD pooled sentences: {len(articles)} paragraphs, {sentences} sentences, {m.questions} questions")
    print(f"encoder: {encoder.name if encoder is not None else 'none (lexical answers)'}")
    print(f"{'metric':<34}{'value':>8}")
    print(f"{'Hit@1 (ranking)':<34}{m.hit1:>8.3f}")
    print(f"{'end-to-end Hit@1 (abstain = miss)':<34}{m.extra['e2e_hit1']:>8.3f}")
    print(f"{'Hit@3':<34}{m.hit3:>8.3f}")
    print(f"{'MRR@10':<34}{m.mrr10:>8.3f}")
    print(f"{'abstention rate (answerable)':<34}{m.abstained:>8.3f}")
    if args.negatives:
        rate = evaluate.squad_false_answer_rate(articles, questions, index.params, encoder=encoder, vectors=vectors)
        print(f"{'answered with topic removed':<34}{rate:>8.3f}")
    return 0
