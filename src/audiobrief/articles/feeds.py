"""Articles stage: a site's RSS/Atom feed or sitemap -> the article pages it lists."""

from __future__ import annotations

import calendar
import datetime as dt
import gzip
import io
import logging
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiobrief.articles.fetch import MAX_PAGE_BYTES, fetch_page
from audiobrief.articles.load import download
from audiobrief.errors import ArticleError

_Element = Any  # lxml ships no type hints

logger = logging.getLogger(__name__)

_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
_ACCEPT = "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.8"
MAX_SITEMAPS = 50
"""Sitemaps read from one sitemap index: a news site's index can name thousands (one per
month of its archive); the newest are listed first by every CMS we know of."""

Fetch = Callable[[str], bytes]


@dataclass(frozen=True)
class Entry:
    """One article page a feed or sitemap lists."""

    url: str
    title: str | None = None
    published: dt.datetime | None = None
    """Timezone-aware; the entry's publication (or last modification) time if it says."""
    source: str = ""
    """The feed or sitemap that listed it."""


def read_entries(source: str, *, fetch: Fetch | None = None) -> list[Entry]:
    """The entries of *source* (a feed or sitemap URL or file), in the order it lists them.

    A sitemap index is followed one level down (its first MAX_SITEMAPS sitemaps).

    Raises:
        ArticleError: *source* cannot be read, or is neither a feed nor a sitemap.
    """
    get = fetch or _fetch_xml
    data = _read(source, get)
    root = _xml_root(data)
    entries: list[Entry] = []
    if root is not None and _local(root.tag) == "sitemapindex":
        for child in _locs(root, "sitemap")[:MAX_SITEMAPS]:
            child_url = urllib.parse.urljoin(source, child[0])
            if not _is_web(child_url):  # a listed name never opens a local file
                raise ArticleError(child_url, "is not a web address; check the sitemap index")
            child_root = _xml_root(_read(child_url, get))
            if child_root is None or _local(child_root.tag) != "urlset":
                raise ArticleError(child_url, "is not a sitemap; check the sitemap index")
            entries += _sitemap_entries(child_root, child_url)
    elif root is not None and _local(root.tag) == "urlset":
        entries = _sitemap_entries(root, source)
    else:
        entries = _feed_entries(data, source)
    web = [e for e in entries if _is_web(e.url)]
    for entry in entries:
        if not _is_web(entry.url):  # the page loader would read it as a local file
            logger.warning("%s: skipped %s: not an http(s) address", source, entry.url)
    return web


def _is_web(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in ("http", "https")


def _read(source: str, fetch: Fetch) -> bytes:
    if source.startswith(("http://", "https://")):
        data = download(source, fetch)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ArticleError(
                source, f"cannot be read ({reason}); give the site's feed or sitemap URL or file"
            ) from exc
    if data[:2] == b"\x1f\x8b":  # sitemap.xml.gz
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as packed:
                data = packed.read(MAX_PAGE_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise ArticleError(source, f"is a damaged gzip file ({exc})") from exc
        if len(data) > MAX_PAGE_BYTES:
            raise ArticleError(source, "unpacks to over 20 MB; give a smaller sitemap")
    return data


def _fetch_xml(url: str) -> bytes:
    return fetch_page(url, accept=_ACCEPT).body or b""


def _xml_root(data: bytes) -> _Element | None:
    """The parsed document, or None when it is not well-formed XML (feedparser copes).

    No entities are resolved and nothing is fetched: a hostile sitemap cannot read files
    or make requests (XXE) or expand a billion laughs.
    """
    from lxml import etree  # type: ignore[import-untyped]

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError:
        return None
    return root if isinstance(root.tag, str) else None


def _sitemap_entries(root: _Element, source: str) -> list[Entry]:
    entries = []
    for loc, node in _locs(root, "url"):
        news = node.find(f"{{{_NEWS_NS}}}news")
        title = _text(news, f"{{{_NEWS_NS}}}title") if news is not None else None
        stamp = _text(news, f"{{{_NEWS_NS}}}publication_date") if news is not None else None
        when = _iso(stamp or _text(node, f"{{{_SITEMAP_NS}}}lastmod"))
        entries.append(Entry(urllib.parse.urljoin(source, loc), title, when, source))
    return entries


def _locs(root: _Element, kind: str) -> list[tuple[str, _Element]]:
    found = []
    for node in root.iter(f"{{{_SITEMAP_NS}}}{kind}", kind):
        loc = _text(node, f"{{{_SITEMAP_NS}}}loc") or _text(node, "loc")
        if loc:
            found.append((loc, node))
    return found


def _feed_entries(data: bytes, source: str) -> list[Entry]:
    import feedparser  # type: ignore[import-untyped]

    parsed = feedparser.parse(data, response_headers={"content-location": source})
    if not parsed.get("version") and not parsed.entries:
        raise ArticleError(
            source,
            "is neither an RSS or Atom feed nor a sitemap; give the site's feed "
            "(e.g. /feed/) or its sitemap.xml",
        )
    # Relative links are relative to the feed's URL, or for a saved file to the site's.
    base = source if _is_web(source) else str(parsed.feed.get("link") or source)
    entries = []
    for item in parsed.entries:
        link = item.get("link") or _alternate(item.get("links", ()))
        if not link:
            logger.warning(
                "%s: an entry without a link was skipped (%s)", source, item.get("title")
            )
            continue
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        # feedparser gives UTC struct_time: timegm, not mktime (local time)
        when = dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC) if stamp else None
        entries.append(Entry(urllib.parse.urljoin(base, link), item.get("title"), when, source))
    return entries


def _alternate(links: Iterable[dict[str, str]]) -> str | None:
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


def _iso(value: str | None) -> dt.datetime | None:
    """A W3C datetime (`2026-11-28`, `2026-11-28T09:30:00+01:00`), aware; None if not one."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        logger.warning("ignoring the sitemap date %r: not a W3C datetime", value)
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _text(node: _Element | None, tag: str) -> str | None:
    if node is None:
        return None
    found = node.find(tag)
    text = found.text if found is not None else None
    return text.strip() if text and text.strip() else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
