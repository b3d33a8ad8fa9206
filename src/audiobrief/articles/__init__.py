"""Articles stage: load a source (txt, html, md, URL, stdin) and clean it into an Article.

The front door: what the pipeline may call. Everything else here is the stage's own.
Feeds and fetched pages load when first asked for: a file to speak needs neither, and
their modules (gzip, calendar, thread pools) cost every `speak` 8 ms to import.
"""

import importlib
from typing import TYPE_CHECKING, Any

from audiobrief.articles.limits import check_length
from audiobrief.articles.load import load_article, read_file

if TYPE_CHECKING:
    from audiobrief.articles.feeds import Entry, read_entries
    from audiobrief.articles.pages import Fetched, content_hash, fetch_articles

_ON_FIRST_USE = {
    "Entry": "feeds",
    "read_entries": "feeds",
    "Fetched": "pages",
    "content_hash": "pages",
    "fetch_articles": "pages",
}

__all__ = [
    "Entry",
    "Fetched",
    "check_length",
    "content_hash",
    "fetch_articles",
    "load_article",
    "read_entries",
    "read_file",
]


def __getattr__(name: str) -> Any:
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
