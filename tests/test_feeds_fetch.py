"""bot.fetch and bot.extract against a real loopback server: decoding, faults, extraction."""

from __future__ import annotations

import pytest
from feedserver import HUGE_BYTES, FeedServer, feed_server  # noqa: F401 (fixture)

from bot.intake import fetch
from bot.intake.extract import NoArticleError, article_id_for, build_page_article, extract_page, normalize_url


async def get(server: FeedServer, path: str, **kw: object) -> fetch.FetchResult:
    async with fetch.make_client(timeout=2.0) as client:
        return await fetch.fetch(client, server.url(path), **kw)  # type: ignore[arg-type]


async def test_utf8_page_is_fetched_decoded_and_extracted(feed_server: FeedServer) -> None:
    result = await get(feed_server, "/news/solar.html")
    assert result.status == 200 and "Mozilla/5.0" in feed_server.requests[-1][1]["user-agent"]
    page = extract_page(result.text(), result.url)
    assert page.url == feed_server.url("/news/solar.html")
    assert page.title == "افتتاح محطة للطاقة الشمسية في تبوك بقدرة 500 ميغاواط"
    lines = page.text.splitlines()
    assert lines[0].startswith("افتتحت وزارة الطاقة صباح الجمعة") and len(lines) == 4
    # Chrome stays out of the body: menu, most-read box, cookie notice, related headlines.
    for chrome in ("الأكثر قراءة", "ملفات تعريف الارتباط", "ارتفاع أسعار الذهب", "اقرأ أيضاً", "الرئيسية"):
        assert chrome not in page.text
    assert page.published is not None and page.published.isoformat() == "2026-11-27T09:30:00+03:00"
    assert [r["url"] for r in page.related] == [feed_server.url("/news/books.html"), feed_server.url("/news/tram.html")]


async def test_windows_1256_page_declared_only_in_meta(feed_server: FeedServer) -> None:
    result = await get(feed_server, "/news/water.html")
    assert "charset" not in result.content_type
    page = extract_page(result.text(), result.url)
    assert "وقعت الحكومة الأردنية الأربعاء اتفاقية" in page.text
    assert page.title == "الأردن يوقع اتفاقية مشروع تحلية مياه العقبة"


async def test_windows_1256_page_with_no_declaration_is_detected(feed_server: FeedServer) -> None:
    result = await get(feed_server, "/news/books-1256.html")
    with pytest.raises(UnicodeDecodeError):
        result.content.decode("utf-8")
    assert "أعلنت إدارة معرض أسوان الدولي للكتاب" in result.text()


def test_decode_order_and_failure() -> None:
    arabic = "خبر عاجل من عمّان".encode("cp1256")
    assert fetch.decode(arabic, "text/html; charset=windows-1256") == "خبر عاجل من عمّان"
    assert fetch.decode(b'<?xml version="1.0" encoding="windows-1256"?><a>' + arabic + b"</a>").endswith("عمّان</a>")
    # A wrong declaration (UTF-8 claimed, windows-1256 sent) falls through to detection.
    assert "عاجل" in fetch.decode(b"<meta charset='utf-8'><p>" + arabic * 20 + b"</p>", "text/html")
    assert fetch.declared_encodings(b"\xef\xbb\xbf<p>", "text/html; charset=utf-8") == ["utf-8-sig", "utf-8"]


async def test_redirects_are_followed_and_bounded(feed_server: FeedServer) -> None:
    result = await get(feed_server, "/redirect/solar")
    assert result.url == feed_server.url("/news/solar.html")
    with pytest.raises(fetch.TooManyRedirectsError):
        await get(feed_server, "/loop")


@pytest.mark.parametrize("status", [404, 500, 403])
async def test_error_status_is_a_typed_error(feed_server: FeedServer, status: int) -> None:
    with pytest.raises(fetch.HTTPStatusError) as caught:
        await get(feed_server, f"/status/{status}")
    assert caught.value.status == status and str(caught.value) == f"HTTP {status}"


async def test_slow_server_times_out(feed_server: FeedServer) -> None:
    async with fetch.make_client(timeout=0.3) as client:
        with pytest.raises(fetch.FetchTimeoutError):
            await fetch.fetch(client, feed_server.url("/slow"))


async def test_huge_page_is_cut_off_without_downloading_it(feed_server: FeedServer) -> None:
    with pytest.raises(fetch.TooLargeError):
        await get(feed_server, "/huge", max_bytes=1_000_000)
    # The server saw the connection close long before its 50 MB were written.
    assert feed_server.huge_sent < HUGE_BYTES // 2
    with pytest.raises(fetch.TooLargeError):
        await get(feed_server, "/huge-declared", max_bytes=1_000_000)


async def test_connection_refused_and_bad_urls_are_typed(feed_server: FeedServer) -> None:
    with pytest.raises(fetch.FetchError):
        await get(feed_server, "/x", etag=None)  # 404 from the file route
    async with fetch.make_client(timeout=1.0) as client:
        with pytest.raises(fetch.NetworkError):
            await fetch.fetch(client, "http://127.0.0.1:9/closed")
        with pytest.raises(fetch.FetchError):
            await fetch.fetch(client, "ftp://127.0.0.1/file")


async def test_conditional_get_gives_304(feed_server: FeedServer) -> None:
    first = await get(feed_server, "/rss.xml")
    assert first.etag and first.last_modified
    second = await get(feed_server, "/rss.xml", etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.content == b""
    assert feed_server.requests[-1][1]["if-none-match"] == first.etag
    assert feed_server.requests[-1][1]["if-modified-since"] == first.last_modified


async def test_page_without_article_falls_back_to_summary_or_fails(feed_server: FeedServer) -> None:
    result = await get(feed_server, "/news/empty.html")
    page = extract_page(result.text(), result.url)
    assert page.text == ""
    with pytest.raises(NoArticleError):
        build_page_article(page, link=result.url, source="x", entry_title="صفحة بلا مقال")
    summary = "<p>أعلنت وزارة الصحة إطلاق حملة التطعيم الموسمية ضد الإنفلونزا في جميع المراكز الصحية.</p><p>وتستمر الحملة ستة أسابيع.</p>"
    article = build_page_article(page, link=result.url, source="وزارة", entry_title="حملة التطعيم", entry_summary=summary)
    assert article.sentences[0].startswith("أعلنت وزارة الصحة") and article.title == "حملة التطعيم"
    assert article.url == result.url and article.source == "وزارة"


def test_canonical_urls_and_ids() -> None:
    assert normalize_url("HTTP://Example.com/a?utm_source=x&id=3#top") == "http://example.com/a?id=3"
    assert article_id_for("http://example.com/a?utm_medium=rss") == article_id_for("http://EXAMPLE.com/a")
    # A canonical on another site is not trusted.
    html = '<html><head><link rel="canonical" href="https://other.org/story"></head><body></body></html>'
    assert extract_page(html, "https://news.example.com/s/1").url == "https://news.example.com/s/1"
    html = '<html><head><link rel="canonical" href="/s/1?utm_source=tw"></head><body></body></html>'
    assert extract_page(html, "https://www.example.com/amp/s/1").url == "https://www.example.com/s/1"
