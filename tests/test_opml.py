"""OPML in and out: `newsbot ingest FILE.opml` follows every feed it lists (nested outlines included),
reporting added / already followed / refused with why; `newsbot feeds --opml` writes the list back;
malformed or hostile documents (entities, a billion laughs, external entities and DTDs, 10 MB, other
schemes) get a clear error and change nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from feedserver import FeedServer, feed_server  # noqa: F401 (fixture)

from bot.cli.main import main
from bot.intake.opml import MAX_OPML_BYTES, OPMLError, OPMLFeed, parse_opml, write_opml
from bot.settings import PROJECT_ROOT
from bot.storage import Storage


def outline(url: str, title: str = "خلاصة") -> str:
    return f'<outline type="rss" text="{title}" xmlUrl="{url}"/>'


def opml(*outlines: str, head: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{head}<opml version="2.0"><head><title>feeds</title></head>'
            f"<body>{''.join(outlines)}</body></opml>").encode("utf-8")


def three_feeds(server: FeedServer) -> bytes:
    """Three feeds: one at the top, one nested in folders, the first again, and one on file://."""
    return opml(
        outline(server.url("/rss.xml"), "وكالة أنباء الخليج"),
        '<outline text="أخبار"><outline text="صحف">' + outline(server.url("/atom.xml"), "صحيفة المشرق") + "</outline></outline>",
        outline(server.url("/rss.xml"), "مكررة"),
        outline("file:///etc/passwd", "ملف"),
    )


def env_for(database: Path) -> dict[str, str]:
    return {**os.environ, "NEWSBOT_DATABASE": str(database), "NEWSBOT_SEEDS_DIR": str(PROJECT_ROOT / "seeds"),
            "NEWSBOT_FETCH_TIMEOUT": "5", "PYTHONPATH": str(PROJECT_ROOT)}


def newsbot(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env_for(database), cwd=database.parent,
                          capture_output=True, text=True, timeout=120)


def test_ingest_opml_then_feeds_opml_round_trip(tmp_path: Path, feed_server: FeedServer) -> None:
    listed = tmp_path / "reader-export.opml"
    listed.write_bytes(three_feeds(feed_server))
    database = tmp_path / "one.sqlite3"
    done = newsbot(database, "ingest", str(listed))
    assert done.stdout.strip() == (
        f"newsbot ingest: {listed}: added 2, already followed 1, refused 1: file:///etc/passwd (not an http(s) URL)"
    ), done.stderr[-2000:]
    assert done.returncode == 1  # something was refused
    assert sorted(p for p, _ in feed_server.requests) == ["/atom.xml", "/rss.xml"]  # each checked once, nothing else
    table = newsbot(database, "feeds").stdout
    assert feed_server.url("/atom.xml") in table and "not polled by the bot" not in table

    exported = newsbot(database, "feeds", "--opml")
    assert exported.returncode == 0
    feeds = parse_opml(exported.stdout.encode("utf-8"))
    assert sorted(f.url for f in feeds) == [feed_server.url("/atom.xml"), feed_server.url("/rss.xml")]
    # Into a fresh database: the same list; into the first: all already followed.
    written = tmp_path / "out.opml"
    assert newsbot(database, "feeds", "--opml", str(written)).returncode == 0
    assert parse_opml(written.read_bytes()) == feeds
    other = tmp_path / "two.sqlite3"
    again = newsbot(other, "ingest", str(written))
    assert again.returncode == 0 and again.stdout.strip().endswith("added 2, already followed 0, refused 0")
    assert parse_opml(newsbot(other, "feeds", "--opml").stdout.encode()) == feeds
    same = newsbot(database, "ingest", str(written))
    assert same.stdout.strip().endswith("added 0, already followed 2, refused 0")


BILLION_LAUGHS = (
    '<!DOCTYPE opml [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


def hostile_documents(server: FeedServer) -> dict[str, bytes]:
    feed = server.url("/rss.xml")
    return {
        "billion laughs": opml(outline(feed, "&lol9;"), head=BILLION_LAUGHS),
        "internal entity": opml(outline("&feed;"), head=f'<!DOCTYPE opml [<!ENTITY feed "{feed}">]>'),
        "external entity": opml(outline(feed, "&xxe;"), head='<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
        "external DTD": opml(outline(feed), head=f'<!DOCTYPE opml SYSTEM "{server.url("/evil.dtd")}">'),
        "parameter entity": opml(outline(feed), head=(
            f'<!DOCTYPE opml [<!ENTITY % remote SYSTEM "{server.url("/evil.dtd")}"> %remote;]>')),
        "10 MB": opml(outline(feed), *(outline(f"https://example.org/{i}.xml") for i in range(200_000))),
        "malformed": opml(outline(feed))[:-20],
        "not OPML": server.fixture("rss.xml"),
        "not XML": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        "empty": b"",
        "no body": b'<opml version="2.0"><head/></opml>',
        "too many feeds": opml(*(f'<outline xmlUrl="https://e.org/{i}"/>' for i in range(5_001))),
    }


@pytest.mark.parametrize("case", ["billion laughs", "internal entity", "external entity", "external DTD",
                                  "parameter entity", "10 MB", "malformed", "not OPML", "not XML", "empty",
                                  "no body", "too many feeds"])
def test_hostile_opml_is_refused_and_changes_nothing(
    case: str, tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = hostile_documents(feed_server)[case]
    with pytest.raises(OPMLError):
        parse_opml(document)
    path = tmp_path / "hostile.opml"
    path.write_bytes(document)
    for key, value in env_for(tmp_path / "news.sqlite3").items():
        monkeypatch.setenv(key, value)
    assert main(["ingest", str(path)]) == 1
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"newsbot ingest: {path}: ") and out.endswith("; nothing changed"), out
    if case == "10 MB":
        assert len(document) > 10_000_000 and f"larger than {MAX_OPML_BYTES} bytes" in out
    if case in ("billion laughs", "internal entity", "external entity", "external DTD", "parameter entity"):
        assert "DTD or entities" in out
    assert feed_server.requests == []  # no feed checked, no DTD or entity fetched
    main(["feeds", "--opml"])
    assert parse_opml(capsys.readouterr().out.encode()) == []


def test_other_schemes_are_refused_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    schemes = ["file:///etc/passwd", "ftp://example.org/rss.xml", "javascript:alert(1)", "data:text/xml;base64,PHJzcy8+",
               "gopher://example.org/1", "feed://example.org/rss.xml", "/relative/rss.xml"]
    path = tmp_path / "schemes.opml"
    path.write_bytes(opml(*(outline(url) for url in schemes)))
    for key, value in env_for(tmp_path / "news.sqlite3").items():
        monkeypatch.setenv(key, value)
    assert main(["ingest", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"added 0, already followed 0, refused {len(schemes)}: " in out
    assert out.count("(not an http(s) URL)") == len(schemes)


async def test_parse_reads_nested_outlines_and_exporters_spellings() -> None:
    document = opml(
        '<outline text="A"><outline text="B"><outline text="C">'
        '<outline xmlurl="https://a.example/rss" title="عربي &amp; &lt;مُهرَّب&gt;"/></outline></outline></outline>',
        '<outline XMLURL="https://b.example/atom" text="بلا عنوان"/>',
        '<outline text="no feed here" htmlUrl="https://c.example/"/>',
    )
    assert parse_opml(document) == [OPMLFeed("https://a.example/rss", "عربي & <مُهرَّب>"),
                                    OPMLFeed("https://b.example/atom", "بلا عنوان")]
    feeds = [OPMLFeed("https://x.example/rss?a=1&b=2", 'عنوان "مقتبس" <و> &'), OPMLFeed("https://y.example/feed")]
    assert parse_opml(write_opml(feeds)) == [feeds[0], OPMLFeed("https://y.example/feed", "https://y.example/feed")]


async def test_import_checks_each_feed_like_addfeed(tmp_path: Path, feed_server: FeedServer) -> None:
    from bot.core.feed_admin import FeedAdmin
    from bot.settings import load_settings

    settings = load_settings(database=tmp_path / "n.sqlite3", fetch_timeout=2.0, feeds=[feed_server.url("/atom.xml")])
    async with await Storage.open(settings.database) as storage:
        admin = await FeedAdmin.load(storage, settings)
        document = opml(outline(feed_server.url("/atom.xml")), outline(feed_server.url("/status/404")),
                        outline(feed_server.url("/news/solar.html")), outline(feed_server.url("/rss.xml")))
        result = await admin.import_opml(document, 5, private_ok=True)
        assert result.added == [feed_server.url("/rss.xml")]
        assert result.followed == [feed_server.url("/atom.xml")]  # in NEWSBOT_FEEDS already
        assert result.refused == [(feed_server.url("/status/404"), "HTTP 404"),
                                  (feed_server.url("/news/solar.html"), "not an RSS or Atom feed")]
        assert await storage.added_feeds() == [feed_server.url("/rss.xml")]
        # From Telegram without NEWSBOT_ADMIN_PRIVATE_FEEDS, a loopback feed is refused, saying why.
        refused = await admin.import_opml(opml(outline(feed_server.url("/rss_b.xml"))), 5)
        assert refused.added == [] and "loopback" in refused.refused[0][1]
