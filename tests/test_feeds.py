"""Reading feeds and sitemaps into entries, and the catalog's memory of what was seen."""

from __future__ import annotations

import datetime as dt
import gzip
import sqlite3
from pathlib import Path

import pytest

from audiobrief.articles.feeds import read_entries
from audiobrief.errors import ArticleError
from audiobrief.publish import schema
from audiobrief.publish.catalog import Seen, open_catalog

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>جريدة</title><link>https://news.example.org/</link>
<item><title>خبر أول</title><link>https://news.example.org/a/</link>
<pubDate>Sat, 28 Nov 2026 08:15:00 +0100</pubDate></item>
<item><title>بلا رابط</title><description>نص</description></item>
<item><title>خبر بلا تاريخ</title><link>/b/</link></item>
</channel></rss>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://news.example.org/x/&secret;</loc><lastmod>2026-11-28</lastmod></url>
</urlset>"""


def test_rss_entries_keep_order_links_and_utc_dates(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(RSS, encoding="utf-8")
    first, undated = read_entries(str(tmp_path / "feed.xml"))
    assert first.url == "https://news.example.org/a/"
    assert first.title == "خبر أول"
    assert first.published == dt.datetime(2026, 11, 28, 7, 15, tzinfo=dt.UTC)
    assert undated.published is None
    assert undated.url == "https://news.example.org/b/"  # relative to the site


def test_a_sitemap_entity_is_never_resolved(tmp_path: Path) -> None:
    (tmp_path / "sitemap.xml").write_text(XXE, encoding="utf-8")
    (entry,) = read_entries(str(tmp_path / "sitemap.xml"))
    host = Path("/etc/hostname")
    if host.is_file() and host.read_text().strip():
        assert host.read_text().strip() not in entry.url
    assert entry.published == dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


def test_a_gzipped_sitemap_is_read(tmp_path: Path) -> None:
    sitemap = XXE.replace("&secret;", "story").replace(XXE.splitlines()[1], "")
    (tmp_path / "sitemap.xml.gz").write_bytes(gzip.compress(sitemap.encode("utf-8")))
    (entry,) = read_entries(str(tmp_path / "sitemap.xml.gz"))
    assert entry.url == "https://news.example.org/x/story"


def test_a_missing_feed_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="cannot be read"):
        read_entries(str(tmp_path / "nope.xml"))


def test_a_version_2_catalog_gains_the_seen_table(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    with sqlite3.connect(path) as db:
        for step in (schema._VERSION_1, schema._VERSION_2):
            db.executescript(step)
        db.execute("PRAGMA user_version = 2")
    db.close()
    seen = Seen("https://news.example.org/a/", '"e1"', None, "abc", "new", "2026-11-28T09:30")
    with open_catalog(path) as catalog:
        assert catalog.seen(seen.url) is None
        catalog.mark_seen(seen)
        assert catalog.seen(seen.url) == seen
        catalog.mark_seen(Seen(seen.url, None, None, None, "failed", "2026-11-28T10:00"))
        again = catalog.seen(seen.url)
    assert again is not None
    assert (again.status, again.etag, again.content_hash) == ("failed", None, None)


def test_an_entry_that_names_a_local_file_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed = RSS.replace("https://news.example.org/a/", "file:///etc/passwd")
    (tmp_path / "feed.xml").write_text(feed, encoding="utf-8")
    (entry,) = read_entries(str(tmp_path / "feed.xml"))
    assert entry.url == "https://news.example.org/b/"
    assert "passwd: not an http(s) address" in caplog.text
