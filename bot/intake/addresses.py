"""The SSRF guard: where a URL that came from fetched content may lead, and connecting only there.

A URL the operator gave may point anywhere, but a URL that came from fetched content (a feed's entry
link, every redirect hop) is held to an `AddressPolicy`: http(s) only, and a non-public address only
when the operator's URL it descends from is on a non-public address too. Every address the host
resolves to is checked, and the connection goes to those very addresses (`GuardedTransport`):
resolving again on connect would let a DNS answer change in between (DNS rebinding) and reach an
address that was never checked.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx

from bot.intake.errors import BlockedAddressError, FetchError, NetworkError

# Seconds for a look-up here, and for a whole fetch by default (bot/intake/fetch.py).
DEFAULT_TIMEOUT = 20.0

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
