"""`newsbot chat`: the console. Each stdin line is a message from a user in a private chat, fed through
the real bot (the Harness: only the Telegram transport replaced); replies are printed as plain text."""

from __future__ import annotations

import asyncio
import html
import json
import re
import sys
from typing import Any, TextIO

from bot.cli.answers import reply_to_json
from bot.core.results import Asked
from bot.settings import Settings
from bot.telegram.handlers import TURN_OBSERVER
from bot.testing.fake_telegram import Call
from bot.testing.harness import Harness


def readable(text: str) -> str:
    """An HTML message as plain text for the terminal: bold shown plainly, links as `label (url)`
    (parentheses: angle brackets would be taken for a tag by the stripping below)."""
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = text.replace("<blockquote>", "“").replace("</blockquote>", "”")
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


def print_calls(calls: list[Call], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for call in calls:
        if call.method == "answerCallbackQuery" and call.params.get("text"):
            print(f"[{call.params['text']}]", file=out)
        if call.method not in ("sendMessage", "editMessageText") or not call.ok:
            continue
        print(readable(call.text), file=out)
        markup = call.reply_markup
        for row in (markup or {}).get("inline_keyboard", []):
            print("  " + "  ".join(f"[{b['text']}]" for b in row), file=out)
        print(file=out, flush=True)


def turn_json(line: str, asked: Asked | None, calls: list[Call]) -> dict[str, Any]:
    """The `chat --json` object for one typed line (its fields are a contract, see README)."""
    reply = asked.reply if asked is not None else None
    if asked is not None and asked.talk:
        kind = "smalltalk"
    elif line.startswith("/"):
        kind = "command"
    else:
        kind = "answer" if reply is not None and reply.answered else "no_answer"
    shown = reply_to_json(reply) if reply is not None else {"answered": False, "answers": [], "related": []}
    text = "\n\n".join(readable(c.text) for c in calls if c.method in ("sendMessage", "editMessageText") and c.ok)
    return {
        "say": line, "kind": kind, "answered": shown["answered"], "answers": shown["answers"],
        "topic": (asked.topic or None) if asked is not None else None, "smalltalk": list(asked.talk) if asked else [],
        "related": shown["related"], "text": text,
    }


async def _chat(settings: Settings, as_json: bool = False) -> int:
    interactive = sys.stdin.isatty() and not as_json
    async with Harness(settings, rate_limiter=False) as harness:
        chat_id = 1001
        turns: list[Asked] = []
        harness.application.bot_data[TURN_OBSERVER] = lambda _chat, asked: turns.append(asked)
        while True:
            if interactive:
                print("> ", end="", flush=True)
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            line = line.rstrip("\r\n")
            if not line.strip():
                if as_json:  # one object a line typed, whatever the line
                    print(json.dumps(turn_json(line, None, []), ensure_ascii=False), flush=True)
                continue
            turns.clear()
            calls = await harness.send_text(line, chat_id)
            # Articles ingested meanwhile (another terminal's `newsbot ingest`) reach a subscribed user here.
            start = len(harness.request.calls)
            await harness.deliver()
            pushed = [c for c in harness.request.calls[start:] if c.chat_id == chat_id]
            if as_json:
                print(json.dumps(turn_json(line, turns[0] if turns else None, calls + pushed), ensure_ascii=False), flush=True)
            else:
                print_calls(calls)
                print_calls(pushed)
    return 0


def chat_command(settings: Settings, as_json: bool = False) -> int:
    # Whatever the locale, read and write UTF-8 and never die on a bad byte (as `newsbot ask` does):
    # an invalid byte becomes U+FFFD and the rest of the line is still a question.
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        return asyncio.run(_chat(settings, as_json))
    except KeyboardInterrupt:
        return 130
