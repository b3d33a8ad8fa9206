"""Serve benchmark: small Range responses on kept-alive connections, now vs the old writes.

Run: .venv/bin/python bench/serve_bench.py
     .venv/bin/python bench/serve_bench.py --requests 500 --seconds 5

Each variant serves a temporary folder (a 1 MB MP3-sized file and a small feed.xml) from
its own subprocess, so the clients here do not share its interpreter lock. "audiobrief"
is `serve` as shipped; "old" restores the earlier write pattern (headers and body in two
unbuffered writes, Nagle's algorithm on), where every small response on a kept-alive
connection waits for the client's delayed ACK. Printed per variant: the median and 95th
percentile latency of 100-byte Range requests on one kept-alive connection, and the
requests per second of 8 clients, each on its own kept-alive connection.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from audiobrief.publish import serve

CLIENTS = 8


class _OldHandler(serve._Handler):  # the bench alone reaches into the handler
    """The handler before the fix: two unbuffered writes, Nagle's algorithm on."""

    disable_nagle_algorithm = False
    wbufsize = 0


def _serve(variant: str, root: Path) -> None:
    handler = _OldHandler if variant == "old" else None
    server = serve.OutputServer(root, ("127.0.0.1", 0), handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def _latencies_s(port: int, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    took = []
    try:
        for i in range(count):
            first = (i * 997) % 900_000
            started = time.perf_counter()
            connection.request("GET", "/a.mp3", headers={"Range": f"bytes={first}-{first + 99}"})
            response = connection.getresponse()
            if response.status != 206 or len(response.read()) != 100:
                raise SystemExit(f"unexpected reply {response.status}")
            took.append(time.perf_counter() - started)
    finally:
        connection.close()
    return took


def _requests_per_s(port: int, seconds: float) -> float:
    counts = [0] * CLIENTS
    deadline = time.perf_counter() + seconds

    def client(k: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            while time.perf_counter() < deadline:
                path = "/feed.xml" if counts[k] % 2 else "/a.mp3"
                connection.request("GET", path, headers={"Range": "bytes=0-99"})
                connection.getresponse().read()
                counts[k] += 1
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def _measure(variant: str, root: Path, requests: int, seconds: float) -> str:
    cmd = [sys.executable, __file__, "--child", variant, "--root", str(root)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as child:
        try:
            port = int(child.stdout.readline()) if child.stdout else 0
            took = sorted(_latencies_s(port, requests))
            rate = _requests_per_s(port, seconds)
        finally:
            child.terminate()
    median_ms = statistics.median(took) * 1000
    p95_ms = took[int(len(took) * 0.95) - 1] * 1000
    return f"{variant:<11} {median_ms:>10.2f} {p95_ms:>8.2f} {rate:>12.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="Range requests timed")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of the 8-client run")
    parser.add_argument("--child", choices=["audiobrief", "old"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _serve(args.child, args.root)
        return
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "a.mp3").write_bytes(bytes(range(256)) * 4096)
        (root / "feed.xml").write_text("<rss>" + "x" * 2000 + "</rss>", encoding="utf-8")
        print(f"variant     median ms   p95 ms  req/s ({CLIENTS} clients)")
        for variant in ("audiobrief", "old"):
            print(_measure(variant, root, args.requests, args.seconds), flush=True)


if __name__ == "__main__":
    main()
