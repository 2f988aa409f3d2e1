"""Channels: an admin points the bot at a channel where it may post; articles, a topic or a digest go there."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.telegram import texts
from bot.testing.harness import Harness
from tests.test_bot_digests import OTHERS, ingest, run_digests
from tests.test_bot_topics import ADEN, ingest_stream

ADMIN = 1001
NEWS, ADEN_CHANNEL, DIGEST = -1001000000001, -1001000000002, -1001000000003


@pytest.fixture
async def h(bot_settings: Settings):
    async with Harness(bot_settings.model_copy(update={"admin_ids": [ADMIN]})) as harness:
        request = harness.request
        request.add_channel("@news_all", NEWS, "كل الأخبار")
        request.add_channel("@aden_news", ADEN_CHANNEL, "أخبار عدن")
        request.add_channel("@digest_news", DIGEST, "نشرة")
        request.add_channel("@a_group", -1001000000009, "مجموعة", chat_type="supergroup")
        request.add_channel("@member_only", -1001000000010, "عضو", bot_status="member")
        request.add_channel("@no_posting", -1001000000011, "بلا نشر", can_post=False)
        yield harness


async def say(h: Harness, text: str, user: int = ADMIN) -> str:
    return (await h.send_text(text, user))[-1].text


async def test_only_admins_and_only_where_the_bot_may_post(h: Harness) -> None:
    assert await say(h, "/channel @news_all all", 2002) == texts.ADMINS_ONLY
    assert await say(h, "/channel") == texts.CHANNEL_USAGE
    assert await say(h, "/channel news_all") == texts.CHANNEL_BAD_NAME
    assert await say(h, "/channel @news_all weekly") == texts.CHANNEL_USAGE
    assert await say(h, "/channel @nowhere_here all") == texts.CHANNEL_NOT_FOUND
    assert await say(h, "/channel @a_group all") == texts.CHANNEL_NOT_A_CHANNEL
    assert "لست مشرفًا" in await say(h, "/channel @member_only all")
    assert "لست مشرفًا" in await say(h, "/channel @no_posting all")
    assert not await h.service.is_subscribed(-1001000000010)
    checks = [c for c in h.request.calls if c.method == "getChatMember"]
    assert checks and all(int(c.params["user_id"]) == h.application.bot.id for c in checks)


async def test_articles_topic_and_digest_are_posted_in_channels(h: Harness, tmp_path: Path) -> None:
    assert await say(h, "/channel @news_all") == texts.CHANNEL_ALL.format(title="كل الأخبار")
    assert "«عدن»" in await say(h, "/channel @aden_news topic عدن")
    assert "كل 3 ساعات" in await say(h, "/channel @digest_news digest every 3")
    started = datetime.now(timezone.utc)
    await ingest_stream(h, tmp_path / "a", count=6, special={2: ADEN[17]})
    await ingest(h, tmp_path / "b", OTHERS)
    run = await h.deliver()
    assert run.sent == 10 and len(h.request.sent(NEWS)) == 10  # every article in the first channel
    [alert] = h.request.sent(ADEN_CHANNEL)  # only the Aden story in the second
    assert "«وصول وفد حكومي إلى عدن»" in alert.text and "<b>عدن</b>" in alert.text
    assert h.request.sent(DIGEST) == []
    assert (await run_digests(h, started + timedelta(hours=3, minutes=1))).sent == 1
    [digest] = h.request.sent(DIGEST)  # one digest of the ten articles
    assert "نشرة الأخبار" in digest.text and "أسعار الذهب" in digest.text
    # Off: nothing more there; a channel that removed the bot (403) is dropped like any chat.
    assert await say(h, "/channel @news_all off") == texts.CHANNEL_OFF.format(title="كل الأخبار")
    h.request.fail("sendMessage", "403", chat_id=ADEN_CHANNEL, times=None)
    await ingest_stream(h, tmp_path / "c", count=2, seed=5, special={0: ADEN[48]})
    run = await h.deliver()
    assert len(h.request.sent(NEWS)) == 10 and run.blocked == [ADEN_CHANNEL]
    assert await h.service.following(ADEN_CHANNEL) == []
