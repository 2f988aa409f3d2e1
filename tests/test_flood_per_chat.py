"""One chat's flood limit holds up that chat only (issue 20, point 5: a single 429 with retry_after 20
on a push to chat A delayed an unrelated /help in chat B by 19.8 s and B's push by 20 s, because PTB's
AIORateLimiter pauses every request while it waits one out)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from telegram.error import RetryAfter

from bot.storage import SENDING, SENT
from bot.telegram import texts
from bot.telegram.ratelimit import ChatRateLimiter, Flood, retry_seconds
from bot.testing.harness import Harness
from tests.test_bot_delivery import ingest, pushes, subscribe

A, B, C = 1001, 1002, 1003
FLOOD_SECONDS = 20  # the reproducer's retry_after


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait for `condition` (a guard against hanging, not a speed limit)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def send_calls(h: Harness, chat: int) -> list[int]:
    """Positions in the call log of the sendMessage calls to `chat`."""
    return [i for i, c in enumerate(h.request.calls) if c.method == "sendMessage" and c.chat_id == chat]


async def test_a_flood_limited_push_holds_up_neither_other_pushes_nor_replies(harness: Harness, tmp_path: Path) -> None:
    await subscribe(harness, A, B)
    await ingest(harness, tmp_path / "news", "wheat", "محصول القمح")
    harness.request.fail("sendMessage", "429", chat_id=A, retry_after=FLOOD_SECONDS)
    run = asyncio.create_task(harness.deliver())
    await until(lambda: pushes(harness, B, "محصول القمح") == 1)
    flooded_at = time.monotonic()
    reply = await harness.send_text("/help", C)  # an unrelated chat's command, meanwhile
    answered_at = time.monotonic()
    assert [c.ok for c in reply if c.method == "sendMessage"] == [True] and texts.ERROR not in reply[-1].text
    # Before: the rate limiter slept 20 s on A's 429 with every request held, and the delivery waited
    # on A: B's push and C's reply came only after A's push had gone through.
    [_, a_tried] = send_calls(harness, A)  # A: its /subscribe reply, then only the 429: its push waits aside
    assert harness.request.calls[a_tried].ok is False
    assert a_tried < send_calls(harness, B)[-1] and a_tried < send_calls(harness, C)[-1]
    assert answered_at - flooded_at < FLOOD_SECONDS and not run.done()  # within A's flood limit
    harness.service.stopping.set()  # A's push is left for the next start, claimed, never lost
    result = await asyncio.wait_for(run, 30)
    assert (result.sent, result.postponed) == (1, 1)
    assert {chat: s for _, chat, s, _ in await harness.service.storage.deliveries()} == {A: SENDING, B: SENT}


async def test_a_flood_limited_reply_holds_up_no_other_chat(harness: Harness) -> None:
    harness.request.fail("sendMessage", "429", chat_id=A, retry_after=FLOOD_SECONDS)
    waiting = asyncio.create_task(harness.send_text("/help", A))  # the limiter waits 20 s for A, then retries
    await until(lambda: len(send_calls(harness, A)) == 1)
    flooded_at = time.monotonic()
    reply = await harness.send_text("/help", B)  # before: held until A's flood limit was over
    assert [c.ok for c in reply if c.method == "sendMessage"] == [True]
    assert time.monotonic() - flooded_at < FLOOD_SECONDS and not waiting.done()
    assert len(send_calls(harness, A)) == 1  # A is not asked again before its limit is over
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_chat_told_to_wait_gets_its_pushes_in_order_once_after_the_others(
    harness: Harness, tmp_path: Path
) -> None:
    await subscribe(harness, A, B, C)
    await ingest(harness, tmp_path / "news", "wheat", "محصول القمح")
    await ingest(harness, tmp_path / "news", "rain", "أمطار غزيرة", "هطلت أمطار غزيرة على مدينة الإسكندرية أمس.\n")
    harness.request.fail("sendMessage", "429", chat_id=A, retry_after=1)
    run = await asyncio.wait_for(harness.deliver(), 30)
    assert run.sent == 6 and run.postponed == 0
    texts_to_a = [c.text for c in harness.request.sent(A)[1:]]  # after the /subscribe reply
    assert ["محصول القمح" in t for t in texts_to_a] == [True, False] and "أمطار غزيرة" in texts_to_a[1]
    for chat in (B, C):
        assert pushes(harness, chat, "محصول القمح") == 1 and pushes(harness, chat, "أمطار غزيرة") == 1
    # A's wait did not hold up the others: both other chats had both articles before A's first push.
    first_to_a = send_calls(harness, A)[2]  # /subscribe reply, the 429, then the push
    assert all(max(send_calls(harness, chat)) < first_to_a for chat in (B, C))


async def test_the_limiter_keeps_a_flood_limit_to_its_chat() -> None:
    limiter = ChatRateLimiter(overall_max_rate=0, group_max_rate=0)
    sent: list[int] = []

    async def call(chat: int, flood: int = 0) -> bool:
        sent.append(chat)
        if flood:
            raise RetryAfter(flood)
        return True

    async def request(chat: int, flood: int = 0, how: Flood | None = None) -> object:
        return await limiter.process_request(call, (chat, flood), {}, "sendMessage", {"chat_id": chat}, how)

    with pytest.raises(RetryAfter):
        await request(A, flood=FLOOD_SECONDS, how=Flood.STEP_ASIDE)  # a push: no retry inside the limiter
    assert sent == [A] and limiter.flood_wait(A) > FLOOD_SECONDS - 1 and limiter.flood_wait(B) == 0
    assert await request(B) is True and await request(-100, how=Flood.STEP_ASIDE) is True  # others go on
    with pytest.raises(RetryAfter) as raised:
        await request(A, how=Flood.STEP_ASIDE)  # A again, still limited: refused without a call
    assert sent == [A, B, -100] and 0 < retry_seconds(raised.value) <= FLOOD_SECONDS
    with pytest.raises(RetryAfter):
        await request(-200, flood=1, how=Flood.STEP_ASIDE)
    assert await request(-200) is True  # a reply waits its own chat's limit out, then goes
    assert sent == [A, B, -100, -200, -200]


async def test_a_flood_limited_alert_holds_up_no_other_chats_alert(harness: Harness, tmp_path: Path) -> None:
    for chat in (A, B):
        await harness.send_text("/follow الإسكندرية", chat)
    await ingest(harness, tmp_path / "news", "rain", "أمطار غزيرة", "هطلت أمطار غزيرة على مدينة الإسكندرية أمس.\n")
    harness.request.fail("sendMessage", "429", chat_id=A, retry_after=FLOOD_SECONDS)
    run = asyncio.create_task(harness.deliver())
    await until(lambda: any("🔔" in c.text for c in harness.request.sent(B)))
    [_, a_tried] = send_calls(harness, A)  # the /follow reply, then the alert's 429: it waits aside
    assert harness.request.calls[a_tried].ok is False and a_tried < send_calls(harness, B)[-1]
    assert not run.done()
    harness.service.stopping.set()
    assert (await asyncio.wait_for(run, 30)).alerts == 1


async def test_a_flood_limited_digest_holds_up_no_other_chats_digest(harness: Harness, tmp_path: Path) -> None:
    from tests.test_bot_digests import OTHERS, ingest as ingest_stories, run_digests

    for chat in (A, B):
        await harness.send_text("/subscribe every 1", chat)
    await ingest_stories(harness, tmp_path / "news", OTHERS)
    harness.request.fail("sendMessage", "429", chat_id=A, retry_after=FLOOD_SECONDS)
    run = asyncio.create_task(run_digests(harness, datetime.now(timezone.utc) + timedelta(hours=2)))
    await until(lambda: any("أسعار الذهب" in c.text for c in harness.request.sent(B)))
    [_, a_tried] = send_calls(harness, A)  # the /subscribe reply, then the digest's 429: it waits aside
    assert harness.request.calls[a_tried].ok is False and a_tried < send_calls(harness, B)[-1]
    assert not run.done()
    harness.service.stopping.set()
    assert (await asyncio.wait_for(run, 30)).sent == 1
