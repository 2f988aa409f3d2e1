"""Inline mode through the real Application: @bot سؤال answered with cited sentences."""

from __future__ import annotations

import json

from bot.telegram.render import strip_tags
from bot.testing.fake_telegram import check_html
from bot.testing.harness import Harness

QUESTION = "من هو وزير الدفاع التركي الذي ترأس الوفد؟"


def results(call) -> list[dict]:
    value = call.params["results"]
    return json.loads(value) if isinstance(value, str) else value


async def test_inline_question_is_answered_with_cited_results(harness: Harness) -> None:
    [call] = await harness.send_inline(QUESTION)
    assert call.ok and 0 < int(call.params["cache_time"]) <= 60
    found = results(call)
    assert 1 <= len(found) <= 5 and len({r["id"] for r in found}) == len(found)
    best = found[0]
    assert best["type"] == "article" and "خلوصي أكار" in best["input_message_content"]["message_text"]
    assert len(best["title"]) <= 60 and best["title"].endswith("…")
    assert strip_tags(best["input_message_content"]["message_text"]).startswith(best["title"].rstrip("…"))
    assert "تركيا الآن" in best["description"]
    message = best["input_message_content"]
    assert message["parse_mode"] == "HTML" and check_html(message["message_text"]) is None
    assert "الجملة 2" in message["message_text"] and "«وفدان من تركيا وكوسوفو" in message["message_text"]
    assert await harness.service.storage.query_count() == 0  # half-typed inline queries are not logged


async def test_empty_inline_query_shows_latest_headlines(harness: Harness) -> None:
    [call] = await harness.send_inline("")
    found = results(call)
    assert found and "وفدان من تركيا وكوسوفو" in found[0]["title"]
    assert check_html(found[0]["input_message_content"]["message_text"]) is None


async def test_inline_question_without_answer_has_no_results(harness: Harness) -> None:
    [call] = await harness.send_inline("ما هي عاصمة البرازيل؟")
    assert results(call) == []
    [call] = await harness.send_inline("hello there")
    assert results(call) == []
