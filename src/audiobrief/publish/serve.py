"""Publish stage: serve the output folder over HTTP with Range and HEAD, nothing else."""

from __future__ import annotations

import email.utils
import logging
import os
import re
import socket
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from audiobrief.errors import PublishError

logger = logging.getLogger(__name__)

_CHUNK_BYTES = 64 * 1024
_TYPES = {
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
_FEEDS = frozenset({"feed.xml", "articles.xml"})
# The catalog is the publisher's record, not part of the site; nor are temporary files.
_PRIVATE = re.compile(r"(^\.|\.sqlite(-journal)?$|\.tmp$)")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_UNSATISFIABLE = (-1, -1)
# Beyond any file size; longer digit runs are read as this, not parsed: int() refuses
# 4,300 digits and more, and a 5,000-digit Range must get 416, not a dropped connection.
_HUGE = 10**18


def content_type(name: str) -> str:
    """The Content-Type audiobrief serves a file name with."""
    if name in _FEEDS:
        return "application/rss+xml; charset=utf-8"
    if name.endswith(".chapters.json"):
        return "application/json+chapters"  # podcast namespace: chapters are served so
    return _TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


class OutputServer(ThreadingHTTPServer):
    """A threading HTTP server that knows the folder it serves."""

    daemon_threads = True
    # socketserver's default backlog of 5 refuses connections when a page opens many at
    # once (players, feed readers); the kernel caps this at its own somaxconn.
    request_queue_size = socket.SOMAXCONN

    def __init__(
        self,
        root: Path,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler] | None = None,
    ) -> None:
        self.root = root.resolve()
        super().__init__(address, handler or _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up is not an error (players do it on every seek)."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("%s closed the connection", client_address)
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        """The address to open: `http://127.0.0.1:8000/`."""
        host, port = self.socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


def make_server(output_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> OutputServer:
    """A server for *output_dir* bound to *host*:*port* (0 picks a free port); not started.

    Raises:
        PublishError: the folder does not exist or the address cannot be bound.
    """
    if not output_dir.is_dir():
        raise PublishError(
            f"{output_dir} is not a folder; run 'audiobrief speak' first or pass -o with "
            "the output folder."
        )
    try:
        return OutputServer(output_dir, (host, port))
    except OSError as exc:
        raise PublishError(
            f"cannot listen on {host}:{port} ({exc.strerror}); pass another --port, or "
            "stop the program using it."
        ) from exc


def serve_forever(output_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve *output_dir* until interrupted (Ctrl+C), then close the socket."""
    server = make_server(output_dir, host, port)
    logger.info("serving %s at %s", output_dir, server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("stopped")
    finally:
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: OutputServer
    protocol_version = "HTTP/1.1"  # keep-alive: players send many small Range requests
    server_version = "audiobrief"
    sys_version = ""
    timeout = 30
    # On a kept-alive connection, headers and body sent as two small writes meet Nagle's
    # algorithm and the client's delayed ACK: every small response waited 44 ms. So the
    # socket sends at once (TCP_NODELAY), and a buffered writer joins headers and body into
    # one write, flushed by BaseHTTPRequestHandler after each request.
    disable_nagle_algorithm = True
    wbufsize = _CHUNK_BYTES

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def do_OPTIONS(self) -> None:
        self.send_response(HTTPStatus.NO_CONTENT)
        self._cors()
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Range")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _respond(self, *, body: bool) -> None:
        path = self._resolve()
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        try:
            stream = path.open("rb")
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        with stream:
            size = os.fstat(stream.fileno()).st_size
            wanted = _byte_range(self.headers.get("Range"), size)
            if wanted == _UNSATISFIABLE:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self._cors()
                self.end_headers()
                return
            start, end = wanted if wanted else (0, size - 1)
            self.send_response(HTTPStatus.PARTIAL_CONTENT if wanted else HTTPStatus.OK)
            if wanted:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Type", content_type(path.name))
            self.send_header("Content-Length", str(max(end - start + 1, 0)))
            self.send_header("Accept-Ranges", "bytes")
            mtime = os.fstat(stream.fileno()).st_mtime
            self.send_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))
            self.send_header("Cache-Control", "no-cache")
            self._cors()
            self.end_headers()
            if body and end >= start:
                self._copy(stream, start, end - start + 1)

    def _resolve(self) -> Path | None:
        """The file a request path names inside the served folder, or None (404)."""
        raw = urlsplit(self.path).path
        if not raw.startswith("/") or re.search(r"%(2f|5c|00)", raw, re.IGNORECASE):
            return None  # encoded slashes, backslashes and NULs never name a file
        try:
            decoded = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            return None
        parts = decoded.split("/")[1:]
        if any(p in (".", "..") or "\\" in p or "\0" in p or _PRIVATE.search(p) for p in parts):
            return None
        root = self.server.root
        candidate = root.joinpath(*[p for p in parts if p])
        try:
            resolved = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not resolved.is_relative_to(root):
            return None  # a symbolic link out of the folder
        if resolved.is_dir():  # no listings: a folder serves its index.html or nothing
            index = resolved / "index.html"
            return index if index.is_file() and decoded.endswith("/") else None
        return resolved if resolved.is_file() else None

    def _copy(self, stream: BinaryIO, start: int, length: int) -> None:
        stream.seek(start)
        try:
            while length > 0:
                chunk = stream.read(min(_CHUNK_BYTES, length))
                if not chunk:
                    break
                self.wfile.write(chunk)
                length -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            # Players drop connections whenever the listener seeks; not an error.
            logger.debug("client closed the connection during %s", self.path)

    def _cors(self) -> None:
        # Browser players on other sites fetch transcripts and chapters (podcast namespace).
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "Content-Range, Content-Length")

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: object) -> None:
        logger.info("%s %s", self.address_string(), format % args)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte of one `bytes=` range; None to send it all; or _UNSATISFIABLE.

    Several ranges, or another unit, get the whole file (RFC 9110 lets a server ignore
    Range); a malformed or out-of-file bytes range is unsatisfiable (416).
    """
    if not header or not header.strip().startswith("bytes="):
        return None
    spec = header.strip()
    if "," in spec:
        return None
    match = _RANGE.fullmatch(spec)
    if not match or match.groups() == ("", ""):
        return _UNSATISFIABLE
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = _number(last)
        if length == 0 or size == 0:
            return _UNSATISFIABLE
        return max(size - length, 0), size - 1
    start = _number(first)
    end = size - 1 if last == "" else min(_number(last), size - 1)
    if start >= size or (last != "" and _number(last) < start):
        return _UNSATISFIABLE
    return start, end


def _number(digits: str) -> int:
    """A Range position; any run of more than 18 significant digits reads as _HUGE."""
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= 18 else _HUGE
