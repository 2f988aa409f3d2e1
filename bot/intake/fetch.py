"""Fetching feeds and article pages over HTTP: bounded in time and size, conditional, decoded.

Every failure is a `FetchError` subclass with a one-line reason (bot/intake/errors.py), so a caller
can log it, count it and move on; nothing here raises anything else for a bad server or a bad page.
URLs that came from fetched content are held to an `AddressPolicy` (bot/intake/addresses.py, the
SSRF guard), and `make_client`'s transport connects to the addresses it checked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx

# AddressPolicy, is_public_address, the errors and decode are imported from here by callers too.
from bot.intake.addresses import DEFAULT_TIMEOUT, AddressPolicy, GuardedTransport, IPAddress, is_public_address, pin
from bot.intake.charset import decode, declared_encodings
from bot.intake.errors import (
    BlockedAddressError,
    DecodeError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    NetworkError,
    TooLargeError,
    TooManyRedirectsError,
)

__all__ = [
    "AddressPolicy", "BlockedAddressError", "DecodeError", "FetchError", "FetchResult", "FetchTimeoutError",
    "HTTPStatusError", "NetworkError", "TooLargeError", "TooManyRedirectsError", "decode", "declared_encodings",
    "fetch", "is_public_address", "make_client",
]

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 newsbot/0.1"
)
DEFAULT_MAX_BYTES = 5_000_000
MAX_REDIRECTS = 5
CHUNK = 64 * 1024




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
