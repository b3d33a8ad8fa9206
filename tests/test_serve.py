"""`audiobrief serve` on loopback: Range, HEAD, types, CORS, and nothing outside the folder."""

from __future__ import annotations

import http.client
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiobrief.errors import PublishError
from audiobrief.publish.serve import OutputServer, content_type, make_server

AUDIO = bytes(range(256)) * 40  # 10,240 bytes, each offset recognisable


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "output"
    day = root / "2026" / "11" / "28"
    day.mkdir(parents=True)
    (day / "b.mp3").write_bytes(AUDIO)
    (day / "b.vtt").write_text("WEBVTT\n", encoding="utf-8")
    (day / "b.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nنص\n", encoding="utf-8")
    (day / "b.chapters.json").write_text('{"version":"1.2.0","chapters":[]}', encoding="utf-8")
    (day / "b.html").write_text("<!doctype html><p>صفحة</p>", encoding="utf-8")
    (root / "feed.xml").write_text("<rss/>", encoding="utf-8")
    (root / "articles.xml").write_text("<rss/>", encoding="utf-8")
    (root / "index.html").write_text("<!doctype html><p>index</p>", encoding="utf-8")
    (root / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "catalog.sqlite").write_bytes(b"SQLite format 3\x00")
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    return root


@pytest.fixture
def server(site: Path) -> Iterator[OutputServer]:
    running = make_server(site, port=0)
    thread = threading.Thread(target=running.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()
    thread.join()


def _request(
    server: OutputServer, path: str, method: str = "GET", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)  # path sent verbatim
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_whole_file_is_sent_with_its_length(server: OutputServer) -> None:
    status, headers, body = _request(server, "/2026/11/28/b.mp3")
    assert (status, body) == (200, AUDIO)
    assert headers["Content-Length"] == str(len(AUDIO))
    assert headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=100-199", 100, 199), ("bytes=10000-", 10000, 10239), ("bytes=-40", 10200, 10239),
     ("bytes=10200-99999", 10200, 10239), ("bytes=0-0", 0, 0)],
)  # fmt: skip
def test_range_request_gets_206_with_exactly_those_bytes(
    server: OutputServer, header: str, first: int, last: int
) -> None:
    status, headers, body = _request(server, "/2026/11/28/b.mp3", Range=header)
    assert status == 206
    assert body == AUDIO[first : last + 1]
    assert headers["Content-Range"] == f"bytes {first}-{last}/{len(AUDIO)}"
    assert headers["Content-Length"] == str(last - first + 1)


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=99999-100000", "bytes=5-2", "bytes=-0",
                                    "bytes=abc", "bytes=-", "bytes=" + "9" * 5000 + "-",
                                    "bytes=" + "1" * 5000 + "-" + "2" * 5000])  # fmt: skip
def test_unsatisfiable_range_gets_416(server: OutputServer, header: str) -> None:
    status, headers, body = _request(server, "/2026/11/28/b.mp3", Range=header)
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{len(AUDIO)}"
    assert body == b""


def test_range_ending_past_the_file_with_5000_digits_is_the_rest_of_it(
    server: OutputServer,
) -> None:
    status, headers, body = _request(server, "/2026/11/28/b.mp3", Range="bytes=10200-" + "9" * 5000)
    assert (status, body) == (206, AUDIO[10200:])
    assert headers["Content-Range"] == f"bytes 10200-10239/{len(AUDIO)}"
    status, _, body = _request(server, "/2026/11/28/b.mp3", Range="bytes=-" + "9" * 5000)
    assert (status, body) == (206, AUDIO)


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-4"])
def test_several_ranges_or_another_unit_get_the_whole_file(
    server: OutputServer, header: str
) -> None:
    status, _, body = _request(server, "/2026/11/28/b.mp3", Range=header)
    assert (status, body) == (200, AUDIO)


def test_head_sends_headers_without_a_body(server: OutputServer) -> None:
    status, headers, body = _request(server, "/2026/11/28/b.mp3", "HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len(AUDIO))
    assert headers["Content-Type"] == "audio/mpeg"
    status, headers, body = _request(server, "/2026/11/28/b.mp3", "HEAD", Range="bytes=0-9")
    assert (status, headers["Content-Length"], body) == (206, "10", b"")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/2026/11/28/b.mp3", "audio/mpeg"),
        ("/2026/11/28/b.vtt", "text/vtt; charset=utf-8"),
        ("/2026/11/28/b.srt", "application/x-subrip; charset=utf-8"),
        ("/2026/11/28/b.chapters.json", "application/json+chapters"),
        ("/2026/11/28/b.html", "text/html; charset=utf-8"),
        ("/feed.xml", "application/rss+xml; charset=utf-8"),
        ("/articles.xml", "application/rss+xml; charset=utf-8"),
        ("/cover.png?v=1234abcd", "image/png"),
        ("/", "text/html; charset=utf-8"),
    ],
)
def test_files_are_served_with_their_types(server: OutputServer, path: str, expected: str) -> None:
    status, headers, _ = _request(server, path)
    assert (status, headers["Content-Type"]) == (200, expected)


@pytest.mark.parametrize("path", ["/2026/11/28/b.vtt", "/2026/11/28/b.chapters.json", "/feed.xml"])
def test_transcripts_chapters_and_feeds_allow_any_origin(server: OutputServer, path: str) -> None:
    _, headers, _ = _request(server, path, Origin="https://player.example")
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_preflight_allows_range(server: OutputServer) -> None:
    status, headers, _ = _request(server, "/2026/11/28/b.mp3", "OPTIONS")
    assert status == 204
    assert "Range" in headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/2026/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/2026%2f..%2f..%2fsecret.txt",
        "/%2E%2E%5Csecret.txt",
        "/..\\secret.txt",
        "//etc/passwd",
        "/etc/passwd",
        "/%00feed.xml",
        "/%ff.html",
    ],
)
def test_paths_outside_the_folder_are_not_found(server: OutputServer, path: str) -> None:
    status, _, body = _request(server, path)
    assert status == 404
    assert b"outside" not in body
    assert b"root:" not in body


def test_symbolic_link_out_of_the_folder_is_not_followed(server: OutputServer, site: Path) -> None:
    (site / "escape.txt").symlink_to(site.parent / "secret.txt")
    (site / "inside.xml").symlink_to(site / "feed.xml")
    assert _request(server, "/escape.txt")[0] == 404
    assert _request(server, "/inside.xml")[0] == 200


@pytest.mark.parametrize(
    "path", ["/nothing.mp3", "/2026/", "/2026", "/catalog.sqlite", "/.hidden", "/2026/11/28/x/"]
)
def test_unknown_paths_folders_and_the_catalog_are_not_found(
    server: OutputServer, path: str
) -> None:
    assert _request(server, path)[0] == 404


def test_folder_with_an_index_serves_it(server: OutputServer) -> None:
    status, _, body = _request(server, "/")
    assert (status, body) == (200, b"<!doctype html><p>index</p>")


def test_missing_folder_is_a_publish_error(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="not a folder"):
        make_server(tmp_path / "missing")


def test_busy_port_is_a_publish_error(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(PublishError, match="another --port"):
            make_server(site, port=taken.getsockname()[1])


def test_server_reports_its_url(site: Path) -> None:
    running = make_server(site, port=0)
    try:
        assert running.url == f"http://127.0.0.1:{running.server_address[1]}/"
    finally:
        running.server_close()


def test_content_type_of_chapters_is_the_podcast_namespace_one() -> None:
    assert content_type("briefing-2026-11-28.chapters.json") == "application/json+chapters"
    assert content_type("other.json") == "application/json"
    assert content_type("notes.xml") == "application/xml; charset=utf-8"


def test_small_responses_on_a_kept_alive_connection_do_not_stall(server: OutputServer) -> None:
    # A regression guard, not the figure (bench/serve_bench.py): a Nagle/delayed-ACK stall
    # costs about 40 ms a response, far above this bound.
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    took_s = []
    try:
        for i in range(50):
            started = time.perf_counter()
            connection.request("GET", "/2026/11/28/b.mp3", headers={"Range": f"bytes={i}-{i + 99}"})
            response = connection.getresponse()
            body = response.read()
            took_s.append(time.perf_counter() - started)
            assert (response.status, body) == (206, AUDIO[i : i + 100])
    finally:
        connection.close()
    assert statistics.median(took_s) < 0.020


def test_server_accepts_a_burst_of_connections(server: OutputServer) -> None:
    assert server.request_queue_size >= 128
    sockets = [socket.create_connection(server.server_address[:2], timeout=10) for _ in range(64)]
    try:
        for client in sockets:
            client.sendall(b"HEAD /feed.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        replies = [client.recv(17) for client in sockets]
    finally:
        for client in sockets:
            client.close()
    assert replies == [b"HTTP/1.1 200 OK\r\n"] * 64
