"""Ingest benchmark: the first run of a newsroom's feed against the runs that follow.

Run: .venv/bin/python bench/ingest_bench.py                  (5 articles of ../shared/corpus)
     .venv/bin/python bench/ingest_bench.py /path/to/corpus --articles 8

The first ARTICLES `*.txt` files of the corpus (sorted by name) are served from loopback
as a small news site: each as a WordPress-style page with og:/article: metadata and an
ETag, listed in an RSS feed. `audiobrief ingest FEED` then runs three times, each in its
own Python process as cron would start it, with the default offline voice:

- "first": an empty output folder and synthesis cache; every article is spoken.
- "nothing new": the cron run 15 minutes later; every page answers 304 Not Modified.
- "one changed": one article gained a sentence; only that one is spoken again.

Printed per run: wall time, peak RSS of the process, pages downloaded in full, 304
answers, and the ratio to the first run. The target: "nothing new" well under 10% of
"first" (it downloads no page and synthesizes nothing).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PAGE = (
    '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
    '<title>{title}</title><link rel="canonical" href="{url}">'
    '<meta property="og:title" content="{title}">'
    '<meta property="article:published_time" content="2026-11-28T08:00:00+01:00">'
    '</head><body><nav><a href="/">الرئيسية</a></nav><article><h1>{title}</h1>'
    '<div class="share">شارك</div>{paragraphs}</article>'
    '<form id="commentform"><label>التعليق</label><textarea></textarea></form></body></html>'
)


def _serve(pages: dict[str, bytes], counts: Counter[str]) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                counts["304"] += 1
                self.send_response(304)
                self.end_headers()
                return
            counts["200"] += 1
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _page(url: str, title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return PAGE.format(url=url, title=html.escape(title), paragraphs=body).encode("utf-8")


# The child reports its own peak RSS at exit (RUSAGE_CHILDREN keeps the largest child so
# far, so later, smaller runs would all show the first run's figure).
_CHILD = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: sys.stderr.write("
    "f'\\nRSS_KB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'))\n"
    "from audiobrief.cli import cli\n"
    "cli()\n"
)


def _run(feed: str, work: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `audiobrief ingest` process."""
    args = ["--config", str(work / "none.toml"), "ingest", feed, "-q", "-o", str(work / "out")]
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"), "XDG_STATE_HOME": str(work)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ingest failed:\n{done.stderr}")
    peak_kb = int(done.stderr.rsplit("RSS_KB ", 1)[1].split()[0])
    return wall, peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS)
    parser.add_argument("--articles", type=int, default=5)
    options = parser.parse_args()
    files = sorted(options.corpus.glob("*.txt"))[: options.articles]
    if not files:
        raise SystemExit(f"no *.txt articles in {options.corpus}")
    pages: dict[str, bytes] = {}
    counts: Counter[str] = Counter()
    server = _serve(pages, counts)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    items = []
    texts = {}
    for number, path in enumerate(files):
        lines = path.read_text(encoding="utf-8").split("\n")
        title, paragraphs = lines[0].strip(), [p.strip() for p in lines[2:] if p.strip()]
        url = f"{base}/news/{number}/"
        texts[url] = (title, paragraphs)
        pages[f"/news/{number}/"] = _page(url, title, paragraphs)
        items.append(f"<item><title>{html.escape(title)}</title><link>{url}</link></item>")
    pages["/feed/"] = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>bench'
        f"</title><link>{base}/</link>{''.join(items)}</channel></rss>"
    ).encode()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as folder:
        work = Path(folder)
        for label in ("first", "nothing new", "one changed"):
            if label == "one changed":
                url = next(iter(texts))
                title, paragraphs = texts[url]
                changed = [*paragraphs, "وقد تم تحديث هذا الخبر."]
                pages[url.removeprefix(base)] = _page(url, title, changed)
            counts.clear()
            wall, rss = _run(f"{base}/feed/", work)
            rows.append((label, wall, rss, counts["200"] - 1, counts["304"]))
    server.shutdown()
    first = rows[0][1]
    print(f"{len(files)} articles, default offline voice, one process per run")
    print(f"{'run':<12} {'wall s':>8} {'vs first':>9} {'peak RSS MB':>12} {'200':>5} {'304':>5}")
    for label, wall, rss, full, not_modified in rows:
        ratio = wall / first
        print(f"{label:<12} {wall:8.2f} {ratio:9.1%} {rss:12.0f} {full:5d} {not_modified:5d}")


if __name__ == "__main__":
    main()
