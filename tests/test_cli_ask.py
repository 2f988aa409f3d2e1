"""The `newsbot ask` and `newsbot eval` commands, run as real processes on the project's seeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.telegram import texts
from retrieval.text.files import load_folder

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_ID = "000_09970cd0ffa0422f"
SEED_TEXT = (SEEDS / f"{SEED_ID}.txt").read_text("utf-8")
SEED_META = json.loads((SEEDS / f"{SEED_ID}.json").read_text("utf-8"))
SEED_QUESTIONS = Path(__file__).resolve().parent / "seed_questions.jsonl"

ANSWERABLE = "من هو وزير الدفاع التركي الذي ترأس الوفد؟"
UNANSWERABLE = "ما عاصمة فرنسا؟"
WITH_RELATED = "ما هو الاجتماع العسكري السادس؟"
# Several sentences of the seed answer this one (the foreign minister appears three times).
BROAD = "مين وزير خارجية تركيا؟"

REPLY_KEYS = {"question", "answered", "answers", "related"}
ANSWER_KEYS = {"text", "article", "sentence", "score", "citation", "url"}
# Issue 8 extends an answer (the keys above stay as they are): its date, outlet, and the other outlets.
ANSWER_EXTENSION_KEYS = {"published", "source", "also_reported_by"}
RELATED_KEYS = {"title", "url"}


def newsbot(
    tmp_path: Path,
    *args: str,
    stdin: bytes = b"",
    env: dict[str, str] | None = None,
    program: list[str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    clean |= {"NEWSBOT_SEEDS_DIR": str(SEEDS), "NEWSBOT_DATABASE": str(tmp_path / "newsbot.sqlite3")}
    clean |= env or {}
    # cwd is the tmp folder so that no stray .env of the developer is read.
    return subprocess.run(
        [*(program or [sys.executable, "-m", "bot"]), *args],
        input=stdin,
        capture_output=True,
        cwd=tmp_path,
        env=clean,
        timeout=120,
    )


def json_lines(proc: subprocess.CompletedProcess[bytes]) -> list[dict]:
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return [json.loads(line) for line in proc.stdout.decode("utf-8").split("\n") if line]


def assert_schema(reply: dict) -> None:
    assert set(reply) == REPLY_KEYS
    assert isinstance(reply["question"], str) and isinstance(reply["answered"], bool)
    assert isinstance(reply["answers"], list) and isinstance(reply["related"], list)
    if not reply["answered"]:
        assert reply["answers"] == []
    for answer in reply["answers"]:
        assert set(answer) == ANSWER_KEYS | ANSWER_EXTENSION_KEYS
        assert answer["published"] is None or isinstance(answer["published"], str)
        assert answer["source"] is None or isinstance(answer["source"], str)
        assert all({"source", "title", "url", "published"} == set(o) for o in answer["also_reported_by"])
        assert isinstance(answer["text"], str) and answer["text"]
        assert isinstance(answer["article"], str)
        assert type(answer["sentence"]) is int and answer["sentence"] >= 1
        assert type(answer["score"]) is float and answer["score"] > 0
        assert isinstance(answer["citation"], str)
        assert answer["url"] is None or isinstance(answer["url"], str)
    scores = [a["score"] for a in reply["answers"]]
    assert scores == sorted(scores, reverse=True)
    for link in reply["related"]:
        assert set(link) == RELATED_KEYS
        assert isinstance(link["title"], str) and link["title"]
        assert link["url"] is None or isinstance(link["url"], str)


def test_ask_json_answer_is_verbatim_and_cited(tmp_path: Path) -> None:
    (reply,) = json_lines(newsbot(tmp_path, "ask", ANSWERABLE, "--json"))
    assert_schema(reply)
    assert reply["question"] == ANSWERABLE and reply["answered"]
    (article,) = load_folder(SEEDS)
    for answer in reply["answers"]:
        assert answer["article"] == SEED_ID
        # Verbatim: the very characters of the article file, and the sentence number points at them.
        assert answer["text"] in SEED_TEXT
        assert article.sentences[answer["sentence"] - 1] == answer["text"]
        assert answer["url"] == SEED_META["url"]
        assert SEED_META["source"] in answer["citation"]
        assert SEED_META["title"] in answer["citation"]
        assert f"الجملة {answer['sentence']}" in answer["citation"]
    assert "خلوصي أكار" in reply["answers"][0]["text"]


def test_ask_json_abstains_and_lists_related(tmp_path: Path) -> None:
    stdin = f"{UNANSWERABLE}\n{WITH_RELATED}\n".encode()
    no, related = json_lines(newsbot(tmp_path, "ask", "--json", stdin=stdin))
    for reply in (no, related):
        assert_schema(reply)
    assert no == {"question": UNANSWERABLE, "answered": False, "answers": [], "related": []}
    assert any("الاجتماع العسكري السادس" in link["title"] for link in related["related"])
    assert all(link["title"] in SEED_TEXT for link in related["related"])


def test_a_long_question_is_cut_like_the_bot_cuts_it(tmp_path: Path) -> None:
    from bot.core.questions import MAX_QUESTION_CHARS

    # A pasted page: the question first, then 100,000 characters nobody asked about.
    pasted = ANSWERABLE + " " + "كلام " * 20_000
    stdin = f"{pasted}\n{ANSWERABLE}\n".encode()
    proc = newsbot(tmp_path, "ask", "--json", stdin=stdin)
    long_reply, short_reply = json_lines(proc)
    assert long_reply["question"] == pasted[:MAX_QUESTION_CHARS].strip()
    assert long_reply["answers"] == short_reply["answers"] and long_reply["answered"]
    notes = proc.stderr.decode("utf-8").splitlines()
    assert notes == [texts.TRUNCATED_NOTE.format(chars=MAX_QUESTION_CHARS)]  # once, for the long one


def test_installed_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("newsbot")
    if not script.exists():
        pytest.skip("the newsbot console script is not installed next to this interpreter")
    via_script = json_lines(newsbot(tmp_path, "ask", ANSWERABLE, "--json", program=[str(script)]))
    via_module = json_lines(newsbot(tmp_path, "ask", ANSWERABLE, "--json"))
    assert via_script == via_module


def test_top_k_is_respected(tmp_path: Path) -> None:
    questions = [BROAD, "فضولي", "قره باغ", ANSWERABLE]
    stdin = "".join(q + "\n" for q in questions).encode()
    widest = json_lines(newsbot(tmp_path, "ask", "--json", "--top-k", "10", stdin=stdin))
    assert max(len(r["answers"]) for r in widest) >= 3, "the test needs a question with several answers"
    # The flag, then (without the flag) the setting NEWSBOT_TOP_K, which the flag overrides.
    for k, args, env in [(1, ["--top-k", "1"], {"NEWSBOT_TOP_K": "5"}), (2, [], {"NEWSBOT_TOP_K": "2"})]:
        replies = json_lines(newsbot(tmp_path, "ask", "--json", *args, stdin=stdin, env=env))
        for reply, wide in zip(replies, widest, strict=True):
            assert_schema(reply)
            assert len(reply["answers"]) == min(k, len(wide["answers"]))
            assert reply["answers"] == wide["answers"][:k]


@pytest.mark.parametrize("bad", ["0", "-1", "51", "three"])
def test_top_k_out_of_range_is_a_usage_error(tmp_path: Path, bad: str) -> None:
    proc = newsbot(tmp_path, "ask", ANSWERABLE, "--json", "--top-k", bad)
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert b"--top-k" in proc.stderr


ODD_LINES = [
    "",
    "🙂🚀🇹🇷",
    ANSWERABLE,
    "تركيا " * 1666 + "أنقرة",  # 10,000 characters of words
    "ا" * 10_000,  # one 10,000-letter word
    "a\x00b\x01c\x1b[31mred\x1b[0m\x7f",
    "ما موقف تركيا\rمن أذربيجان؟",  # a bare carriage return inside the line
    "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",  # characters str.splitlines() would split on
    "What is the capital of France? Ça va très bien, naïve café.",
    "<b>تركيا</b> <script>alert('x')</script> &amp; &lt;i&gt;",
    "   \t  ",
    "؟؟؟!!!…،،",
    "\u200f\u200e\ufeff\u0640\u064b",  # direction marks, BOM, tatweel, a lone haraka
    UNANSWERABLE,
    "مين وزير خارجية تركيا؟\r",  # CRLF line ending
    ANSWERABLE,
]


def test_stdin_odd_lines_one_json_line_each_in_order(tmp_path: Path) -> None:
    stdin = "\n".join(ODD_LINES).encode("utf-8") + b"\n"
    from bot.core.questions import MAX_QUESTION_CHARS

    proc = newsbot(tmp_path, "ask", "--json", stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    # Nothing on stderr but the note on each of the two 10,000-character lines, cut like the bot cuts.
    note = texts.TRUNCATED_NOTE.format(chars=MAX_QUESTION_CHARS)
    assert proc.stderr.decode("utf-8").splitlines() == [note, note]
    raw = proc.stdout.decode("utf-8").split("\n")
    assert raw[-1] == ""
    replies = [json.loads(line) for line in raw[:-1]]
    assert len(replies) == len(ODD_LINES)
    for line, reply in zip(ODD_LINES, replies, strict=True):
        assert_schema(reply)
        if line.isprintable():
            assert reply["question"] == line[:MAX_QUESTION_CHARS].strip()
        assert "\x00" not in reply["question"] and "\n" not in reply["question"]
    # Order: the real questions come back where they were asked.
    at = {i: r for i, r in enumerate(replies)}
    assert at[2]["answered"] and "خلوصي أكار" in at[2]["answers"][0]["text"]
    assert at[15] == at[2]
    assert not at[13]["answered"]
    assert at[14]["question"] == "مين وزير خارجية تركيا؟"
    for i in (0, 1, 5, 7, 8, 10, 11, 12):
        assert not replies[i]["answered"], ODD_LINES[i]
    assert replies[6]["answered"]  # the carriage return separates words, it does not end the line


def test_stdin_last_line_without_newline_and_empty_input(tmp_path: Path) -> None:
    replies = json_lines(newsbot(tmp_path, "ask", "--json", stdin=f"{UNANSWERABLE}\n{ANSWERABLE}".encode()))
    assert [r["question"] for r in replies] == [UNANSWERABLE, ANSWERABLE]
    proc = newsbot(tmp_path, "ask", "--json", stdin=b"")
    assert proc.returncode == 0 and proc.stdout == b""


def test_stdin_invalid_utf8_under_strict_locale(tmp_path: Path) -> None:
    stdin = f"{ANSWERABLE}\n".encode() + b"\xff\xfe\xc3(\xed\xa0\x80 bad bytes\n" + f"{ANSWERABLE}\n".encode()
    proc = newsbot(tmp_path, "ask", "--json", stdin=stdin, env={"PYTHONIOENCODING": "utf-8"})
    replies = json_lines(proc)
    assert len(replies) == 3 and not replies[1]["answered"]


def test_ask_plain_text(tmp_path: Path) -> None:
    proc = newsbot(tmp_path, "ask", ANSWERABLE)
    assert proc.returncode == 0
    out = proc.stdout.decode("utf-8")
    assert out.startswith("1. ")
    first = out.split("\n")[0][3:]
    assert "خلوصي أكار" in first and first in SEED_TEXT
    assert f"— {SEED_META['source']}، «{SEED_META['title']}»، الجملة 2" in out
    stdin = f"{UNANSWERABLE}\n{WITH_RELATED}\n".encode()
    out = newsbot(tmp_path, "ask", stdin=stdin).stdout.decode("utf-8")
    blocks = out.split("\n\n")
    assert blocks[0] == texts.NO_ANSWER_PLAIN
    assert texts.RELATED_HEADING in blocks[1] and "الاجتماع العسكري السادس" in blocks[1]


# --- newsbot eval on seed-question files ---------------------------------------------------------


def _table(out: str) -> dict[str, tuple[int, int]]:
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            rows[parts[0]] = (int(parts[1]), int(parts[2]))
    return rows


def test_eval_exits_zero_when_every_question_passes(tmp_path: Path) -> None:
    items = [
        {"id": "a", "kind": "paraphrase", "question": ANSWERABLE, "expect": ["خلوصي أكار"]},
        {"id": "b", "kind": "unanswerable", "question": UNANSWERABLE, "expect": []},
        {"id": "c", "kind": "related", "question": WITH_RELATED, "related": "الاجتماع العسكري السادس"},
    ]
    path = tmp_path / "ok.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    proc = newsbot(tmp_path, "eval", str(path))
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, out
    assert "FAIL" not in out
    rows = _table(out)
    assert rows["all"] == (3, 3)
    assert rows["paraphrase"] == rows["unanswerable"] == rows["related"] == (1, 1)


def test_eval_exits_nonzero_and_names_the_failure(tmp_path: Path) -> None:
    items = [
        {"id": "ok", "kind": "paraphrase", "question": ANSWERABLE, "expect": ["خلوصي أكار"]},
        {"id": "bad", "kind": "unanswerable", "question": ANSWERABLE, "expect": []},
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    proc = newsbot(tmp_path, "eval", str(path))
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 1
    assert "FAIL bad" in out and "FAIL ok" not in out
    assert _table(out)["all"] == (1, 2)


def test_eval_on_the_seed_questions_prints_the_table(tmp_path: Path) -> None:
    total = sum(1 for line in SEED_QUESTIONS.read_text("utf-8").splitlines() if line.strip())
    proc = newsbot(tmp_path, "eval", str(SEED_QUESTIONS))
    out = proc.stdout.decode("utf-8")
    rows = _table(out)
    passed, counted = rows["all"]
    assert counted == total == 25
    assert sum(t for k, (_, t) in rows.items() if k != "all") == total
    # Every seed question passes now: a regression in retrieval must fail the suite, not just the table.
    assert passed == total and "FAIL " not in out, out
    assert proc.returncode == 0, out
