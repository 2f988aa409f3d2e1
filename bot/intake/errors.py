"""The failures of fetching: each a `FetchError` with a one-line reason fit for a log and a summary."""

from __future__ import annotations


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
