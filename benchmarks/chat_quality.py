"""Chats scored the way ../shared/eval/README.md defines them (dialogs.jsonl): each chat in its own
`newsbot chat --json` process, one JSON object a line typed.

A turn with `expect` passes when the first answer holds one of its substrings (tatweel removed,
whitespace folded); a turn with `kind: "smalltalk"` when the reply is small talk (never a quote nor
"no answer"). Follow-up turns are the `expect` turns after the first turn of a chat. With `--before`,
each line is asked alone through `newsbot ask --json` instead: what a chat was before issue 17 (the
console fed every line to the same one-question path).

Usage: NEWSBOT_DATABASE=… NEWSBOT_SEEDS_DIR=<empty> python benchmarks/chat_quality.py CHATS.jsonl [--before] [-v]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

NEWSBOT = [sys.executable, "-m", "bot"]


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u0640", "")).strip()


def run_chat(lines: list[str], before: bool) -> list[dict]:
    command = [*NEWSBOT, "ask", "--json"] if before else [*NEWSBOT, "chat", "--json"]
    done = subprocess.run(command, input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    out = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if before:  # ask --json has no kind: an answer is a quote, whatever the line was
        out = [{**o, "kind": "answer" if o["answered"] else "no_answer", "topic": None} for o in out]
    assert len(out) == len(lines), (len(out), len(lines), done.stderr[-2000:])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chats", type=Path, nargs="+")
    parser.add_argument("--before", action="store_true", help="each line asked alone (newsbot ask --json)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    for path in args.chats:
        chats = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        follow = talk = 0
        follow_ok = talk_ok = 0
        for chat in chats:
            turns = chat["turns"]
            replies = run_chat([t["say"] for t in turns], args.before)
            for i, (turn, got) in enumerate(zip(turns, replies, strict=True)):
                if "expect" in turn:
                    first = fold(got["answers"][0]["text"]) if got["answers"] else ""
                    ok = any(fold(e) in first for e in turn["expect"])
                    if i > 0:
                        follow, follow_ok = follow + 1, follow_ok + ok
                elif turn.get("kind") == "smalltalk":
                    ok = got["kind"] == "smalltalk"
                    talk, talk_ok = talk + 1, talk_ok + ok
                else:
                    ok = None
                if args.verbose:
                    mark = {True: "PASS", False: "FAIL", None: "    "}[ok]
                    shown = got["answers"][0]["text"][:90] if got["answers"] else got["kind"]
                    topic = f" [عن: {got['topic']}]" if got.get("topic") else ""
                    print(f"{mark} {chat['id']} {turn['say']}{topic} -> {shown}")
        print(f"{path.name}: follow-up turns {follow_ok}/{follow} ({follow_ok / max(follow, 1):.0%}), "
              f"small talk {talk_ok}/{talk}, chats {len(chats)}{' (before: each line asked alone)' if args.before else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
