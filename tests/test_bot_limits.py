"""Giant content stays small on the way out: a run-on article, a huge title, and what they become in
pushes, /latest and answers."""

from __future__ import annotations

import json
from pathlib import Path

from bot.intake.files import ingest_items
from bot.testing.harness import Harness
from retrieval.text.sentences import MAX_SENTENCE_CHARS, split_sentences

CLAUSE = "وقال المتحدث باسم بلدية المدينة إن أعمال صيانة الجسر القديم مستمرة منذ الصباح، "
RUN_ON = CLAUSE * 4000 + "وسيفتح الجسر غدا"  # ~330,000 characters and not one full stop
SPACES_ONLY = " ".join(f"كلمة{i}" for i in range(50_000))  # not even a comma


def test_run_on_text_is_cut_into_bounded_sentences_losing_nothing() -> None:
    for text in (RUN_ON, SPACES_ONLY, "ب" * 5000):
        pieces = split_sentences(text)
        assert len(pieces) > 1 and max(map(len, pieces)) <= MAX_SENTENCE_CHARS
        assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
    # At a clause mark where there is one, so every piece reads as a clause.
    assert all(p.endswith("،") for p in split_sentences(RUN_ON)[:-1])
    normal = "اجتمع الوزير مع الوفد، وبحث معه التعاون. ثم غادر."
    assert split_sentences(normal) == ["اجتمع الوزير مع الوفد، وبحث معه التعاون.", "ثم غادر."]


async def test_giant_article_makes_one_push_one_latest_and_a_short_answer(harness: Harness, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "bridge.txt").write_text(RUN_ON, encoding="utf-8")
    title = "عنوان " * 2000  # 12,000 characters
    (folder / "bridge.json").write_text(json.dumps({"title": title, "source": "مصدر " * 500}), encoding="utf-8")
    await harness.send_text("/subscribe", 1001)
    assert (await ingest_items(harness.service.storage, [str(folder)], harness.settings)).added == 1
    start = len(harness.request.calls)
    assert (await harness.deliver()).sent == 1
    assert len(harness.request.sent(1001)[1:]) == 1  # before: 80 messages for this one push
    latest = [c for c in await harness.send_text("/latest", 1002) if c.method == "sendMessage"]
    assert len(latest) == 1  # before: every /latest was 3 messages for the title alone
    answer = [c for c in await harness.send_text("ماذا قال المتحدث باسم بلدية المدينة عن صيانة الجسر؟", 1003)
              if c.method == "sendMessage"]
    assert 1 <= len(answer) <= 2 and "المتحدث" in answer[0].text
    assert all(c.ok for c in harness.request.calls[start:])
