"""A conversation through the real Application and handlers (only the transport fake) on a small news
folder: small talk, follow-ups per chat and per group member, a context that expires, and the "more"
and "source" buttons pressed after a restart on the same SQLite file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, load_settings
from bot.telegram import texts
from bot.testing import news_stream
from bot.testing.harness import Harness

STORIES = {
    "canal1": ("افتتاح قناة السويس الجديدة", "وكالة الأنباء", [
        "افتتحت مصر قناة السويس الجديدة اليوم بحضور عدد من قادة العالم.",
        "ويبلغ طول القناة الجديدة 72 كيلومترا بحسب هيئة القناة.",
        "وتهدف القناة إلى تقليص زمن انتظار السفن العابرة.",
    ]),
    "canal2": ("مصر تحتفل بقناة السويس الجديدة", "صحيفة اليوم", [
        "احتفل المصريون بافتتاح قناة السويس الجديدة في الإسماعيلية.",
        "وقالت هيئة قناة السويس إن القناة الجديدة ستضاعف إيرادات القناة بحلول عام 2023.",
    ]),
    "wall": ("اكتمال بناء الجدار الحدودي", "قناة الأخبار", [
        "أعلنت وزارة الداخلية اكتمال بناء الجدار الحدودي الشمالي.",
        "ويبلغ طول الجدار 700 كيلومتر ويضم أبراج مراقبة.",
    ]),
    "crash": ("تحطم طائرة صغيرة في طوكيو", "موقع المرصد", [
        "تحطمت طائرة صغيرة فوق حي سكني في طوكيو صباح اليوم.",
        "وكانت الطائرة قد أقلعت من مطار شوفو قبل دقائق من الحادث.",
        "وقتل في الحادث ثلاثة أشخاص بينهم الطيار.",
    ]),
    "airport": ("توسعة مطار الجوف", "وكالة الأنباء", [
        "بدأت أعمال توسعة مطار الجوف الإقليمي لاستقبال الرحلات الدولية.",
    ]),
}
CANAL = "ماذا قالت التقارير عن قناة السويس الجديدة؟"
CRASH = "ماذا حدث للطائرة التي تحطمت في طوكيو؟"


@pytest.fixture
def chat_settings(tmp_path: Path) -> Settings:
    seeds = tmp_path / "news"
    news_stream.write(seeds, news_stream.generate(40))
    for name, (title, source, sentences) in STORIES.items():
        (seeds / f"{name}.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
        meta = {"title": title, "source": source, "url": f"https://news.example.org/{name}", "published": "2026-11-28T09:00:00"}
        (seeds / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return load_settings(database=tmp_path / "state" / "newsbot.sqlite3", seeds_dir=seeds, telegram_token=None, top_k=1)


def sent(calls) -> list:
    return [c for c in calls if c.method == "sendMessage" and c.ok]


def text_of(calls) -> str:
    """The bot's messages, markup (the bold question words) taken out."""
    return re.sub(r"<[^>]+>", "", "\n".join(c.text for c in sent(calls)))


def buttons(calls) -> list[dict]:
    return [b for c in sent(calls) for row in (c.reply_markup or {}).get("inline_keyboard", []) for b in row]


async def test_small_talk_is_answered_in_kind_and_a_glued_question_is_answered(chat_settings: Settings) -> None:
    async with Harness(chat_settings) as h:
        for said, reply in [("السلام عليكم", texts.SMALLTALK["salam"]), ("أهلا", texts.SMALLTALK["greeting"]),
                            ("مشكور", texts.SMALLTALK["thanks"]), ("مساء الخير", texts.SMALLTALK["evening"])]:
            answer = text_of(await h.send_text(said))
            assert reply in answer and texts.SMALLTALK_HINT in answer
            assert "“" not in answer and "لم أجد" not in answer and "الجملة" not in answer
        answer = text_of(await h.send_text("السلام عليكم، كم طول قناة السويس الجديدة؟"))
        assert "72 كيلومترا" in answer and texts.SMALLTALK["salam"] not in answer


async def test_follow_up_in_a_group_two_members_two_contexts(chat_settings: Settings) -> None:
    group = -500
    async with Harness(chat_settings) as h:
        def ask(text: str, user: int):
            return h.send_text(f"/ask {text}", group, chat_type="supergroup", user_id=user)

        assert "قناة السويس الجديدة" in text_of(await ask(CANAL, 1))
        assert "طوكيو" in text_of(await ask(CRASH, 2))
        canal = text_of(await ask("كم طولها؟", 1))
        assert "72 كيلومترا" in canal and "700" not in canal
        assert texts.TOPIC_LINE.format(topic="قناة السويس الجديدة") in canal
        airport = text_of(await ask("في أي مطار؟", 2))
        assert "مطار شوفو" in airport and "الجوف" not in airport
        assert "عن: " in airport and "طوكيو" in airport.split("\n")[0]
        # A complete question starts a new topic, never pulled towards the old one.
        wall = text_of(await ask("كم طول الجدار الحدودي؟", 1))
        assert "700 كيلومتر" in wall and "عن: " not in wall


async def test_a_context_expires(chat_settings: Settings) -> None:
    async with Harness(chat_settings) as h:
        now = [1000.0]
        h.service.conversations.clock = lambda: now[0]
        await h.send_text(CANAL)
        assert "عن: قناة السويس الجديدة" in text_of(await h.send_text("كم طولها؟"))
        now[0] += h.service.conversations.ttl + 1
        late = text_of(await h.send_text("كم طولها؟"))
        assert "عن: " not in late
        assert h.service.conversations.get((1001, 0)) is None or "72 كيلومترا" not in late


async def test_more_and_source_buttons_work_after_a_restart(chat_settings: Settings) -> None:
    async with Harness(chat_settings) as h:
        calls = await h.send_text(CANAL)
        first = text_of(calls)
        data = [b["callback_data"] for b in buttons(calls)]
    assert data and all(len(d.encode()) <= 64 for d in data)
    source = next(d for d in data if d.startswith("src:"))
    more = next(d for d in data if d.startswith("more:"))
    async with Harness(chat_settings) as again:  # a new Application and service on the same SQLite file
        pressed = await again.press_button(source)
        shown = text_of(pressed)
        quoted = "canal1" if "افتتحت مصر" in first or "72" in first else "canal2"
        title, _, sentences = STORIES[quoted]
        assert title in shown and sentences[0] in shown
        assert f'href="https://news.example.org/{quoted}"' in sent(pressed)[0].text
        further = text_of(await again.press_button(more))
        assert "الجملة" in further and further != first
        other = "canal2" if quoted == "canal1" else "canal1"
        assert any(s[:30] in further for s in STORIES[other][2]), further
        assert texts.MORE_NONE in text_of(await again.press_button("more:9:" + more.split(":", 2)[2]))


def test_chat_json_one_object_a_line(chat_settings: Settings, tmp_path: Path) -> None:
    env = {**os.environ, "NEWSBOT_DATABASE": str(chat_settings.database), "NEWSBOT_SEEDS_DIR": str(chat_settings.seeds_dir)}
    lines = ["مرحبا", CANAL, "كم طولها؟", "ما عاصمة البرازيل؟", "/latest", ""]
    done = subprocess.run([sys.executable, "-m", "bot", "chat", "--json"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["kind"] for o in out] == ["smalltalk", "answer", "answer", "no_answer", "command", "no_answer"]
    assert out[2]["topic"] == "قناة السويس الجديدة" and "72 كيلومترا" in out[2]["answers"][0]["text"]
    assert out[1]["topic"] is None and out[1]["answered"] and out[1]["answers"][0]["citation"]
    assert out[0]["answers"] == [] and out[3]["answered"] is False
