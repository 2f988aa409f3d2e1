"""Conversations through the real Application and handlers, with only the transport fake."""

from __future__ import annotations

import re

from bot.telegram import texts
from bot.testing.fake_telegram import BOT_ID, BOT_USERNAME, check_html
from bot.testing.harness import Harness
from bot.telegram.render import CALLBACK_SUBSCRIBE, CALLBACK_UNSUBSCRIBE
from bot.core.questions import MAX_QUESTION_CHARS

QUESTION = "من هو وزير الدفاع التركي الذي ترأس الوفد؟"


def only_text(calls) -> str:
    sent = [c for c in calls if c.method == "sendMessage"]
    assert sent, f"the bot sent nothing: {calls}"
    for c in sent:
        assert c.ok, c
        assert check_html(c.text) is None
    return "\n".join(c.text for c in sent)


async def test_start_and_help(harness: Harness) -> None:
    for command in ("/start", "/help"):
        text = only_text(await harness.send_text(command))
        assert "/latest" in text and "/subscribe" in text and "وزير الدفاع" in text


async def test_question_with_answer_quotes_bolds_and_cites(harness: Harness) -> None:
    text = only_text(await harness.send_text(QUESTION))
    assert "<b>خلوصي</b>" not in text  # not a question word
    assert "<b>وزير</b>" in text and "<b>الدفاع</b>" in text
    assert "خلوصي أكار" in text
    assert "تركيا الآن" in text and "«وفدان من تركيا وكوسوفو" in text and "الجملة 2" in text
    await harness.service.settle()
    assert await harness.service.storage.query_count() == 1


async def test_question_without_answer_is_kind(harness: Harness) -> None:
    text = only_text(await harness.send_text("ما هي عاصمة البرازيل؟"))
    assert "لم أجد" in text and "/latest" in text


async def test_html_in_user_text_is_escaped(harness: Harness) -> None:
    text = only_text(await harness.send_text('<b>وزير الدفاع</b> & <a href="javascript:x">التركي</a>؟'))
    assert "javascript" not in text
    assert "<a href" not in text or "javascript" not in text


async def test_ten_thousand_characters(harness: Harness) -> None:
    calls = await harness.send_text("وزير " * 2000)
    text = only_text(calls)
    assert str(MAX_QUESTION_CHARS) in text  # the note that only the start was read


async def test_empty_emoji_and_non_arabic(harness: Harness) -> None:
    assert texts.EMPTY_QUESTION in only_text(await harness.send_text("   \u200f "))
    assert texts.EMPTY_QUESTION in only_text(await harness.send_text("😀😀🎉"))
    assert texts.NOT_ARABIC in only_text(await harness.send_text("who is the defence minister?"))


async def test_sticker_photo_voice_get_a_polite_reply_in_private(harness: Harness) -> None:
    for send in (harness.send_sticker, harness.send_photo, harness.send_voice):
        assert only_text(await send()) == texts.NON_TEXT
    assert await harness.send_sticker(-500, chat_type="group") == []  # silence in groups


async def test_edited_message(harness: Harness) -> None:
    assert only_text(await harness.edit_text(QUESTION)) == texts.EDITED
    assert await harness.edit_text(QUESTION, -500, chat_type="group") == []


async def test_unknown_command(harness: Harness) -> None:
    assert only_text(await harness.send_text("/weather")) == texts.UNKNOWN_COMMAND
    assert await harness.send_text("/weather", -500, chat_type="group") == []
    assert only_text(await harness.send_text(f"/weather@{BOT_USERNAME}", -500, chat_type="group"))


async def test_latest_subscribe_unsubscribe_and_button(harness: Harness) -> None:
    calls = await harness.send_text("/latest")
    text = only_text(calls)
    assert "وفدان من تركيا وكوسوفو" in text and "تركيا الآن" in text
    [button] = calls[-1].reply_markup["inline_keyboard"][0]
    assert button["callback_data"] == CALLBACK_SUBSCRIBE

    assert only_text(await harness.send_text("/subscribe")) == texts.SUBSCRIBED
    assert only_text(await harness.send_text("/subscribe")) == texts.ALREADY_SUBSCRIBED
    assert await harness.service.is_subscribed(1001)
    calls = await harness.send_text("/latest")
    assert calls[-1].reply_markup["inline_keyboard"][0][0]["callback_data"] == CALLBACK_UNSUBSCRIBE

    calls = await harness.press_button(CALLBACK_UNSUBSCRIBE)
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageReplyMarkup"]
    assert calls[0].params["text"] == texts.UNSUBSCRIBED
    assert not await harness.service.is_subscribed(1001)
    calls = await harness.press_button(CALLBACK_SUBSCRIBE)
    assert calls[-1].reply_markup["inline_keyboard"][0][0]["callback_data"] == CALLBACK_UNSUBSCRIBE
    assert await harness.service.is_subscribed(1001)

    assert only_text(await harness.send_text("/unsubscribe")) == texts.UNSUBSCRIBED
    assert only_text(await harness.send_text("/unsubscribe")) == texts.NOT_SUBSCRIBED


async def test_ask_command_and_groups(harness: Harness) -> None:
    group = -500
    assert await harness.send_text(QUESTION, group, chat_type="group") == []  # not addressed
    mention = f"@{BOT_USERNAME} {QUESTION}"
    entities = [{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}]
    assert "خلوصي أكار" in only_text(await harness.send_text(mention, group, chat_type="group", entities=entities))
    reply_to = harness.message(group, text="…", chat_type="group", user_id=BOT_ID)
    reply_to["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "NewsBot"}
    text = only_text(await harness.send_text(QUESTION, group, chat_type="group", reply_to_message=reply_to))
    assert "خلوصي أكار" in text
    assert "خلوصي أكار" in only_text(await harness.send_text(f"/ask {QUESTION}", group, chat_type="group"))
    assert only_text(await harness.send_text("/ask", group, chat_type="group")) == texts.ASK_USAGE


async def test_error_handler_tells_the_user(harness: Harness, caplog) -> None:
    harness.request.fail("sendMessage", "400", chat_id=1001)  # the answer fails; the apology goes out
    calls = await harness.send_text(QUESTION)
    assert [c.ok for c in calls if c.method == "sendMessage"] == [False, True]
    assert calls[-1].text == texts.ERROR
    assert any("error handling update" in r.getMessage() and "chat 1001" in r.getMessage() for r in caplog.records)


async def test_seeds_loaded_once(harness: Harness, bot_settings) -> None:
    assert await harness.service.storage.article_count() == 1
    async with Harness(bot_settings) as again:
        assert await again.service.storage.article_count() == 1
        assert re.search("خلوصي", only_text(await again.send_text(QUESTION)))


async def test_admin_stats_and_help(bot_settings) -> None:
    settings = bot_settings.model_copy(update={"admin_ids": [1001]})
    async with Harness(settings) as h:
        assert "/stats" in only_text(await h.send_text("/help", 1001))
        assert "/stats" not in only_text(await h.send_text("/help", 2002))
        assert only_text(await h.send_text("/stats", 2002)) == texts.ADMINS_ONLY
        await h.send_text(QUESTION, 2002)
        await h.send_text("ما هي عاصمة البرازيل؟", 3003)
        await h.send_text("/subscribe", 3003)
        text = only_text(await h.send_text("/stats", 1001))
        expected = texts.STATS_HTML.format(articles=1, indexed=1, chats=2, subscribers=1, answered=1, abstained=1)
        assert text.startswith(expected)  # the database's figures, then this worker's (tests/test_metrics.py)
