"""Topic alerts through the real Application: /follow, matching new articles, pushes with the quote."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.intake.files import ingest_items
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.storage import BLOCKED, SENT
from bot.telegram import texts
from bot.telegram.alerts import ALERTS_PER_HOUR
from bot.telegram.render import strip_tags
from bot.telegram.render_subscriptions import CALLBACK_UNFOLLOW
from bot.testing import news_stream
from bot.testing.fake_telegram import SimulatedCrash, check_html
from bot.testing.harness import Harness

# Five stories about Aden, spelled as news spells it; the other 195 only share letters with it
# (معادن, تصدير المعادن) or name other cities.
ADEN = {
    17: ("وصول وفد حكومي إلى عدن", "ووصل وفد حكومي رفيع إلى مدينة عدن مساء أمس لبحث ملف الكهرباء."),
    48: ("ميناء عدن يستقبل سفينة قمح", "واستقبل ميناء عَدَن سفينة محملة بخمسين ألف طن من القمح."),
    99: ("أمطار غزيرة في عدن", "وهطلت أمطار غزيرة على عدن وضواحيها طوال الليل."),
    140: ("افتتاح جسر جديد", "وافتتح المحافظ جسرًا جديدًا يربط أحياء وعدن الجنوبية بالميناء."),
    186: ("مباراة ودية", "وتلعب فرق الشباب مباراة ودية في ملعب عدن الدولي يوم الجمعة."),
}
TRAPS = {
    30: ("أسعار المعادن", "وارتفعت أسعار المعادن الثمينة في الأسواق العالمية."),
    60: ("منجم جديد", "واكتشف الفريق معدنًا نادرًا في منجم قرب الحدود."),
}



@pytest.fixture
def bot_settings(database: Path | str) -> Settings:
    """Every test here on both backends: a SQLite file, then a PostgreSQL database."""
    return load_settings(database=database, seeds_dir=PROJECT_ROOT / "seeds", telegram_token=None,
                         refresh_seconds=60, max_age_days=None, top_k=3)

async def ingest_stream(h: Harness, folder: Path, count: int = 200, special=None, seed: int = 11) -> list:
    articles = news_stream.generate(count, seed=seed, special=special, prefix=folder.name)
    summary = await ingest_items(h.service.storage, [str(p) for p in news_stream.write(folder, articles)], h.settings)
    assert summary.added == count
    return articles


def alert_texts(h: Harness, chat_id: int) -> str:
    sent = [c for c in h.request.sent(chat_id) if "🔔" in c.text]
    for call in sent:
        assert check_html(call.text) is None
    return "\n".join(c.text for c in sent)


async def test_chat_following_aden_gets_exactly_the_five_aden_articles(harness: Harness, tmp_path: Path) -> None:
    reply = await harness.send_text("/follow عدن", 1001)
    assert "عدن" in reply[-1].text and "سأرسل" in reply[-1].text
    await harness.send_text("/follow قره باغ", 1002)  # nothing in the stream is about it
    articles = await ingest_stream(harness, tmp_path / "news", special={**ADEN, **TRAPS})
    run = await harness.deliver()
    assert run.new_articles == 200 and run.sent == 0  # nobody asked for every article
    text = alert_texts(harness, 1001)
    for i, (title, sentence) in ADEN.items():
        assert text.count(f"«{title}»") == 1, title  # each once, cited by its title…
        assert f'href="https://news.example.org/{articles[i].name}"' in text  # …with its link
        assert f"\n{sentence}\n" in strip_tags(text).replace("“", "\n")  # …quoting the sentence that matched
    assert text.count("الجملة 2") == 5  # the Aden sentence is each article's second
    others = [a.title for i, a in enumerate(articles) if i not in ADEN]
    assert not any(f"«{title}»" in text for title in others)
    assert "<b>عدن</b>" in text and "<b>عَدَن</b>" in text and "<b>وعدن</b>" in text
    assert alert_texts(harness, 1002) == ""
    # Five owed at once exceed the hourly allowance: they came as one message, not five.
    assert len([c for c in harness.request.sent(1001) if "🔔" in c.text]) == 1
    assert {status for _, _, status, _ in await harness.service.storage.topic_pushes()} == {SENT}
    assert (await harness.deliver()).alerts == 0  # nothing twice


async def test_few_matches_come_one_by_one_then_the_hourly_allowance_holds(harness: Harness, tmp_path: Path) -> None:
    await harness.send_text("/follow عدن", 1001)
    first = {0: ADEN[17], 1: ADEN[48]}
    await ingest_stream(harness, tmp_path / "a", count=3, special=first)
    assert (await harness.deliver()).alerts == 2
    assert [c.text.count("🔔") for c in harness.request.sent(1001) if "🔔" in c.text] == [1, 1]
    # 2 of ALERTS_PER_HOUR used: the next burst of three goes as one bundle…
    await ingest_stream(harness, tmp_path / "b", count=4, seed=12, special={0: ADEN[99], 1: ADEN[140], 2: ADEN[186]})
    assert (await harness.deliver()).alerts == 1
    used = 3
    # …and once the allowance is spent, further matches wait for the hour to pass.
    for n in range(ALERTS_PER_HOUR - used):
        await ingest_stream(harness, tmp_path / f"c{n}", count=1, seed=20 + n, special={0: ADEN[17]})
        assert (await harness.deliver()).alerts == 1
    await ingest_stream(harness, tmp_path / "d", count=1, seed=40, special={0: ADEN[48]})
    run = await harness.deliver()
    assert run.alerts == 0 and run.postponed == 1


async def test_following_lists_topics_with_remove_buttons(harness: Harness) -> None:
    await harness.send_text("/follow قره باغ", 1001)
    await harness.send_text("/follow ما آخر أخبار عدن؟", 1001)
    again = await harness.send_text("/follow قرة باغ", 1001)  # the same topic, spelled otherwise
    assert "بالفعل" in again[-1].text
    assert texts.FOLLOW_EMPTY in (await harness.send_text("/follow ما هو", 1001))[-1].text
    assert texts.FOLLOW_USAGE in (await harness.send_text("/follow", 1001))[-1].text
    listing = (await harness.send_text("/following", 1001))[-1]
    assert "قره باغ" in listing.text and "أخبار عدن" in listing.text
    buttons = [b for row in listing.reply_markup["inline_keyboard"] for b in row]
    assert len(buttons) == 2 and all(b["callback_data"].startswith(CALLBACK_UNFOLLOW) for b in buttons)
    pressed = await harness.press_button(buttons[0]["callback_data"], 1001)
    assert any("ألغيت" in c.params.get("text", "") for c in pressed if c.method == "answerCallbackQuery")
    assert [t.text for t in await harness.service.following(1001)] == ["ما آخر أخبار عدن؟"]
    # Another chat's button press cannot remove this chat's topic.
    await harness.press_button(f"{CALLBACK_UNFOLLOW}{(await harness.service.following(1001))[0].id}", 2002)
    assert len(await harness.service.following(1001)) == 1
    assert "ألغيت" in (await harness.send_text("/unfollow عدن", 1001))[-1].text  # the one topic naming it
    assert texts.NOT_FOLLOWING in (await harness.send_text("/unfollow عدن", 1001))[-1].text
    assert texts.FOLLOWING_EMPTY in (await harness.send_text("/unfollow", 1001))[-1].text


async def test_blocked_chat_loses_its_topics(harness: Harness, tmp_path: Path) -> None:
    await harness.send_text("/follow عدن", 1001)
    harness.request.fail("sendMessage", "403", chat_id=1001, times=None)
    await ingest_stream(harness, tmp_path / "a", count=3, special={0: ADEN[17]})
    run = await harness.deliver()
    assert run.blocked == [1001] and await harness.service.following(1001) == []
    assert len(harness.service.alerts.index) == 0


async def test_crash_mid_alert_then_restart(bot_settings: Settings, tmp_path: Path) -> None:
    async with Harness(bot_settings) as first:
        for chat in (1001, 1002):
            await first.send_text("/follow عدن", chat)
        await ingest_stream(first, tmp_path / "a", count=3, special={0: ADEN[17]})
        first.request.fail("sendMessage", "crash", chat_id=1002)
        with pytest.raises(SimulatedCrash):
            await first.deliver()
        assert len(first.request.sent(1001)) == 2  # the /follow reply and the alert
    async with Harness(bot_settings) as second:  # the restart: topics reloaded, the owed alert resumed
        assert len(second.service.alerts.index) == 2
        run = await second.deliver()
        assert run.alerts == 1 and "«وصول وفد حكومي إلى عدن»" in second.request.sent(1002)[-1].text
        assert second.request.sent(1001) == []
        assert (await second.deliver()).alerts == 0
        rows = await second.service.storage.topic_pushes()
        assert [(chat, status, attempts) for _, chat, status, attempts in rows] == [(1001, SENT, 1), (1002, SENT, 2)]


async def test_topic_followed_after_an_article_is_not_pushed_it(harness: Harness, tmp_path: Path) -> None:
    await ingest_stream(harness, tmp_path / "a", count=3, special={0: ADEN[17]})
    await harness.send_text("/follow عدن", 1001)
    assert (await harness.deliver()).alerts == 0
    assert BLOCKED not in {s for _, _, s, _ in await harness.service.storage.topic_pushes()}


async def test_a_chat_getting_every_article_is_not_alerted_twice(harness: Harness, tmp_path: Path) -> None:
    await harness.send_text("/follow عدن", 1001)
    await harness.send_text("/subscribe", 1001)
    await ingest_stream(harness, tmp_path / "a", count=2, special={0: ADEN[17]})
    run = await harness.deliver()
    assert run.sent == 2 and run.alerts == 0
    assert sum("«وصول وفد حكومي إلى عدن»" in c.text or "وصول وفد حكومي إلى عدن</b>" in c.text
               for c in harness.request.sent(1001)) == 1


async def test_menu_lists_the_new_commands_and_each_has_a_handler(harness: Harness) -> None:
    import json

    from telegram.ext import CommandHandler

    from bot.telegram.app import set_commands

    await set_commands(harness.application)
    [call] = [c for c in harness.request.calls if c.method == "setMyCommands"]
    value = call.params["commands"]
    menu = {c["command"] for c in (json.loads(value) if isinstance(value, str) else value)}
    assert {"follow", "following", "unfollow", "subscribe", "digest"} <= menu
    handled = {cmd for group in harness.application.handlers.values() for h in group
               if isinstance(h, CommandHandler) for cmd in h.commands}
    assert menu <= handled and {"addfeed", "feeds", "removefeed", "channel"} <= handled
    help_text = (await harness.send_text("/help", 1001))[-1].text
    assert all(f"/{command}" in help_text for command in menu)


async def test_topics_followed_through_another_worker_are_matched(harness: Harness, tmp_path: Path) -> None:
    # Another worker (or process) on the same database stores a follow this one never saw.
    topic_id, _ = await harness.service.storage.follow(1001, "عدن")
    assert topic_id not in harness.service.alerts.topics
    await ingest_stream(harness, tmp_path / "a", count=2, special={0: ADEN[17]})
    assert (await harness.deliver()).alerts == 1
    await harness.service.storage.unfollow(1001, topic_id)  # and drops it there
    await ingest_stream(harness, tmp_path / "b", count=2, seed=4, special={1: ADEN[48]})
    assert (await harness.deliver()).alerts == 0 and len(harness.service.alerts.index) == 0
