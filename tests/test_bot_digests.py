"""Digests through the real Application: /subscribe's choice, due digests with collapsed stories, /digest."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.core.digests import PlanError, next_due, parse_plan
from bot.intake.files import ingest_items
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.storage import SENT
from bot.telegram import texts
from bot.telegram.digests import deliver_digests
from bot.telegram.render_subscriptions import CALLBACK_PLAN
from bot.testing.fake_telegram import SimulatedCrash, check_html
from bot.testing.harness import Harness
from retrieval import StoryText, group_stories

# One wire story told by three outlets, worded a little differently each time, and four other stories.
SAME_STORY = [
    ("وكالة الأنباء", "افتتاح أكبر محطة لتحلية المياه في مدينة ينبع",
     "افتتح وزير البيئة والمياه اليوم أكبر محطة لتحلية المياه في مدينة ينبع بطاقة مليون متر مكعب يوميًا."),
    ("صحيفة اليوم", "وزير المياه يفتتح أكبر محطة تحلية في ينبع",
     "افتتح وزير البيئة والمياه أكبر محطة لتحلية المياه في ينبع بطاقة تبلغ مليون متر مكعب في اليوم."),
    ("قناة الأخبار", "ينبع: افتتاح أكبر محطة لتحلية المياه",
     "افتتح وزير المياه صباح اليوم في مدينة ينبع أكبر محطة لتحلية المياه بطاقة مليون متر مكعب يوميا."),
]
OTHERS = [
    ("وكالة الأنباء", "ارتفاع أسعار الذهب في الأسواق العالمية", "ارتفعت أسعار الذهب اليوم مع تراجع الدولار."),
    ("صحيفة اليوم", "منتخب الشباب يتأهل إلى نهائي البطولة", "تأهل منتخب الشباب إلى نهائي البطولة بعد فوزه بهدفين."),
    ("قناة الأخبار", "معرض الكتاب يستقبل زواره في الرياض", "فتح معرض الكتاب أبوابه للزوار في الرياض بمشاركة ألف دار نشر."),
    ("موقع المرصد", "أمطار رعدية على المرتفعات الجنوبية", "توقع المركز هطول أمطار رعدية على المرتفعات الجنوبية غدًا."),
]



@pytest.fixture
def bot_settings(database: Path | str) -> Settings:
    """Every test here on both backends: a SQLite file, then a PostgreSQL database."""
    return load_settings(database=database, seeds_dir=PROJECT_ROOT / "seeds", telegram_token=None,
                         refresh_seconds=60, max_age_days=None, top_k=3)

async def ingest(h: Harness, folder: Path, stories: list[tuple[str, str, str]], prefix: str = "d") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, (source, title, lead) in enumerate(stories):
        path = folder / f"{prefix}{n}.txt"
        path.write_text(f"{lead}\nوأضاف المصدر أن التفاصيل ستعلن لاحقًا في بيان رسمي رقم {n}.\n", encoding="utf-8")
        meta = {"title": title, "source": source, "url": f"https://news.example.org/{prefix}{n}",
                "published": f"2026-11-28T{8 + n:02d}:00:00"}
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        paths.append(str(path))
    assert (await ingest_items(h.service.storage, paths, h.settings)).added == len(stories)


async def run_digests(h: Harness, now: datetime):
    async with h.service.delivery_lock:
        return await deliver_digests(h.application.bot, h.service, now)


def buttons(call) -> list[dict]:
    return [b for row in call.reply_markup["inline_keyboard"] for b in row]


async def test_subscribe_offers_the_choice_and_every_article_stays_the_default(harness: Harness) -> None:
    call = (await harness.send_text("/subscribe", 1001))[-1]
    assert call.text == texts.SUBSCRIBED  # as before: every article…
    labels = {b["callback_data"]: b["text"] for b in buttons(call)}
    assert labels[f"{CALLBACK_PLAN}all"].startswith("✓")  # …ticked, with the digests offered
    assert {f"{CALLBACK_PLAN}every:3", f"{CALLBACK_PLAN}every:6", f"{CALLBACK_PLAN}daily"} <= set(labels)
    # Choosing a digest replaces every article.
    pressed = await harness.press_button(f"{CALLBACK_PLAN}every:6", 1001)
    edit = next(c for c in pressed if c.method == "editMessageText")
    assert "كل 6 ساعات" in edit.text and check_html(edit.text) is None
    plan = await harness.service.plan(1001)
    assert not plan.every_article and plan.digest.every_hours == 6
    # Daily: the hour is asked, then kept in the chat's time zone (Asia/Riyadh unless told otherwise).
    pressed = await harness.press_button(f"{CALLBACK_PLAN}daily", 1001)
    hours = buttons(next(c for c in pressed if c.method == "editMessageText"))
    assert len(hours) == 24
    await harness.press_button(f"{CALLBACK_PLAN}daily:8", 1001)
    plan = await harness.service.plan(1001)
    assert (plan.digest.at_hour, plan.digest.tz) == (8, "Asia/Riyadh")
    assert plan.digest.next_due.endswith("T05:00:00+00:00")  # 08:00 in Riyadh
    # /subscribe alone now shows the digest kept, not a switch back.
    again = (await harness.send_text("/subscribe", 1001))[-1]
    assert "08:00" in again.text and (await harness.service.plan(1001)).digest is not None
    # Typed forms, Arabic digits included, and polite errors.
    assert "Africa/Cairo" in (await harness.send_text("/subscribe daily ٢١ Africa/Cairo", 1001))[-1].text
    assert texts.PLAN_BAD_TZ in (await harness.send_text("/subscribe daily 8 Mars/Olympus", 1001))[-1].text
    assert "اختر عدد ساعات" in (await harness.send_text("/subscribe every 5", 1001))[-1].text
    assert (await harness.send_text("/subscribe all", 1001))[-1].text == texts.SUBSCRIBED
    assert (await harness.service.plan(1001)).every_article
    assert (await harness.send_text("/unsubscribe", 1001))[-1].text == texts.UNSUBSCRIBED
    assert not (await harness.service.plan(1001)).subscribed


async def test_digest_chat_gets_one_digest_with_the_same_story_collapsed(harness: Harness, tmp_path: Path) -> None:
    await harness.send_text("/subscribe every 3", 1001)
    await harness.send_text("/subscribe", 1002)  # every article, for comparison
    subscribed_at = datetime.now(timezone.utc)
    await ingest(harness, tmp_path / "news", SAME_STORY + OTHERS)
    run = await harness.deliver()
    assert run.sent == 7 and run.digests == 0  # 1002 got seven pushes; 1001 nothing yet
    assert len(harness.request.sent(1001)) == 1  # only the /subscribe reply
    run = await run_digests(harness, subscribed_at + timedelta(hours=3, minutes=1))
    assert run.sent == 1
    digest = harness.request.sent(1001)[-1].text
    assert check_html(digest) is None
    lines = [line for line in digest.split("\n") if line.startswith("•")]
    assert len(lines) == 5  # five stories, not seven articles
    ynbu = [line for line in lines if "ينبع" in line]
    assert len(ynbu) == 1 and ynbu == lines[:1]  # one line, first: three outlets told it
    for n, (source, _, _) in enumerate(SAME_STORY):
        assert f'<a href="https://news.example.org/d{n}">{source}</a>' in ynbu[0]
    assert "5 أخبار" in digest
    # Nothing new: no second digest when the next one falls due, and the plan moved on.
    assert (await run_digests(harness, subscribed_at + timedelta(hours=6, minutes=2))).sent == 0
    assert [(status, attempts) for *_, status, attempts in await harness.service.storage.digests(1001)] == [(SENT, 1)]


async def test_digest_command_sends_now(harness: Harness, tmp_path: Path) -> None:
    assert (await harness.send_text("/digest", 1001))[-1].text == texts.DIGEST_NO_PLAN
    await harness.send_text("/subscribe daily 20", 1001)
    assert (await harness.send_text("/digest", 1001))[-1].text == texts.DIGEST_NOTHING_NEW
    await ingest(harness, tmp_path / "news", OTHERS)
    calls = await harness.send_text("/digest", 1001)
    assert len(calls) == 1 and "أسعار الذهب" in calls[0].text and "4 أخبار" in calls[0].text
    assert (await harness.send_text("/digest", 1001))[-1].text == texts.DIGEST_NOTHING_NEW
    assert (await harness.service.plan(1001)).digest.at_hour == 20  # the schedule stays


async def test_crash_mid_digest_then_restart(bot_settings: Settings, tmp_path: Path) -> None:
    async with Harness(bot_settings) as first:
        await first.send_text("/subscribe every 1", 1001)
        await ingest(first, tmp_path / "news", OTHERS)
        first.request.fail("sendMessage", "crash", chat_id=1001)
        with pytest.raises(SimulatedCrash):
            await run_digests(first, datetime.now(timezone.utc) + timedelta(hours=2))
    async with Harness(bot_settings) as second:
        run = await second.deliver()  # not due again for an hour: only the owed one goes
        assert run.digests == 1 and "أسعار الذهب" in second.request.sent(1001)[-1].text
        assert (await second.deliver()).digests == 0
        assert [(s, a) for *_, s, a in await second.service.storage.digests(1001)] == [(SENT, 2)]


async def test_blocked_digest_chat_loses_its_plan(harness: Harness, tmp_path: Path) -> None:
    await harness.send_text("/subscribe every 1", 1001)
    await ingest(harness, tmp_path / "news", OTHERS)
    harness.request.fail("sendMessage", "403", chat_id=1001)
    run = await run_digests(harness, datetime.now(timezone.utc) + timedelta(hours=2))
    assert run.blocked == [1001] and not (await harness.service.plan(1001)).subscribed


def test_next_due_in_the_chats_time_zone() -> None:
    now = datetime(2026, 11, 29, 4, 30, tzinfo=timezone.utc)  # 07:30 in Riyadh (UTC+3)
    assert next_due(None, 8, "Asia/Riyadh", now) == datetime(2026, 11, 29, 5, 0, tzinfo=timezone.utc)
    assert next_due(None, 7, "Asia/Riyadh", now) == datetime(2026, 11, 30, 4, 0, tzinfo=timezone.utc)
    assert next_due(6, None, "Asia/Riyadh", now) == now + timedelta(hours=6)
    # Across a DST change the wall-clock hour is kept (Cairo: UTC+3 in summer, UTC+2 in winter).
    assert next_due(None, 8, "Africa/Cairo", datetime(2026, 10, 29, 12, 0, tzinfo=timezone.utc)).hour == 6


def test_parse_plan() -> None:
    assert parse_plan(["all"]).every_article
    assert parse_plan(["كل", "٦"]).every_hours == 6
    assert parse_plan(["يوميا", "8:00"]).at_hour == 8
    for bad, kind in ((["every", "7"], "hours"), (["daily", "24"], "hour"), (["weekly"], "usage"),
                      (["daily", "8", "Nowhere/Town"], "tz")):
        with pytest.raises(PlanError) as raised:
            parse_plan(bad)
        assert raised.value.kind == kind


def test_group_stories_collapses_near_duplicates_only() -> None:
    texts_ = [StoryText(title, lead) for _, title, lead in SAME_STORY + OTHERS]
    assert group_stories(texts_) == [[0, 1, 2], [3], [4], [5], [6]]


def test_long_digest_keeps_the_top_stories_and_counts_the_rest() -> None:
    from bot.core.digests import Story
    from bot.telegram.render_subscriptions import render_digest
    from retrieval import Article

    stories = [Story((Article(id=f"s{i}", title=f"خبر رقم {i}", sentences=("نص.",), source="وكالة"),))
               for i in range(12)]
    [message] = render_digest(stories)
    assert message.count("\n•") == 10 and "خبر رقم 9" in message and "خبر رقم 10" not in message
    assert "12 خبرًا" in message and "وغيرها: خبران" in message
