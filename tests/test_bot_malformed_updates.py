"""Updates whose fields are not what the Bot API promises, fed as raw JSON through the real Application
(Update.de_json, then process_update): no traceback, no generic error reply, one log line without the
user's text; a private chat whose message cannot be read gets the polite reply, a group stays quiet."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from bot.telegram import texts
from bot.testing.fake_telegram import BOT_USERNAME
from bot.testing.harness import Harness

HIDDEN = "نص خاص بالمستخدم 0555123456"  # a user's words: never in the log
USER = {"id": 1001, "is_bot": False, "first_name": "U"}
PRIVATE = {"id": 1001, "type": "private", "first_name": "U"}
GROUP = {"id": -3001, "type": "supergroup", "title": "G"}


def message(chat: dict[str, Any] | None = PRIVATE, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"message_id": 7, "date": int(time.time()), "from": USER, **fields}
    if chat is not None:
        data["chat"] = chat
    return data


def query(**fields: Any) -> dict[str, Any]:
    return {"id": "cq1", "from": USER, "chat_instance": "ci", **fields}


def member_change(**fields: Any) -> dict[str, Any]:
    return {"from": USER, "date": int(time.time()), "old_chat_member": {"status": "member", "user": USER}, **fields}


# (update, whether the user is told NON_TEXT); every one of them is also logged once, by its id.
POLITE = {
    "text is an int": {"message": message(text=5)},
    "text is a list": {"message": message(text=["من", "هو"])},
    "a command whose text is an int": {"message": message(text=12345, entities=[
        {"type": "bot_command", "offset": 0, "length": 5}])},
    "caption is a list": {"message": message(caption=[HIDDEN], photo=[
        {"file_id": "a", "file_unique_id": "b", "width": 9, "height": 9}])},
    "an edit whose text is a dict": {"edited_message": message(text={"t": HIDDEN}, edit_date=int(time.time()))},
}
QUIET = {
    "in a group, text is an int": {"message": message(GROUP, text=5)},
    "in a group, a mention with a text offset": {"message": message(GROUP, text=f"@{BOT_USERNAME} {HIDDEN}", entities=[
        {"type": "mention", "offset": "0", "length": len(BOT_USERNAME) + 1}])},
    "a message without a chat": {"message": message(None, text=HIDDEN)},
    "an edit without a chat": {"edited_message": message(None, text=HIDDEN, edit_date=int(time.time()))},
    "a chat id that is not a number": {"message": message({"id": "abc", "type": "private"}, text=HIDDEN)},
    "a sender id that is not a number": {"message": message(GROUP, text="/subscribe", entities=[
        {"type": "bot_command", "offset": 0, "length": 10}], **{"from": {"id": "x", "is_bot": False, "first_name": "x"}})},
    "a channel post whose text is a list": {"channel_post": message({"id": -1001, "type": "channel", "title": "C"},
                                                                   text=[HIDDEN])},
    "an inline query whose text is an int": {"inline_query": {"id": "iq1", "from": USER, "query": 5, "offset": ""}},
    "an inline query whose text is a list": {"inline_query": {"id": "iq2", "from": USER, "query": [HIDDEN], "offset": ""}},
    "a membership change without its chat": {"my_chat_member": member_change(
        new_chat_member={"status": "kicked", "user": USER, "until_date": 0})},
    "a membership change without its new status": {"my_chat_member": member_change(chat=GROUP)},
}
ANSWERED = {  # button presses: answered (the spinner stops), nothing else
    "button data is an int": {"callback_query": query(data=5, message=message(text="…"))},
    "button under a message without a chat": {"callback_query": query(data="sub", message=message(None, text=HIDDEN))},
    "button without a message": {"callback_query": query(data="sub", inline_message_id="im1")},
    "plan button without a message": {"callback_query": query(data="plan:every:6", inline_message_id="im1")},
    "unfollow button without a message": {"callback_query": query(data="unf:1", inline_message_id="im1")},
}


async def feed(harness: Harness, update: dict[str, Any], caplog: pytest.LogCaptureFixture) -> list:
    caplog.set_level(logging.DEBUG, logger="bot")
    start = len(harness.request.calls)
    await harness.process({"update_id": 4242, **update})
    return harness.request.calls[start:]


def assert_handled_cleanly(calls: list, caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "Traceback" not in caplog.text and not any(r.exc_info or r.exc_text for r in caplog.records)
    assert not any(c.text == texts.ERROR for c in calls)
    assert HIDDEN not in caplog.text and "0555123456" not in caplog.text


@pytest.mark.parametrize("update", POLITE.values(), ids=POLITE.keys())
async def test_an_unreadable_private_message_gets_the_polite_reply(
    harness: Harness, update: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    calls = await feed(harness, update, caplog)
    assert_handled_cleanly(calls, caplog)
    assert [(c.method, c.text) for c in calls] == [("sendMessage", texts.NON_TEXT)]
    [line] = [r for r in caplog.records if "update 4242" in r.getMessage()]
    assert line.levelno == logging.WARNING and "not a string" in line.getMessage()


@pytest.mark.parametrize("update", QUIET.values(), ids=QUIET.keys())
async def test_a_malformed_update_is_skipped_with_one_line(
    harness: Harness, update: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    calls = await feed(harness, update, caplog)
    assert_handled_cleanly(calls, caplog)
    assert calls == []  # nobody to answer, or a group where the bot keeps quiet
    [line] = [r for r in caplog.records if "update 4242" in r.getMessage()]
    assert line.levelno == logging.WARNING and "skipped" in line.getMessage()


@pytest.mark.parametrize("update", ANSWERED.values(), ids=ANSWERED.keys())
async def test_a_button_press_that_cannot_be_used_is_only_answered(
    harness: Harness, update: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    calls = await feed(harness, update, caplog)
    assert_handled_cleanly(calls, caplog)
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert not await harness.service.is_subscribed(1001)


async def test_well_formed_updates_still_pass(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """The guard lets through what it should: an anonymous admin's command, a channel-less private text,
    a button on a message Telegram no longer has (date 0), a membership change, an inline query."""
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    calls = await feed(harness, {"message": message(GROUP, text="/subscribe", sender_chat=GROUP, entities=[
        {"type": "bot_command", "offset": 0, "length": 10}], **{"from": anonymous})}, caplog)
    assert calls[-1].text == texts.SUBSCRIBED
    calls = await feed(harness, {"message": message(text="/help", entities=[
        {"type": "bot_command", "offset": 0, "length": 5}])}, caplog)
    assert calls[-1].method == "sendMessage" and calls[-1].text != texts.NON_TEXT
    calls = await feed(harness, {"callback_query": query(data="sub", message={
        "message_id": 3, "date": 0, "chat": PRIVATE})}, caplog)
    assert calls[0].method == "answerCallbackQuery" and await harness.service.is_subscribed(1001)
    await feed(harness, {"my_chat_member": member_change(chat=GROUP, new_chat_member={"status": "left", "user": USER})},
               caplog)
    assert not await harness.service.is_subscribed(GROUP["id"])
    calls = await feed(harness, {"inline_query": {"id": "iq3", "from": USER, "query": "", "offset": ""}}, caplog)
    assert [c.method for c in calls] == ["answerInlineQuery"]
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]
    assert_handled_cleanly(calls, caplog)


async def test_a_failing_polite_reply_still_stops_the_update(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """The user blocked the bot meanwhile: the reply fails, and the update still goes no further (the
    handlers after the guard would trip on its text)."""
    harness.request.fail("sendMessage", "403", chat_id=1001)
    calls = await feed(harness, {"message": message(text=["من", "هو"])}, caplog)
    assert [(c.method, c.ok) for c in calls] == [("sendMessage", False)]
    assert_handled_cleanly(calls, caplog)
