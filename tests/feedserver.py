"""A real HTTP server on loopback for the feed tests: fixture feeds and pages, plus every fault.

Files under tests/data/feeds are served with `http://FIXTURE_HOST` replaced by the server's address.
Special paths: /status/N (that status), /redirect/KEY (two hops to /news/KEY.html), /loop (redirects
to itself), /slow (answers only after the test is over), /huge (50 MB, streamed with no length),
/huge-declared (announces 50 MB). `routes` overrides any path; `requests` records what came in.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "feeds"
HUGE_BYTES = 50 * 1024 * 1024
LAST_MODIFIED = formatdate(1_795_000_000, usegmt=True)
CONTENT_TYPES = {
    "/atom.xml": "application/atom+xml; charset=utf-8",
    # The windows-1256 pages say so only in a <meta>, or nowhere: decoding must not lean on the header.
    "/news/water.html": "text/html",
    "/news/books-1256.html": "text/html",
}


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.etag_paths: set[str] = {"/rss.xml"}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.huge_sent = 0
        self.stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self._httpd.server_address[1]}"
        self.base = f"http://{self.host}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def fixture(self, name: str) -> bytes:
        return (DATA / name).read_bytes().replace(b"http://FIXTURE_HOST", self.base.encode("ascii"))

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if "Content-Length" not in (headers or {}):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = self.path
            server.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
            try:
                self._route(path)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _route(self, path: str) -> None:
            bare = path.split("?", 1)[0]
            if path in server.routes or bare in server.routes:
                status, headers, body = server.routes.get(path) or server.routes[bare]
                return self._send(status, body, headers)
            if bare.startswith("/status/"):
                code = int(bare.rsplit("/", 1)[1])
                return self._send(code, f"<html><body>{code}</body></html>".encode(), {"Content-Type": "text/html"})
            if bare.startswith("/redirect/"):
                return self._send(302, headers={"Location": f"/redirect2/{bare.rsplit('/', 1)[1]}"})
            if bare.startswith("/redirect2/"):
                return self._send(301, headers={"Location": f"{server.base}/news/{bare.rsplit('/', 1)[1]}.html"})
            if bare == "/loop":
                return self._send(302, headers={"Location": "/loop"})
            if bare == "/slow":
                server.stop.wait(10)
                return self._send(200, self_page(), {"Content-Type": "text/html; charset=utf-8"})
            if bare == "/huge":
                return self._huge(declared=False)
            if bare == "/huge-declared":
                return self._huge(declared=True)
            file = DATA / bare.lstrip("/")
            if not file.resolve().is_relative_to(DATA.resolve()) or not file.is_file():
                return self._send(404, b"not found", {"Content-Type": "text/plain"})
            body = server.fixture(bare.lstrip("/"))
            kind = CONTENT_TYPES.get(bare) or (
                "application/rss+xml; charset=utf-8" if bare.endswith(".xml") else "text/html; charset=utf-8"
            )
            headers = {"Content-Type": kind}
            if bare in server.etag_paths:
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                headers |= {"ETag": etag, "Last-Modified": LAST_MODIFIED}
                if self.headers.get("If-None-Match") == etag:
                    return self._send(304, headers=headers)
            return self._send(200, body, headers)

        def _huge(self, declared: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if declared:
                self.send_header("Content-Length", str(HUGE_BYTES))
            self.end_headers()
            chunk = b"<p>" + "حشو ".encode() * 16_000 + b"</p>\n"
            while server.huge_sent < HUGE_BYTES and not server.stop.is_set():
                self.wfile.write(chunk)
                server.huge_sent += len(chunk)

    return Handler


def self_page() -> bytes:
    return b"<html><body><p>late</p></body></html>"


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.start()
    try:
        yield server
    finally:
        server.close()
