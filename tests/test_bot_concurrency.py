"""Updates are processed concurrently: a slow Telegram call for one chat does not hold up another."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.testing.harness import Harness


async def test_slow_chat_does_not_block_others(harness: Harness) -> None:
    app = harness.application
    release = harness.request.hold(1)
    await app.start()  # the real update queue and its dispatcher
    try:
        for chat in (1, 2):
            data = {"update_id": 900 + chat, "message": harness.message(chat, text="أين اجتمع الوفدان؟")}
            await app.update_queue.put(Update.de_json(data, app.bot))
        for _ in range(200):  # wait (up to ~10 s) for chat 2's answer while chat 1's reply is stuck
            if harness.request.sent(2):
                break
            await asyncio.sleep(0.05)
        assert harness.request.sent(2) and not harness.request.sent(1)
        release.set()
        for _ in range(200):
            if harness.request.sent(1):
                break
            await asyncio.sleep(0.05)
        assert harness.request.sent(1)
    finally:
        release.set()
        await app.stop()
