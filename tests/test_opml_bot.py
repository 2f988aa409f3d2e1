"""OPML from Telegram: an admin's OPML document (in private, or with /addfeed as its caption or in reply
to it) has its feeds followed, with a report; /feeds offers the list as an OPML file; hostile or
oversized documents, and anyone but an admin, change nothing."""

from __future__ import annotations

from pathlib import Path

from feedserver import FeedServer, feed_server  # noqa: F401 (fixture)
from test_opml import hostile_documents, opml, outline, three_feeds

from bot.intake.opml import MAX_OPML_BYTES, parse_opml
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.telegram import texts
from bot.telegram.render_admin import CALLBACK_FEEDS_OPML
from bot.testing.harness import Harness

ADMIN, MEMBER, GROUP = 1001, 2002, -3003


def settings_for(tmp_path: Path, private_feeds: bool = True) -> Settings:
    return load_settings(
        database=tmp_path / "state" / "newsbot.sqlite3", seeds_dir=PROJECT_ROOT / "seeds", telegram_token=None,
        admin_ids=[ADMIN], admin_private_feeds=private_feeds, fetch_timeout=2.0, max_age_days=None, feeds=[],
    )


def said(calls: list) -> str:
    return "\n".join(c.text for c in calls if c.method == "sendMessage")


async def test_admin_sends_an_opml_file_and_gets_it_back_from_feeds(tmp_path: Path, feed_server: FeedServer) -> None:
    async with Harness(settings_for(tmp_path)) as harness:
        reply = said(await harness.send_document(three_feeds(feed_server), "subscriptions.opml", ADMIN))
        assert texts.OPML_IMPORTED.format(added=2, followed=1, refused=1) in reply
        assert "file:///etc/passwd — not an http(s) URL" in reply
        followed = {feed_server.url("/rss.xml"), feed_server.url("/atom.xml")}
        assert set(await harness.service.storage.added_feeds()) == followed

        listing = await harness.send_text("/feeds", ADMIN)
        [button] = [b for row in listing[-1].reply_markup["inline_keyboard"] for b in row]
        assert button["callback_data"] == CALLBACK_FEEDS_OPML
        calls = await harness.press_button(CALLBACK_FEEDS_OPML, ADMIN)
        [sent] = [c for c in calls if c.method == "sendDocument"]
        name, data = sent.params["files"]["document"]
        assert name.endswith(".opml") and {f.url for f in parse_opml(data)} == followed
        # Sent back, it changes nothing: every feed is followed already.
        again = said(await harness.send_document(data, name, ADMIN))
        assert texts.OPML_IMPORTED.format(added=0, followed=2, refused=0) in again


async def test_addfeed_with_an_opml_file_in_a_group_and_in_reply(tmp_path: Path, feed_server: FeedServer) -> None:
    async with Harness(settings_for(tmp_path)) as harness:
        document = opml(outline(feed_server.url("/rss.xml")))
        # A member's file is not imported, whatever its caption; the admin's is.
        refused = await harness.send_document(document, "f.opml", GROUP, caption="/addfeed", chat_type="group",
                                              user_id=MEMBER)
        assert texts.ADMINS_ONLY in said(refused) and await harness.service.storage.added_feeds() == []
        # Without the caption, a file in a group is people sharing files: no reply at all; nor for
        # another bot's command.
        assert await harness.send_document(document, "f.opml", GROUP, chat_type="group", user_id=ADMIN) == []
        assert await harness.send_document(document, "f.opml", GROUP, caption="/addfeed@other_bot", chat_type="group",
                                           user_id=ADMIN) == []
        assert await harness.service.storage.added_feeds() == []
        done = await harness.send_document(document, "f.opml", GROUP, caption="/addfeed", chat_type="group",
                                           user_id=ADMIN)
        assert texts.OPML_IMPORTED.format(added=1, followed=0, refused=0) in said(done)
        # /addfeed in reply to a file sent earlier.
        file_id = "BQAC-earlier"
        harness.request.files[file_id] = opml(outline(feed_server.url("/atom.xml")))
        earlier = harness.message(ADMIN, document={"file_id": file_id, "file_unique_id": "u", "file_name": "x.opml"})
        replied = await harness.send_text("/addfeed", ADMIN, reply_to_message=earlier)
        assert texts.OPML_IMPORTED.format(added=1, followed=0, refused=0) in said(replied)
        assert len(await harness.service.storage.added_feeds()) == 2


async def test_members_files_and_other_documents_are_not_imported(tmp_path: Path, feed_server: FeedServer) -> None:
    async with Harness(settings_for(tmp_path)) as harness:
        member = await harness.send_document(three_feeds(feed_server), "f.opml", MEMBER)
        assert texts.NON_TEXT in said(member) and not any(c.method == "getFile" for c in member)
        pdf = await harness.send_document(b"%PDF-1.4", "report.pdf", ADMIN, mime_type="application/pdf")
        assert texts.NON_TEXT in said(pdf)
        assert await harness.service.storage.added_feeds() == [] and feed_server.requests == []
        pressed = await harness.press_button(CALLBACK_FEEDS_OPML, MEMBER)
        assert [c.params.get("text") for c in pressed if c.method == "answerCallbackQuery"] == [texts.ADMINS_ONLY]
        assert not any(c.method == "sendDocument" for c in harness.request.calls)


async def test_hostile_and_oversized_files_change_nothing(tmp_path: Path, feed_server: FeedServer) -> None:
    async with Harness(settings_for(tmp_path)) as harness:
        for case, document in hostile_documents(feed_server).items():
            if case == "10 MB":
                continue
            reply = said(await harness.send_document(document, f"{case}.opml", ADMIN))
            assert texts.OPML_INVALID.split(":")[0] in reply, case
        # Telegram says how large a file is: one too large is not even downloaded.
        calls = await harness.send_document(hostile_documents(feed_server)["10 MB"], "big.opml", ADMIN)
        assert texts.OPML_TOO_LARGE.format(kb=MAX_OPML_BYTES // 1000) in said(calls)
        assert not any(c.method in ("getFile", "download") for c in calls)
        # A file that claims to be small but is not: refused after the download, unchanged too.
        calls = await harness.send_document(hostile_documents(feed_server)["10 MB"], "lies.opml", ADMIN, file_size=10)
        assert texts.OPML_INVALID.format(reason=f"the file is larger than {MAX_OPML_BYTES // 1000} KB") in said(calls)
        assert await harness.service.storage.added_feeds() == [] and feed_server.requests == []


async def test_loopback_feeds_from_telegram_need_the_private_feeds_setting(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    async with Harness(settings_for(tmp_path, private_feeds=False)) as harness:
        reply = said(await harness.send_document(three_feeds(feed_server), "f.opml", ADMIN))
        assert texts.OPML_IMPORTED.format(added=0, followed=1, refused=3) in reply and "loopback" in reply
        assert await harness.service.storage.added_feeds() == [] and feed_server.requests == []
