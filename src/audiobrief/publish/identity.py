"""Publish stage: what makes two runs the same episode (its key) and where its files go."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from urllib.parse import urlsplit

from audiobrief.model import Article


def canonical_url(url: str) -> str:
    """*url* without tracking parameters (utm_*, fbclid, gclid, ...) or fragment.

    courlan (trafilatura's URL library) knows the trackers; host case and default
    ports go too, so one page shared with different tags stays one episode.
    """
    import courlan

    if urlsplit(url).scheme not in ("http", "https"):
        return url
    try:
        return str(courlan.normalize_url(url.strip(), strict=True))
    except ValueError:
        return url.strip()


def article_day(article: Article, today: dt.date) -> dt.date:
    """The episode's date: the article's own publication date when it states one."""
    return article.meta.date or today


def article_key(article: Article, today: dt.date) -> str:
    """The article's identity across runs.

    Its canonical URL when it has one; else the name of the file it was read from, its
    headline and its date: an edited body keeps its episode, yesterday's item of the same
    name (a daily weather note) becomes a new one, and two different articles saved as
    `article.txt` in two folders stay two. The folder is left out so that moving the
    newsroom's article folder does not duplicate every episode.
    """
    if article.meta.url:
        return canonical_url(article.meta.url)
    return f"{source_prefix(article)}{article_day(article, today).isoformat()}"


def source_prefix(article: Article) -> str:
    """The key of a file article without its date: the same file and headline, any day."""
    source = article.meta.source
    where = "stdin" if source in ("", "-") else f"file:{Path(source).name}"
    title = hashlib.sha1(article.title.encode("utf-8")).hexdigest()[:12]
    return f"{where}:{title}:"
