"""A news site on loopback for the ingest tests: WordPress-style pages, RSS, Atom, sitemap.

The pages are short ones written for these tests, in the shapes Arabic news sites use:
a WordPress theme (share bar, comment form, related posts) with og:/article: metadata
and a canonical link, and answers with ETag/Last-Modified that honour conditional GETs.
"""

from __future__ import annotations

import hashlib
import http.server
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from support import loopback_server

STORIES = {
    "/2026/11/28/rain/": (
        "أمطار غزيرة في فاس",
        "تهاطلت أمطار غزيرة على مدينة فاس صباح اليوم. وأعلنت السلطات عن إجراءات وقائية.",
        "2026-11-28T08:15:00+01:00",
    ),
    "/2026/11/28/market/": (
        "انخفاض أسعار الخضر",
        "انخفضت أسعار الطماطم والبطاطس في السوق المركزي. وعزا التجار ذلك إلى وفرة الإنتاج.",
        "2026-11-28T07:40:00+01:00",
    ),
    "/2026/11/26/bridge/": (
        "افتتاح جسر جديد",
        "افتتحت المدينة جسرا جديدا فوق الوادي يربط الحيين الشمالي والجنوبي.",
        "2026-11-26T18:05:00+01:00",
    ),
    "/slow/": (
        "خبر بطيء",
        "هذه الصفحة تصل ببطء شديد ولن تكتمل في الوقت المحدد.",
        "2026-11-28T06:00:00+01:00",
    ),
}

WORDPRESS = """<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{title} - جريدة المدينة</title>
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="جريدة المدينة">
<meta property="article:published_time" content="{date}">
<meta property="article:author" content="هيئة التحرير">
</head><body class="post-template-default single single-post">
<header class="site-header"><nav><ul><li><a href="/">الرئيسية</a></li>
<li><a href="/category/politique/">سياسة</a></li><li><a href="/category/sport/">رياضة</a></li>
</ul></nav></header>
<main id="main"><article class="post type-post status-publish">
<header class="entry-header"><h1 class="entry-title">{title}</h1>
<div class="entry-meta"><time datetime="{date}">{date}</time> ·
<span class="author">هيئة التحرير</span></div>
</header>
<div class="share-bar"><a href="https://www.facebook.com/sharer.php">شارك على فيسبوك</a>
<a href="https://twitter.com/intent/tweet">تويتر</a> <a href="https://wa.me/">واتساب</a></div>
<div class="entry-content"><p>{body}</p>
<p>وأكد مصدر مسؤول أن المتابعة مستمرة.</p></div>
</article>
<section class="related-posts"><h3>مقالات ذات صلة</h3>
<ul><li><a href="/x/">خبر آخر</a></li></ul></section>
<div id="comments" class="comments-area"><h3 id="reply-title">اترك تعليقاً</h3>
<form action="/wp-comments-post.php" method="post" id="commentform">
<p><label for="comment">التعليق</label><textarea id="comment" name="comment"></textarea></p>
<p><label for="author">الاسم</label><input id="author" name="author" type="text"></p>
<input name="submit" type="submit" value="إرسال التعليق"></form></div>
</main><footer>جميع الحقوق محفوظة © 2026</footer></body></html>
"""


@dataclass
class Site:
    """The server's state: what each page says, and what the tests saw it asked."""

    base: str = ""
    bodies: dict[str, str] = field(default_factory=lambda: {p: s[1] for p, s in STORIES.items()})
    hits: Counter[str] = field(default_factory=Counter)
    not_modified: Counter[str] = field(default_factory=Counter)
    agents: set[str] = field(default_factory=set)

    def page(self, path: str) -> bytes:
        title, _, date = STORIES[path]
        return WORDPRESS.format(
            title=title, body=self.bodies[path], date=date, url=self.base + path
        ).encode("utf-8")

    def rss(self) -> bytes:
        items = "".join(
            f"<item><title>{STORIES[p][0]}</title><link>{self.base}{p}{tag}</link>"
            f'<guid isPermaLink="false">{self.base}/?p={n}</guid>'
            f"<pubDate>{_rfc822(STORIES[p][2])}</pubDate>"
            "<description><![CDATA[<p>مقتطف…</p>]]></description></item>"
            for n, (p, tag) in enumerate(
                [
                    ("/2026/11/28/rain/", ""),
                    ("/2026/11/28/market/", "?utm_source=rss&utm_medium=rss"),
                    ("/2026/11/26/bridge/", ""),
                ]
            )
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>جريدة المدينة</title><link>{self.base}/</link>"
            f"<description>آخر الأخبار</description>{items}</channel></rss>"
        ).encode()

    def atom(self) -> bytes:
        path = "/2026/11/26/bridge/"
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>جريدة المدينة</title><id>{self.base}/</id>"
            "<updated>2026-11-28T08:00:00Z</updated>"
            f"<entry><title>{STORIES[path][0]}</title><id>tag:city,2026:{path}</id>"
            f'<link rel="alternate" href="{self.base}{path}"/>'
            "<published>2026-11-26T17:05:00Z</published><updated>2026-11-26T17:05:00Z</updated>"
            "</entry></feed>"
        ).encode()

    def sitemap(self) -> bytes:
        urls = [("/2026/11/28/rain/", "2026-11-28T08:15:00+01:00"), ("/missing/", "2026-11-28"),
                ("/slow/", "2026-11-28T06:00:00+01:00")]  # fmt: skip
        body = "".join(
            f"<url><loc>{self.base}{p}</loc><news:news><news:publication>"
            "<news:name>جريدة المدينة</news:name><news:language>ar</news:language>"
            f"</news:publication><news:publication_date>{d}</news:publication_date>"
            f"<news:title>خبر</news:title></news:news></url>"
            for p, d in urls
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{body}</urlset>"
        ).encode()


def _rfc822(iso: str) -> str:
    import datetime as dt
    from email.utils import format_datetime

    return format_datetime(dt.datetime.fromisoformat(iso))


SLOW_S = 4.0


def _handler(site: Site) -> type[http.server.BaseHTTPRequestHandler]:
    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            site.hits[path] += 1
            site.agents.add(self.headers.get("User-Agent", ""))
            if path == "/feed/":
                return self._send(site.rss(), "application/rss+xml; charset=UTF-8")
            if path == "/atom.xml":
                return self._send(site.atom(), "application/atom+xml")
            if path == "/news-sitemap.xml":
                return self._send(site.sitemap(), "application/xml")
            if path == "/slow/":  # headers at once, then a byte now and then
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                for byte in site.page(path)[:40]:
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(SLOW_S / 10)
                return None
            if path not in STORIES:
                self.send_error(404)
                return None
            return self._send(site.page(path), "text/html; charset=UTF-8")

        def _send(self, body: bytes, kind: str) -> None:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                site.not_modified[self.path.split("?")[0]] += 1
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", "Sat, 28 Nov 2026 08:00:00 GMT")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    return Pages


@contextmanager
def serve_site() -> Iterator[Site]:
    site = Site()
    with loopback_server(_handler(site)) as base:
        site.base = base
        yield site
