"""SSRF guard: URLs from fetched content (entry links, redirect hops) may not steer the bot inside.

A public feed cannot be served from this sandbox, so the address classes are checked on the policy
directly, and the end-to-end cases run on the loopback fixture server with the feed's origin declared
public the way poll_feed would derive it for a feed on a public address.
"""

from __future__ import annotations

import ipaddress
import socket
import logging
from pathlib import Path

import pytest
from feedserver import FeedServer, feed_server  # noqa: F401 (fixture)

from bot.intake import polling as feeds
from bot.intake.fetch import AddressPolicy, BlockedAddressError, FetchError, fetch, is_public_address, make_client
from bot.settings import Settings, load_settings
from bot.storage import Storage

PUBLIC = AddressPolicy(origin_is_public=True)
PRIVATE_ORIGIN = AddressPolicy(origin_is_public=False)


def make_settings(tmp_path: Path) -> Settings:
    return load_settings(
        database=tmp_path / "news.sqlite3",
        seeds_dir=tmp_path / "no-seeds",
        fetch_timeout=2.0,
        fetch_max_bytes=1_000_000,
        feed_seconds=600,
    )


@pytest.fixture
async def storage(tmp_path: Path):
    store = await Storage.open(tmp_path / "news.sqlite3")
    yield store
    await store.close()


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("127.8.9.10", False),
        ("10.0.0.1", False),
        ("10.255.255.53", False),
        ("172.16.0.1", False),
        ("172.31.255.254", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("169.254.0.1", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("192.0.2.10", False),  # documentation
        ("198.18.0.1", False),  # benchmarking
        ("224.0.0.1", False),  # multicast
        ("239.255.255.250", False),
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fe80::1", False),
        ("ff02::1", False),  # multicast
        ("ff0e::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:169.254.169.254", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("2002:a00:1::", False),  # 6to4 wrapping 10.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("172.32.0.1", True),
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("93.184.216.34", True),
        ("::ffff:8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("2001:4860:4860::8888", True),
        ("2002:808:808::", True),  # 6to4 wrapping 8.8.8.8
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
    ],
)
def test_address_classes(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/x", "127.0.0.1 is a loopback address"),
        ("http://127.1/", "(127.0.0.1) is a loopback address"),  # short form, resolved like the connection would
        ("http://2130706433/", "(127.0.0.1) is a loopback address"),  # decimal form
        ("http://localhost/", "localhost (127.0.0.1) is a loopback address|localhost (::1) is a loopback address"),
        ("http://[::1]:8080/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "is a loopback address"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://192.168.0.1/admin", "192.168.0.1 is a private address"),
        ("http://0.0.0.0:8000/", "0.0.0.0 is an unspecified address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[fd00::1]/", "fd00::1 is a private address"),
        ("ftp://8.8.8.8/file", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("gopher://8.8.8.8:70/", "not an http(s) URL"),
    ],
)
async def test_public_origin_refuses_non_public_addresses_and_other_schemes(url: str, reason: str) -> None:
    with pytest.raises(BlockedAddressError) as caught:
        await PUBLIC.check(url)
    message = str(caught.value)
    assert any(r in message for r in reason.split("|")), message
    assert "\n" not in message and message.startswith("refused: ")


async def test_what_each_policy_lets_through() -> None:
    # IP literals resolve without DNS and nothing is connected to.
    await PUBLIC.check("http://8.8.8.8/news/1.html")
    await PUBLIC.check("https://[2606:4700:4700::1111]/")
    for url in ("http://127.0.0.1:9/x", "http://169.254.169.254/", "http://[::1]/", "http://localhost/"):
        await PRIVATE_ORIGIN.check(url)
    with pytest.raises(BlockedAddressError):
        await PRIVATE_ORIGIN.check("ftp://127.0.0.1/file")  # http(s) only, whatever the origin


async def test_the_origin_policy_follows_the_operator_url_address() -> None:
    assert (await AddressPolicy.for_origin("http://127.0.0.1:8080/rss.xml")).origin_is_public is False
    assert (await AddressPolicy.for_origin("http://localhost/rss.xml")).origin_is_public is False
    assert (await AddressPolicy.for_origin("http://[::1]/rss.xml")).origin_is_public is False
    assert (await AddressPolicy.for_origin("http://192.168.1.20/rss.xml")).origin_is_public is False
    assert (await AddressPolicy.for_origin("https://8.8.8.8/rss.xml")).origin_is_public is True
    # Anything unclear is treated as public: the strict side.
    assert (await AddressPolicy.for_origin("http://[::1/broken")).origin_is_public is True


async def test_loopback_feed_may_link_to_loopback_pages(tmp_path: Path, storage: Storage, feed_server: FeedServer) -> None:
    async with make_client(2.0) as client:
        summary = await feeds.poll_feed(storage, feed_server.url("/rss.xml"), make_settings(tmp_path), client)
    assert (summary.added, summary.failed) == (3, [])
    # An operator-given loopback URL may also redirect on loopback.
    async with make_client(2.0) as client:
        result = await fetch(client, feed_server.url("/redirect/solar"))
    assert result.url == feed_server.url("/news/solar.html")


async def test_redirect_to_a_non_http_scheme_is_refused(
    tmp_path: Path, storage: Storage, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    feed_server.routes["/to-file"] = (302, {"Location": "file:///etc/passwd"}, b"")
    feed_server.routes["/to-ftp"] = (301, {"Location": "ftp://127.0.0.1/pub/news.html"}, b"")
    async with make_client(2.0) as client:
        for path in ("/to-file", "/to-ftp"):
            with pytest.raises(BlockedAddressError, match="not an http\\(s\\) URL"):
                await fetch(client, feed_server.url(path))  # even from an operator-given loopback URL
    # The same hops behind a loopback feed's entry links: counted failures, logged, the feed goes on.
    items = "".join(
        f"<item><title>{n}</title><link>{feed_server.url(p)}</link></item>"
        for n, p in (("a", "/to-file"), ("b", "/to-ftp"), ("c", "/news/solar.html"))
    )
    feed_server.routes["/mixed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
    )
    caplog.set_level(logging.INFO, logger="bot")
    async with make_client(2.0) as client:
        summary = await feeds.poll_feed(storage, feed_server.url("/mixed.xml"), make_settings(tmp_path), client)
    assert summary.added == 1
    assert sorted(link for link, _ in summary.failed) == [feed_server.url("/to-file"), feed_server.url("/to-ftp")]
    assert all(why.startswith("refused: not an http(s) URL") for _, why in summary.failed)
    assert any("entry " + feed_server.url("/to-file") + " failed: refused" in r.getMessage() for r in caplog.records)


async def test_public_feed_cannot_reach_loopback(
    tmp_path: Path, storage: Storage, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    feed_url = feed_server.url("/rss.xml")
    async with make_client(2.0) as client:
        # The policy poll_feed derives for a feed URL on a public address.
        summary = await feeds.poll_feed(storage, feed_url, make_settings(tmp_path), client, policy=PUBLIC)
    assert summary.added == 0 and len(summary.failed) == 3
    for link, why in summary.failed:
        assert link.startswith(feed_server.base + "/news/")
        assert why == "refused: 127.0.0.1 is a loopback address, not allowed from a public feed or page"
    assert not any(path.startswith("/news/") for path, _ in feed_server.requests)  # never requested
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"feed {feed_url}: entry {feed_server.url('/news/solar.html')} failed: refused: 127.0.0.1" in w for w in warnings)
    # A counted failure like any other: recorded against the entry, retried on later polls.
    assert await storage.feed_entry(feed_url, feed_server.url("/news/solar.html")) == (feeds.FAILED, 1)
    assert await storage.all_articles() == []


async def test_public_origin_redirect_hop_to_loopback_is_refused(feed_server: FeedServer) -> None:
    async with make_client(2.0) as client:
        # The operator's own URL is not checked, but where it redirects to is.
        with pytest.raises(BlockedAddressError, match="loopback"):
            await fetch(client, feed_server.url("/redirect/solar"), policy=PUBLIC, operator_url=True)
        # A URL from content is checked before it is requested at all.
        with pytest.raises(BlockedAddressError, match="loopback"):
            await fetch(client, feed_server.url("/news/solar.html"), policy=PUBLIC)
    assert feed_server.hits("/redirect/solar") == 1
    assert feed_server.hits("/redirect2/solar") == 0 and feed_server.hits("/news/solar.html") == 0
    assert issubclass(BlockedAddressError, FetchError)


class FakeDNS:
    """The system resolver, answering for made-up names from a script: each look-up of a name takes
    the next answer, the last one repeating (a rebinding server answers public, then private)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 (socket's names)
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return self._real(host, port, family, type, proto, flags)
        self.lookups.append(name)
        script = self.answers[name]
        ips = script.pop(0) if len(script) > 1 else script[0]
        port = int(port or 0)
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in ips
        ]


# A public address (IANA's example.com); nothing listens for the fixture's port there.
PUBLIC_IP = "93.184.216.34"


async def test_every_resolved_address_is_checked_not_just_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeDNS(monkeypatch, {"mixed.test": [[PUBLIC_IP, "127.0.0.1"]], "public.test": [[PUBLIC_IP, "8.8.8.8"]]})
    with pytest.raises(BlockedAddressError, match=r"mixed\.test \(127\.0\.0\.1\) is a loopback address"):
        await PUBLIC.check("http://mixed.test/news")
    assert await PUBLIC.check("http://public.test/news") == (
        ipaddress.ip_address(PUBLIC_IP), ipaddress.ip_address("8.8.8.8"),
    )


async def test_dns_rebinding_cannot_reach_loopback(monkeypatch: pytest.MonkeyPatch, feed_server: FeedServer) -> None:
    # The first answer passes the check; every later one points at the loopback server.
    dns = FakeDNS(monkeypatch, {"rebind.test": [[PUBLIC_IP], ["127.0.0.1"]]})
    port = feed_server.host.rsplit(":", 1)[1]
    async with make_client(1.0) as client:
        with pytest.raises(FetchError):  # the checked address does not answer: a network error or timeout
            await fetch(client, f"http://rebind.test:{port}/news/solar.html", policy=PUBLIC, timeout=1.0)
    assert feed_server.hits("/news/solar.html") == 0  # the loopback server was never reached
    assert dns.lookups == ["rebind.test"]  # resolved once: the connection used the checked answer


async def test_a_pinned_request_connects_to_the_checked_address_under_its_own_host_name(
    monkeypatch: pytest.MonkeyPatch, feed_server: FeedServer
) -> None:
    from bot.intake.addresses import pin

    # Were the name looked up again, the connection would go to an address where nothing listens.
    dns = FakeDNS(monkeypatch, {"pinned.test": [["127.0.0.9"]]})
    port = feed_server.host.rsplit(":", 1)[1]
    async with make_client(2.0) as client:
        request = client.build_request("GET", f"http://pinned.test:{port}/news/solar.html")
        pin(request, [ipaddress.ip_address("127.0.0.1")])
        response = await client.send(request)
    assert response.status_code == 200 and dns.lookups == []
    path, headers = feed_server.requests[-1]
    assert path == "/news/solar.html" and headers["host"] == f"pinned.test:{port}"
