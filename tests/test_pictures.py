"""The story's picture: read from the page (og:image, twitter:image) or the feed (an image enclosure,
media:content, media:thumbnail), held to the SSRF guard, stored with the article, and pushed with
sendPhoto and the push as caption; a picture Telegram refuses falls back to the text push, once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from feedserver import FeedServer, feed_server  # noqa: F401 (fixture)
from newspages import page_html, pages, rss

from retrieval import Article

from bot.intake.extract import extract_page
from bot.intake.feeds import parse_feed
from bot.intake.files import ingest_items
from bot.intake.fetch import AddressPolicy, FetchResult
from bot.intake.polling import vetted_image
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.storage import SENDING, SENT
from bot.telegram import render
from bot.telegram.jobs import poll_and_deliver
from bot.telegram.sending import NETWORK_TRIES
from bot.testing.fake_telegram import MAX_CAPTION, check_html
from bot.testing.harness import Harness

REFUSED = "Bad Request: wrong type of the web page content"
SENTENCES = ("بحث وزير النقل في جدة اليوم مشروع السكك الحديدية مع عدد من المسؤولين.",
             "وقال مصدر مطلع إن الاجتماع تناول الجدول الزمني للمرحلة الثانية من المشروع.")


def test_the_page_names_its_picture() -> None:
    base = "http://news.example.org/a/story.html"
    page = extract_page(page_html("عنوان", SENTENCES, image="/img/lead.jpg").decode(), base)
    assert page.image == "http://news.example.org/img/lead.jpg"  # made absolute against the page
    twitter = extract_page(page_html("عنوان", SENTENCES, image="https://cdn.example.org/t.png", meta="twitter:image").decode(), base)
    assert twitter.image == "https://cdn.example.org/t.png"
    for bad in ("javascript:alert(1)", "data:image/png;base64,AAAA", "file:///etc/passwd", "ftp://x.org/a.jpg"):
        assert extract_page(page_html("عنوان", SENTENCES, image=bad).decode(), base).image is None, bad
    assert extract_page(page_html("عنوان", SENTENCES).decode(), base).image is None


def test_the_feed_names_each_entry_picture() -> None:
    items = pages([None, None, None, None, None], prefix="f")
    base = "http://feed.example.org"
    extra = {
        items[0].path: '<enclosure url="http://feed.example.org/e.jpg" type="image/jpeg" length="100"/>',
        items[1].path: '<enclosure url="http://feed.example.org/pod.mp3" type="audio/mpeg" length="100"/>',
        items[2].path: '<media:content url="https://cdn.example.org/m.jpg" medium="image"/>',
        items[3].path: '<media:thumbnail url="https://cdn.example.org/th.jpg"/>',
        items[4].path: '<media:content url="javascript:alert(1)" medium="image"/>',
    }
    feed = parse_feed(FetchResult(url=base + "/rss.xml", status=200, content=rss(base, items, extra=extra),
                                  headers={"content-type": "application/rss+xml"}))
    assert feed is not None
    assert [e.image for e in feed.entries] == [
        "http://feed.example.org/e.jpg", None, "https://cdn.example.org/m.jpg", "https://cdn.example.org/th.jpg", None]


@pytest.mark.parametrize(("image", "kept"), [
    ("http://127.0.0.1/lead.jpg", False),
    ("http://10.0.0.7/lead.jpg", False),
    ("http://[::1]/lead.jpg", False),
    ("http://169.254.169.254/latest/meta-data", False),
    ("http://93.184.216.34/lead.jpg", True),  # a public address (IANA's example.com)
])
async def test_a_public_feed_cannot_name_a_private_picture(tmp_path: Path, image: str, kept: bool) -> None:
    settings = load_settings(database=tmp_path / "n.sqlite3", fetch_timeout=2.0)
    article = Article(id="a", title="t", sentences=("s.",), url="http://93.184.216.34/a", image=image)
    vetted = await vetted_image(article, AddressPolicy(origin_is_public=True), settings)
    assert (vetted.image == image) is kept and (vetted.image is None) is not kept
    # A feed on a private or loopback address (the operator's own) may name a picture there.
    assert (await vetted_image(article, AddressPolicy(origin_is_public=False), settings)).image == image


def settings_for(tmp_path: Path, server: FeedServer, database: Path | str) -> Settings:
    return load_settings(database=database, seeds_dir=PROJECT_ROOT / "seeds", telegram_token=None,
                         feeds=[server.url("/pics.xml")], fetch_timeout=2.0, max_age_days=None)


def serve(server: FeedServer, images: list[str | None]) -> list:
    """A feed of pages whose og:image is each of `images` (a path on the server, or none)."""
    items = pages([server.url(i) if i else None for i in images])
    for item in items:
        server.routes[item.path] = (200, {"Content-Type": "text/html; charset=utf-8"}, item.body)
    server.routes["/pics.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(server.base, items))
    return items


async def test_feed_articles_are_pushed_with_their_picture(
    tmp_path: Path, feed_server: FeedServer, database: Path | str
) -> None:
    ok, plain, refused = serve(feed_server, ["/img/ok.jpg", None, "/img/refused.html"])
    async with Harness(settings_for(tmp_path, feed_server, database), rate_limiter=False) as harness:
        harness.request.photo_refusals[feed_server.url("/img/refused.html")] = REFUSED
        for chat in (1001, 1002):
            await harness.send_text("/subscribe", chat)
        summary = await poll_and_deliver(harness.application.bot, harness.service)
        assert summary.added == 3
        for chat in (1001, 1002):
            [photo] = harness.request.photos(chat)
            assert photo.params["photo"] == feed_server.url("/img/ok.jpg")
            caption = photo.params["caption"]
            assert ok.title in caption and f'href="{feed_server.url(ok.path)}"' in caption
            assert photo.params["parse_mode"] == "HTML" and check_html(caption, MAX_CAPTION, caption=True) is None
            texts = [c.text for c in harness.request.sent(chat)]
            # The article without a picture, and the one whose picture was refused: text, once each.
            assert sum(plain.title in t for t in texts) == 1 and sum(refused.title in t for t in texts) == 1
            assert not any(ok.title in t for t in texts)
        # Refused once, never offered again: the second chat got the text straight away.
        tries = [c for c in harness.request.calls if c.method == "sendPhoto" and c.params["photo"].endswith("refused.html")]
        assert len(tries) == 1 and not tries[0].ok
        stored = {a.title: a for _, a in await harness.service.storage.all_articles()}
        assert stored[ok.title].image == feed_server.url("/img/ok.jpg")
        assert stored[refused.title].image is None and stored[plain.title].image is None
        delivered = await harness.service.storage.deliveries()
        assert len(delivered) == 6 and {status for *_, status, _ in delivered} == {SENT}
        # Nothing more: each article reached each chat once.
        calls = len(harness.request.calls)
        await harness.deliver()
        assert [c.method for c in harness.request.calls[calls:] if c.method in ("sendPhoto", "sendMessage")] == []


async def test_a_picture_that_fails_in_transit_is_tried_again_later(
    tmp_path: Path, feed_server: FeedServer, database: Path | str
) -> None:
    [item] = serve(feed_server, ["/img/ok.jpg"])
    async with Harness(settings_for(tmp_path, feed_server, database), rate_limiter=False) as harness:
        await harness.send_text("/subscribe", 1001)
        for _ in range(4):  # every try of the run: network trouble is not the picture's fault
            harness.request.fail("sendPhoto", "network", chat_id=1001)
        summary = await poll_and_deliver(harness.application.bot, harness.service)
        assert summary.added == 1 and harness.request.photos(1001) == []
        assert not any(item.title in c.text for c in harness.request.sent(1001))
        assert [status for *_, status, _ in await harness.service.storage.deliveries(1001)] == [SENDING]  # postponed
        await harness.deliver()
        [photo] = harness.request.photos(1001)
        assert item.title in photo.params["caption"] and photo.params["photo"] == feed_server.url("/img/ok.jpg")
        assert not any(item.title in c.text for c in harness.request.sent(1001))


def article(title: str, sentences: tuple[str, ...], source: str = "وكالة") -> Article:
    return Article(id="x", title=title, sentences=sentences, source=source, url="https://news.example.org/x",
                   image="https://news.example.org/x.jpg")


def test_the_caption_fits_telegram_limit_or_the_picture_is_skipped() -> None:
    long = article("عنوان " * 40, tuple("جملة طويلة جدا عن الأخبار " * 12 + "." for _ in range(3)))
    photo = render.push_photo(long)
    assert photo is not None and check_html(photo.caption, MAX_CAPTION, caption=True) is None
    assert render.visible_length(photo.caption) <= MAX_CAPTION
    assert "<blockquote>" in photo.caption and "…" in photo.caption  # the excerpt shortened to fit
    assert 'href="https://news.example.org/x"' in photo.caption
    # Astral characters count twice in Telegram's measure.
    emoji = render.push_photo(article("🌍" * 150, tuple("🌍 خبر " * 100 + "." for _ in range(2))))
    assert emoji is not None and check_html(emoji.caption, MAX_CAPTION, caption=True) is None
    # A stored source so long that the head alone overflows: text push, no picture.
    assert render.push_photo(article("عنوان", SENTENCES, source="م" * 1100)) is None
    assert render.push_photo(Article(id="y", title="t", sentences=SENTENCES)) is None


async def ingest_files(h: Harness, folder: Path, stories: list[tuple[str, str, str | None]]) -> None:
    """Article files with sidecars naming each one's picture (or none)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, (title, sentence, image) in enumerate(stories):
        name = f"{folder.name}{i}"  # an article's id is its file's name: one per folder
        (folder / f"{name}.txt").write_text(f"{sentence}\n{SENTENCES[0]}\n", encoding="utf-8")
        meta = {"title": title, "source": "وكالة", "url": f"https://news.example.org/{name}", "image": image}
        (folder / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    summary = await ingest_items(h.service.storage, [str(folder)], h.settings)
    assert summary.added == len(stories) and not summary.failed


async def test_a_topic_alert_carries_its_article_picture(harness: Harness, tmp_path: Path) -> None:
    await harness.send_text("/follow عدن", 1001)
    harness.request.photo_refusals["https://news.example.org/bad.jpg"] = "Bad Request: failed to get HTTP URL content"
    await ingest_files(harness, tmp_path / "a", [
        ("وصول وفد حكومي إلى عدن", "ووصل وفد حكومي رفيع إلى مدينة عدن مساء أمس لبحث ملف الكهرباء.",
         "https://news.example.org/aden.jpg")])
    assert (await harness.deliver()).alerts == 1
    [photo] = harness.request.photos(1001)
    assert photo.params["photo"] == "https://news.example.org/aden.jpg"
    assert "🔔" in photo.params["caption"] and "<b>عدن</b>" in photo.params["caption"]
    assert 'href="https://news.example.org/a0"' in photo.params["caption"]
    await ingest_files(harness, tmp_path / "b", [
        ("أمطار غزيرة في عدن", "وهطلت أمطار غزيرة على عدن وضواحيها طوال الليل.", "https://news.example.org/bad.jpg")])
    assert (await harness.deliver()).alerts == 1
    [alert] = [c for c in harness.request.sent(1001) if "🔔" in c.text]  # refused: the text alert, once
    assert "أمطار غزيرة" in alert.text and len(harness.request.photos(1001)) == 1
    [(_, article)] = [(r, a) for r, a in await harness.service.storage.all_articles() if a.title == "أمطار غزيرة في عدن"]
    assert article.image is None  # never offered again


async def test_file_sidecars_name_pictures_for_pushes(harness: Harness, tmp_path: Path) -> None:
    await harness.send_text("/subscribe", 1001)
    await ingest_files(harness, tmp_path / "news", [("خبر بصورة", SENTENCES[1], "https://news.example.org/p.jpg"),
                                                    ("خبر بصورة غير صالحة", SENTENCES[1], "ftp://news.example.org/p.jpg")])
    assert (await harness.deliver()).sent == 2
    [photo] = harness.request.photos(1001)
    assert "خبر بصورة" in photo.params["caption"] and photo.params["photo"] == "https://news.example.org/p.jpg"
    assert any("خبر بصورة غير صالحة" in c.text for c in harness.request.sent(1001))


async def test_a_digest_is_headed_by_its_top_story_picture_when_it_fits_a_caption(
    harness: Harness, tmp_path: Path
) -> None:
    await harness.send_text("/subscribe every 6", 1001)
    await ingest_files(harness, tmp_path / "a", [("خبر الصورة الأول", SENTENCES[1], "https://news.example.org/top.jpg")])
    await harness.send_text("/digest", 1001)
    [photo] = harness.request.photos(1001)
    assert photo.params["photo"] == "https://news.example.org/top.jpg"
    assert "🗞" in photo.params["caption"] and "خبر الصورة الأول" in photo.params["caption"]
    assert check_html(photo.params["caption"], MAX_CAPTION, caption=True) is None
    # A digest longer than a caption: text, the picture skipped (never two messages).
    # Twelve stories that share no words (so none are grouped), with long titles: > 1,024 characters in all.
    words = list(dict.fromkeys(w for w in (PROJECT_ROOT / "seeds").glob("*.txt").__next__().read_text("utf-8").split()
                               if len(w) > 3 and w.isalpha()))
    many = [(" ".join(words[i * 17:(i + 1) * 17]), " ".join(words[i * 17:(i + 1) * 17][::-1]) + ".",
             "https://news.example.org/top.jpg") for i in range(10)]
    assert len(set(many)) == 10 and all(len(title) > 100 for title, *_ in many)
    await ingest_files(harness, tmp_path / "b", many)
    calls = await harness.send_text("/digest", 1001)
    assert not any(c.method == "sendPhoto" for c in calls)  # not even tried
    assert any("🗞" in c.text for c in calls if c.method == "sendMessage")
    # A refused picture: the digest as text, in the same attempt.
    harness.request.photo_refusals["https://news.example.org/bad.jpg"] = REFUSED
    await ingest_files(harness, tmp_path / "c", [("خبر بصورة مرفوضة", SENTENCES[1], "https://news.example.org/bad.jpg")])
    calls = await harness.send_text("/digest", 1001)
    assert [c.ok for c in calls if c.method == "sendPhoto"] == [False]
    assert any("خبر بصورة مرفوضة" in c.text for c in calls if c.method == "sendMessage")


async def test_a_picture_that_keeps_failing_in_transit_gives_way_to_the_text(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    [item] = serve(feed_server, ["/img/slow.jpg"])
    async with Harness(settings_for(tmp_path, feed_server, tmp_path / "n.sqlite3"), rate_limiter=False) as harness:
        await harness.send_text("/subscribe", 1001)
        harness.request.fail("sendPhoto", "timeout", chat_id=1001, times=None)  # every time
        await poll_and_deliver(harness.application.bot, harness.service)  # run 1: postponed
        await harness.deliver()  # run 2: postponed
        assert not any(item.title in c.text for c in harness.request.sent(1001))
        await harness.deliver()  # run 3: the text
        assert sum(item.title in c.text for c in harness.request.sent(1001)) == 1
        assert len([c for c in harness.request.calls if c.method == "sendPhoto"]) == 2 * NETWORK_TRIES
        assert [status for *_, status, _ in await harness.service.storage.deliveries(1001)] == [SENT]


async def test_newsbot_ingest_of_a_page_keeps_its_picture(tmp_path: Path, feed_server: FeedServer) -> None:
    from bot.intake.polling import ingest_url
    from bot.storage import Storage

    [item] = serve(feed_server, ["/img/page.jpg"])
    settings = load_settings(database=tmp_path / "n.sqlite3", fetch_timeout=2.0, max_age_days=None)
    async with await Storage.open(settings.database) as storage:
        assert (await ingest_url(storage, feed_server.url(item.path), settings)).added == 1
        [(_, article)] = await storage.all_articles()
        assert article.title == item.title and article.image == feed_server.url("/img/page.jpg")
