"""The `newsbot` command: parse the arguments, read the settings once, run one subcommand.

Each subcommand's module is imported only when it runs, so `newsbot ask` does not load Telegram and
`newsbot run` does not load the evaluation code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.settings import Settings, SettingsError, load_settings
from bot.storage import StorageError


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.answers import cmd_ask as ask

    return ask(args, settings)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.answers import cmd_eval as evaluate

    return evaluate(args, settings)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.stored import ingest_command

    return ingest_command(settings, args.paths)


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.stored import feeds_command

    return feeds_command(settings, args.opml)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.console import chat_command

    return chat_command(settings, bool(getattr(args, "json", False)))


def cmd_migrate_db(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.stored import migrate_db_command

    return migrate_db_command(args.source, args.target)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.runner import run_command

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
    ing = sub.add_parser("ingest", help="add article files, folders, feed URLs or article URLs to the database;"
                         " follow the feeds of FILE.opml")
    ing.add_argument("paths", nargs="+")
    ing.set_defaults(func=cmd_ingest)
    feeds = sub.add_parser("feeds", help="list followed feeds with their status")
    feeds.add_argument("--opml", nargs="?", const="-", metavar="FILE",
                       help="write the followed feeds as an OPML file instead (to FILE, or standard output)")
    feeds.set_defaults(func=cmd_feeds)
    chat = sub.add_parser("chat", help="talk to the bot at the terminal (no Telegram)")
    chat.add_argument("--json", action="store_true", help="one JSON object per line typed (kind, answered, answers, topic)")
    chat.set_defaults(func=cmd_chat)
    sub.add_parser("run", help="run the Telegram bot").set_defaults(func=cmd_run)
    mig = sub.add_parser("migrate-db", help="copy a SQLite database into an empty PostgreSQL (or SQLite) database")
    mig.add_argument("source", metavar="FROM", help="the SQLite file")
    mig.add_argument("target", metavar="TO", help="postgresql://user:password@host:port/dbname (or a SQLite path)")
    mig.set_defaults(func=cmd_migrate_db)
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
            from bot.telegram import texts

            print(texts.NO_TOKEN_NOTICE, file=sys.stderr)
            return cmd_chat(args, settings)
        return int(args.func(args, settings))
    except SettingsError as exc:  # found only when used, e.g. a token that is missing
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:  # a NEWSBOT_DATABASE that cannot be opened or used
        print(f"newsbot: NEWSBOT_DATABASE: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
