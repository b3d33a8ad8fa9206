"""Articles stage: the HTTP download itself, shut at one overall deadline (see fetch.py)."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import urllib.error
import urllib.request
from http import HTTPStatus
from typing import Any

from audiobrief.articles.fetch import MAX_PAGE_BYTES, USER_AGENT, Page
from audiobrief.errors import ArticleError

_CHUNK_BYTES = 64 * 1024


def get(
    url: str, *, etag: str | None, last_modified: str | None, accept: str, deadline_s: float
) -> Page:
    """fetch.fetch_page's work: the GET, its redirects and the body, within *deadline_s*."""
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    with _Deadline(deadline_s) as deadline:
        opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline))
        try:
            with opener.open(request, timeout=deadline_s) as response:
                body = _read(response)
                found, answer = response.geturl(), response.headers
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the open response; left to the garbage collector it warns
            if exc.code == HTTPStatus.NOT_MODIFIED and (etag or last_modified):
                return Page(url, None, etag, last_modified)
            raise
        except (OSError, http.client.HTTPException) as exc:
            # A socket shut at the deadline fails in many ways (reset, short read...).
            if deadline.expired:
                raise deadline.error() from exc
            raise
        if deadline.expired:  # the shut socket read as the end of the page
            raise deadline.error()
    if len(body) > MAX_PAGE_BYTES:
        size = f"{MAX_PAGE_BYTES // 1_000_000} MB"
        raise ArticleError(url, f"the page is over {size}; save the article text and pass the file")
    return Page(found, body, answer.get("ETag"), answer.get("Last-Modified"))


def _read(response: http.client.HTTPResponse) -> bytes:
    """The body, at most MAX_PAGE_BYTES + 1 bytes of it, read as it arrives."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_PAGE_BYTES:
        chunk = response.read1(min(_CHUNK_BYTES, MAX_PAGE_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class _Deadline:
    """Shuts every socket of a download when its time is up, interrupting a blocked read."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        self._timer.join()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def error(self) -> TimeoutError:
        return TimeoutError(f"the page did not arrive within {self.seconds:g} s")

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the download itself
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv(); close() does not


class _WatchedHTTP(http.client.HTTPConnection):
    """An HTTP connection that hands its socket to the deadline as soon as it connects."""

    deadline: _Deadline

    def connect(self) -> None:
        super().connect()
        self.deadline.watch(self.sock)


class _WatchedHTTPS(http.client.HTTPSConnection, _WatchedHTTP):
    """HTTPS: the MRO runs _WatchedHTTP.connect inside HTTPSConnection.connect, so the
    plain socket is watched before the TLS handshake, which could drip as well."""


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_factory(_WatchedHTTP, self._deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_factory(_WatchedHTTPS, self._deadline), req)


def _factory(kind: type[_WatchedHTTP], deadline: _Deadline) -> Any:
    """A connection class for urllib's do_open that carries *deadline*."""

    def build(host: str, **options: Any) -> _WatchedHTTP:
        connection = kind(host, **options)
        connection.deadline = deadline
        return connection

    return build
