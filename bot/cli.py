"""The `newsbot` command: ask, eval, ingest, feeds, chat, run."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from retrieval import Reply


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """The `ask --json` object; its field names are a contract (see README)."""
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
            }
            for a in reply.answers
        ],
        "related": [{"title": h.link.title, "url": h.link.url} for h in reply.related],
    }


def reply_to_text(reply: Reply) -> str:
    from bot import texts

    if not reply.answered:
        lines = [texts.NO_ANSWER_PLAIN]
    else:
        lines = [f"{i}. {a.text}\n   — {a.citation}" for i, a in enumerate(reply.answers, 1)]
    if reply.related:
        lines.append(texts.RELATED_HEADING + ":")
        lines += [f"  • {h.link.title}" + (f" <{h.link.url}>" if h.link.url else "") for h in reply.related]
    return "\n".join(lines)


def _clean_line(line: str) -> str:
    # Control characters (other than tab) would only confuse the analyzer and the terminal.
    return "".join(ch if ch.isprintable() or ch == "\t" else " " for ch in line)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.corpus import load_index

    index = load_index(settings)
    # Whatever the locale, read and write UTF-8 and never die on a bad byte: one line in, one reply out.
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    questions = [args.question] if args.question is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for question in questions:
        reply = index.ask(_clean_line(question), top_k=args.top_k or settings.top_k)
        if args.json:
            print(json.dumps(reply_to_json(reply), ensure_ascii=False), flush=True)
        else:
            print(reply_to_text(reply), end="\n\n", flush=True)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.corpus import load_index
    from retrieval.answering import evaluate

    path = Path(args.file)
    if path.suffix == ".jsonl":
        index = load_index(settings)
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
        return 0 if passed == len(outcomes) else 1
    from retrieval import NewsIndex

    articles, questions = evaluate.squad_corpus(path)
    index = NewsIndex(articles)
    m = evaluate.squad_metrics(index, questions)
    sentences = sum(len(a.sentences) for a in articles)
    print(f"SQuAD pooled sentences: {len(articles)} paragraphs, {sentences} sentences, {m.questions} questions")
    print(f"{'metric':<34}{'value':>8}")
    print(f"{'Hit@1':<34}{m.hit1:>8.3f}")
    print(f"{'Hit@3':<34}{m.hit3:>8.3f}")
    print(f"{'MRR@10':<34}{m.mrr10:>8.3f}")
    print(f"{'abstention rate (answerable)':<34}{m.abstained:>8.3f}")
    if args.negatives:
        rate = evaluate.squad_false_answer_rate(articles, questions, index.params)
        print(f"{'answered with topic removed':<34}{rate:>8.3f}")
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ingest import ingest_command

    return ingest_command(settings, args.paths)


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from bot.feeds import feeds_command

    return feeds_command(settings)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.harness import chat_command

    return chat_command(settings)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runner import run_command

    return run_command(settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbot", description="Arabic news Q&A bot for Telegram.")
    sub = parser.add_subparsers(dest="command")
    ask = sub.add_parser("ask", help="answer a question (or one per stdin line) from the news")
    ask.add_argument("question", nargs="?", help="the question; omitted: read one per line from stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--top-k", type=int, default=None, metavar="N", help="at most N answer sentences")
    ask.set_defaults(func=cmd_ask)
    ev = sub.add_parser("eval", help="score retrieval on a seed-questions .jsonl or a SQuAD .json file")
    ev.add_argument("file")
    ev.add_argument("--negatives", action="store_true", help="SQuAD: also measure answers given with the topic removed")
    ev.set_defaults(func=cmd_eval)
    ing = sub.add_parser("ingest", help="add article files, folders, feed URLs or article URLs to the database")
    ing.add_argument("paths", nargs="+")
    ing.set_defaults(func=cmd_ingest)
    sub.add_parser("feeds", help="list followed feeds with their status").set_defaults(func=cmd_feeds)
    sub.add_parser("chat", help="talk to the bot at the terminal (no Telegram)").set_defaults(func=cmd_chat)
    sub.add_parser("run", help="run the Telegram bot").set_defaults(func=cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "ask" and args.top_k is not None and not 1 <= args.top_k <= 50:
        parser.error("--top-k must be between 1 and 50")
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command is None:
            if settings.token:
                return cmd_run(args, settings)
            from bot import texts

            print(texts.NO_TOKEN_NOTICE, file=sys.stderr)
            return cmd_chat(args, settings)
        return int(args.func(args, settings))
    except SettingsError as exc:  # found only when used, e.g. a NEWSBOT_DATABASE that cannot be opened
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
