"""Polling feeds into a real SQLite file from a real loopback server: dedupe, faults, backoff, status."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from feedserver import FeedServer, feed_server  # noqa: F401 (fixture)

from bot.intake import polling as feeds
from bot.intake.fetch import make_client
from bot.settings import Settings, load_settings
from bot.storage import Storage


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database": tmp_path / "news.sqlite3",
        "seeds_dir": tmp_path / "no-seeds",
        "fetch_timeout": 0.5,
        "fetch_max_bytes": 1_000_000,
        "feed_seconds": 600,
    }
    return load_settings(**(values | overrides))


@pytest.fixture
async def storage(tmp_path: Path):
    store = await Storage.open(tmp_path / "news.sqlite3")
    yield store
    await store.close()


async def poll(storage: Storage, server: FeedServer, path: str, settings: Settings, **kw: object) -> feeds.IngestSummary:
    async with make_client(settings.fetch_timeout) as client:
        return await feeds.poll_feed(storage, server.url(path), settings, client, **kw)  # type: ignore[arg-type]


async def test_rss_feed_is_ingested_then_not_modified(tmp_path: Path, storage: Storage, feed_server: FeedServer) -> None:
    settings = make_settings(tmp_path)
    summary = await poll(storage, feed_server, "/rss.xml", settings)
    assert (summary.added, summary.duplicates, summary.failed) == (3, 0, [])
    rows = await storage.all_articles()
    solar = next(a for _, a in rows if a.url == feed_server.url("/news/solar.html"))
    assert solar.title == "افتتاح محطة للطاقة الشمسية في تبوك بقدرة 500 ميغاواط"
    assert solar.source == "وكالة أنباء الخليج"
    assert solar.published == datetime(2026, 11, 27, 6, 30, tzinfo=timezone.utc)
    assert solar.sentences[0].startswith("افتتحت وزارة الطاقة") and len(solar.sentences) >= 4
    assert [link.url for link in solar.related][:2] == [feed_server.url("/news/books.html"), feed_server.url("/news/tram.html")]
    state = await storage.feed_state(feed_server.url("/rss.xml"))
    assert state is not None and state.etag and state.last_modified and state.articles == 3
    assert state.title == "وكالة أنباء الخليج" and state.last_error is None

    again = await poll(storage, feed_server, "/rss.xml", settings)
    assert (again.added, again.duplicates, again.failed) == (0, 0, [])
    last_path, last_headers = feed_server.requests[-1]
    assert last_path == "/rss.xml" and last_headers["if-none-match"] == state.etag
    assert feed_server.hits("/news/solar.html") == 1
    assert await storage.article_count() == 3


async def test_atom_feed_without_etag_repeating_entries_stores_once(
    tmp_path: Path, storage: Storage, feed_server: FeedServer
) -> None:
    settings = make_settings(tmp_path)
    first = await poll(storage, feed_server, "/atom.xml", settings)
    assert (first.added, first.failed) == (2, [])
    for _ in range(2):
        again = await poll(storage, feed_server, "/atom.xml", settings)
        assert (again.added, again.duplicates, again.failed) == (0, 2, [])
    assert "if-none-match" not in feed_server.requests[-1][1]
    # Entries already looked at are not fetched again.
    assert feed_server.hits("/news/water.html") == 1 and feed_server.hits("/news/dates.html") == 1
    assert await storage.article_count() == 2
    water = next(a for _, a in await storage.all_articles() if a.url.endswith("/news/water.html"))
    # The windows-1256 page came through as Arabic text.
    assert water.sentences[0].startswith("وقعت الحكومة الأردنية الأربعاء") and water.source == "صحيفة المشرق"


async def test_same_story_in_two_feeds_is_stored_once(tmp_path: Path, storage: Storage, feed_server: FeedServer) -> None:
    settings = make_settings(tmp_path)
    summary = await feeds.poll_feeds(storage, [feed_server.url(p) for p in ("/rss.xml", "/atom.xml", "/rss_b.xml")], settings)
    # rss_b repeats tram (same link), dates through a tracking URL (same canonical) and a republished
    # copy of dates at another address (same content hash): none is stored again.
    assert (summary.added, summary.duplicates, summary.failed) == (5, 3, [])
    assert await storage.article_count() == 5
    assert feed_server.hits("/news/dates.html?utm_source=rss_b") == 0
    assert feed_server.hits("/news/dates-copy.html") == 1
    state = await storage.feed_state(feed_server.url("/rss_b.xml"))
    assert state is not None and state.articles == 0 and state.last_error is None


async def test_every_page_fault_is_logged_and_counted(
    tmp_path: Path, storage: Storage, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    caplog.set_level(logging.INFO, logger="bot")
    summary = await poll(storage, feed_server, "/faults.xml", settings)
    reasons = dict(summary.failed)
    assert reasons == {
        feed_server.url("/status/404"): "HTTP 404",
        feed_server.url("/status/500"): "HTTP 500",
        feed_server.url("/slow"): "no complete answer within 0.5 s",
        feed_server.url("/huge"): "larger than 1000000 bytes",
        feed_server.url("/news/empty.html"): "no article text on the page and no summary in the feed",
    }
    # The redirect lands on the solar story; the empty page with a summary falls back to it.
    assert summary.added == 2
    stored = {a.url: a for _, a in await storage.all_articles()}
    assert set(stored) == {feed_server.url("/news/solar.html"), feed_server.url("/news/empty.html?id=2")}
    vaccine = stored[feed_server.url("/news/empty.html?id=2")]
    assert vaccine.title == "بيان وزارة الصحة حول حملة التطعيم" and vaccine.sentences[0].startswith("أعلنت وزارة الصحة")
    for url, why in reasons.items():
        assert any(url in r.getMessage() and why in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    # Failed pages are retried on later polls, and given up after MAX_ENTRY_ATTEMPTS.
    for _ in range(feeds.MAX_ENTRY_ATTEMPTS - 1):
        again = await poll(storage, feed_server, "/faults.xml", settings)
        assert len(again.failed) == 5 and again.added == 0
    assert feed_server.hits("/status/404") == feeds.MAX_ENTRY_ATTEMPTS
    final = await poll(storage, feed_server, "/faults.xml", settings)
    assert (final.added, final.failed) == (0, []) and feed_server.hits("/status/404") == feeds.MAX_ENTRY_ATTEMPTS
    assert await storage.article_count() == 2
    # Nothing half-written: every stored article has its sentences.
    assert all(a.sentences for _, a in await storage.all_articles())


async def test_a_two_sentence_brief_is_an_article_and_a_one_line_stub_is_not(
    tmp_path: Path, storage: Storage, feed_server: FeedServer
) -> None:
    # Neither entry has a summary to fall back to: the page alone decides.
    summary = await poll(storage, feed_server, "/briefs.xml", make_settings(tmp_path))
    assert summary.added == 1
    assert summary.failed == [(feed_server.url("/news/stub.html"), "no article text on the page and no summary in the feed")]
    ((_, brief),) = await storage.all_articles()
    assert brief.url == feed_server.url("/news/brief.html") and brief.title == "مستشفى جديد في الزرقاء"
    assert len(" ".join(brief.sentences)) < 150  # under the old threshold
    assert brief.sentences == (
        "أعلنت وزارة الصحة الأحد افتتاح مستشفى جديد في مدينة الزرقاء بسعة مئتين وخمسين سريرا.",
        "ويبدأ المستشفى استقبال المرضى مطلع الشهر المقبل.",
    )


async def test_broken_feeds_back_off_and_never_stop_the_others(
    tmp_path: Path, storage: Storage, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    urls = [feed_server.url(p) for p in ("/malformed.xml", "/status/500", "/news/solar.html", "/rss.xml")]
    summary = await feeds.poll_feeds(storage, urls, settings)
    assert summary.added == 3
    reasons = dict(summary.failed)
    assert reasons.pop(urls[0]).startswith("malformed feed XML: <unknown>:4:1: not well-formed")
    assert reasons == {urls[1]: "HTTP 500", urls[2]: "not an RSS or Atom feed"}
    assert any("feed " + urls[0] + " failed (1 in a row" in r.getMessage() for r in caplog.records)
    state = await storage.feed_state(urls[1])
    assert state is not None and state.consecutive_errors == 1 and state.next_attempt and state.last_error == "HTTP 500"
    hits = feed_server.hits("/status/500")
    # Within the backoff the broken feed is not asked again; the good one still is.
    await feeds.poll_feeds(storage, urls, settings)
    assert feed_server.hits("/status/500") == hits and feed_server.hits("/rss.xml") == 2
    # Once the feed is fixed, a success clears the error count.
    feed_server.routes["/status/500"] = (200, {"Content-Type": "application/rss+xml"}, feed_server.fixture("atom.xml"))
    recovered = await poll(storage, feed_server, "/status/500", settings, force=True)
    assert recovered.added == 2
    state = await storage.feed_state(urls[1])
    assert state is not None and state.consecutive_errors == 0 and state.last_error is None


def test_backoff_doubles_and_is_capped(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, feed_seconds=600)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    delays = [datetime.fromisoformat(feeds.backoff_until(n, settings, now)) - now for n in (1, 2, 3, 4, 10)]
    assert delays == [timedelta(seconds=s) for s in (300, 900, 2100, 4500, 6 * 3600 - 300)]


async def test_windows_1256_feed_and_max_age(tmp_path: Path, storage: Storage, feed_server: FeedServer) -> None:
    now = datetime.now(timezone.utc)
    items = []
    for key, age in (("solar", timedelta(hours=1)), ("tram", timedelta(days=10))):
        items.append(
            f"<item><title>خبر {key}</title><link>{feed_server.url(f'/news/{key}.html')}</link>"
            f"<pubDate>{format_datetime(now - age)}</pubDate></item>"
        )
    body = (
        '<?xml version="1.0" encoding="windows-1256"?><rss version="2.0"><channel><title>أخبار عمّان</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode("cp1256")
    feed_server.routes["/cp1256.xml"] = (200, {"Content-Type": "application/rss+xml"}, body)
    settings = make_settings(tmp_path, max_age_days=2)
    summary = await poll(storage, feed_server, "/cp1256.xml", settings)
    assert (summary.added, summary.failed) == (1, [])
    (_, article), = await storage.all_articles()
    assert article.source == "أخبار عمّان" and article.title == "خبر solar"
    # The old entry was not even fetched.
    assert feed_server.hits("/news/tram.html") == 0


async def test_ingest_url_takes_a_page_or_a_feed(tmp_path: Path, storage: Storage, feed_server: FeedServer) -> None:
    settings = make_settings(tmp_path)
    page = await feeds.ingest_url(storage, feed_server.url("/news/books.html"), settings)
    assert (page.added, page.failed) == (1, [])
    again = await feeds.ingest_url(storage, feed_server.url("/news/books.html?utm_source=x"), settings)
    assert (again.added, again.duplicates) == (0, 1)
    feed = await feeds.ingest_url(storage, feed_server.url("/rss.xml"), settings)
    assert (feed.added, feed.duplicates, feed.failed) == (2, 1, [])
    missing = await feeds.ingest_url(storage, feed_server.url("/status/404"), settings)
    assert missing.failed == [(feed_server.url("/status/404"), "HTTP 404")]
    assert await storage.feed_state(feed_server.url("/status/404")) is None  # not known to be a feed
    followed = make_settings(tmp_path, feeds=[feed_server.url("/status/503")])
    await feeds.ingest_url(storage, feed_server.url("/status/503"), followed)
    state = await storage.feed_state(feed_server.url("/status/503"))
    assert state is not None and state.last_error == "HTTP 503"
    empty = await feeds.ingest_url(storage, feed_server.url("/news/empty.html"), settings)
    assert empty.failed == [(feed_server.url("/news/empty.html"), "no article text on the page and no summary in the feed")]
    broken = await feeds.ingest_url(storage, feed_server.url("/malformed.xml"), settings)
    assert broken.failed[0][1].startswith("malformed feed XML")
    assert await storage.article_count() == 3
    # A feed given to `ingest` is remembered, so `newsbot feeds` shows it.
    assert {s.url for s in await storage.feed_states()} == {
        feed_server.url(p) for p in ("/rss.xml", "/malformed.xml", "/status/503")
    }


def test_cli_ingest_and_feeds_print_a_summary_and_a_table(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.main import main

    monkeypatch.setenv("NEWSBOT_DATABASE", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setenv("NEWSBOT_SEEDS_DIR", str(tmp_path / "no-seeds"))
    monkeypatch.setenv("NEWSBOT_FEEDS", f'["{feed_server.url("/atom.xml")}", "{feed_server.url("/status/404")}"]')
    assert main(["ingest", feed_server.url("/rss.xml"), feed_server.url("/status/500")]) == 1
    out = capsys.readouterr().out
    assert f"added 3, duplicates 0, failed 1: {feed_server.url('/status/500')} (HTTP 500)" in out
    assert main(["feeds"]) == 0
    table = capsys.readouterr().out
    assert "ARTICLES  LAST FETCH (UTC)" in table
    assert f"{feed_server.url('/rss.xml')} — وكالة أنباء الخليج  [not in NEWSBOT_FEEDS" in table
    assert feed_server.url("/atom.xml") in table and "not polled yet" in table
    assert "3 feeds, 3 articles from feeds" in table


async def test_failure_while_storing_entries_keeps_the_old_validators(
    tmp_path: Path, storage: Storage, feed_server: FeedServer
) -> None:
    """A crash mid-feed (here: the database refusing one insert) must not save the feed's new ETag and
    Last-Modified: the next poll would get 304 and the unstored entries would be lost for good."""
    import sqlite3

    settings = make_settings(tmp_path)
    other = sqlite3.connect(tmp_path / "news.sqlite3", isolation_level=None)
    other.execute("CREATE TRIGGER refuse_tram BEFORE INSERT ON articles WHEN NEW.url LIKE '%/tram.html'"
                  " BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END")
    with pytest.raises(sqlite3.IntegrityError):
        await poll(storage, feed_server, "/rss.xml", settings)
    other.execute("DROP TRIGGER refuse_tram")
    other.close()
    state = await storage.feed_state(feed_server.url("/rss.xml"))
    assert state is None or state.etag is None
    again = await poll(storage, feed_server, "/rss.xml", settings)
    urls = {a.url for _, a in await storage.all_articles()}
    assert feed_server.url("/news/tram.html") in urls and len(urls) == 3
    assert again.added == 1
