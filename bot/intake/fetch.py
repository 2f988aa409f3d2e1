"""Fetching feeds and article pages over HTTP: bounded in time and size, conditional, decoded.

Every failure is a `FetchError` subclass with a one-line reason, so a caller can log it, count it
and move on; nothing here raises anything else for a bad server or a bad page.

SSRF guard: a URL the operator gave may point anywhere, but a URL that came from fetched content
(a feed's entry link, every redirect hop) is held to an `AddressPolicy`: http(s) only, and a
non-public address only when the operator's URL it descends from is on a non-public address too.
Every address the host resolves to is checked, and the connection goes to those very addresses
(`GuardedTransport`): resolving again on connect would let a DNS answer change in between
(DNS rebinding) and reach an address that was never checked.
"""

from __future__ import annotations

import asyncio
import codecs
import contextvars
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpcore
import httpx
from charset_normalizer import from_bytes

# Sites serve bots trimmed or blocked pages; a browser's User-Agent gets the page readers see.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 newsbot/0.1"
)
DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_BYTES = 5_000_000
MAX_REDIRECTS = 5
CHUNK = 64 * 1024

_CHARSET_PARAM = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']""", re.I)
# WHATWG: these labels mean windows-1252 in every browser, and pages rely on it.
_LABEL_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class FetchError(Exception):
    """A fetch that gave nothing usable; str() is a one-line reason fit for a log and a summary."""


class HTTPStatusError(FetchError):
    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.url = url
        self.status = status


class TooLargeError(FetchError):
    def __init__(self, url: str, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.url = url
        self.limit = limit


class FetchTimeoutError(FetchError):
    pass


class TooManyRedirectsError(FetchError):
    pass


class NetworkError(FetchError):
    pass


class DecodeError(FetchError):
    pass


class BlockedAddressError(FetchError):
    """A URL from fetched content that the AddressPolicy refuses: not http(s), or a non-public address."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_public_address(ip: IPAddress) -> bool:
    """True for a globally routable unicast address; the IPv4 inside a v6 wrapper is judged too."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        # 6to4 and NAT64 carry an IPv4 address that a relay or gateway would connect to.
        embedded = ip.sixtofour or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is not None and not is_public_address(embedded):
            return False
    # ipaddress counts multicast as global.
    return ip.is_global and not ip.is_multicast


def _address_kind(ip: IPAddress) -> str:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return "non-public"


def _is_literal(host: str, ip: IPAddress) -> bool:
    try:
        return ipaddress.ip_address(host) == ip
    except ValueError:
        return False


async def _resolve(host: str, port: int) -> list[IPAddress]:
    # loop.getaddrinfo runs in the default executor: DNS never blocks the event loop.
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # A link-local IPv6 answer may carry a zone ("fe80::1%eth0"), which ipaddress does not parse.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos))


def _host_port(url: httpx.URL) -> tuple[str, int]:
    return url.raw_host.decode("ascii"), url.port or (443 if url.scheme == "https" else 80)


@dataclass(frozen=True)
class AddressPolicy:
    """Where a URL that came from fetched content may point.

    `origin_is_public` describes the operator-given URL it descends from (a feed in NEWSBOT_FEEDS,
    a `newsbot ingest` argument): a feed on loopback or the LAN may link there, a public one may not.
    """

    origin_is_public: bool = True

    @classmethod
    async def for_origin(cls, url: str, timeout: float = DEFAULT_TIMEOUT) -> AddressPolicy:
        """The policy for what `url` links or redirects to: private allowed only if `url` itself
        resolves to non-public addresses alone. Unresolvable or mixed counts as public (the strict side)."""
        try:
            parsed = httpx.URL(url)
            async with asyncio.timeout(timeout):
                addresses = await _resolve(*_host_port(parsed))
        except (httpx.InvalidURL, UnicodeError, OSError, ValueError, TimeoutError):
            return cls(origin_is_public=True)
        return cls(origin_is_public=not addresses or any(is_public_address(ip) for ip in addresses))

    async def check(self, url: str | httpx.URL) -> tuple[IPAddress, ...] | None:
        """Raise BlockedAddressError unless `url` is http(s) and every address its host resolves to is
        allowed; a host that does not resolve is a NetworkError.

        Returns the addresses checked, which the request must then connect to (`pin`), or None when
        this policy lets the URL go anywhere (a non-public origin)."""
        try:
            parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}") from None
        if parsed.scheme not in ("http", "https"):
            raise BlockedAddressError(f"refused: not an http(s) URL: {str(parsed)[:200]}")
        if not parsed.raw_host:
            raise BlockedAddressError(f"refused: no host in {str(parsed)[:200]}")
        if not self.origin_is_public:
            return None
        host, port = _host_port(parsed)
        try:
            addresses = await _resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise NetworkError(f"cannot resolve {host}: {exc}") from None
        for ip in addresses:
            if not is_public_address(ip):
                kind = _address_kind(ip)
                where = host if _is_literal(host, ip) else f"{host} ({ip})"
                article = "an" if kind[0] in "aeiou" else "a"
                raise BlockedAddressError(
                    f"refused: {where} is {article} {kind} address, not allowed from a public feed or page"
                )
        if not addresses:
            raise NetworkError(f"cannot resolve {host}: no address")
        return tuple(addresses)


# The request extension that carries the checked addresses to the transport: (host, addresses).
PINNED_ADDRESSES = "newsbot.pinned_addresses"
# What the connection being opened may connect to; set by GuardedTransport for one request.
_pinned: contextvars.ContextVar[tuple[str, tuple[IPAddress, ...]] | None] = contextvars.ContextVar(
    "newsbot_pinned", default=None
)


def pin(request: httpx.Request, addresses: Iterable[IPAddress] | None) -> None:
    """Make `request` connect only to `addresses` (those AddressPolicy.check returned); None: no pin."""
    if addresses is None:
        request.extensions.pop(PINNED_ADDRESSES, None)
    else:
        request.extensions[PINNED_ADDRESSES] = (request.url.raw_host.decode("ascii"), tuple(addresses))


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens a TCP connection only to the pinned addresses of the request it is opened for.

    The URL keeps its host name, so TLS still sends it as SNI and verifies the certificate for it, and
    the Host header is unchanged; only the lookup is replaced by the addresses already checked.
    """

    def __init__(self) -> None:
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[object] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        pinned = _pinned.get()
        if pinned is None or pinned[0] != host:
            raise httpcore.ConnectError(f"no checked address for {host}")
        failure: Exception | None = None
        for ip in pinned[1]:  # in resolver order, as a resolving connect would try them
            try:
                return await self._network.connect_tcp(
                    str(ip), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # check() never returns an empty tuple
        raise failure

    async def connect_unix_socket(self, *args: object, **kwargs: object) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class GuardedTransport(httpx.AsyncBaseTransport):
    """httpx's transport, with pinned requests on a pool of their own whose connections open to the
    checked addresses only. A pooled connection is reused only for a request whose addresses were
    checked under the same (public-origin) rule, so none ever leads anywhere unchecked."""

    def __init__(self, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        self._open = httpx.AsyncHTTPTransport(trust_env=False, limits=limits)
        self._checked = httpx.AsyncHTTPTransport(trust_env=False, limits=limits)
        # httpx takes no network backend, so its pool is swapped for one with ours (same settings).
        self._checked._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PinnedBackend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pinned = request.extensions.get(PINNED_ADDRESSES)
        if pinned is None:
            return await self._open.handle_async_request(request)
        if pinned[0] != request.url.raw_host.decode("ascii"):
            raise BlockedAddressError(f"refused: {request.url.host} is not the host that was checked")
        token = _pinned.set(pinned)
        try:
            return await self._checked.handle_async_request(request)
        finally:
            _pinned.reset(token)

    async def aclose(self) -> None:
        await self._open.aclose()
        await self._checked.aclose()


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int  # 200, or 304 when the conditional GET says nothing changed
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def text(self) -> str:
        return decode(self.content, self.content_type)


def make_client(timeout: float = DEFAULT_TIMEOUT, max_redirects: int = MAX_REDIRECTS) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=GuardedTransport(),
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=max_redirects,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml,*/*;q=0.8",
            "Accept-Language": "ar,en;q=0.8",
        },
        trust_env=False,
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float | None = None,
    policy: AddressPolicy | None = None,
    operator_url: bool = False,
) -> FetchResult:
    """GET `url`; a 304 comes back as a result with `not_modified`, any other failure as a FetchError.

    `timeout` bounds the whole exchange: httpx's timeouts are per read, so a server trickling a byte
    a second would otherwise never time out.

    `policy` holds every redirect hop, and `url` itself unless `operator_url` says the operator gave
    it. Without a policy, `url` is the operator's and its redirects get `AddressPolicy.for_origin(url)`.
    """
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(f"not an http(s) URL: {url[:200]}")
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    total = timeout if timeout is not None else _read_timeout(client)
    try:
        async with asyncio.timeout(total):
            checked = await policy.check(url) if policy is not None and not operator_url else None
            return await _get(client, url, headers, max_bytes, policy, checked)
    except TimeoutError:
        raise FetchTimeoutError(f"no complete answer within {total:g} s") from None
    except httpx.TimeoutException:
        raise FetchTimeoutError(f"timed out ({total:g} s)") from None
    except httpx.TooManyRedirects:
        raise TooManyRedirectsError("too many redirects") from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}") from None
    except httpx.HTTPError as exc:
        raise NetworkError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None


def _read_timeout(client: httpx.AsyncClient) -> float:
    return client.timeout.read or DEFAULT_TIMEOUT


async def _follow(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    policy: AddressPolicy | None,
    checked: tuple[IPAddress, ...] | None,
) -> httpx.Response:
    """Send the GET and follow redirects by hand, so that every hop is checked before it is requested,
    and connects to the addresses checked (a client from make_client does)."""
    request = client.build_request("GET", url, headers=headers)
    pin(request, checked)
    hops = 0
    while True:
        response = await client.send(request, stream=True, follow_redirects=False)
        if response.next_request is None:
            return response
        await response.aclose()
        hops += 1
        if hops > client.max_redirects:
            raise TooManyRedirectsError("too many redirects")
        request = response.next_request
        if policy is None:
            policy = await AddressPolicy.for_origin(url)
        pin(request, await policy.check(request.url))


async def _get(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    max_bytes: int,
    policy: AddressPolicy | None,
    checked: tuple[IPAddress, ...] | None,
) -> FetchResult:
    response = await _follow(client, url, headers, policy, checked)
    try:
        final = str(response.url)
        kept = {k.lower(): v for k, v in response.headers.items()}
        if response.status_code == 304:
            return FetchResult(url=final, status=304, headers=kept)
        if not 200 <= response.status_code < 300:
            raise HTTPStatusError(final, response.status_code)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise TooLargeError(final, max_bytes)
        body = bytearray()
        # Raw bytes counted as they arrive, so a huge page costs at most max_bytes plus one chunk.
        async for chunk in response.aiter_bytes(CHUNK):
            body += chunk
            if len(body) > max_bytes:
                raise TooLargeError(final, max_bytes)
        return FetchResult(url=final, status=response.status_code, content=bytes(body), headers=kept)
    finally:
        await response.aclose()


def _codec(label: bytes | str | None) -> str | None:
    if not label:
        return None
    name = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    name = _LABEL_ALIASES.get(name.strip().lower(), name.strip())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_encodings(content: bytes, content_type: str | None = None) -> list[str]:
    """Encodings the bytes claim, strongest first: BOM, HTTP header, <meta charset>, XML declaration."""
    found: list[str] = []
    for bom, name in _BOMS:
        if content.startswith(bom):
            found.append(name)
    if content_type:
        match = _CHARSET_PARAM.search(content_type.encode("latin-1", "ignore"))
        if match:
            found.append(_codec(match.group(1)) or "")
    head = content[:4096]
    match = _META_CHARSET.search(head)
    if match:
        found.append(_codec(match.group(1)) or "")
    match = _XML_DECL.search(head)
    if match:
        found.append(_codec(match.group(1)) or "")
    return [name for name in dict.fromkeys(found) if name]


def decode(content: bytes, content_type: str | None = None) -> str:
    """Bytes to text by the declared charset, then UTF-8, then charset-normalizer's best guess."""
    for name in [*declared_encodings(content, content_type), "utf-8"]:
        try:
            return content.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    best = from_bytes(content[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return content.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    raise DecodeError("undecodable text: no declared or detectable charset fits")
