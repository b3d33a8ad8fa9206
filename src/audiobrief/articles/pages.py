"""Articles stage: download the pages a feed lists, a few at a time, only when changed."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from audiobrief.articles.feeds import Entry
from audiobrief.articles.fetch import FETCH_TIMEOUT_S, Page, fetch_page
from audiobrief.articles.load import download, load_article
from audiobrief.errors import ArticleError
from audiobrief.model import Article

logger = logging.getLogger(__name__)

DOWNLOADS_IN_FLIGHT = 4
"""Pages downloaded at once: quick for the run, gentle on the newsroom's own server."""
PAGE_DEADLINE_S = FETCH_TIMEOUT_S
"""Each page's whole download, however slowly it arrives."""

Validators = tuple[str | None, str | None]
"""(ETag, Last-Modified) a server sent for a page last time."""
FetchPage = Callable[..., Page]


@dataclass(frozen=True)
class Fetched:
    """One entry's page: its article, or None when the server said it has not changed."""

    entry: Entry
    article: Article | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: ArticleError | None = None


def fetch_articles(
    entries: Sequence[Entry],
    known: Mapping[str, Validators],
    *,
    fetch: FetchPage = fetch_page,
    workers: int = DOWNLOADS_IN_FLIGHT,
) -> list[Fetched]:
    """Each entry's page (conditionally, with the validators *known* by URL), in order.

    A page that fails (404, a timeout, no Arabic text) becomes a Fetched with its error;
    the others still arrive.
    """
    if not entries:
        return []

    def one(entry: Entry) -> Fetched:
        etag, modified = known.get(entry.url, (None, None))
        answers: list[Page] = []

        def get(url: str) -> bytes:
            answers.append(
                fetch(url, etag=etag, last_modified=modified, deadline_s=PAGE_DEADLINE_S)
            )
            return answers[-1].body or b""

        try:
            body = download(entry.url, get)
            page = answers[-1]
            if page.body is None:
                logger.info("%s: not modified", entry.url)
                return Fetched(entry, None, etag, modified)
            article = load_article(entry.url, fetch=lambda _url: body)
        except ArticleError as exc:
            logger.info("%s: skipped (%s)", entry.url, str(exc).removeprefix(f"{entry.url}: "))
            return Fetched(entry, error=exc)
        return Fetched(entry, article, page.etag, page.last_modified)

    with ThreadPoolExecutor(max_workers=min(workers, len(entries))) as pool:
        return list(pool.map(one, entries))


def content_hash(article: Article) -> str:
    """What decides whether an article changed: its headline and paragraphs as read."""
    text = json.dumps([article.title, list(article.paragraphs)], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
