"""Chats scored the way ../shared/eval/README.md defines them (dialogs.jsonl): each chat in its own
`newsbot chat --json` process, one JSON object a line typed.

A turn with `expect` passes when the first answer holds one of its substrings (tatweel removed,
whitespace folded); a turn with `kind: "smalltalk"` when the reply is small talk (never a quote nor
"no answer"). Follow-up turns are the `expect` turns after the first turn of a chat. With `--before`,
each line is asked alone through `newsbot ask --json` instead: what a chat was before issue 17 (the
console fed every line to the same one-question path).

With `--complete QUESTIONS.jsonl` (news_questions.jsonl, seed_questions.jsonl), every question of the
file is typed into one chat, one after the other, and its first answer compared with the same question
asked alone (`newsbot ask --json`): a complete question must never be pulled towards the topic before it.

Usage: NEWSBOT_DATABASE=… NEWSBOT_SEEDS_DIR=<empty> python benchmarks/chat_quality.py CHATS.jsonl [--before] [-v]
       python benchmarks/chat_quality.py --complete QUESTIONS.jsonl
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
    parser.add_argument("chats", type=Path, nargs="*")
    parser.add_argument("--complete", type=Path, help="questions asked in one chat and alone: the same first answers?")
    parser.add_argument("--before", action="store_true", help="each line asked alone (newsbot ask --json)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.complete:
        return complete(args.complete, args.verbose)
    for path in args.chats:
        chats = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        follow = talk = 0
        follow_ok = talk_ok = wrong = 0
        for chat in chats:
            turns = chat["turns"]
            replies = run_chat([t["say"] for t in turns], args.before)
            for i, (turn, got) in enumerate(zip(turns, replies, strict=True)):
                if "expect" in turn:
                    first = fold(got["answers"][0]["text"]) if got["answers"] else ""
                    ok = any(fold(e) in first for e in turn["expect"])
                    if i > 0:
                        follow, follow_ok = follow + 1, follow_ok + ok
                        wrong += bool(got["answers"]) and not ok
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
        print(f"{path.name}: follow-up turns {follow_ok}/{follow} ({follow_ok / max(follow, 1):.0%}, "
              f"{wrong} quoting something else), "
              f"small talk {talk_ok}/{talk}, chats {len(chats)}{' (before: each line asked alone)' if args.before else ''}")
    return 0


def complete(path: Path, verbose: bool) -> int:
    questions = [json.loads(line)["question"] for line in path.read_text("utf-8").splitlines() if line.strip()]
    in_chat = run_chat(questions, before=False)
    alone = run_chat(questions, before=True)
    same = 0
    for q, c, a in zip(questions, in_chat, alone, strict=True):
        first = lambda o: (o["answers"][0]["article"], o["answers"][0]["sentence"]) if o["answers"] else None  # noqa: E731
        same += first(c) == first(a)
        if verbose and first(c) != first(a):
            print(f"DIFFERS {q} [عن: {c.get('topic')}] chat={first(c)} alone={first(a)}")
    topics = sum(1 for c in in_chat if c.get("topic"))
    print(f"{path.name} in one chat: first answer as asked alone {same}/{len(questions)}; read with a previous topic: {topics}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
