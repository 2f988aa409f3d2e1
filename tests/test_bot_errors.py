"""Every Telegram error class where the bot sends: interactive replies and pushes, through FakeRequest."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.telegram import texts
from bot.telegram.sending import MAX_ATTEMPTS
from bot.testing.fake_telegram import FAKE_TOKEN
from bot.testing.harness import Harness
from bot.storage import FAILED, SENDING, SENT
from test_bot_delivery import ingest, pushes, subscribe

QUESTION = "من هو وزير الدفاع التركي الذي ترأس الوفد؟"
SECRET = FAKE_TOKEN.partition(":")[2]


def sent_texts(calls) -> list[str]:
    return [c.text for c in calls if c.method == "sendMessage" and c.ok]


@pytest.mark.parametrize("refusal", ["Bad Request: can't parse entities: unclosed tag", "Bad Request: message is too long"])
async def test_refused_html_reply_goes_again_as_plain_text(harness: Harness, refusal: str) -> None:
    harness.request.fail("sendMessage", "400", chat_id=1001, description=refusal)
    calls = await harness.send_text(QUESTION)
    [plain] = [c for c in calls if c.method == "sendMessage" and c.ok]
    assert "parse_mode" not in plain.params  # sent as plain text
    assert "خلوصي أكار" in plain.text and "<b>" not in plain.text and "<blockquote>" not in plain.text
    assert texts.ERROR not in sent_texts(calls)


async def test_refused_html_push_is_delivered_as_plain_text(harness: Harness, tmp_path: Path) -> None:
    await subscribe(harness, 1001)
    await ingest(harness, tmp_path / "news", "wheat", "محصول القمح")
    harness.request.fail("sendMessage", "400", chat_id=1001, description="Bad Request: message is too long")
    assert (await harness.deliver()).sent == 1
    assert pushes(harness, 1001, "محصول القمح") == 1
    assert [s for _, _, s, _ in await harness.service.storage.deliveries()] == [SENT]


async def test_blocked_user_gets_no_apology_and_no_error_log(harness: Harness, caplog) -> None:
    harness.request.fail("sendMessage", "403", chat_id=1001, times=None)
    calls = await harness.send_text(QUESTION)
    assert [c.ok for c in calls if c.method == "sendMessage"] == [False]  # no second try, no apology
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_flood_limit_on_a_reply_is_not_answered_with_another_message(harness: Harness, caplog) -> None:
    # The rate limiter retries once; the second 429 reaches the error handler.
    harness.request.fail("sendMessage", "429", chat_id=1001, times=2)
    calls = await harness.send_text("/help")
    assert [c.ok for c in calls if c.method == "sendMessage"] == [False, False]
    assert any("flood limit" in r.getMessage() for r in caplog.records)
    # (PTB's rate limiter logs its own give-up at ERROR; ours stays a warning.)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("bot.")]


@pytest.mark.parametrize("kind", ["timeout", "network"])
async def test_network_trouble_on_a_reply_gets_an_apology_and_one_log_line(
    harness: Harness, caplog, kind: str
) -> None:
    harness.request.fail("sendMessage", kind, chat_id=1001)
    calls = await harness.send_text("/help")
    assert sent_texts(calls) == [texts.ERROR]
    [line] = [r.getMessage() for r in caplog.records if "network error replying" in r.getMessage()]
    assert "Traceback" not in line and FAKE_TOKEN not in line and SECRET not in line


async def test_error_handler_survives_a_failing_apology(harness: Harness, caplog) -> None:
    harness.request.fail("sendMessage", "400", chat_id=1001, times=2)  # the answer, then the apology
    calls = await harness.send_text(QUESTION)
    assert [c.ok for c in calls if c.method == "sendMessage"] == [False, False]
    assert any("could not tell chat 1001" in r.getMessage() for r in caplog.records)


async def test_a_push_that_keeps_failing_on_the_network_is_given_up_without_the_token(
    harness: Harness, tmp_path: Path, caplog
) -> None:
    await subscribe(harness, 1001)
    await ingest(harness, tmp_path / "news", "wheat", "محصول القمح")
    [pending] = await harness.service.storage.pending_deliveries()
    for _ in range(MAX_ATTEMPTS - 1):  # earlier runs that were interrupted by the network
        await harness.service.storage.record_delivery(pending.article_row, 1001, SENDING)
    # The simulated network error names the request URL, token included, as httpx errors do.
    harness.request.fail("sendMessage", "network", chat_id=1001, times=None)
    assert (await harness.deliver()).failed == 1
    [(_, _, status, attempts)] = await harness.service.storage.deliveries()
    assert (status, attempts) == (FAILED, MAX_ATTEMPTS)
    detail = await harness.service.storage._fetchone("SELECT detail FROM deliveries")
    assert detail is not None and "simulated network failure" in detail[0]
    assert FAKE_TOKEN not in detail[0] and SECRET not in detail[0]
    assert FAKE_TOKEN not in caplog.text and SECRET not in caplog.text
